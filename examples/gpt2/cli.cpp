// The gpt2 program's flags, checks, data and output (see args.hpp).
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "distributed/distributed.hpp"
#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "programs/plot.hpp"

namespace gpt2_program {

using namespace xgrad;

std::optional<int> parse_args(Args& a, int argc, char** argv) {
    CLI::App app{"the book's GPT-2 (ch. 4-5): build, pretrain on a text, load OpenAI's weights, generate"};
    std::string model = "124M";
    app.add_option("--model", model, "size: 124M, 355M, 774M, 1558M (the book's GPT_CONFIG names)")->capture_default_str();
    auto& c = a.config;
    app.add_option("--context-length", c.context_length, "positions (the ch. 4 config's 1024; ch. 5 trains at 256)")->capture_default_str()->check(programs::positive);
    app.add_option("--emb-dim", c.emb_dim, "embedding size (overrides --model)")->check(programs::positive);
    app.add_option("--n-heads", c.n_heads, "attention heads (overrides --model)")->check(programs::positive);
    app.add_option("--n-layers", c.n_layers, "transformer blocks (overrides --model)")->check(programs::positive);
    app.add_option("--drop-rate", c.drop_rate, "dropout")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    app.add_option("--seed", a.seed, "torch.manual_seed's seed")->capture_default_str();
    app.add_option("--text", a.text, "training text (UTF-8)")->capture_default_str();
    app.add_option("--epochs", a.epochs, "training epochs (0: no training)")->capture_default_str()->check(programs::non_negative);
    app.add_option("--batch-size", a.batch_size, "windows a step (each rank's, under mpirun: the step trains ranks x this)")->capture_default_str()->check(programs::positive);
    app.add_option("--lr", a.lr, "AdamW's learning rate")->capture_default_str()->check(programs::non_negative);
    app.add_option("--weight-decay", a.weight_decay, "AdamW's weight decay")->capture_default_str()->check(programs::non_negative);
    app.add_option("--train-ratio", a.train_ratio, "share of the text's characters to train on")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    app.add_option("--eval-freq", a.eval_freq, "steps between evaluations")->capture_default_str()->check(programs::positive);
    app.add_option("--eval-iter", a.eval_iter, "batches an evaluation")->capture_default_str()->check(programs::positive);
    app.add_option("--prompt", a.prompt, "text to continue")->capture_default_str();
    app.add_option("--max-new-tokens", a.max_new_tokens, "tokens to generate")->capture_default_str()->check(programs::non_negative);
    app.add_option("--temperature", a.temperature, "0: greedy; above: sample from softmax(logits / T)")->capture_default_str()->check(programs::non_negative);
    app.add_option("--top-k", a.top_k, "sample from the k likeliest tokens")->check(programs::positive);
    app.add_option("--top-p", a.top_p, "sample from the likeliest tokens whose probability reaches p")->check(CLI::Range(1e-9, 1.0));
    app.add_flag("--no-cache", a.no_cache, "generate without the KV cache (the whole window every token)");
    app.add_flag("--bf16", a.bf16, "generate with the Linear weights rounded to bfloat16: half the bytes a token reads (inputs and sums stay float32; training stays float32)");
    app.add_option("--from-pretrained", a.from_pretrained, "a Hugging Face GPT-2 folder (config.json, model.safetensors)");
    app.add_option("--save", a.save, "write model, optimizer and progress after each epoch (safetensors)");
    app.add_option("--resume", a.resume, "go on from a --save file (an interrupted run saves to --save or gpt2-interrupted.safetensors)");
    app.add_option("--plot", a.plot, "write the loss plot (SVG) here");
    app.add_option("--threads", a.threads, "threads (the same numbers at any count)")->capture_default_str()->check(CLI::Range(1, 256));
    app.add_flag("--overlap", a.overlap, "under mpirun: sum the gradients during backward, as PyTorch's DDP (on one machine slower than after it)");
    app.add_flag("--json", a.json, "one JSON object at the end (ids, text, losses, seconds); progress to stderr");
    if (auto status = programs::parse(app, argc, argv, "gpt2")) return status;
    try {
        gpt2::Config named = gpt2::Config::named(model);
        if (!app.count("--emb-dim")) c.emb_dim = named.emb_dim;
        if (!app.count("--n-heads")) c.n_heads = named.n_heads;
        if (!app.count("--n-layers")) c.n_layers = named.n_layers;
        c.check();
    } catch (const ValueError& e) {
        fmt::print(stderr, "gpt2: error: --model {}: {}\n", model, e.what());
        return 2;
    }
    if (!a.from_pretrained.empty() && app.count("--context-length")) {
        fmt::print(stderr, "gpt2: error: --context-length {} with --from-pretrained: the folder's config.json sets it\n", c.context_length);
        return 2;
    }
    return std::nullopt;
}

void check_run(const Args& a, const GPTModel& model, const IdArray& prompt) {
    const auto& c = model.cfg;
    if (prompt.size() == 0) throw ValueError("--prompt is empty: generation starts from at least one token");
    if (long(prompt.size()) > c.context_length)
        throw ValueError(fmt::format("--prompt is {} tokens, longer than the context length {}", prompt.size(), c.context_length));
    for (int64_t id : prompt)
        if (id >= c.vocab_size)
            throw ValueError(fmt::format("--prompt has token id {}, outside the model's vocabulary of {}", id, c.vocab_size));
    auto o = a.generate_options();
    o.max_new_tokens = 0;  // checks the options, generates nothing
    gpt2::generate(model, prompt, o);
    for (const auto& [flag, path] : {std::pair{"--save", a.save}, std::pair{"--plot", a.plot}}) {
        if (path.empty()) continue;
        programs::check_writable(path, flag);
        if (a.epochs > 0) programs::check_not_input(path, flag, a.text, "the training text");
    }
}

namespace {

// The byte offset of code point n of UTF-8 text (Python's text[:n] cuts there).
std::size_t code_point_offset(const std::string& s, std::size_t n) {
    std::size_t i = 0;
    for (std::size_t seen = 0; i < s.size(); ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && seen++ == n) break;
    return i;
}

}  // namespace

Data load_data(const Args& a, long context_length, const text::Tokenizer& tok) {
    const std::string text = nn::read_file(a.text);
    std::size_t chars = 0;
    for (unsigned char ch : text) chars += (ch & 0xC0) != 0x80;
    const std::size_t split = code_point_offset(text, std::size_t(a.train_ratio * double(chars)));  // int(0.9 * len(text))
    auto loader = [&](std::string_view part, const char* name, text::DataLoaderOptions o) {
        try {
            return GptDataLoader(text::GptDataset(tok.encode(part), context_length, context_length), o);
        } catch (const ValueError& e) {
            throw ValueError(fmt::format("{}: the {} part: {}", a.text, name, e.what()));
        }
    };
    const std::string_view all(text);
    const long global = a.batch_size * distributed::world_size();
    return {loader(all.substr(0, split), "training", {.batch_size = global, .shuffle = true, .drop_last = true}),
            loader(all.substr(split), "validation", {.batch_size = global, .shuffle = false, .drop_last = false}),
            programs::fnv1a64(text)};
}

void check_ranks(const Args& a, const Data& d, Progress& p) {
    const int world = distributed::world_size();
    const long global = a.batch_size * world;
    if (p.global_batch != 0 && p.batches_done > 0 && p.global_batch != global)
        throw ValueError(fmt::format("--resume {}: saved {} steps into an epoch of global batches of {} windows; this run's "
                                     "are {} ({} rank{} x --batch-size {}): resume mid-epoch with the same global batch",
                                     a.resume, p.batches_done, p.global_batch, global, world, world == 1 ? "" : "s", a.batch_size));
    p.global_batch = global;
    const auto c = a.config;
    distributed::check_same("run (its flags, its text and where it starts)",
                            fmt::format("seed {} batch {} lr {} weight-decay {} drop-rate {} epochs {} eval {}/{} "
                                        "train-ratio {} text {:016x} step {}", a.seed, a.batch_size, a.lr, a.weight_decay,
                                        c.drop_rate, a.epochs, a.eval_freq, a.eval_iter, a.train_ratio, d.text_hash,
                                        p.global_step));
}

void write_plot(const std::string& path, const Progress& p) {
    plot::LineChart chart{"the book's GPT-2 pretraining", "tokens seen", "loss", false, false,
                          {{"Training loss", p.track_tokens_seen, p.train_losses, "", false},
                           {"Validation loss", p.track_tokens_seen, p.val_losses, "", true}}, {}};
    nn::write_file_atomic(path, plot::line_chart(chart));
}

void print_result(const Args& a, const Progress& p, const std::vector<text::Token>& ids, const std::string& text,
                  const Seconds& t, long new_tokens) {
    const double tps = t.generate > 0 ? double(new_tokens) / t.generate : 0.0;
    if (a.json) {
        nlohmann::json j = {{"ids", ids}, {"text", text}, {"train_losses", p.train_losses}, {"val_losses", p.val_losses},
                            {"tokens_seen", p.track_tokens_seen}, {"seconds", t.run + t.generate},
                            {"model_seconds", t.model}, {"generate_seconds", t.generate}, {"new_tokens", new_tokens}, {"tokens_per_second", tps},
                            {"kv_cache", !a.no_cache}, {"ranks", distributed::world_size()},
                            {"train_seconds", t.train}, {"allreduce_wait_seconds", t.wait}};
        fmt::print("{}\n", j.dump());
        return;
    }
    if (const int n = distributed::world_size(); n > 1 && t.train > 0)
        fmt::print("({} ranks x batch {}: training {:.2f} s, of which {:.2f} s ({:.1f}%) waiting for the gradients' sums)\n",
                   n, a.batch_size, t.train, t.wait, 100.0 * t.wait / t.train);
    fmt::print("Output ids: [{}]\nOutput text:\n{}\n", fmt::join(ids, ", "), text);
    fmt::print("({} new tokens in {:.2f} s, {:.1f} tokens/s{})\n", new_tokens, t.generate, tps,
               a.no_cache ? ", no KV cache" : ", KV cache");
}

}  // namespace gpt2_program
