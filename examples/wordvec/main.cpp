// wordvec: the lecture's hands-on demo with token embeddings, on any vectors file — the words most
// similar to a word, the similarity of two words, analogies (king − man + woman ≈ queen), the word
// that does not match, the standard evaluations, and export to the usual formats.
//
//   wordvec --vectors vectors.bin --most-similar king
//   wordvec --vectors vectors.txt --analogy king man woman
//   wordvec --vectors vectors.txt --similarity cat dog
//   wordvec --vectors vectors.txt --evaluate questions-words.txt --word-pairs wordsim353.tsv
//   wordvec --vectors out/bigram.safetensors --export out/vectors.tsv --export-format tsv
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tensor/error.hpp"
#include "tensor/kernels/threads.hpp"
#include "wordvec/wordvec.hpp"

using namespace xgrad;

namespace {

struct Args {
    std::string vectors, format = "auto", evaluate, word_pairs, export_path, export_format = "text";
    std::vector<std::string> most_similar, negative, analogy, similarity, doesnt_match;
    std::size_t topn = 10, restrict_vocab = 0;
    bool cosmul = false;
    int threads = 1;
};

void print_similar(const std::vector<wordvec::Similar>& sims) {
    for (const auto& s : sims) fmt::print("{} {:.4f}\n", s.word, s.score);
}

int run(const Args& a) {
    const wordvec::KeyedVectors kv = wordvec::load_vectors(a.vectors, a.format);
    fmt::print(stderr, "{}: {} words of dimension {}\n", a.vectors, kv.size(), kv.dim());
    auto query = [&](const std::vector<std::string>& pos, const std::vector<std::string>& neg) {
        print_similar(a.cosmul ? kv.most_similar_cosmul(pos, neg, a.topn, a.restrict_vocab)
                               : kv.most_similar(pos, neg, a.topn, a.restrict_vocab));
    };
    if (!a.most_similar.empty() || !a.negative.empty()) query(a.most_similar, a.negative);
    if (!a.analogy.empty()) query({a.analogy[0], a.analogy[2]}, {a.analogy[1]});  // a − b + c
    if (!a.similarity.empty()) fmt::print("{:.4f}\n", kv.similarity(a.similarity[0], a.similarity[1]));
    if (!a.doesnt_match.empty()) fmt::print("{}\n", kv.doesnt_match(a.doesnt_match));
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
    if (!a.export_path.empty()) {
        if (a.export_format == "text") wordvec::save_word2vec_text(kv, a.export_path);
        else if (a.export_format == "binary") wordvec::save_word2vec_binary(kv, a.export_path);
        else if (a.export_format == "glove") wordvec::save_glove(kv, a.export_path);
        else {  // tsv: FILE gets the numbers, FILE with "metadata" for "vectors" (or + ".metadata.tsv") the words
            std::string meta = a.export_path;
            const auto at = meta.rfind("vectors");
            meta = at != std::string::npos ? meta.replace(at, 7, "metadata") : meta + ".metadata.tsv";
            wordvec::save_projector_tsv(kv, a.export_path, meta);
            fmt::print(stderr, "words written to {}\n", meta);
        }
        fmt::print(stderr, "vectors written to {} ({})\n", a.export_path, a.export_format);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"wordvec: nearest words, similarities, analogies and evaluations on word vectors (word2vec text or "
                 "binary, GloVe, or an xgrad bigram checkpoint)"};
    app.add_option("--vectors", a.vectors, "vectors file")->required();
    app.add_option("--format", a.format, "its format")->capture_default_str()
        ->check(CLI::IsMember({"auto", "text", "binary", "glove", "xgrad"}));
    app.add_option("--most-similar", a.most_similar, "the words nearest to these (added), one line each: word cosine");
    app.add_option("--negative", a.negative, "words subtracted in --most-similar");
    app.add_option("--analogy", a.analogy, "A B C: the words nearest to A - B + C (king man woman: queen?)")->expected(3);
    app.add_option("--similarity", a.similarity, "A B: the cosine of two words")->expected(2);
    app.add_option("--doesnt-match", a.doesnt_match, "the word of these farthest from the others' mean")->expected(-2);
    app.add_flag("--cosmul", a.cosmul, "rank by 3CosMul instead of 3CosAdd in --most-similar and --analogy");
    app.add_option("--topn", a.topn, "words a query lists")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--restrict", a.restrict_vocab, "search the most frequent N words only (0: all; evaluations: 300000)")
        ->capture_default_str();
    app.add_option("--evaluate", a.evaluate, "analogy questions file (questions-words.txt): accuracy by section");
    app.add_option("--word-pairs", a.word_pairs, "word pairs with human scores (WordSim-353, SimLex-999): Spearman");
    app.add_option("--export", a.export_path, "write the vectors to this file");
    app.add_option("--export-format", a.export_format, "text | binary | glove | tsv (TensorBoard projector)")
        ->capture_default_str()->check(CLI::IsMember({"text", "binary", "glove", "tsv"}));
    app.add_option("--threads", a.threads, "threads for the queries")->capture_default_str()->check(CLI::Range(1, 256));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() != 0) fmt::print(stderr, "wordvec: error: ");
        return app.exit(e);
    }
    try {
        set_num_threads(a.threads);
        return run(a);
    } catch (const std::exception& e) {
        fmt::print(stderr, "wordvec: error: {}\n", e.what());
        return 1;
    }
}
