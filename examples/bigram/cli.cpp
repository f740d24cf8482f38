// The bigram program's command line: every option, its default and its check (CLI11), then run().
// Errors print as "bigram: error: …" (status 2 for a bad command line, 1 for anything else).
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "programs/cli.hpp"
#include "args.hpp"

using namespace bigram;
namespace programs = xgrad::programs;

namespace {

// Number checks with plain messages ("--dim: 0 is not a positive number"); CLI11's own print a range
// up to 1.8e308.
CLI::Validator number_check(bool allow_zero) {
    return CLI::Validator(
        [allow_zero](std::string& text) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || std::isnan(v)) return text + " is not a number";
            if (allow_zero ? v < 0 : v <= 0) return text + (allow_zero ? " is negative" : " is not a positive number");
            return "";
        },
        allow_zero ? "NUMBER >= 0" : "NUMBER > 0");
}
const CLI::Validator kPositive = number_check(false), kNonNegative = number_check(true);

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"bigram: the lectures' bigram language model (previous token -> next token), trained with xgrad"};
    Args a;
    app.add_option("--corpus", a.corpus, "training text (default: the lecture's sentence)")->check(CLI::ExistingFile);
    app.add_option("--level", a.level, "tokens: word or char")->capture_default_str()->check(CLI::IsMember({"word", "char"}));
    app.add_option("--dim", a.dim, "embedding size K")->capture_default_str()->check(kPositive);
    auto* epochs = app.add_option("--epochs", a.epochs, "passes over all training pairs")->check(kNonNegative);
    app.add_option("--steps", a.steps, "optimizer steps for the whole run (a resumed run continues up to it)")->check(kNonNegative)
        ->excludes(epochs);
    app.add_option("--batch", a.batch, "pairs per step; 0 = all (full batch). Default: all, or 4096 on a corpus of "
                                       "more than 100,000 pairs")->check(kNonNegative);
    app.add_option("--optimizer", a.optimizer, "sgd, adam or adamw")->capture_default_str()->check(CLI::IsMember({"sgd", "adam", "adamw"}));
    app.add_option("--schedule", a.schedule, "learning rate schedule: constant or cosine (to 0 at the last step)")
        ->capture_default_str()->check(CLI::IsMember({"constant", "cosine"}));
    app.add_option("--t-max", a.t_max, "cosine schedule: the step where lr reaches 0 (default: --steps)")->check(kPositive);
    app.add_option("--lr", a.lr, "learning rate (default 0.1 for sgd, 0.01 otherwise)")->check(kPositive);
    // a seed is a whole number in [0, 2^64): "-1" or "18446744073709551616" must not wrap or clamp
    const CLI::Validator kSeed(
        [](std::string& v) -> std::string {
            uint64_t x = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
            return ec == std::errc() && p == v.data() + v.size() && !v.empty()
                       ? std::string()
                       : fmt::format("{} is not a seed (a whole number from 0 to {})", v, UINT64_MAX);
        },
        "SEED");
    app.add_option("--seed", a.seed, "seed of the initial weights (as torch.manual_seed: 0 gives the lecture's PyTorch weights), the batches (seed + 1) and the samples (seed + 2)")->capture_default_str()->check(kSeed);
    app.add_option("--threads", a.threads, "threads for the kernels")->capture_default_str()->check(CLI::Range(1, 256));
    app.add_option("--min-count", a.min_count, "word level: rarer tokens become <unk> (default 2; 1 for the lecture)")->check(kPositive);
    app.add_option("--init", a.init, "start from V.weight and U.weight in this safetensors file")->check(CLI::ExistingFile);
    app.add_option("--save", a.save, "write a checkpoint (weights, optimizer, step, vocabulary) here");
    app.add_option("--resume", a.resume, "continue from a checkpoint up to --steps")->check(CLI::ExistingFile);
    app.add_option("--generate", a.generate, "tokens to sample before and after training")->capture_default_str()->check(CLI::Range(0, 1000000));
    app.add_option("--prompt", a.prompt, "text whose last token starts the samples");
    app.add_option("--temperature", a.temperature, "sampling temperature")->capture_default_str()->check(kPositive);
    app.add_option("--top-k", a.top_k, "sample among the k most likely tokens only (0 = all)")->capture_default_str()->check(kNonNegative);
    auto* plot = app.add_option("--plot", a.plot, "write SVG plots into this directory: vectors_before/after.svg (V and U; "
                                                   "PCA when K > 2), vectors_prev.svg (the lecture's view from one previous "
                                                   "token), loss.svg (with the validation loss at 20 points when --valid)");
    app.add_option("--plot-prev", a.plot_prev, "previous token of vectors_prev.svg (default \"the\" when in the vocabulary)")->needs(plot);
    app.add_option("--valid", a.valid, "validation text: report its loss and the count model's")->check(CLI::ExistingFile);
    app.add_option("--neighbors", a.neighbors, "print the tokens nearest to this one (cosine similarity of V rows)");
    app.add_flag("--tie", a.tie, "use one table for V and U");
    app.add_flag("--reset-optimizer", a.reset_optimizer, "with --resume: start the optimizer's state (moments, momentum) "
                                                         "afresh instead of loading it");
    app.add_flag("--quiet", a.quiet, "no progress line");
    app.add_option("--progress", a.progress, "seconds between progress lines (default: 0.2 on a terminal, in place; "
                                             "10 in a pipe or log, a line each)")->check(programs::non_negative);
    app.add_flag("--json", a.json, "print the final figures as one JSON object on the last line");
    app.add_option("--on-nonfinite", a.on_nonfinite, "a NaN or Inf batch loss: stop (an error naming the step) or warn (count and go on)")
        ->capture_default_str()->check(CLI::IsMember({"stop", "warn"}));
    app.add_flag("--no-eval", a.no_eval, "skip the mean loss over all training pairs before and after (timing runs)");
    if (const auto status = programs::parse(app, argc, argv, "bigram")) return *status;
    for (const CLI::Option* opt : app.get_options())
        if (opt->count() > 0) a.given.insert(opt->get_name());
    return programs::run_main("bigram", [&] {
        return run(a);
    });
}
