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
#include "corpus.hpp"
#include "figures.hpp"
#include "session.hpp"

using namespace xgrad;
using namespace bigram;

namespace {

const char* kLecture = "the cat ate the dog! the dog ran the zoo.";



// Resident set size of this process in MB (Linux /proc/self/statm; 0 where it is missing).
double rss_mb() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    long pages = 0, resident = 0;
    const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
    std::fclose(f);
    return n == 2 ? double(resident) * double(::sysconf(_SC_PAGESIZE)) / 1048576.0 : 0;
}

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

}  // namespace

namespace bigram {

int run(const Args& a) {
    set_num_threads(a.threads);
    if (!a.save.empty()) programs::check_writable(a.save, "--save");
    const bool lecture = a.corpus.empty() && a.resume.empty();
    Session s;
    TrainOptions o;
    o.quiet = a.quiet;
    o.progress_every = a.progress;
    o.reset_optimizer = a.reset_optimizer;
    std::map<std::string, std::string> saved;  // the options a checkpoint was trained with
    if (!a.resume.empty()) {
        saved = load_checkpoint(a.resume, s, o);
        // What the checkpoint fixed cannot change: the tables' shape, their tie, the tokens.
        auto fixed = [&](const char* flag, const std::string& key, const std::string& given) {
            auto it = saved.find(key);
            if (a.given.count(flag) && it != saved.end() && it->second != given)
                throw ValueError(fmt::format("{} {}: the checkpoint {} was trained with {} {}; a resumed run keeps it", flag,
                                             given, a.resume, key, it->second));
        };
        fixed("--dim", "dim", std::to_string(a.dim));
        fixed("--tie", "tie", a.tie ? "true" : "false");
        fixed("--level", "level", a.level);
        if (a.given.count("--init")) throw ValueError("--init: a resumed run starts from the checkpoint's weights, not --init's");
        if (a.given.count("--min-count"))
            throw ValueError("--min-count: a resumed run keeps the checkpoint's vocabulary");
        // What can change, changes, and says so (stderr, before training).
        if (a.given.count("--optimizer") && a.optimizer != o.optimizer) {
            fmt::print(stderr, "resuming with optimizer {} instead of the checkpoint's {}: its state starts afresh\n",
                       a.optimizer, o.optimizer);
            o.optimizer = a.optimizer;
            s.make_optimizer(o);
        }
        if (a.lr && *a.lr != o.lr) fmt::print(stderr, "resuming with lr {} instead of the checkpoint's {}\n", *a.lr, o.lr);
    }
    // A resumed run keeps the checkpoint's level, batch and schedule unless the command line names them.
    auto from_checkpoint = [&](const std::string& flag, const std::string& key, const std::string& value) {
        auto it = saved.find(key);
        return a.given.count(flag) || it == saved.end() ? value : it->second;
    };
    const std::string level_name = from_checkpoint("--level", "level", a.level);
    if (level_name != "word" && level_name != "char")  // only a checkpoint's metadata can name another
        throw ValueError(fmt::format("{}: its metadata name the level \"{}\"; a bigram checkpoint's level is word or char",
                                     a.resume, level_name));
    const Level level = level_name == "char" ? Level::Char : Level::Word;
    std::size_t n_tokens = 0;
    std::string corpus_id;  // "path, N bytes, fnv1a64 H": what the checkpoint records and a resume checks
    std::string corpus = a.corpus;  // a resume without --corpus trains on the checkpoint's
    {  // the text and its token strings are not needed once the pairs are made (W-word: ~40 MB)
        auto recorded = saved.find("corpus");
        if (corpus.empty() && recorded != saved.end() && !recorded->second.empty()) {  // resume on the checkpoint's text
            corpus = recorded->second.substr(0, recorded->second.find(", "));
            if (!std::filesystem::is_regular_file(corpus))
                throw ValueError(fmt::format("{} was trained on {}, which is not there: give --corpus", a.resume, recorded->second));
        }
        const std::string text = corpus.empty() ? std::string(kLecture) : nn::read_file(corpus);
        uint64_t h = 1469598103934665603ULL;  // FNV-1a, 64 bits
        for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
        corpus_id = corpus.empty() ? "" : fmt::format("{}, {} bytes, fnv1a64 {:016x}", corpus, text.size(), h);
        if (recorded != saved.end()) {
            const auto tail = [](const std::string& id) { return id.substr(id.find(", ") == std::string::npos ? 0 : id.find(", ")); };
            if (recorded->second.empty() != corpus_id.empty() || tail(recorded->second) != tail(corpus_id))
                throw ValueError(fmt::format("{} was trained on {}; this run's text is {}: resume on the same text",
                                             a.resume, recorded->second.empty() ? "the lecture's sentence" : recorded->second,
                                             corpus_id.empty() ? "the lecture's sentence" : corpus_id));
        }
        const auto toks = tokenize(text, level);
        n_tokens = toks.size();
        if (toks.size() < 2)
            throw ValueError(fmt::format("{}: the corpus has {} token{}; a bigram model needs at least 2",
                                         corpus.empty() ? "the lecture text" : corpus, toks.size(), toks.size() == 1 ? "" : "s"));
        if (a.resume.empty()) s.vocab = Vocabulary::build(toks, a.min_count.value_or(lecture || level == Level::Char ? 1 : 2));
        s.train_pairs = make_pairs(s.vocab.encode(toks));
        if (!a.resume.empty()) {  // a checkpoint of an older format names no corpus: its vocabulary must fit
            std::size_t unknown = 0;
            for (const auto& t : toks) unknown += !s.vocab.ids.count(t);
            if (s.train_pairs.size() == 0 || 2 * unknown > toks.size())
                throw ValueError(fmt::format("{}: {} of its {} tokens are not in the vocabulary of {} ({} tokens): the "
                                             "checkpoint was trained on another text", corpus.empty() ? "the lecture's sentence" : corpus,
                                             unknown, toks.size(), a.resume, s.vocab.size()));
        }
    }
    const std::size_t N = s.vocab.size();
    if (a.resume.empty()) {
        Generator init_gen(a.seed);
        try {
            s.model = std::make_unique<BigramModel>(N, a.dim, a.tie, init_gen);
        } catch (const ValueError& e) {  // a table too large to allocate: name the flag behind its size
            throw ValueError(fmt::format("--dim {}: the tables V and U ({} × {}) cannot be made: {}", a.dim, N, a.dim, e.what()));
        }
        if (!a.init.empty()) nn::load(*s.model, a.init);
        o.optimizer = a.optimizer;
        o.lr = a.lr.value_or(a.optimizer == "sgd" ? 0.1 : 0.01);
        s.make_optimizer(o);
        s.batch_gen.manual_seed(a.seed + 1);
    } else if (a.lr) {
        s.optimizer->set_lr(*a.lr);
        o.lr = *a.lr;
    }
    try {
        const long batch = whole_number(from_checkpoint("--batch", "batch", std::to_string(a.batch)), "batch");
        if (batch < 0) throw std::invalid_argument(fmt::format("batch {} is negative", batch));
        o.batch = static_cast<std::size_t>(batch);
    } catch (const std::invalid_argument& e) {
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: {}", a.resume, e.what()));
    }
    o.schedule = from_checkpoint("--schedule", "schedule", a.schedule);
    o.stop_on_nonfinite = a.on_nonfinite == "stop";
    try {
        o.t_max = whole_number(from_checkpoint("--t-max", "t_max", std::to_string(a.t_max.value_or(0))), "t_max");
        if (o.t_max < 0) throw std::invalid_argument(fmt::format("t_max {} is negative", o.t_max));
    } catch (const std::invalid_argument& e) {
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: {}", a.resume, e.what()));
    }
    // The default batch: every pair, or 4096 on a corpus of more than 100,000 pairs (whatever --steps says).
    if (!lecture && !a.given.count("--batch") && a.resume.empty() && s.train_pairs.size() > 100000) o.batch = 4096;
    if (o.batch == 0 || o.batch >= s.train_pairs.size()) {  // a full batch: its logits must fit, said before allocating
        const double need = 3.0 * 4.0 * double(s.train_pairs.size()) * double(N);  // logits, softmax and its gradient
        const double have = double(::sysconf(_SC_PHYS_PAGES)) * double(::sysconf(_SC_PAGESIZE));
        if (have > 0 && need > have / 2)
            throw ValueError(fmt::format("--batch {}: a full batch of {} pairs over {} tokens needs about {:.1f} GB for its "
                                         "logits, more than half of this machine's {:.1f} GB; give a --batch such as 4096",
                                         o.batch, s.train_pairs.size(), N, need / 1e9, have / 1e9));
    }
    const std::size_t per_epoch = o.batch == 0 ? 1 : (s.train_pairs.size() + o.batch - 1) / o.batch;
    o.steps = a.steps ? *a.steps : a.epochs ? *a.epochs * static_cast<long>(per_epoch) : lecture ? 10000 : 5 * static_cast<long>(per_epoch);
    if (o.steps < 0) throw ValueError("--steps/--epochs must be >= 0");
    if (!a.resume.empty() && o.steps < s.step)
        throw ValueError(fmt::format("--steps {}: the checkpoint {} is already at step {}; --steps is the run's total, "
                                     "so give more than {} to train on", o.steps, a.resume, s.step, s.step));
    if (o.schedule == "cosine" && o.t_max == 0) o.t_max = o.steps;  // saved, so a resumed run keeps the horizon

    // Files named on the command line are checked before training, so a typo costs no training time.
    Pairs valid_pairs;
    if (!a.valid.empty()) {
        valid_pairs = make_pairs(s.vocab.encode(tokenize(nn::read_file(a.valid), level)));
        if (valid_pairs.size() == 0)
            throw ValueError(fmt::format("--valid {}: no pairs of known tokens ({} pairs with unknown tokens)", a.valid,
                                         valid_pairs.skipped));
    }
    if (!a.plot.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(a.plot, ec);
        if (ec || !std::filesystem::is_directory(a.plot))
            throw FileError(fmt::format("--plot {}: cannot make this directory: {}", a.plot, ec ? ec.message() : "a file is in the way"));
        programs::check_writable(a.plot + "/loss.svg", "--plot");
    }
    // The previous token of vectors_prev.svg: --plot-prev, else the lecture's "the" when there is one.
    std::optional<int64_t> plot_prev;
    if (a.plot_prev) {
        const auto it = s.vocab.ids.find(*a.plot_prev);
        if (it == s.vocab.ids.end())
            throw ValueError(fmt::format("--plot-prev: token \"{}\" is not in the vocabulary ({} tokens; see the vocabulary line)",
                                         *a.plot_prev, N));
        plot_prev = it->second;
    } else if (!a.plot.empty() && s.vocab.ids.count("the")) {
        plot_prev = s.vocab.ids.at("the");
    }

    const CountModel counts(N, s.train_pairs);
    const double floor = counts.train_floor();
    std::string vocab_line;
    for (std::size_t i = 0; i < std::min<std::size_t>(N, 40); ++i) vocab_line += (i ? " " : "") + s.vocab.show(i);
    fmt::print("corpus: {} ({} tokens, {} training pairs), level {}\n", corpus.empty() ? "the lecture's sentence" : corpus,
               n_tokens, s.train_pairs.size(), level_name);
    fmt::print("vocabulary ({}): {}{}\n", N, vocab_line, N > 40 ? " ..." : "");
    fmt::print("model: V ({}×{}), U ({}×{}){}, logits = v·Uᵀ; optimizer {} lr {}, batch {}, steps {} → {}\n", N, s.model->dim(),
               N, s.model->dim(), s.model->tied ? " tied to V" : "", o.optimizer, o.lr, o.batch == 0 ? std::string("full") : std::to_string(o.batch),
               s.step, o.steps);

    // The prompt's last token is the first "previous token" of the samples. Without --prompt: "the dog"
    // when those words are known, else the line break (a new line, a new name).
    std::string prompt = a.prompt.value_or("the dog");
    // Every prompt token must be in the vocabulary itself (not merely mapped to <unk>).
    const auto prompt_toks = tokenize(prompt, level);
    auto prompt_ids = s.vocab.encode(prompt_toks);
    bool known = true;
    for (const auto& t : prompt_toks) {
        if (s.vocab.ids.count(t) && t != "<unk>") continue;
        known = false;
        if (a.prompt && a.generate > 0)
            throw ValueError(fmt::format("--prompt: token \"{}\" is not in the vocabulary ({} tokens; see the vocabulary line)", t, N));
    }
    if (!known || prompt_ids.empty()) {
        const std::string lb = level == Level::Char ? "\n" : "<eos>";
        prompt.clear();
        prompt_ids.clear();
        if (s.vocab.ids.count(lb)) prompt_ids.push_back(s.vocab.ids.at(lb));
        else prompt_ids.push_back(0);
    }
    std::optional<int64_t> prompt_last;
    if (!prompt_ids.empty()) prompt_last = prompt_ids.back();
    Generator sample_gen(a.seed + 2);
    auto show_samples = [&](const char* when) {
        if (!prompt_last || a.generate == 0) return;
        const auto ids = sample(*s.model, *prompt_last, a.generate, a.temperature, a.top_k, sample_gen);
        fmt::print("\n{} tokens sampled from the {} model after \"{}\":\n{}{}{}\n", a.generate, when,
                   prompt.empty() ? s.vocab.show(*prompt_last) : prompt, prompt, level == Level::Char || prompt.empty() ? "" : " ",
                   join_tokens(s.vocab, ids, level));
    };

    const Array V0 = s.model->V->weight.data(), U0 = s.model->U->weight.data();
    // --no-eval skips the two passes over all training pairs (for timing runs on big corpora).
    const double loss0 = a.no_eval ? NAN : mean_loss(*s.model, s.train_pairs);
    const auto shown = [&](double loss) {
        return a.no_eval ? std::string("not computed (--no-eval)") : fmt::format("{:.6f}", loss);
    };
    fmt::print("\nloss before training: {}   (uniform guess ln N = {:.4f})\n", shown(loss0), std::log(double(N)));
    fmt::print("best possible on this text, H(next|prev) from the bigram counts: {:.6f}\n", floor);
    show_samples("untrained");

    std::vector<std::pair<long, double>> valid_curve;  // (steps done, validation loss) for loss.svg
    double eval_seconds = 0;                           // their passes, not counted as training time
    if (!a.plot.empty() && !valid_pairs.items.empty()) {
        o.eval_every = std::max<long>(1, (o.steps - s.step) / 20);
        o.on_eval = [&](long done) {
            const auto t0 = std::chrono::steady_clock::now();
            valid_curve.emplace_back(done, mean_loss(*s.model, valid_pairs));
            eval_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        };
    }
    const double rss_start = rss_mb();
    const long first_step = s.step;
    const double seconds = s.train(o) - eval_seconds;
    const double rss_end = rss_mb();
    const double train_loss = a.no_eval ? NAN : mean_loss(*s.model, s.train_pairs);
    if (s.nonfinite_steps > 0)
        fmt::print("warning: the batch loss was not finite at {} step{}, first at step {}\n", s.nonfinite_steps,
                   s.nonfinite_steps == 1 ? "" : "s", s.first_nonfinite_step);
    const double tps = seconds > 0 ? double(o.steps - first_step) * (o.batch ? double(o.batch) : double(s.train_pairs.size())) / seconds
                                   : 0.0;
    fmt::print("\nloss after {} steps: {}   (floor {:.6f}{}); training took {:.2f} s\n", o.steps, shown(train_loss), floor,
               a.no_eval ? "" : fmt::format(", gap {:.2e}", train_loss - floor), seconds);

    std::optional<double> valid_loss, count_valid, alpha;
    if (!a.valid.empty()) {
        const Pairs& vp = valid_pairs;
        valid_loss = mean_loss(*s.model, vp);
        alpha = counts.best_alpha(vp);
        count_valid = counts.loss(vp, *alpha);
        fmt::print("validation loss: {:.6f} on {} pairs{}; the add-α count model (α = {:.3g}): {:.6f}\n", *valid_loss, vp.size(),
                   vp.skipped ? fmt::format(" ({} pairs with unknown tokens skipped)", vp.skipped) : "", *alpha, *count_valid);
    }
    if (auto it = s.vocab.ids.find(level == Level::Char ? "a" : "the"); it != s.vocab.ids.end()) {
        print_table(*s.model, s.vocab, it->second, "trained");
        const auto cp = counts.probs(it->second, 0.0);
        std::string c;
        for (std::size_t j = 0; j < std::min<std::size_t>(N, 12); ++j) c += fmt::format(" {}={:.3f}", s.vocab.show(j), cp[j]);
        fmt::print("the counts say p(next | \"{}\"):{}{}\n", s.vocab.show(it->second), c, N > 12 ? " ..." : "");
    }
    show_samples("trained");
    if (!a.neighbors.empty()) print_neighbors(*s.model, s.vocab, a.neighbors);

    if (!a.save.empty()) {
        s.save(a.save, {{"dim", std::to_string(s.model->dim())}, {"tie", s.model->tied ? "true" : "false"},
                        {"optimizer", o.optimizer}, {"lr", fmt::format("{:.17g}", o.lr)}, {"level", level_name},
                        {"batch", std::to_string(o.batch)}, {"schedule", o.schedule},
                        {"t_max", std::to_string(o.t_max)}, {"seed", from_checkpoint("--seed", "seed", std::to_string(a.seed))},
                        {"min_count", std::to_string(a.min_count.value_or(0))}, {"corpus", corpus_id}});
        fmt::print("saved {} (step {})\n", a.save, s.step);
    }
    // The figures come after the checkpoint: a failure drawing them never loses the trained weights.
    if (!a.plot.empty()) {
        write_text(a.plot + "/vectors_before.svg", vectors_figure(V0, U0, s.vocab, "before training"));
        write_text(a.plot + "/vectors_after.svg", vectors_figure(s.model->V->weight.data(), s.model->U->weight.data(), s.vocab,
                                                                 fmt::format("after {} steps", o.steps)));
        if (plot_prev)
            write_text(a.plot + "/vectors_prev.svg",
                       prev_figure({{V0, U0, first_step == 0 ? "random initialization" : fmt::format("step {}", first_step), loss0},
                                    {s.model->V->weight.data(), s.model->U->weight.data(), fmt::format("after {} steps", o.steps), train_loss}},
                                   s.vocab, *plot_prev));
        write_text(a.plot + "/loss.svg", loss_figure(s.curve, valid_curve, floor));
    }
    if (a.json) {
        nlohmann::json j = {{"vocab_size", N}, {"steps", o.steps}, {"initial_loss", loss0}, {"train_loss", train_loss},
                            {"valid_loss", nullptr}, {"count_train_floor", floor}, {"count_valid_loss", nullptr},
                            {"count_alpha", nullptr}, {"seconds", seconds}, {"tokens_per_second", tps},
                            {"level", level_name}, {"dim", s.model->dim()}, {"optimizer", o.optimizer}, {"batch", o.batch},
                            {"rss_mb_start", rss_start}, {"rss_mb_end", rss_end}, {"nonfinite_steps", s.nonfinite_steps}};
        if (a.no_eval) j["initial_loss"] = nullptr, j["train_loss"] = nullptr;
        if (valid_loss) j["valid_loss"] = *valid_loss, j["count_valid_loss"] = *count_valid, j["count_alpha"] = *alpha;
        fmt::print("{}\n", j.dump());
    }
    return 0;
}

}  // namespace bigram
