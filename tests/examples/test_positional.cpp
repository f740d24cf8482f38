// The positional example: its token ids, windows and embeddings equal the same program in PyTorch
// (tests/reference/positional_gpt2.json — the book's ch. 2 on GPT-2's ids — and positional.json — the
// word tokenizer —, written by make_positional_reference.py) from the same seed.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <unistd.h>

#include "helpers.hpp"
#include "program.hpp"

namespace xgrad {
namespace {

void expect_reference(const std::string& args, const std::string& reference) {
    std::ifstream f(std::string(XGRAD_TEST_DATA) + "/" + reference);
    const auto want = nlohmann::json::parse(f);
    auto [status, out] = testing::run_program(XGRAD_POSITIONAL, args);
    ASSERT_EQ(status, 0) << out;
    const auto got = testing::last_json(out);
    EXPECT_EQ(got["vocab_size"], want["vocab_size"]);
    EXPECT_EQ(got["tokens"], want["tokens"]);
    EXPECT_EQ(got["inputs"], want["inputs"]);
    EXPECT_EQ(got["targets"], want["targets"]);
    // 6938×256 and 4×256 normals: PyTorch's vectorised path, equal to within 2e-6 (see TorchRandom)
    for (const char* k : {"token_embeddings", "pos_embeddings", "input_embeddings"}) {
        ASSERT_EQ(got[k].size(), want[k].size()) << k;
        for (std::size_t i = 0; i < got[k].size(); ++i)
            EXPECT_NEAR(got[k][i].get<double>(), want[k][i].get<double>(), 1e-5) << k << " " << i;
    }
}

TEST(Positional, TheBooksChapter2GivesPyTorchsIdsAndEmbeddings) {
    expect_reference("--json", "positional_gpt2.json");  // the-verdict, GPT-2's 50257 ids
}

TEST(Positional, TheWordTokenizerGivesPyTorchsIdsAndEmbeddings) {
    expect_reference("--tokenizer words --json", "positional.json");  // tinyshakespeare, 6938 words
}

TEST(Positional, PrintsTheLecturesShapesAndNamesBadInput) {
    auto [status, out] = testing::run_program(XGRAD_POSITIONAL, "");
    ASSERT_EQ(status, 0) << out;
    for (const char* part : {"5145 tokens, vocabulary of 50257", "tensor([[   40,   367,  2885,  1464],\n        [ 1807,  3619,   402,   271],",
                             "Inputs shape:\n(8, 4)", "token_embeddings.shape: (8, 4, 256)", "pos_embeddings.shape: (4, 256)",
                             "input_embeddings.shape: (8, 4, 256)", "first window as text: I HAD always"})
        EXPECT_NE(out.find(part), std::string::npos) << part << " missing from:\n" << out;
    std::tie(status, out) = testing::run_program(XGRAD_POSITIONAL, "--tokenizer words");
    EXPECT_NE(out.find("first window as text: <eos> first citizen :"), std::string::npos) << out;
    std::tie(status, out) = testing::run_program(XGRAD_POSITIONAL, "--tokenizer chars");
    EXPECT_EQ(status, 2) << out;
    auto [st, o] = testing::run_program(XGRAD_POSITIONAL, "--text /nonexistent.txt");
    EXPECT_EQ(st, 1) << o;
    EXPECT_NE(o.find("/nonexistent.txt"), std::string::npos) << o;
    auto [st2, o2] = testing::run_program(XGRAD_POSITIONAL, "--text " XGRAD_SOURCE_DIR "/data/lecture.txt");
    EXPECT_EQ(st2, 1) << o2;
    EXPECT_NE(o2.find("12 tokens make 2 windows of 4: too few for a batch of 8"), std::string::npos) << o2;
}

TEST(Positional, PlotsTheFirstWindowsVectors) {
    const std::string dir = ::testing::TempDir() + "/positional_plot_" + std::to_string(::getpid());
    auto [status, out] = testing::run_program(XGRAD_POSITIONAL, "--json --plot " + dir);
    ASSERT_EQ(status, 0) << out;
    auto [st0, plain] = testing::run_program(XGRAD_POSITIONAL, "--json");
    EXPECT_EQ(testing::last_json(out), testing::last_json(plain));  // drawing draws no random numbers
    std::ifstream f(dir + "/embeddings.svg");
    std::stringstream svg;
    svg << f.rdbuf();
    for (const char* part : {"token embeddings", "positional embeddings", "input = token + positional", "pos 0", "pos 3",
                             "always @3", "principal components"})
        EXPECT_NE(svg.str().find(part), std::string::npos) << part;
    auto [st, o] = testing::run_program(XGRAD_POSITIONAL, "--plot /proc/x");
    EXPECT_EQ(st, 1) << o;
    EXPECT_NE(o.find("--plot /proc/x: cannot make this directory"), std::string::npos) << o;
    std::filesystem::remove_all(dir);
}

// Every program: a bad command line gets docs/errors.md's "<program>: error:" and exit status 2; --help 0.
TEST(Programs, ABadCommandLineIsNamedWithTheProgramsPrefix) {
    const std::vector<std::pair<const char*, const char*>> programs = {
        {XGRAD_BIGRAM, "bigram"}, {XGRAD_MLP, "mlp"}, {XGRAD_GPT, "gpt"}, {XGRAD_POSITIONAL, "positional"},
        {XGRAD_WORDVEC, "wordvec"}, {XGRAD_EMBEDDING_VS_LINEAR, "embedding_vs_linear"},
        {XGRAD_TOKENIZE, "tokenize"}};
    for (const auto& [path, name] : programs) {
        auto [status, out] = testing::run_program(path, "--no-such-flag 3");
        EXPECT_EQ(status, 2) << name << ":\n" << out;
        EXPECT_NE(out.find(std::string(name) + ": error: "), std::string::npos) << name << ":\n" << out;
        EXPECT_NE(out.find("--no-such-flag"), std::string::npos) << name << ":\n" << out;
        std::tie(status, out) = testing::run_program(path, "--help");
        EXPECT_EQ(status, 0) << name << ":\n" << out;
        EXPECT_EQ(out.find(": error: "), std::string::npos) << name << ":\n" << out;
    }
    // a number out of range is named with the flag and the value, not CLI11's "0 to 1.797…e308"
    const std::vector<std::tuple<const char*, const char*, const char*>> numbers = {
        {XGRAD_MLP, "--lr abc", "mlp: error: --lr: must be a number, 0 or more, got abc"},
        {XGRAD_GPT, "--n-embd 0", "gpt: error: --n-embd: must be a positive number, got 0"},
        {XGRAD_WORDVEC, "--train x --size -2", "wordvec: error: --size: must be a positive number, got -2"},
        {XGRAD_POSITIONAL, "--stride 1e999", "positional: error: --stride: must be a positive number, got 1e999"}};
    for (const auto& [path, args, message] : numbers) {
        auto [status, out] = testing::run_program(path, args);
        EXPECT_EQ(status, 2) << args << ":\n" << out;
        EXPECT_NE(out.find(message), std::string::npos) << args << ":\n" << out;
        EXPECT_EQ(out.find("179769313"), std::string::npos) << args << ":\n" << out;
    }
}

}  // namespace
}  // namespace xgrad
