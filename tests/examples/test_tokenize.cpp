// The tokenize program: the book's ids, llm.c's token files both ways, --show, --count, training, and
// its errors (a refused special token, a bad token file, an output that is its input).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "program.hpp"
#include "tests/text/reference_cases.hpp"
#include "text/token_file.hpp"

namespace {

namespace fs = std::filesystem;
using xgrad::testing::run_program;

const std::string kTokenize = XGRAD_TOKENIZE;
const std::string kVerdict = std::string(XGRAD_SOURCE_DIR) + "/data/gpt2/the-verdict.txt";

struct Scratch {
    fs::path dir = fs::temp_directory_path() / ("xgrad_tokenize_" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(dir); }
    ~Scratch() { fs::remove_all(dir); }
    std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

TEST(TokenizeProgram, PrintsTheBooksIdsAndCount) {
    const auto [status, out] = run_program(kTokenize, kVerdict);
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(out.rfind("40 367 2885 1464 1807 3619 402 271 ", 0), 0u) << out.substr(0, 80);
    const auto [s2, count] = run_program(kTokenize, kVerdict + " --count");
    EXPECT_EQ(count, "5145\n");
}

TEST(TokenizeProgram, ShowsTheTokensOfATextFromStandardInput) {
    const auto [status, out] = run_program("printf 'Hello, I am \\360\\237\\230\\200 it'\"'\"'s\\n' |", kTokenize + " - --show");
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(out, "Hello|,| I| am| \\xf0\\x9f\\x98|\\x80| it|'s|\\n\n");
}

TEST(TokenizeProgram, TokenFilesRoundTripAndMatchLlmcsLayout) {
    Scratch tmp;
    auto [status, out] = run_program(kTokenize, kVerdict + " --out " + tmp / "v.bin --threads 2");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("tokenize: 5145 tokens of 20479 bytes"), std::string::npos) << out;
    const std::string bin = xgrad::text::testing::read_all(tmp / "v.bin");
    ASSERT_EQ(bin.size(), 1024u + 2 * 5145);
    const auto u32 = [&](std::size_t at) { return *reinterpret_cast<const std::uint32_t*>(bin.data() + at); };
    EXPECT_EQ(u32(0), 20240520u);
    EXPECT_EQ(u32(4), 1u);
    EXPECT_EQ(u32(8), 5145u);
    EXPECT_EQ(*reinterpret_cast<const std::uint16_t*>(bin.data() + 1024), 40);
    std::tie(status, out) = run_program(kTokenize, "--decode " + tmp / "v.bin");
    ASSERT_EQ(status, 0);
    EXPECT_EQ(out, xgrad::text::testing::read_all(kVerdict));
}

TEST(TokenizeProgram, ErrorsNameWhatWasWrong) {
    Scratch tmp;
    std::ofstream(tmp / "eot.txt") << "one<|endoftext|>two";
    auto [status, out] = run_program(kTokenize, tmp / "eot.txt");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("tokenize: error: encode: the text holds the special token '<|endoftext|>' at byte 3;"), std::string::npos) << out;
    std::tie(status, out) = run_program(kTokenize, tmp / "eot.txt --allowed-special all");
    EXPECT_EQ(out, "505 50256 11545\n");
    std::ofstream(tmp / "short.bin") << std::string(1030, '\0');
    std::tie(status, out) = run_program(kTokenize, "--decode " + tmp / "short.bin");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("short.bin: byte 0: magic 0, not llm.c's token file magic 20240520"), std::string::npos) << out;
    xgrad::text::write_token_file(tmp / "big.bin", {1, 50257});
    std::tie(status, out) = run_program(kTokenize, "--decode " + tmp / "big.bin");
    EXPECT_NE(out.find("id 50257 is no token of gpt2"), std::string::npos) << out;
    std::tie(status, out) = run_program(kTokenize, tmp / "eot.txt --allowed-special all --out " + tmp / "eot.txt");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("is the input file"), std::string::npos) << out;
    EXPECT_EQ(xgrad::text::testing::read_all(tmp / "eot.txt"), "one<|endoftext|>two");
    std::tie(status, out) = run_program(kTokenize, tmp / "eot.txt --threads 0");
    EXPECT_EQ(status, 2) << out;
}

TEST(TokenizeProgram, TrainsATokenizerAndEncodesWithIt) {
    Scratch tmp;
    const std::string shakespeare = std::string(XGRAD_SOURCE_DIR) + "/data/tinyshakespeare/input.txt";
    auto [status, out] = run_program(kTokenize, shakespeare + " --train --vocab-size 4096 --out " + tmp / "s.model");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("learned 3839 merges from 1115394 bytes"), std::string::npos) << out;
    std::tie(status, out) = run_program("echo 'To be, or not to be' |", kTokenize + " - --show --tokenizer " + tmp / "s.model");
    EXPECT_EQ(out, "To| be|,| or| not| to| be|\\n\n");
    std::tie(status, out) = run_program(kTokenize, shakespeare + " --train --out " + tmp / "t.model");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("--train needs --vocab-size N"), std::string::npos) << out;
}

}  // namespace
