// The bigram program's preparation (see setup.hpp): resume, text, model, options, outputs, in that order.
#include "setup.hpp"

#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "nn/serialize.hpp"
#include "programs/files.hpp"

namespace bigram {

using namespace xgrad;

namespace {

const char* kLecture = "the cat ate the dog! the dog ran the zoo.";

// The checkpoint's weights, optimizer and options; what it fixed cannot change, what can change says so.
void resume_checkpoint(const Args& a, Run& r) {
    r.saved = load_checkpoint(a.resume, r.s, r.o);
    auto fixed = [&](const char* flag, const std::string& key, const std::string& given) {
        auto it = r.saved.find(key);
        if (a.given.count(flag) && it != r.saved.end() && it->second != given)
            throw ValueError(fmt::format("{} {}: the checkpoint {} was trained with {} {}; a resumed run keeps it", flag, given,
                                         a.resume, key, it->second));
    };
    fixed("--dim", "dim", std::to_string(a.dim));
    fixed("--tie", "tie", a.tie ? "true" : "false");
    fixed("--level", "level", a.level);
    if (a.given.count("--init")) throw ValueError("--init: a resumed run starts from the checkpoint's weights, not --init's");
    if (a.given.count("--min-count")) throw ValueError("--min-count: a resumed run keeps the checkpoint's vocabulary");
    if (a.given.count("--seed"))
        throw ValueError("--seed: a resumed run goes on with the checkpoint's generator (its batches and samples), not a new seed");
    if (a.given.count("--optimizer") && a.optimizer != r.o.optimizer) {
        fmt::print(stderr, "resuming with optimizer {} instead of the checkpoint's {}: its state starts afresh\n", a.optimizer,
                   r.o.optimizer);
        r.o.optimizer = a.optimizer;
        r.s.make_optimizer(r.o);
    }
    if (a.lr && *a.lr != r.o.lr) fmt::print(stderr, "resuming with lr {} instead of the checkpoint's {}\n", *a.lr, r.o.lr);
}

std::string describe(const std::string& corpus_id) { return corpus_id.empty() ? "the lecture's sentence" : corpus_id; }

// The text a resume trains on must be the checkpoint's: same size and hash (under any path). Checkpoints
// older than the hash's corrected offset basis recorded it with 1469598103934665603.
void check_same_text(const Args& a, const std::string& recorded, const std::string& path, const std::string& text,
                     const std::string& id) {
    const auto tail = [](const std::string& s) { return s.find(", ") == std::string::npos ? s : s.substr(s.find(", ")); };
    uint64_t legacy = 1469598103934665603ULL;
    for (unsigned char c : text) legacy = (legacy ^ c) * 1099511628211ULL;
    const std::string legacy_id = fmt::format("{}, {} bytes, fnv1a64 {:016x}", path, text.size(), legacy);
    if (recorded.empty() == id.empty() && (tail(recorded) == tail(id) || tail(recorded) == tail(legacy_id))) return;
    throw ValueError(fmt::format("{} was trained on {}; this run's text is {}: resume on the same text", a.resume,
                                 describe(recorded), describe(id)));
}

// The text (--corpus, the checkpoint's, or the lecture's sentence), its vocabulary and training pairs.
void read_corpus(const Args& a, Run& r, bool lecture) {
    r.corpus = a.corpus;
    auto recorded = r.saved.find("corpus");
    if (r.corpus.empty() && recorded != r.saved.end() && !recorded->second.empty()) {  // resume on the checkpoint's text
        r.corpus = recorded->second.substr(0, recorded->second.find(", "));
        if (!std::filesystem::is_regular_file(r.corpus))
            throw ValueError(fmt::format("{} was trained on {}, which is not there: give --corpus", a.resume, recorded->second));
    }
    const std::string text = r.corpus.empty() ? std::string(kLecture) : nn::read_file(r.corpus);
    r.corpus_id = r.corpus.empty() ? "" : fmt::format("{}, {} bytes, fnv1a64 {:016x}", r.corpus, text.size(), programs::fnv1a64(text));
    if (recorded != r.saved.end()) check_same_text(a, recorded->second, r.corpus, text, r.corpus_id);
    const auto toks = tokenize(text, r.level);
    r.n_tokens = toks.size();
    if (toks.size() < 2)
        throw ValueError(fmt::format("{}: the corpus has {} token{}; a bigram model needs at least 2",
                                     r.corpus.empty() ? "the lecture text" : r.corpus, toks.size(), toks.size() == 1 ? "" : "s"));
    if (a.resume.empty()) r.s.vocab = Vocabulary::build(toks, a.min_count.value_or(lecture || r.level == Level::Char ? 1 : 2));
    r.s.train_pairs = make_pairs(r.s.vocab.encode(toks));
    if (a.resume.empty()) return;
    std::size_t unknown = 0;  // a checkpoint of an older format names no corpus: its vocabulary must fit
    for (const auto& t : toks) unknown += !r.s.vocab.ids.count(t);
    if (r.s.train_pairs.size() == 0 || 2 * unknown > toks.size())
        throw ValueError(fmt::format("{}: {} of its {} tokens are not in the vocabulary of {} ({} tokens): the checkpoint was "
                                     "trained on another text", r.corpus.empty() ? "the lecture's sentence" : r.corpus, unknown,
                                     toks.size(), a.resume, r.s.vocab.size()));
}

// A new model (V and U from --seed, or --init's weights) and its optimizer; a resumed one may take a new lr.
void make_model(const Args& a, Run& r) {
    const std::size_t N = r.s.vocab.size();
    if (!a.resume.empty()) {
        if (a.lr) r.s.optimizer->set_lr(*a.lr), r.o.lr = *a.lr;
        return;
    }
    Generator init_gen(a.seed);
    try {
        r.s.model = std::make_unique<BigramModel>(N, a.dim, a.tie, init_gen);
    } catch (const ValueError& e) {  // a table too large to allocate: name the flag behind its size
        throw ValueError(fmt::format("--dim {}: the tables V and U ({} × {}) cannot be made: {}", a.dim, N, a.dim, e.what()));
    }
    if (!a.init.empty()) nn::load(*r.s.model, a.init);
    r.o.optimizer = a.optimizer;
    r.o.lr = a.lr.value_or(a.optimizer == "sgd" ? 0.1 : 0.01);
    r.s.make_optimizer(r.o);
    r.s.batch_gen.manual_seed(a.seed + 1);
}

// A whole number of the checkpoint's metadata (or the command line's), 0 or more.
long count_option(const Args& a, const Run& r, const std::string& flag, const std::string& key, long value) {
    try {
        const long v = whole_number(r.kept(a, flag, key, std::to_string(value)), key);
        if (v < 0) throw std::invalid_argument(fmt::format("{} {} is negative", key, v));
        return v;
    } catch (const std::invalid_argument& e) {
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: {}", a.resume, e.what()));
    }
}

// Batch, schedule and steps; a full batch's logits must fit in memory, said before allocating them.
void training_options(const Args& a, Run& r, bool lecture) {
    TrainOptions& o = r.o;
    const std::size_t pairs = r.s.train_pairs.size(), N = r.s.vocab.size();
    o.batch = static_cast<std::size_t>(count_option(a, r, "--batch", "batch", long(a.batch)));
    o.schedule = r.kept(a, "--schedule", "schedule", a.schedule);
    if (o.schedule != "constant" && o.schedule != "cosine")  // only a checkpoint's metadata can name another
        throw FileError(fmt::format("{}: corrupt checkpoint metadata: schedule \"{}\" (expected constant or cosine)", a.resume,
                                    o.schedule));
    o.stop_on_nonfinite = a.on_nonfinite == "stop";
    o.t_max = count_option(a, r, "--t-max", "t_max", a.t_max.value_or(0));
    // The default batch: every pair, or 4096 on a corpus of more than 100,000 pairs (whatever --steps says).
    if (!lecture && !a.given.count("--batch") && a.resume.empty() && pairs > 100000) o.batch = 4096;
    if (o.batch == 0 || o.batch >= pairs) {
        const double need = 3.0 * 4.0 * double(pairs) * double(N);  // logits, softmax and its gradient
        const double have = programs::physical_memory_bytes();
        if (have > 0 && need > have / 2)
            throw ValueError(fmt::format("--batch {}: a full batch of {} pairs over {} tokens needs about {:.1f} GB for its "
                                         "logits, more than half of this machine's {:.1f} GB; give a --batch such as 4096",
                                         o.batch, pairs, N, need / 1e9, have / 1e9));
    }
    const long per_epoch = o.batch == 0 ? 1 : long((pairs + o.batch - 1) / o.batch);
    if (a.epochs && *a.epochs > std::numeric_limits<long>::max() / per_epoch)
        throw ValueError(fmt::format("--epochs {}: {} epochs of {} steps is more steps than a run can count", *a.epochs,
                                     *a.epochs, per_epoch));
    o.steps = a.steps ? *a.steps : a.epochs ? *a.epochs * per_epoch : lecture ? 10000 : 5 * per_epoch;
    if (o.steps < 0) throw ValueError("--steps/--epochs must be >= 0");
    if (!a.resume.empty() && o.steps < r.s.step) {
        const std::string asked = a.steps ? fmt::format("--steps {}", o.steps)
                                  : a.epochs ? fmt::format("--epochs {} ({} steps)", *a.epochs, o.steps)
                                             : fmt::format("the default of {} steps", o.steps);
        throw ValueError(fmt::format("{}: the checkpoint {} is already at step {}; --steps is the run's total, so give "
                                     "more than {} to train on", asked, a.resume, r.s.step, r.s.step));
    }
    if (o.schedule == "cosine" && o.t_max == 0) o.t_max = o.steps;  // saved, so a resumed run keeps the horizon
}

// The files the run reads after training or writes: checked now, so a typo costs no training time.
void check_files(const Args& a, Run& r) {
    if (!a.save.empty()) {  // (writable: checked in prepare, before the text is read)
        if (!nn::is_utf8(r.corpus))  // the checkpoint records the path in its (JSON) header
            throw ValueError(fmt::format("--corpus {}: the path is not UTF-8 text, and --save records it in the checkpoint; "
                                         "give the file a UTF-8 name", r.corpus));
        for (const auto& [in, what] : {std::pair{r.corpus, "the training text"}, {a.valid, "the validation text"},
                                       {a.init, "the --init weights"}})
            programs::check_not_input(a.save, "--save", in, what);
    }
    if (!a.valid.empty()) {
        r.valid_pairs = make_pairs(r.s.vocab.encode(tokenize(nn::read_file(a.valid), r.level)));
        if (r.valid_pairs.size() == 0)
            throw ValueError(fmt::format("--valid {}: no pairs of known tokens ({} pairs with unknown tokens)", a.valid,
                                         r.valid_pairs.skipped));
    }
    if (!a.plot.empty()) programs::make_output_dir(a.plot, "--plot", "loss.svg");
    if (a.plot_prev) {
        const auto it = r.s.vocab.ids.find(*a.plot_prev);
        if (it == r.s.vocab.ids.end())
            throw ValueError(fmt::format("--plot-prev: token \"{}\" is not in the vocabulary ({} tokens; see the vocabulary line)",
                                         *a.plot_prev, r.s.vocab.size()));
        r.plot_prev = it->second;
    } else if (!a.plot.empty() && r.s.vocab.ids.count("the")) {
        r.plot_prev = r.s.vocab.ids.at("the");  // the lecture's view
    }
}

}  // namespace

std::string Run::kept(const Args& a, const std::string& flag, const std::string& key, const std::string& value) const {
    auto it = saved.find(key);
    return a.given.count(flag) || it == saved.end() ? value : it->second;
}

std::map<std::string, std::string> Run::checkpoint_options(const Args& a) const {
    return {{"dim", std::to_string(s.model->dim())}, {"tie", s.model->tied ? "true" : "false"}, {"optimizer", o.optimizer},
            {"lr", fmt::format("{:.17g}", o.lr)}, {"level", level_name}, {"batch", std::to_string(o.batch)},
            {"schedule", o.schedule}, {"t_max", std::to_string(o.t_max)},
            {"seed", kept(a, "--seed", "seed", std::to_string(a.seed))},
            {"min_count", std::to_string(a.min_count.value_or(0))}, {"corpus", corpus_id}};
}

Run prepare(const Args& a) {
    const bool lecture = a.corpus.empty() && a.resume.empty();
    Run r;
    r.o.quiet = a.quiet;
    r.o.progress_every = a.progress;
    r.o.reset_optimizer = a.reset_optimizer;
    if (!a.save.empty()) programs::check_writable(a.save, "--save");  // before reading anything large
    if (!a.resume.empty()) resume_checkpoint(a, r);
    r.level_name = r.kept(a, "--level", "level", a.level);
    if (r.level_name != "word" && r.level_name != "char")  // only a checkpoint's metadata can name another
        throw ValueError(fmt::format("{}: its metadata name the level \"{}\"; a bigram checkpoint's level is word or char",
                                     a.resume, r.level_name));
    r.level = r.level_name == "char" ? Level::Char : Level::Word;
    read_corpus(a, r, lecture);
    make_model(a, r);
    training_options(a, r, lecture);
    check_files(a, r);
    return r;
}

}  // namespace bigram
