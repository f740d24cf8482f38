// wordvec: the lecture's hands-on demo with token embeddings, on any vectors file — the words most
// similar to a word, the similarity of two words, analogies (king − man + woman ≈ queen), the word
// that does not match, the standard evaluations, and export to the usual formats.
//
//   wordvec --vectors vectors.bin --most-similar king
//   wordvec --vectors vectors.txt --analogy king man woman
//   wordvec --vectors vectors.txt --similarity cat dog
//   wordvec --vectors vectors.txt --evaluate questions-words.txt --word-pairs wordsim353.tsv
//   wordvec --vectors vectors.txt --plot words.svg --words cat,kitten,dog,puppy,car
//   wordvec --vectors out/bigram.safetensors --export out/vectors.tsv --export-format tsv
//   wordvec --train corpus.txt --output vectors.bin --binary 1 --size 100 --window 5 --iter 5
//                                           (word2vec's own flags; then any query on the new vectors)
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "nn/serialize.hpp"
#include "programs/pca.hpp"
#include "programs/plot.hpp"
#include "tensor/error.hpp"
#include "tensor/kernels/threads.hpp"
#include "wordvec/wordvec.hpp"

using namespace xgrad;

namespace {

struct Args {
    std::string vectors, format = "auto", evaluate, word_pairs, export_path, export_format = "text";
    std::string train, output, plot;
    std::vector<std::string> words = {"cat", "kitten", "dog", "puppy", "car"};  // the lecture's figure
    int binary = 0, cbow = 0;
    wordvec::Word2VecOptions w2v;
    std::vector<std::string> most_similar, subtract, analogy, similarity, doesnt_match;
    std::size_t topn = 10, restrict_vocab = 0;
    bool cosmul = false;
    int threads = 1;
};

/// Makes the directory a file will be written to (as `mkdir -p`), then checks the file can be written.
void prepare_output(const std::string& path, const std::string& flag) {
    std::error_code ec;
    const auto dir = std::filesystem::absolute(path).parent_path();
    std::filesystem::create_directories(dir, ec);  // a failure is named by check_writable
    programs::check_writable(path, flag);
}

// --export-format tsv: FILE gets the numbers, the words go beside it: FILE's name with "metadata" for
// "vectors" (out/vectors.tsv: out/metadata.tsv), else FILE + ".metadata.tsv". Only the file's name changes.
std::string tsv_metadata_path(const std::string& export_path) {
    const std::filesystem::path p(export_path);
    std::string name = p.filename().string();
    const auto at = name.rfind("vectors");
    name = at != std::string::npos ? name.replace(at, 7, "metadata") : name + ".metadata.tsv";
    return (p.parent_path() / name).string();
}

void print_similar(const std::vector<wordvec::Similar>& sims) {
    for (const auto& s : sims) fmt::print("{} {:.4f}\n", s.word, s.score);
}

wordvec::KeyedVectors train(const Args& a) {
    if (!a.output.empty()) prepare_output(a.output, "--output");  // before training, not after
    const auto r = wordvec::train_word2vec(a.train, a.w2v, [&](const wordvec::Word2VecProgress& p) {
        fmt::print(stderr, "\repoch {}/{}: {:5.1f}% of {} words, alpha {:.6f}, loss {:.4f}, {:.0f} words/s   ", p.epoch,
                   a.w2v.iter, 100.0 * double(p.words_done) / double(p.words_total), p.words_total, p.alpha, p.loss,
                   double(p.words_done) / std::max(p.seconds, 1e-9));
    });
    fmt::print(stderr, "\n{}: {} words in the vocabulary, {} training words, {} pairs in {:.1f} s ({:.0f} words/s), "
               "final loss {:.4f} a pair\n", a.train, r.vectors.size(), r.train_words, r.pairs, r.seconds,
               double(r.train_words * a.w2v.iter) / r.seconds, r.final_loss);
    if (r.pairs == 0)
        fmt::print(stderr, "wordvec: warning: no (context, center) pairs: every line of {} holds at most one word, so "
                           "the vectors are still their random start\n", a.train);
    if (!a.output.empty()) {
        if (a.binary) wordvec::save_word2vec_binary(r.vectors, a.output);
        else wordvec::save_word2vec_text(r.vectors, a.output);
        fmt::print(stderr, "vectors written to {} ({})\n", a.output, a.binary ? "binary" : "text");
    }
    return r.vectors;
}

// The lecture's figure: the words as labelled points in 2-D (their vectors when dim = 2, else the first
// two principal components of these words' vectors, as the lecture's scatter), each with its row id.
std::string words_figure(const wordvec::KeyedVectors& kv, const std::vector<std::string>& words, const std::string& source) {
    const std::size_t d = kv.dim(), n = words.size();
    std::vector<double> rows;
    for (const auto& w : words)
        for (float v : kv.vector(w)) rows.push_back(v);
    plot::Panel p;
    p.points = true;
    std::string xlabel = "dimension 1", ylabel = "dimension 2", note;
    if (d > 2) {
        const plot::Pca pca = plot::fit_pca(rows, n, d);
        for (std::size_t i = 0; i < n; ++i) {
            const auto [x, y] = pca.project(&rows[i * d]);
            p.x.push_back(x), p.y.push_back(y);
        }
        note = fmt::format("first two principal components of {} dims ({:.0f}% of these words' variance)", d, 100 * pca.explained);
        xlabel = "PC 1", ylabel = "PC 2";
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            p.x.push_back(rows[i * d]);
            if (d == 2) p.y.push_back(rows[i * d + 1]);
        }
        note = fmt::format("the vectors themselves (dim {})", d);
    }
    for (std::size_t i = 0; i < n; ++i) {
        p.labels.push_back(fmt::format("{} (ID {})", words[i], kv.index_of(words[i])));
        p.colors.push_back(plot::default_color(i));
    }
    return plot::panels({p}, "Word embeddings: semantic proximity\n" + source + "\n" + note, xlabel, d == 1 ? "" : ylabel);
}

// Everything that can be checked before loading or training: the sources, every output (writable, not
// an input), the evaluation files (readable, with something to score).
void check_before_work(const Args& a) {
    if (a.train.empty() == a.vectors.empty())
        throw ValueError(a.train.empty() ? "give --vectors FILE (vectors to load) or --train CORPUS (vectors to train)"
                                         : "give --vectors or --train, not both");
    // What is written after loading or training is checked first.
    if (!a.export_path.empty()) prepare_output(a.export_path, "--export");
    if (!a.export_path.empty() && a.export_format == "tsv") prepare_output(tsv_metadata_path(a.export_path), "--export");
    if (!a.plot.empty()) prepare_output(a.plot, "--plot");
    if (!a.plot.empty() && a.words.size() < 2)
        throw ValueError(fmt::format("--words: give at least 2 words to plot, got {}", a.words.size()));
    const std::string tsv_meta = a.export_format == "tsv" && !a.export_path.empty() ? tsv_metadata_path(a.export_path) : "";
    for (const auto& [flag, out] : {std::pair{"--output", a.output}, {"--export", a.export_path}, {"--export", tsv_meta},
                                    {"--plot", a.plot}})
        for (const auto& [what, in] : {std::pair{"the training text", a.train}, {"the vectors file", a.vectors},
                                       {"the evaluation file", a.evaluate}, {"the word pairs file", a.word_pairs}})
            programs::check_not_input(out, flag, in, what);  // by device and inode: a link or another path is caught
    if (!a.evaluate.empty()) wordvec::count_analogy_questions(a.evaluate);  // readable, with questions: before training
    if (!a.word_pairs.empty()) wordvec::count_word_pairs(a.word_pairs);
}

// The queries' answers on stdout: --most-similar/--subtract, --analogy, --similarity, --doesnt-match.
void answer_queries(const wordvec::KeyedVectors& kv, const Args& a) {
    auto query = [&](const std::vector<std::string>& pos, const std::vector<std::string>& neg) {
        print_similar(a.cosmul ? kv.most_similar_cosmul(pos, neg, a.topn, a.restrict_vocab)
                               : kv.most_similar(pos, neg, a.topn, a.restrict_vocab));
    };
    if (!a.most_similar.empty() || !a.subtract.empty()) query(a.most_similar, a.subtract);
    if (!a.analogy.empty()) query({a.analogy[0], a.analogy[2]}, {a.analogy[1]});  // a − b + c
    if (!a.similarity.empty()) fmt::print("{:.4f}\n", kv.similarity(a.similarity[0], a.similarity[1]));
    if (!a.doesnt_match.empty()) fmt::print("{}\n", kv.doesnt_match(a.doesnt_match));
}

// --evaluate (analogy accuracy by section) and --word-pairs (rank correlation with human scores).
void evaluate(const wordvec::KeyedVectors& kv, const Args& a) {
    const std::size_t restrict_eval = a.restrict_vocab ? a.restrict_vocab : 300000;
    if (!a.evaluate.empty()) {
        const auto r = wordvec::evaluate_word_analogies(kv, a.evaluate, restrict_eval);
        for (const auto& s : r.sections)
            if (s.correct + s.incorrect > 0)
                fmt::print("{}: {:.1f}% ({}/{})\n", s.name, 100.0 * double(s.correct) / double(s.correct + s.incorrect),
                           s.correct, s.correct + s.incorrect);
        fmt::print("analogies: {:.2f}% correct ({} of {} covered questions; {} of {} questions covered)\n",
                   100 * r.accuracy, r.correct, r.covered, r.covered, r.questions);
    }
    if (!a.word_pairs.empty()) {
        const auto r = wordvec::evaluate_word_pairs(kv, a.word_pairs, restrict_eval);
        fmt::print("word pairs: Spearman {:.4f}, Pearson {:.4f} ({} of {} pairs covered, {:.1f}% out of vocabulary)\n",
                   r.spearman, r.pearson, r.covered, r.pairs, r.oov_ratio);
    }
}

// --export in its format, then --plot's figure (its words checked against the vocabulary first).
void write_outputs(const wordvec::KeyedVectors& kv, const Args& a) {
    if (!a.export_path.empty()) {
        if (a.export_format == "text") wordvec::save_word2vec_text(kv, a.export_path);
        else if (a.export_format == "binary") wordvec::save_word2vec_binary(kv, a.export_path);
        else if (a.export_format == "glove") wordvec::save_glove(kv, a.export_path);
        else {
            const std::string meta = tsv_metadata_path(a.export_path);
            wordvec::save_projector_tsv(kv, a.export_path, meta);
            fmt::print(stderr, "words written to {}\n", meta);
        }
        fmt::print(stderr, "vectors written to {} ({})\n", a.export_path, a.export_format);
    }
    if (!a.plot.empty()) {  // the words must be in the vocabulary, known only now
        std::string missing;
        for (const auto& w : a.words)
            if (!kv.contains(w)) missing += (missing.empty() ? "\"" : ", \"") + w + "\"";
        if (!missing.empty())
            throw ValueError(fmt::format("--words: {} not in the vocabulary ({} words)", missing, kv.size()));
        nn::write_file_atomic(a.plot, words_figure(kv, a.words, a.vectors.empty() ? "vectors trained on " + a.train : a.vectors));
        fmt::print(stderr, "figure written to {}\n", a.plot);
    }
}

int run(const Args& a) {
    check_before_work(a);
    const wordvec::KeyedVectors kv = a.train.empty() ? wordvec::load_vectors(a.vectors, a.format) : train(a);
    if (!a.vectors.empty()) fmt::print(stderr, "{}: {} words of dimension {}\n", a.vectors, kv.size(), kv.dim());
    write_outputs(kv, a);  // first: a query word not in the vocabulary (known only now) loses nothing written
    answer_queries(kv, a);
    evaluate(kv, a);
    return 0;
}

// The flags of loading, querying, evaluating and exporting vectors.
void add_query_options(CLI::App& app, Args& a) {
    app.add_option("--vectors", a.vectors, "vectors file");
    app.add_option("--format", a.format, "its format")->capture_default_str()
        ->check(CLI::IsMember({"auto", "text", "binary", "glove", "xgrad"}));
    app.add_option("--most-similar", a.most_similar, "the words nearest to these (added), one line each: word cosine")
        ->expected(1, 64);
    app.add_option("--subtract", a.subtract, "words subtracted in --most-similar (gensim's negative=; --negative is "
                                             "word2vec's noise words)");
    app.add_option("--analogy", a.analogy, "A B C: the words nearest to A - B + C (king man woman: queen?)")->expected(3);
    app.add_option("--similarity", a.similarity, "A B: the cosine of two words")->expected(2);
    app.add_option("--doesnt-match", a.doesnt_match, "the word of these farthest from the others' mean")->expected(-2);
    app.add_flag("--cosmul", a.cosmul, "rank by 3CosMul instead of 3CosAdd in --most-similar and --analogy");
    app.add_option("--topn", a.topn, "words a query lists")->capture_default_str()->check(programs::positive);
    app.add_option("--restrict", a.restrict_vocab, "search the most frequent N words only (0: all; evaluations: 300000)")
        ->capture_default_str();
    app.add_option("--evaluate", a.evaluate, "analogy questions file (questions-words.txt): accuracy by section");
    app.add_option("--word-pairs", a.word_pairs, "word pairs with human scores (WordSim-353, SimLex-999): Spearman");
    auto* plot = app.add_option("--plot", a.plot, "draw --words as labelled points in 2-D (the first two principal components "
                                                  "when dim > 2), the lecture's figure, into this SVG file");
    app.add_option("--words", a.words, "comma-separated words for --plot")->delimiter(',')->capture_default_str()->needs(plot);
    app.add_option("--export", a.export_path, "write the vectors to this file");
    app.add_option("--export-format", a.export_format, "text | binary | glove | tsv (TensorBoard projector)")
        ->capture_default_str()->check(CLI::IsMember({"text", "binary", "glove", "tsv"}));
}

// word2vec's own training flags.
void add_training_options(CLI::App& app, Args& a) {
    auto* t = app.add_option_group("training (word2vec's flags)");
    t->add_option("--train", a.train, "train skip-gram vectors on this text file");
    t->add_option("--output", a.output, "write the trained vectors here (word2vec text, or binary with --binary 1)");
    t->add_option("--binary", a.binary, "1: --output in word2vec's binary format")->capture_default_str()->check(CLI::Range(0, 1));
    t->add_option("--size", a.w2v.size, "vector dimension")->capture_default_str()->check(programs::positive);
    t->add_option("--window", a.w2v.window, "max words on each side")->capture_default_str()->check(programs::positive);
    t->add_option("--negative", a.w2v.negative, "noise words a pair")->capture_default_str();
    t->add_option("--min-count", a.w2v.min_count, "drop words rarer than this")->capture_default_str()->check(programs::positive);
    t->add_option("--sample", a.w2v.sample, "subsampling threshold of frequent words (0: off)")->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    t->add_option("--iter", a.w2v.iter, "epochs")->capture_default_str()->check(programs::positive);
    t->add_option("--alpha", a.w2v.alpha, "starting learning rate (default 0.025; 0.05 with --cbow 1, as word2vec.c)")
        ->check(programs::positive);
    t->add_option("--cbow", a.cbow, "1: CBOW (the window's mean predicts the center word); 0: skip-gram (word2vec.c's "
                                    "default is 1)")->capture_default_str()->check(CLI::Range(0, 1));
    t->add_flag("--lock-free", a.w2v.lock_free, "with --threads 2 or more: every thread trains on its share of the corpus "
                                                "and updates the tables at once without locks, as word2vec.c does (faster; "
                                                "NOT reproducible: the vectors differ run to run)");
    t->add_option("--batch", a.w2v.batch, "pairs a step, batch/readers from each reader, all scored on its view (same "
                                          "vectors at any thread count); a step's pairs are 2·window apart in the text, so a "
                                          "center word's pairs come in consecutive steps as word2vec.c's pair-by-pair updates")->capture_default_str()
        ->check(programs::positive);
    t->add_option("--readers", a.w2v.readers, "readers of the corpus side by side (reader r reads its chunks r, r + "
                                              "readers, … of ~1000 words), batch/readers pairs a step from each; up to this "
                                              "many threads train (the vectors depend on it, not on --threads)")
        ->capture_default_str()->check(programs::positive);
    t->add_option("--merge-every", a.w2v.merge_every, "steps each reader takes on its own view (the tables as last merged, "
                                                      "plus its own updates) before the readers' updates are merged; the "
                                                      "threads meet once a merge")->capture_default_str()->check(programs::positive);
    t->add_option("--seed", a.w2v.seed, "seed")->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"wordvec: nearest words, similarities, analogies and evaluations on word vectors (word2vec text or "
                 "binary, GloVe, or an xgrad bigram checkpoint)"};
    add_query_options(app, a);
    add_training_options(app, a);
    app.add_option("--threads", a.threads, "threads: the queries split their rows; training shares the --readers among "
                                           "them (the same vectors at any count), or with --lock-free gives each its share")->capture_default_str()->check(CLI::Range(1, 256));
    if (const auto status = programs::parse(app, argc, argv, "wordvec")) return *status;
    a.w2v.cbow = a.cbow == 1;
    if (a.w2v.cbow && app.count("--alpha") == 0) a.w2v.alpha = 0.05;  // word2vec.c's CBOW default
    return programs::run_main("wordvec", [&] {
        set_num_threads(a.threads);
        return run(a);
    });
}
