// wordvec against gensim 4.2: the files gensim wrote (tests/reference/make_wordvec_reference.py) load
// in every format with the same words and bits, queries and evaluations give gensim's answers, xgrad
// writes gensim's bytes back, and bad files get errors that name the file, the line and the fault.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "nn/serialize.hpp"
#include "tensor/error.hpp"
#include "wordvec/wordvec.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;
using wordvec::KeyedVectors;

const std::string kRef = XGRAD_TEST_DATA;

nlohmann::json gensim() {
    std::ifstream f(kRef + "/wordvec_gensim.json");
    return nlohmann::json::parse(f);
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

fs::path scratch(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("xgrad_wordvec_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / name;
}

// gensim's list [[word, score], ...] against ours: the same words in the same order, scores within 1e-6
// (float sums in another order); two words whose scores tie within that may come in either order.
void expect_same(const std::vector<wordvec::Similar>& mine, const nlohmann::json& theirs, const std::string& what) {
    ASSERT_EQ(mine.size(), theirs.size()) << what;
    for (std::size_t i = 0; i < mine.size(); ++i) {
        const std::string w = theirs[i][0];
        const double s = theirs[i][1];
        EXPECT_NEAR(mine[i].score, s, 1e-6) << what << " #" << i;
        const bool tie = (i + 1 < mine.size() && std::abs(double(theirs[i + 1][1]) - s) < 1e-6) ||
                         (i > 0 && std::abs(double(theirs[i - 1][1]) - s) < 1e-6);
        if (!tie) EXPECT_EQ(mine[i].word, w) << what << " #" << i;
    }
}

TEST(Wordvec, ReadsGensimsThreeFormatsToTheSameBits) {
    const KeyedVectors text = wordvec::load_vectors(kRef + "/wordvec_gensim.txt");
    const KeyedVectors bin = wordvec::load_vectors(kRef + "/wordvec_gensim.bin");
    const KeyedVectors glove = wordvec::load_vectors(kRef + "/wordvec_gensim_glove.txt");
    EXPECT_EQ(wordvec::detect_format(kRef + "/wordvec_gensim.txt"), "text");
    EXPECT_EQ(wordvec::detect_format(kRef + "/wordvec_gensim.bin"), "binary");
    EXPECT_EQ(wordvec::detect_format(kRef + "/wordvec_gensim_glove.txt"), "glove");
    ASSERT_EQ(text.size(), 120u);
    ASSERT_EQ(text.dim(), 16u);
    EXPECT_EQ(text.words()[0], "the");
    for (const KeyedVectors* kv : {&bin, &glove}) {
        EXPECT_EQ(kv->words(), text.words());
        EXPECT_EQ(kv->vectors(), text.vectors());  // text holds the shortest round-trip decimals: exact
    }
}

TEST(Wordvec, QueriesGiveGensimsAnswers) {
    const KeyedVectors kv = wordvec::load_vectors(kRef + "/wordvec_gensim.bin");
    const auto g = gensim();
    for (const auto& q : g["most_similar"])
        expect_same(kv.most_similar(q["positive"], q["negative"], q["topn"]), q["result"], "most_similar " + q.dump());
    for (const auto& q : g["most_similar_restrict"])
        expect_same(kv.most_similar(q["positive"], q["negative"], q["topn"], q["restrict_vocab"]), q["result"],
                    "most_similar restricted " + q.dump());
    for (const auto& q : g["most_similar_cosmul"])
        expect_same(kv.most_similar_cosmul(q["positive"], q["negative"], q["topn"]), q["result"], "cosmul " + q.dump());
    for (const auto& s : g["similarity"]) EXPECT_NEAR(kv.similarity(s[0], s[1]), double(s[2]), 1e-6) << s.dump();
    for (const auto& d : g["doesnt_match"]) EXPECT_EQ(kv.doesnt_match(d[0]), std::string(d[1])) << d.dump();
    // the lecture's analogy: king − man + woman
    EXPECT_EQ(kv.most_similar({"king", "woman"}, {"man"}, 1)[0].word, "queen");
    // any vector: a word's own vector finds the word first, at cosine 1
    const auto self = kv.similar_by_vector(kv.vector("kitten"), 1);
    EXPECT_EQ(self[0].word, "kitten");
    EXPECT_NEAR(self[0].score, 1.0, 1e-6);
}

TEST(Wordvec, EvaluationsGiveGensimsScores) {
    const KeyedVectors kv = wordvec::load_vectors(kRef + "/wordvec_gensim.txt");
    const auto g = gensim();
    const auto a = wordvec::evaluate_word_analogies(kv, kRef + "/wordvec_questions.txt", g["analogies"]["restrict_vocab"]);
    EXPECT_DOUBLE_EQ(a.accuracy, double(g["analogies"]["accuracy"]));
    const auto& sections = g["analogies"]["sections"];
    ASSERT_EQ(a.sections.size() + 1, sections.size());  // gensim adds a "Total accuracy" section
    for (std::size_t i = 0; i < a.sections.size(); ++i) {
        EXPECT_EQ(a.sections[i].name, std::string(sections[i][0]));
        EXPECT_EQ(a.sections[i].correct, std::size_t(sections[i][1]));
        EXPECT_EQ(a.sections[i].incorrect, std::size_t(sections[i][2]));
    }
    EXPECT_EQ(a.covered, std::size_t(sections.back()[1]) + std::size_t(sections.back()[2]));
    EXPECT_EQ(a.questions, a.covered + 1);  // one question has a word out of the vocabulary
    const auto p = wordvec::evaluate_word_pairs(kv, kRef + "/wordvec_pairs.tsv", g["pairs"]["restrict_vocab"]);
    EXPECT_NEAR(p.pearson, double(g["pairs"]["pearson"]), 1e-6);
    EXPECT_NEAR(p.spearman, double(g["pairs"]["spearman"]), 1e-9);
    EXPECT_NEAR(p.oov_ratio, double(g["pairs"]["oov_ratio"]), 1e-9);
    EXPECT_EQ(p.covered, 10u);
}

TEST(Wordvec, WritesGensimsBytes) {
    // gensim reads these (make_wordvec_reference.py --check DIR loads them): they are its own bytes
    const KeyedVectors kv = wordvec::load_vectors(kRef + "/wordvec_gensim.txt");
    wordvec::save_word2vec_text(kv, scratch("xgrad.txt"));
    wordvec::save_word2vec_binary(kv, scratch("xgrad.bin"));
    wordvec::save_glove(kv, scratch("xgrad_glove.txt"));
    EXPECT_EQ(slurp(scratch("xgrad.txt")), slurp(kRef + "/wordvec_gensim.txt"));
    EXPECT_EQ(slurp(scratch("xgrad.bin")), slurp(kRef + "/wordvec_gensim.bin"));
    EXPECT_EQ(slurp(scratch("xgrad_glove.txt")), slurp(kRef + "/wordvec_gensim_glove.txt"));
    wordvec::save_projector_tsv(kv, scratch("vectors.tsv"), scratch("metadata.tsv"));
    const std::string meta = slurp(scratch("metadata.tsv"));
    EXPECT_EQ(meta.substr(0, 11), "the\nof\nand\n");
    const std::string vec = slurp(scratch("vectors.tsv"));
    EXPECT_EQ(std::count(vec.begin(), vec.end(), '\n'), 120);
    EXPECT_EQ(std::count(vec.begin(), vec.begin() + long(vec.find('\n')), '\t'), 15);
}

TEST(Wordvec, ReadsTheTableOfAnXgradCheckpoint) {
    Array v = Array::from_shape({3, 2});
    for (std::size_t i = 0; i < 6; ++i) v.data()[i] = float(i);
    nn::save_safetensors(scratch("bigram.safetensors"), {{"V.weight", Tensor(v)}, {"U.weight", Tensor(v)}},
                         {{"vocab", R"(["the", "cat", "."])"}});
    const KeyedVectors kv = wordvec::load_vectors(scratch("bigram.safetensors"));
    EXPECT_EQ(kv.words(), (std::vector<std::string>{"the", "cat", "."}));
    EXPECT_EQ(kv.vector("cat")[1], 3.0f);
    nn::save_safetensors(scratch("other.safetensors"), {{"V.weight", Tensor(v)}});
    EXPECT_THROW(wordvec::load_vectors(scratch("other.safetensors")), FileError);
}

// Writes `text` to a scratch file and returns the error loading it gives.
std::string load_error(const std::string& text, const std::string& format = "auto") {
    const std::string path = scratch("bad.txt");
    std::ofstream(path, std::ios::binary) << text;
    try {
        wordvec::load_vectors(path, format);
    } catch (const FileError& e) {
        return e.what();
    }
    return "no error";
}

TEST(Wordvec, BadFilesGetErrorsThatNameTheFault) {
    auto has = [](const std::string& msg, const std::string& part) {
        return msg.find(part) != std::string::npos ? ::testing::AssertionSuccess()
                                                   : ::testing::AssertionFailure() << "'" << msg << "' lacks '" << part << "'";
    };
    EXPECT_TRUE(has(load_error("3 2\na 1.5 2.5\nb 3.5 4.5\n"), "promises 3 words, the file ends after 2"));
    // a header promising more than the file can hold is refused before anything is allocated for it
    EXPECT_TRUE(has(load_error("37777777777 2\na 1 2\n"), "the header promises 37777777777 words of dimension 2, at least"));
    EXPECT_TRUE(has(load_error("1 2\na 1 2\nb 3 4\n"), "promises 1 words, line 3 holds another"));
    EXPECT_TRUE(has(load_error("2 2\na 1 2\nb 3\n", "text"), "line 3: expected 2 numbers after the word 'b', found 1"));
    EXPECT_TRUE(has(load_error("2 2\na 1 2\nb 3 x4\n", "text"), "line 3: 'x4' (number 2 of the word 'b') is not a number"));
    EXPECT_TRUE(has(load_error("2 2\na 1 2\na 3 4\n"), "the word 'a' appears twice (words 1 and 2"));
    EXPECT_TRUE(has(load_error("2 0\na\nb\n"), "dimension 0"));
    EXPECT_TRUE(has(load_error("a 1 2\nb 3\n"), "line 2: expected 2 numbers after the word 'b', found 1"));
    EXPECT_TRUE(has(load_error(""), "empty"));
    // a binary file cut short: inside a vector, and between words
    std::string bin = slurp(kRef + "/wordvec_gensim.bin");
    EXPECT_TRUE(has(load_error(bin.substr(0, bin.size() - 10), "binary"), "inside the vector of the word"));
    const std::string head = bin.substr(0, bin.find('\n') + 1);
    const std::size_t rec = 4 + 16 * 4;  // "the " and 16 floats
    EXPECT_TRUE(has(load_error(head + bin.substr(head.size(), rec), "binary"),
                    "the header promises 120 words of dimension 16, at least 7920 bytes in the binary format; the file has"));
    EXPECT_TRUE(has(load_error("2 1\nab " + std::string(4, '\0') + "cdefghijklmn", "binary"),
                    "after 1 of the 2 words the header promises (inside the word '"));
    EXPECT_THROW(wordvec::load_vectors(scratch("missing.txt")), FileError);
    try {
        wordvec::load_vectors(fs::temp_directory_path().string());
        ADD_FAILURE() << "a directory loaded";
    } catch (const FileError& e) {
        EXPECT_TRUE(has(e.what(), "is a directory"));
    }
    // from memory, as from a file
    EXPECT_EQ(wordvec::parse_vectors("2 2\na 1 2\nb 3 4\n", "mem").vector("b")[1], 4.0f);
    try {
        wordvec::parse_vectors("2 2\na 1 2\n", "mem");
        ADD_FAILURE() << "a short file loaded";
    } catch (const FileError& e) {
        EXPECT_TRUE(has(e.what(), "mem: the header promises 2 words of dimension 2, at least 12 bytes"));
    }
}

// Auto-detection reads what follows the header: text when it is text (a blank line, or a short first row,
// is then the text reader's to name), binary when it holds bytes that are not text; "nan" and "inf" parse
// as numbers but are refused as vector entries.
TEST(Wordvec, DetectionAndNonFiniteEntries) {
    const std::string path = scratch("detect.txt").string();
    std::ofstream(path, std::ios::binary) << "2 2\n\na 1 2\nb 3 4\n";
    EXPECT_EQ(wordvec::detect_format(path), "text");
    EXPECT_EQ(wordvec::load_vectors(path).vector("b")[1], 4.0f);
    EXPECT_EQ(load_error("2 2\na 1\nb 3 4\n"), scratch("bad.txt").string() + ": line 2: expected 2 numbers after the word 'a', found 1");
    EXPECT_EQ(wordvec::detect_format(kRef + "/wordvec_gensim.bin"), "binary");
    EXPECT_EQ(wordvec::detect_format(kRef + "/wordvec_gensim.txt"), "text");
    auto has = [](const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; };
    EXPECT_TRUE(has(load_error("2 2\na 1 nan\nb 3 4\n"), "the vector of the word 'a' holds nan at position 1"));
    EXPECT_TRUE(has(load_error("a 1 2\nb -inf 4\n"), "the vector of the word 'b' holds -inf at position 0"));
}

// A bigram checkpoint of a Latin-1 text keeps its tokens as bytes (nn::tokens_to_json); its table reads with them.
TEST(Wordvec, ReadsACheckpointWhoseTokensAreNotUtf8) {
    const std::string path = scratch("latin1.safetensors").string();
    nn::save_safetensors(path, {{"V.weight", Tensor(Array{{1, 0}, {0, 1}})}}, {{"vocab", nn::tokens_to_json({"caf\xe9", "th\xc3\xa9"})}});
    const KeyedVectors kv = wordvec::load_vectors(path);
    EXPECT_EQ(kv.words()[0], "caf\xe9");
    EXPECT_EQ(kv.words()[1], "th\xc3\xa9");
    EXPECT_EQ(nn::tokens_from_json(nn::tokens_to_json({"", "a b", std::string("\xff\x00z", 3), "\n"})),
              (std::vector<std::string>{"", "a b", std::string("\xff\x00z", 3), "\n"}));
    EXPECT_THROW(nn::tokens_from_json("[1, 2]"), ValueError);
}

// A word with whitespace (a character model's " " and "\n") cannot be written in the word2vec formats
// or the projector's TSV so that it reads back: refused, naming it, nothing written.
TEST(Wordvec, WordsWithWhitespaceAreNotExported) {
    const KeyedVectors kv({"a", " ", "\n"}, {1, 0, 0, 1, 1, 1}, 2);
    const fs::path out = scratch("chars.txt");
    fs::remove(out);
    try {
        wordvec::save_word2vec_text(kv, out.string());
        ADD_FAILURE() << "exported";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("word 1 is ' ': the word2vec text format ends a word at whitespace"), std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(fs::exists(out));
    EXPECT_THROW(wordvec::save_word2vec_binary(kv, out.string()), ValueError);
    EXPECT_THROW(wordvec::save_glove(kv, out.string()), ValueError);
    EXPECT_THROW(wordvec::save_projector_tsv(kv, out.string(), scratch("m.tsv").string()), ValueError);
    EXPECT_FALSE(fs::exists(out));
}

// Evaluation files: a score that is not a finite number names its line; a file with no question or no
// pair is an error, not "0 of 0" (and a program can check that before it trains).
TEST(Wordvec, EvaluationFilesWithNothingToScoreAreNamed) {
    const KeyedVectors kv = wordvec::load_vectors(kRef + "/wordvec_gensim.txt");
    const std::string pairs = scratch("pairs.tsv").string(), questions = scratch("questions.txt").string();
    std::ofstream(pairs) << "# word1\tword2\tscore\nking\tqueen\tnan\n";
    EXPECT_TRUE(testing::throws_with<FileError>([&] { wordvec::evaluate_word_pairs(kv, pairs); }, {"line 2", "'nan' is not a finite number"}));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { wordvec::count_word_pairs(pairs); }, {"line 2", "'nan'"}));
    std::ofstream(pairs) << "king queen 5\n";  // spaces, not tabs: no pair
    EXPECT_TRUE(testing::throws_with<FileError>([&] { wordvec::evaluate_word_pairs(kv, pairs); }, {"no word pairs in it"}));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { wordvec::count_word_pairs(pairs); }, {"no word pairs in it"}));
    std::ofstream(questions) << ": capitals\nking queen\n";
    EXPECT_TRUE(testing::throws_with<FileError>([&] { wordvec::evaluate_word_analogies(kv, questions); }, {"no analogy questions"}));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { wordvec::count_analogy_questions(questions); }, {"no analogy questions"}));
    EXPECT_EQ(wordvec::count_analogy_questions(kRef + "/wordvec_questions.txt"),
              wordvec::evaluate_word_analogies(kv, kRef + "/wordvec_questions.txt").questions);
    EXPECT_EQ(wordvec::count_word_pairs(kRef + "/wordvec_pairs.tsv"), wordvec::evaluate_word_pairs(kv, kRef + "/wordvec_pairs.tsv").pairs);
}

TEST(Wordvec, UnknownWordsAreNamed) {
    const KeyedVectors kv = wordvec::load_vectors(kRef + "/wordvec_gensim.txt");
    try {
        kv.most_similar({"kingg"});
        FAIL() << "no error";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("'kingg' is not in the vocabulary (120 words)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(kv.most_similar({}), ValueError);
    EXPECT_THROW(kv.doesnt_match({"nope", "nada"}), ValueError);
    EXPECT_THROW(kv.similar_by_vector(std::vector<float>(3, 1.0f)), ValueError);
}

}  // namespace
}  // namespace xgrad
