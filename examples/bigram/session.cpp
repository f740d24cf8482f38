// The bigram training loop, evaluation, sampling and checkpoints.
#include "session.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "programs/run.hpp"

namespace bigram {

using namespace xgrad;

void Session::make_optimizer(const TrainOptions& o) {
    auto params = model->parameters();
    if (o.optimizer == "sgd") optimizer = std::make_unique<nn::SGD>(params, nn::SGDOptions{.lr = o.lr});
    else if (o.optimizer == "adam") optimizer = std::make_unique<nn::Adam>(params, nn::AdamOptions{.lr = o.lr});
    else if (o.optimizer == "adamw") optimizer = std::make_unique<nn::AdamW>(params, nn::AdamOptions{.lr = o.lr});
    else throw ValueError(fmt::format("--optimizer: unknown optimizer \"{}\" (expected sgd, adam or adamw)", o.optimizer));
}

namespace {

// B pairs drawn with replacement into prev/next: the indices first, then the lookups, prefetched ahead
// (the pair table is too big for the cache).
void draw_batch(Generator& gen, const Pairs& pairs, std::vector<uint64_t>& picks, IdArray& prev, IdArray& next) {
    gen.randint(pairs.size(), picks);
    const std::array<int32_t, 2>* table = pairs.items.data();
    int64_t *bp = prev.data(), *bn = next.data();
    constexpr std::size_t ahead = 48;
    for (std::size_t i = 0; i < picks.size(); ++i) {
        if (i + ahead < picks.size()) __builtin_prefetch(table + picks[i + ahead]);
        const auto [p, q] = table[picks[i]];
        bp[i] = p;
        bn[i] = q;
    }
}

// The progress line on stderr: on a terminal it updates in place 5 times a second; in a pipe or a log a
// line is written every 10 s (a run shorter than that writes none: its summary follows anyway);
// --progress sets the interval.
struct ProgressLine {
    using Clock = std::chrono::steady_clock;
    const TrainOptions& o;
    long first;            // the step this run started at
    std::size_t batch;     // tokens a step
    bool tty = ::isatty(2) != 0;
    Clock::time_point t0 = Clock::now(), last_print = t0;
    bool printed = false;

    void step_done(long step, double loss) {
        const auto now = Clock::now();
        const double secs = std::chrono::duration<double>(now - t0).count();
        const long done = step + 1 - first, total = o.steps - first;
        const bool last = step + 1 == o.steps;
        const double every = o.progress_every >= 0 ? o.progress_every : tty ? 0.2 : 10.0;
        if (std::chrono::duration<double>(now - last_print).count() < every && !(last && (tty || printed))) return;
        const double tps = done * double(batch) / std::max(secs, 1e-9);
        const double eta = secs / done * (total - done);
        fmt::print(stderr, "{}step {:>{}}/{}  loss {:.4f}  {:.3g} tokens/s  ETA {:.0f}s{}", tty ? "\r" : "", step + 1,
                   std::to_string(o.steps).size(), o.steps, loss, tps, eta, last || !tty ? "\n" : "   ");
        last_print = now;
        printed = true;
    }
};

}  // namespace

double Session::train(const TrainOptions& o) {
    const std::size_t n = train_pairs.size();
    const bool full = o.batch == 0 || o.batch >= n;
    const std::size_t B = full ? n : o.batch;
    IdArray prev = IdArray::from_shape({B}), next = IdArray::from_shape({B});
    std::vector<uint64_t> picks(full ? 0 : B);
    if (full) train_pairs.copy_to(0, n, prev.data(), next.data());
    std::fflush(stdout);  // keep the log in order: progress goes to stderr
    std::unique_ptr<nn::CosineAnnealingLR> cosine;
    if (o.schedule == "cosine") {
        optimizer->set_lr(o.lr);
        cosine = std::make_unique<nn::CosineAnnealingLR>(*optimizer, std::max<long>(o.t_max > 0 ? o.t_max : o.steps, 1));
        if (step > 0) cosine->set_last_epoch(step);
    }
    ProgressLine progress{o, step, B};
    for (; step < o.steps; ++step) {
        if (!full) draw_batch(batch_gen, train_pairs, picks, prev, next);
        Tensor loss = nn::cross_entropy(model->forward(prev), next);
        const double l = loss.item();
        if (!std::isfinite(l)) {  // before the update: stopped, the weights are the last finite ones
            if (o.stop_on_nonfinite)
                throw ValueError(fmt::format("training: the batch loss became {} at step {} (lower --lr? inputs or "
                                             "weights with NaN/Inf?); --on-nonfinite warn goes on",
                                             l, step));
            if (nonfinite_steps++ == 0) first_nonfinite_step = step;
        }
        optimizer->zero_grad();
        loss.backward();
        optimizer->step();
        if (cosine) cosine->step();
        if (curve.size() < 10000 || step % std::max<long>(1, o.steps / 10000) == 0) curve.emplace_back(step, l);
        if (o.on_eval && o.eval_every > 0 && ((step + 1 - progress.first) % o.eval_every == 0 || step + 1 == o.steps))
            o.on_eval(step + 1);
        if (o.should_stop && o.should_stop()) {
            ++step;  // this step is done
            break;
        }
        if (!o.quiet) progress.step_done(step, l);
    }
    return std::chrono::duration<double>(ProgressLine::Clock::now() - progress.t0).count();
}

double mean_loss(BigramModel& m, const Pairs& pairs) {
    NoGradGuard no_grad;
    const std::size_t chunk = 65536;
    double total = 0;
    for (std::size_t b = 0; b < pairs.size(); b += chunk) {
        const std::size_t e = std::min(pairs.size(), b + chunk);
        IdArray prev = IdArray::from_shape({e - b}), next = IdArray::from_shape({e - b});
        pairs.copy_to(b, e, prev.data(), next.data());
        const Tensor l = nn::cross_entropy(m.forward(prev), next, {.reduction = nn::Reduction::None});
        for (float v : l.data()) total += v;
    }
    return pairs.size() ? total / double(pairs.size()) : NAN;
}

std::vector<int64_t> sample(BigramModel& m, int64_t prev, std::size_t n, double temperature, std::size_t top_k,
                            Generator& gen) {
    NoGradGuard no_grad;
    std::vector<int64_t> out;
    for (std::size_t i = 0; i < n; ++i) {
        const Tensor logits = m.forward(IdArray{prev});
        const std::size_t N = logits.numel();
        std::vector<double> z(logits.data().begin(), logits.data().end());
        std::vector<std::size_t> order(N);
        for (std::size_t j = 0; j < N; ++j) order[j] = j;
        std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return z[a] > z[b]; });
        const std::size_t keep = top_k > 0 ? std::min(top_k, N) : N;
        double zmax = z[order[0]], total = 0;
        std::vector<double> p(N, 0.0);
        for (std::size_t j = 0; j < keep; ++j) total += p[order[j]] = std::exp((z[order[j]] - zmax) / temperature);
        double u = gen.uniform() * total;
        std::size_t pick = order[keep - 1];
        for (std::size_t j = 0; j < keep; ++j) {
            u -= p[order[j]];
            if (u < 0) {
                pick = order[j];
                break;
            }
        }
        out.push_back(static_cast<int64_t>(pick));
        prev = static_cast<int64_t>(pick);
    }
    return out;
}

void Session::save(const std::string& path, const std::map<std::string, std::string>& options) const {
    programs::check_finite_weights(*model, path);
    nn::StateDict tensors = model->state_dict();
    std::map<std::string, std::string> meta = options;
    if (optimizer) {
        const nn::OptimizerState st = optimizer->state_dict();
        for (const auto& [k, v] : st.tensors) tensors["optimizer." + k] = v;
        for (const auto& [k, v] : st.scalars) meta["optimizer." + k] = v;
    }
    meta["vocab"] = nn::tokens_to_json(vocab.tokens);  // any bytes, exactly (a Latin-1 text's tokens too)
    meta["step"] = std::to_string(step);
    const auto g = batch_gen.state();
    // {"engine": mt19937 text state, "seed": n, "next_normal": hex float or null}
    meta["rng"] = nlohmann::json({{"engine", g.engine},
                                  {"seed", g.seed},
                                  {"next_normal", g.next_normal ? nlohmann::json(fmt::format("{:a}", *g.next_normal))
                                                                : nlohmann::json(nullptr)}})
                      .dump();
    nn::save_safetensors(path, tensors, meta);
}

namespace {
// parse(text, &used) over the whole of text: a throw, nothing read, or bytes left over is an error
// naming `what`, the text and the `kind` of number expected.
template <class Parse>
auto parse_all(const std::string& text, const std::string& what, const char* kind, Parse parse) {
    std::size_t used = 0;
    decltype(parse(text, &used)) v{};
    try {
        v = parse(text, &used);
    } catch (const std::logic_error&) {
        used = 0;
    }
    if (used == 0 || used != text.size()) throw std::invalid_argument(fmt::format("{} \"{}\" is not {}", what, text, kind));
    return v;
}
}  // namespace

long whole_number(const std::string& text, const std::string& what) {
    return parse_all(text, what, "a whole number", [](const std::string& t, std::size_t* u) { return std::stol(t, u); });
}

double real_number(const std::string& text, const std::string& what) {
    return parse_all(text, what, "a number", [](const std::string& t, std::size_t* u) { return std::stod(t, u); });
}

std::map<std::string, std::string> load_checkpoint(const std::string& path, Session& s, TrainOptions& o) {
    return load_checkpoint(nn::load_safetensors(path), path, s, o);
}

namespace {

// The batch generator's state from the metadata's "rng": {"engine": mt19937 text state, "seed": n,
// "next_normal": hex float or null}.
Generator::State rng_state(const std::string& text, const std::string& path) {
    nlohmann::json r;
    try {
        r = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: rng is not JSON", path));
    }
    if (!r.is_object() || !r.contains("engine") || !r["engine"].is_string() || !r.contains("seed") ||
        !r["seed"].is_number_unsigned() || !r.contains("next_normal") ||
        !(r["next_normal"].is_null() || r["next_normal"].is_string()))
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: rng needs \"engine\" (text), \"seed\" "
                                    "(unsigned) and \"next_normal\" (null or a number as text)", path));
    Generator::State st{r["engine"].get<std::string>(), r["seed"].get<uint64_t>(), std::nullopt};
    if (r["next_normal"].is_string()) st.next_normal = real_number(r["next_normal"].get<std::string>(), "the rng's cached normal");
    return st;
}

// The tables' shapes against the metadata (vocabulary V × dim K), before anything is allocated.
void check_tables(const nn::SafetensorsFile& f, const std::string& path, std::size_t V, long K, bool tie) {
    for (const char* table : {"V.weight", "U.weight"}) {
        auto it = f.tensors.find(table);
        if (it == f.tensors.end()) {
            if (tie && std::string(table) == "U.weight") continue;
            throw FileError(fmt::format("{}: not a bigram checkpoint (no tensor \"{}\")", path, table));
        }
        const auto& shape = it->second.shape();
        if (shape.size() != 2 || shape[0] != V || long(shape[1]) != K)
            throw FileError(fmt::format("{}: {} has shape {}, but the metadata say ({}, {}) (vocabulary × dim)", path, table,
                                        shape_str(shape), V, K));
    }
}

// The model and the optimizer from the metadata, each error naming the file.
void restore_session(const nn::SafetensorsFile& f, const std::string& path, Session& s, TrainOptions& o) {
    auto need = [&](const std::string& key) -> const std::string& {
        auto it = f.metadata.find(key);
        if (it == f.metadata.end()) throw FileError(fmt::format("{}: not a bigram checkpoint (no \"{}\" in its metadata)", path, key));
        return it->second;
    };
    try {
        s.vocab = Vocabulary::from_tokens(nn::tokens_from_json(need("vocab")));
        s.step = whole_number(need("step"), "step");
        if (s.step < 0) throw std::invalid_argument(fmt::format("step {} is negative", s.step));
        try {
            s.batch_gen.set_state(rng_state(need("rng"), path));
        } catch (const ValueError&) {
            throw FileError(fmt::format("{}: corrupt checkpoint metadata: rng's engine state is not an mt19937 state", path));
        }
        const long K = whole_number(need("dim"), "dim");
        check_tables(f, path, s.vocab.size(), K, need("tie") == "true");
        Generator g(0);
        s.model = std::make_unique<BigramModel>(s.vocab.size(), static_cast<std::size_t>(K), need("tie") == "true", g);
        o.optimizer = need("optimizer");
        if (o.optimizer != "sgd" && o.optimizer != "adam" && o.optimizer != "adamw")
            throw FileError(fmt::format("{}: corrupt checkpoint metadata: optimizer \"{}\" (expected sgd, adam or adamw)", path, o.optimizer));
        o.lr = real_number(need("lr"), "lr");
        if (!(o.lr > 0) || !std::isfinite(o.lr))
            throw FileError(fmt::format("{}: corrupt checkpoint metadata: lr \"{}\" is not a positive number", path, need("lr")));
    } catch (const nlohmann::json::exception& e) {
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: {}", path, e.what()));
    } catch (const std::logic_error& e) {  // whole_number/real_number
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: {}", path, e.what()));
    } catch (const ValueError& e) {
        throw FileError(fmt::format("{}: corrupt checkpoint: {}", path, e.what()));
    }
}

}  // namespace

std::map<std::string, std::string> load_checkpoint(const nn::SafetensorsFile& f, const std::string& path, Session& s,
                                                   TrainOptions& o) {
    restore_session(f, path, s, o);
    nn::StateDict weights;
    nn::OptimizerState opt;
    for (const auto& [k, v] : f.tensors) {
        if (k.rfind("optimizer.", 0) == 0) opt.tensors[k.substr(10)] = v;
        else weights[k] = v;
    }
    for (const auto& [k, v] : f.metadata)
        if (k.rfind("optimizer.", 0) == 0) opt.scalars[k.substr(10)] = v;
    try {
        s.model->load_state_dict(weights);
    } catch (const Error& e) {
        throw FileError(fmt::format("{}: {}", path, e.what()));
    }
    s.make_optimizer(o);
    if (o.reset_optimizer) return f.metadata;  // --reset-optimizer: fresh moments, asked for
    try {
        s.optimizer->load_state_dict(opt);  // copied: the caller keeps f
    } catch (const Error& e) {
        throw FileError(fmt::format("{}: {} (--reset-optimizer starts the optimizer afresh)", path, e.what()));
    }
    // o.lr stays the metadata's base lr: a schedule restarts from it at the saved step
    return f.metadata;
}

}  // namespace bigram
