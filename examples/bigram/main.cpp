// bigram: the lectures' bigram language model as a program. With no arguments it runs the lecture:
// "the cat ate the dog! the dog ran the zoo.", K = 2, 10,000 full-batch SGD epochs (lr 0.1), and shows
// the loss against the best any bigram model can do, the similarity/probability table for "the",
// and samples before and after training. Point it at real text with --corpus (see --help).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "programs/files.hpp"
#include "programs/run.hpp"
#include "setup.hpp"
#include "corpus.hpp"
#include "figures.hpp"

using namespace xgrad;
using namespace bigram;

namespace {

// Sampled text as it reads; control bytes other than line breaks and tabs (ESC, BEL, …) and DEL are
// written \xNN, as the vocabulary lines show them, so samples never drive the terminal.
std::string join_tokens(const Vocabulary& v, const std::vector<int64_t>& ids, Level level) {
    std::string s;
    for (auto id : ids) {
        const std::string& t = v.tokens[static_cast<std::size_t>(id)];
        if (level == Level::Char) s += t;
        else s += (s.empty() ? "" : " ") + (t == "<eos>" ? std::string("\n") : t);
    }
    std::string out;
    for (unsigned char c : s) {
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) out += fmt::format("\\x{:02x}", c);
        else out += char(c);
    }
    return out;
}

// The lecture's table: for previous token `word`, the scores v·u_j and softmax probabilities.
void print_table(BigramModel& m, const Vocabulary& v, int64_t prev, const std::string& when) {
    NoGradGuard no_grad;
    const Tensor scores = m.forward(IdArray{prev});
    const Tensor p = softmax(scores, 1);
    fmt::print("\nprevious token \"{}\" ({}): similarity v·u and probability softmax(U·v)\n", v.show(prev), when);
    fmt::print("  {:<10} {:>9} {:>9}\n", "next", "v·u", "p");
    const std::size_t N = v.size(), shown = std::min<std::size_t>(N, 12);
    std::vector<std::size_t> order(N);
    for (std::size_t j = 0; j < N; ++j) order[j] = j;
    if (N > shown) std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return p(0, a) > p(0, b); });
    for (std::size_t k = 0; k < shown; ++k)
        fmt::print("  {:<10} {:>9.3f} {:>9.3f}\n", v.show(order[k]), scores(0, order[k]), p(0, order[k]));
    if (N > shown) fmt::print("  ({} more)\n", N - shown);
}

void print_neighbors(BigramModel& m, const Vocabulary& v, const std::string& word) {
    auto it = v.ids.find(word);
    if (it == v.ids.end()) throw ValueError(fmt::format("--neighbors: \"{}\" is not in the vocabulary", word));
    const Array& V = m.V->weight.data();
    const std::size_t N = v.size(), K = m.dim();
    auto norm = [&](std::size_t r) {
        double s = 0;
        for (std::size_t j = 0; j < K; ++j) s += double(V(r, j)) * V(r, j);
        return std::sqrt(s);
    };
    const auto w = static_cast<std::size_t>(it->second);
    std::vector<std::pair<double, std::size_t>> sims;
    for (std::size_t r = 0; r < N; ++r) {
        if (r == w) continue;
        double d = 0;
        for (std::size_t j = 0; j < K; ++j) d += double(V(r, j)) * V(w, j);
        sims.emplace_back(d / (norm(r) * norm(w) + 1e-12), r);
    }
    std::sort(sims.rbegin(), sims.rend());
    fmt::print("\nnearest tokens to \"{}\" by cosine similarity of V rows:\n", word);
    for (std::size_t k = 0; k < std::min<std::size_t>(10, sims.size()); ++k)
        fmt::print("  {:<12} {:.3f}\n", v.show(static_cast<int64_t>(sims[k].second)), sims[k].first);
}

void write_text(const std::string& path, const std::string& text) {
    nn::write_file_atomic(path, text);
    fmt::print("wrote {}\n", path);
}

// The prompt's last token is the first "previous token" of the samples. Without --prompt: "the dog"
// when those words are known, else the line break (a new line, a new name). A --prompt token that is not
// in the vocabulary itself (not merely mapped to <unk>) is an error when samples are asked for.
std::pair<std::string, int64_t> sample_start(const Args& a, const Run& r) {
    std::string prompt = a.prompt.value_or("the dog");
    const auto toks = tokenize(prompt, r.level);
    auto ids = r.s.vocab.encode(toks);
    bool known = true;
    for (const auto& t : toks) {
        if (r.s.vocab.ids.count(t) && t != "<unk>") continue;
        known = false;
        if (a.prompt && a.generate > 0)
            throw ValueError(fmt::format("--prompt: token \"{}\" is not in the vocabulary ({} tokens; see the vocabulary line)", t,
                                         r.s.vocab.size()));
    }
    if (known && !ids.empty()) return {prompt, ids.back()};
    const auto lb = r.s.vocab.ids.find(r.level == Level::Char ? "\n" : "<eos>");
    return {"", lb != r.s.vocab.ids.end() ? lb->second : 0};
}

void print_header(const Run& r) {
    const std::size_t N = r.s.vocab.size();
    std::string vocab_line;
    for (std::size_t i = 0; i < std::min<std::size_t>(N, 40); ++i) vocab_line += (i ? " " : "") + r.s.vocab.show(i);
    fmt::print("corpus: {} ({} tokens, {} training pairs), level {}\n", r.corpus.empty() ? "the lecture's sentence" : r.corpus,
               r.n_tokens, r.s.train_pairs.size(), r.level_name);
    fmt::print("vocabulary ({}): {}{}\n", N, vocab_line, N > 40 ? " ..." : "");
    fmt::print("model: V ({}×{}), U ({}×{}){}, logits = v·Uᵀ; optimizer {} lr {}, batch {}, steps {} → {}\n", N, r.s.model->dim(),
               N, r.s.model->dim(), r.s.model->tied ? " tied to V" : "", r.o.optimizer, r.o.lr,
               r.o.batch == 0 ? std::string("full") : std::to_string(r.o.batch), r.s.step, r.o.steps);
}

// What the run measured, for the report and --json.
struct Results {
    double loss0 = NAN, train_loss = NAN, seconds = 0, rss_start = 0, rss_end = 0, floor = 0;
    long first_step = 0;
    std::optional<double> valid_loss, count_valid, alpha;
    std::vector<std::pair<long, double>> valid_curve;  // (steps done, validation loss) for loss.svg
};

// After training: the loss against the floor, the validation losses, the lecture's table, the counts' view.
void report(const Args& a, Run& r, const CountModel& counts, Results& res) {
    const auto shown = [&](double loss) { return a.no_eval ? std::string("not computed (--no-eval)") : fmt::format("{:.6f}", loss); };
    if (r.s.nonfinite_steps > 0)
        fmt::print("warning: the batch loss was not finite at {} step{}, first at step {}\n", r.s.nonfinite_steps,
                   r.s.nonfinite_steps == 1 ? "" : "s", r.s.first_nonfinite_step);
    fmt::print("\nloss after {} steps: {}   (floor {:.6f}{}); training took {:.2f} s\n", r.o.steps, shown(res.train_loss), res.floor,
               a.no_eval ? "" : fmt::format(", gap {:.2e}", res.train_loss - res.floor), res.seconds);
    if (!a.valid.empty()) {
        const Pairs& vp = r.valid_pairs;
        res.valid_loss = mean_loss(*r.s.model, vp);
        res.alpha = counts.best_alpha(vp);
        res.count_valid = counts.loss(vp, *res.alpha);
        fmt::print("validation loss: {:.6f} on {} pairs{}; the add-α count model (α = {:.3g}): {:.6f}\n", *res.valid_loss, vp.size(),
                   vp.skipped ? fmt::format(" ({} pairs with unknown tokens skipped)", vp.skipped) : "", *res.alpha, *res.count_valid);
    }
    const std::size_t N = r.s.vocab.size();
    if (auto it = r.s.vocab.ids.find(r.level == Level::Char ? "a" : "the"); it != r.s.vocab.ids.end()) {
        print_table(*r.s.model, r.s.vocab, it->second, "trained");
        const auto cp = counts.probs(it->second, 0.0);
        std::string c;
        for (std::size_t j = 0; j < std::min<std::size_t>(N, 12); ++j) c += fmt::format(" {}={:.3f}", r.s.vocab.show(j), cp[j]);
        fmt::print("the counts say p(next | \"{}\"):{}{}\n", r.s.vocab.show(it->second), c, N > 12 ? " ..." : "");
    }
}

// The figures come after the checkpoint: a failure drawing them never loses the trained weights.
void write_figures(const std::string& dir, const Run& r, const Array& V0, const Array& U0, const Results& res) {
    const Array &V = r.s.model->V->weight.data(), &U = r.s.model->U->weight.data();
    const std::string after = fmt::format("after {} steps", r.o.steps);
    write_text(dir + "/vectors_before.svg", vectors_figure(V0, U0, r.s.vocab, "before training"));
    write_text(dir + "/vectors_after.svg", vectors_figure(V, U, r.s.vocab, after));
    if (r.plot_prev) {
        const std::string start = res.first_step == 0 ? "random initialization" : fmt::format("step {}", res.first_step);
        write_text(dir + "/vectors_prev.svg", prev_figure({{V0, U0, start, res.loss0}, {V, U, after, res.train_loss}}, r.s.vocab,
                                                          *r.plot_prev));
    }
    write_text(dir + "/loss.svg", loss_figure(r.s.curve, res.valid_curve, res.floor));
}

void print_json(const Args& a, const Run& r, const Results& res) {
    const double pairs_per_step = r.o.batch ? double(r.o.batch) : double(r.s.train_pairs.size());
    const double tps = res.seconds > 0 ? double(r.o.steps - res.first_step) * pairs_per_step / res.seconds : 0.0;
    nlohmann::json j = {{"vocab_size", r.s.vocab.size()}, {"steps", r.o.steps}, {"initial_loss", res.loss0},
                        {"train_loss", res.train_loss}, {"valid_loss", nullptr}, {"count_train_floor", res.floor},
                        {"count_valid_loss", nullptr}, {"count_alpha", nullptr}, {"seconds", res.seconds},
                        {"tokens_per_second", tps}, {"level", r.level_name}, {"dim", r.s.model->dim()},
                        {"optimizer", r.o.optimizer}, {"batch", r.o.batch}, {"rss_mb_start", res.rss_start},
                        {"rss_mb_end", res.rss_end}, {"nonfinite_steps", r.s.nonfinite_steps}};
    if (a.no_eval) j["initial_loss"] = nullptr, j["train_loss"] = nullptr;
    if (res.valid_loss) j["valid_loss"] = *res.valid_loss, j["count_valid_loss"] = *res.count_valid, j["count_alpha"] = *res.alpha;
    fmt::print("{}\n", j.dump());
}

}  // namespace

namespace bigram {

// The lecture: the model before training (loss, samples), training, the model after (loss against the
// floor, the table for "the", samples), the checkpoint, the figures.
int run(const Args& a) {
    set_num_threads(a.threads);
    const programs::StopSignals stop;  // SIGINT/SIGTERM: the step finishes, the checkpoint is saved, exit 130/143
    Run r = prepare(a);
    const CountModel counts(r.s.vocab.size(), r.s.train_pairs);
    Results res;
    res.floor = counts.train_floor();
    print_header(r);
    const auto start = sample_start(a, r);  // (the prompt as given or "", the first previous token)
    const std::string& prompt = start.first;
    const int64_t prev = start.second;
    Generator sample_gen(a.seed + 2);
    auto show_samples = [&](const char* when) {
        if (a.generate == 0) return;
        const auto ids = sample(*r.s.model, prev, a.generate, a.temperature, a.top_k, sample_gen);
        fmt::print("\n{} tokens sampled from the {} model after \"{}\":\n{}{}{}\n", a.generate, when,
                   prompt.empty() ? r.s.vocab.show(prev) : prompt, prompt, r.level == Level::Char || prompt.empty() ? "" : " ",
                   join_tokens(r.s.vocab, ids, r.level));
    };

    const Array V0 = r.s.model->V->weight.data(), U0 = r.s.model->U->weight.data();
    res.loss0 = a.no_eval ? NAN : mean_loss(*r.s.model, r.s.train_pairs);  // --no-eval: no passes over all pairs
    fmt::print("\nloss before training: {}   (uniform guess ln N = {:.4f})\n",
               a.no_eval ? std::string("not computed (--no-eval)") : fmt::format("{:.6f}", res.loss0),
               std::log(double(r.s.vocab.size())));
    fmt::print("best possible on this text, H(next|prev) from the bigram counts: {:.6f}\n", res.floor);
    show_samples("untrained");

    double eval_seconds = 0;  // the validation passes for loss.svg, not counted as training time
    if (!a.plot.empty() && !r.valid_pairs.items.empty()) {
        r.o.eval_every = std::max<long>(1, (r.o.steps - r.s.step) / 20);
        r.o.on_eval = [&](long done) {
            const auto t0 = std::chrono::steady_clock::now();
            res.valid_curve.emplace_back(done, mean_loss(*r.s.model, r.valid_pairs));
            eval_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        };
    }
    r.o.should_stop = [&] { return stop.requested(); };
    res.rss_start = programs::rss_mb();
    res.first_step = r.s.step;
    res.seconds = r.s.train(r.o) - eval_seconds;
    res.rss_end = programs::rss_mb();
    if (stop.requested()) {
        const std::string path = a.save.empty() ? "bigram-interrupted.safetensors" : a.save;
        r.s.save(path, r.checkpoint_options(a));
        fmt::print(stderr, "bigram: {} at step {} of {}; saved to {} (go on with --resume {} --steps {})\n", stop.what(),
                   r.s.step, r.o.steps, path, path, r.o.steps);
        return stop.exit_code();
    }
    res.train_loss = a.no_eval ? NAN : mean_loss(*r.s.model, r.s.train_pairs);
    report(a, r, counts, res);
    show_samples("trained");
    if (!a.neighbors.empty()) print_neighbors(*r.s.model, r.s.vocab, a.neighbors);

    if (!a.save.empty()) {
        r.s.save(a.save, r.checkpoint_options(a));
        fmt::print("saved {} (step {})\n", a.save, r.s.step);
    }
    if (!a.plot.empty()) write_figures(a.plot, r, V0, U0, res);
    if (a.json) print_json(a, r, res);
    return 0;
}

}  // namespace bigram
