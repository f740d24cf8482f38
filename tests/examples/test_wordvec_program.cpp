// The wordvec program on the vectors gensim wrote (tests/reference/wordvec_gensim.*): the lecture's
// queries print gensim's answers, one per line, and bad input gets docs/errors.md's "wordvec: error:".
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "helpers.hpp"
#include "program.hpp"

namespace xgrad {
namespace {

const std::string kVectors = std::string(XGRAD_TEST_DATA) + "/wordvec_gensim.bin";

nlohmann::json gensim() {
    std::ifstream f(std::string(XGRAD_TEST_DATA) + "/wordvec_gensim.json");
    return nlohmann::json::parse(f);
}

// The output without the line that reports the file loaded ("FILE: N words of dimension D", on stderr).
std::string answer(const std::string& out) {
    std::istringstream s(out);
    std::string r;
    for (std::string line; std::getline(s, line);)
        if (line.find(" words of dimension ") == std::string::npos) r += line + "\n";
    return r;
}

// The "word score" lines of the program's output.
std::vector<std::pair<std::string, double>> scored_lines(const std::string& out) {
    std::vector<std::pair<std::string, double>> r;
    std::istringstream s(out);
    for (std::string line; std::getline(s, line);) {
        std::istringstream l(line);
        std::string w;
        double v;
        if (l >> w >> v && l.eof()) r.emplace_back(w, v);
    }
    return r;
}

TEST(WordvecProgram, TheLecturesQueriesPrintGensimsAnswers) {
    const auto g = gensim();
    auto [status, out] = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --analogy king man woman");
    ASSERT_EQ(status, 0) << out;
    const auto lines = scored_lines(out);
    const auto& want = g["most_similar"][1]["result"];  // king + woman − man
    ASSERT_EQ(lines.size(), 10u) << out;
    EXPECT_EQ(lines[0].first, "queen");
    EXPECT_NEAR(lines[0].second, double(want[0][1]), 5e-5);  // printed with 4 decimals
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --most-similar cat --topn 3");
    ASSERT_EQ(status, 0) << out;
    const auto cat = scored_lines(out);
    ASSERT_EQ(cat.size(), 3u) << out;
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(cat[i].first, std::string(g["most_similar"][2]["result"][i][0]));
    // --subtract is gensim's negative= (king + woman − man); --negative stays word2vec's noise-word count
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --most-similar king woman --subtract man --topn 1");
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(scored_lines(out).at(0).first, "queen") << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --similarity cat dog");
    EXPECT_NEAR(std::stod(answer(out)), double(g["similarity"][0][2]), 5e-5) << out;
    std::tie(status, out) =
        testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --doesnt-match man woman boy car");
    EXPECT_EQ(answer(out), std::string(g["doesnt_match"][0][1]) + "\n");
    std::tie(status, out) = testing::run_program(
        XGRAD_WORDVEC, "--vectors " + kVectors + " --restrict 100 --evaluate " XGRAD_TEST_DATA "/wordvec_questions.txt");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("analogies: 100.00% correct (24 of 24 covered questions; 24 of 25 questions covered)"),
              std::string::npos) << out;
}

TEST(WordvecProgram, ExportsAndNamesBadInput) {
    const auto dir = std::filesystem::temp_directory_path() / ("xgrad_wordvec_prog_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto [status, out] = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --export " +
                                                                 (dir / "vectors.tsv").string() + " --export-format tsv");
    ASSERT_EQ(status, 0) << out;
    EXPECT_TRUE(std::filesystem::exists(dir / "metadata.tsv")) << out;
    // only the file's name gives the words' file its name: a "vectors" folder elsewhere in the path is not touched
    std::filesystem::create_directories(dir / "vectors");
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --export " +
                                                                    (dir / "vectors" / "emb.tsv").string() + " --export-format tsv");
    ASSERT_EQ(status, 0) << out;
    EXPECT_TRUE(std::filesystem::exists(dir / "vectors" / "emb.tsv.metadata.tsv")) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / "metadata")) << out;
    // evaluation files with nothing to score are named before any training
    std::ofstream(dir / "pairs.tsv") << "king queen 5\n";
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + std::string(XGRAD_SOURCE_DIR) +
                                                                    "/data/tinyshakespeare/input.txt --word-pairs " + (dir / "pairs.tsv").string());
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("no word pairs in it"), std::string::npos) << out;
    EXPECT_EQ(out.find("words in the vocabulary"), std::string::npos) << "trained before refusing:\n" << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + std::string(XGRAD_SOURCE_DIR) +
                                                                    "/data/tinyshakespeare/input.txt --evaluate /no/such/file");
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("/no/such/file: cannot open it"), std::string::npos) << out;
    EXPECT_EQ(out.find("words in the vocabulary"), std::string::npos) << "trained before refusing:\n" << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --most-similar kingg");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("wordvec: error: the word 'kingg' is not in the vocabulary (120 words)"), std::string::npos) << out;
    // the outputs are written before the queries are answered: an unknown query word loses no export
    std::filesystem::remove(dir / "kept.txt");
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --export " + (dir / "kept.txt").string() +
                                                                    " --most-similar kingg");
    EXPECT_EQ(status, 1) << out;
    std::ifstream kept(dir / "kept.txt");
    std::string header;
    std::getline(kept, header);
    EXPECT_EQ(header, "120 16") << "the export was written whole before the error:\n" << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + (dir / "none.bin").string());
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("wordvec: error: "), std::string::npos) << out;
    EXPECT_NE(out.find("none.bin: cannot open it"), std::string::npos) << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --topn 0");
    EXPECT_NE(status, 0);
    EXPECT_NE(out.find("wordvec: error: "), std::string::npos) << out;
    std::filesystem::remove_all(dir);
}

TEST(WordvecProgram, TrainsWithWord2vecsFlagsAndQueriesTheResult) {
    const auto out_path = std::filesystem::temp_directory_path() / ("xgrad_w2v_prog_" + std::to_string(::getpid()) + ".bin");
    const std::string corpus = std::string(XGRAD_SOURCE_DIR) + "/data/tinyshakespeare/input.txt";
    auto [status, out] = testing::run_program(
        XGRAD_WORDVEC, "--train " + corpus + " --output " + out_path.string() +
                           " --binary 1 --size 20 --window 3 --negative 3 --min-count 20 --sample 1e-3 --iter 1 "
                           "--alpha 0.05 --most-similar king --topn 3");
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(scored_lines(out).size(), 3u) << out;
    EXPECT_NE(out.find("words in the vocabulary"), std::string::npos) << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + out_path.string() + " --similarity king queen");
    EXPECT_EQ(status, 0) << out;
    std::filesystem::remove(out_path);
    // checked before training: both sources, an output that cannot be written
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + corpus + " --vectors " + kVectors);
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("wordvec: error: give --vectors or --train, not both"), std::string::npos) << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + corpus + " --output /proc/nope/v.txt");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("--output"), std::string::npos) << out;
    EXPECT_EQ(out.find("words in the vocabulary"), std::string::npos) << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + corpus + " --output " + out_path.string() + " --merge-every 0");
    EXPECT_EQ(status, 2);
    EXPECT_NE(out.find("--merge-every: must be a positive number, got 0"), std::string::npos) << out;
    // an output that is an input, by another name (a hard link), is refused before training; the text stays
    const auto text = std::filesystem::temp_directory_path() / ("xgrad_w2v_text_" + std::to_string(::getpid()) + ".txt");
    const auto link = text.string() + ".link";
    std::ofstream(text) << "the cat sat on the mat the dog\n";
    std::filesystem::create_hard_link(text, link);
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + text.string() + " --min-count 1 --output " + link);
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("--output " + link + " is the training text " + text.string() + " itself"), std::string::npos) << out;
    EXPECT_EQ(nn::read_file(text.string()), "the cat sat on the mat the dog\n");
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + std::string(kVectors) + " --export " + kVectors);
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("is the vectors file"), std::string::npos) << out;
    std::filesystem::remove(text), std::filesystem::remove(link);
}

// The lecture's figure: --words as labelled points (with their row ids) on the first two principal
// components; words missing from the vocabulary and an unwritable --plot are named before any work.
TEST(WordvecProgram, PlotsTheLecturesFigure) {
    const auto dir = std::filesystem::temp_directory_path() / ("xgrad_wordvec_plot_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string svg_path = (dir / "words.svg").string();
    auto [status, out] = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --plot " + svg_path + " --words king,queen,man,woman");
    ASSERT_EQ(status, 0) << out;
    std::ifstream f(svg_path);
    std::stringstream svg;
    svg << f.rdbuf();
    // the row ids, as the file lists the words
    std::ifstream vf(std::string(XGRAD_TEST_DATA) + "/wordvec_gensim.txt");
    std::map<std::string, std::size_t> row;
    std::string line;
    std::getline(vf, line);
    for (std::size_t i = 0; std::getline(vf, line); ++i) row[line.substr(0, line.find(' '))] = i;
    for (const char* w : {"king", "queen", "man", "woman"})
        EXPECT_NE(svg.str().find(fmt::format("{} (ID {})", w, row.at(w))), std::string::npos) << w << "\n" << svg.str();
    EXPECT_NE(svg.str().find("first two principal components of 16 dims"), std::string::npos);
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --plot " + svg_path + " --words king,kingg,qqq");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("wordvec: error: --words: \"kingg\", \"qqq\" not in the vocabulary (120 words)"), std::string::npos) << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--vectors " + kVectors + " --words king,queen");
    EXPECT_NE(status, 0);
    EXPECT_NE(out.find("--plot"), std::string::npos) << out;
    const std::string corpus = std::string(XGRAD_SOURCE_DIR) + "/data/tinyshakespeare/input.txt";
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + corpus + " --plot /proc/nope/w.svg");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("--plot /proc/nope/w.svg"), std::string::npos) << out;
    EXPECT_EQ(out.find("words in the vocabulary"), std::string::npos) << "trained before checking --plot:\n" << out;
    std::tie(status, out) = testing::run_program(XGRAD_WORDVEC, "--train " + corpus + " --export /proc/nope/v.txt");
    EXPECT_EQ(status, 1);
    EXPECT_EQ(out.find("words in the vocabulary"), std::string::npos) << "trained before checking --export:\n" << out;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xgrad
