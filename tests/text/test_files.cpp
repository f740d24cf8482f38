// Reading tokenizers from files: GPT-2's pair of files, tiktoken's rank files, minbpe's models, and
// every kind of bad file named with its file and line (or byte).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tensor/error.hpp"
#include "tests/text/reference_cases.hpp"
#include "text/tokenizer.hpp"

namespace xgrad::text {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("xgrad_text_" + std::to_string(::getpid()) + "_" +
                                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& contents) const {
        std::ofstream(path / name, std::ios::binary) << contents;
        return (path / name).string();
    }
};

const std::string kGpt2 = std::string(XGRAD_SOURCE_DIR) + "/data/gpt2/";

// The message of the FileError `f` throws, or "" if it throws none.
template <class F>
std::string file_error(F&& f) {
    try {
        f();
    } catch (const FileError& e) {
        return e.what();
    }
    return "";
}

TEST(TokenizerFiles, Gpt2FilesReadDirectly) {
    const Tokenizer tok = Tokenizer::from_gpt2_files(kGpt2 + "encoder.json", kGpt2 + "vocab.bpe");
    EXPECT_EQ(tok.encode("Hello, I am"), (std::vector<Token>{15496, 11, 314, 716}));
    EXPECT_EQ(tok.special_tokens().at("<|endoftext|>"), 50256u);
}

TEST(TokenizerFiles, MissingOrCorruptGpt2FilesAreNamedWithTheLine) {
    TempDir dir;
    const std::string vocab = testing::read_all(kGpt2 + "vocab.bpe");
    const std::string enc = testing::read_all(kGpt2 + "encoder.json");
    EXPECT_NE(file_error([&] { Tokenizer::from_gpt2_files(kGpt2 + "encoder.json", "/no/such/vocab.bpe"); })
                  .find("/no/such/vocab.bpe: cannot open it"), std::string::npos);
    // line 4 with three tokens
    std::string bad = vocab;
    const std::size_t line4 = bad.find('\n', bad.find('\n', bad.find('\n') + 1) + 1) + 1;
    bad.insert(line4, "x y z\n");
    EXPECT_NE(file_error([&] { Tokenizer::from_gpt2_files(kGpt2 + "encoder.json", dir.write("v1.bpe", bad)); })
                  .find("v1.bpe: line 4: expected two tokens and one space between them, got 'x y z'"), std::string::npos);
    // no header
    EXPECT_NE(file_error([&] { Tokenizer::from_gpt2_files(kGpt2 + "encoder.json", dir.write("v2.bpe", "t h\n")); })
                  .find("v2.bpe: line 1"), std::string::npos);
    // a merge repeated: its token is made twice
    EXPECT_NE(file_error([&] { Tokenizer::from_gpt2_files(kGpt2 + "encoder.json", dir.write("v3.bpe", "#version: 0.2\nĠ t\nĠ t\n")); })
                  .find("v3.bpe: line 3: merging 'Ġ t' makes a token an earlier line made"), std::string::npos);
    // encoder.json cut short, and one with another id
    EXPECT_NE(file_error([&] { Tokenizer::from_gpt2_files(dir.write("e1.json", enc.substr(0, 5000)), kGpt2 + "vocab.bpe"); })
                  .find("e1.json: byte "), std::string::npos);
    std::string swapped = enc;
    swapped.replace(swapped.find("\"!\": 0"), 6, "\"!\": 7");
    EXPECT_NE(file_error([&] { Tokenizer::from_gpt2_files(dir.write("e2.json", swapped), kGpt2 + "vocab.bpe"); })
                  .find("e2.json: byte 1: token '!' has id 7, but"), std::string::npos);
    // the vocabulary of a shorter vocab.bpe
    EXPECT_NE(file_error([&] { Tokenizer::from_gpt2_files(kGpt2 + "encoder.json", dir.write("v4.bpe", vocab.substr(0, vocab.find("\n", 1000) + 1))); })
                  .find("gives it no id"), std::string::npos);
}

TEST(TokenizerFiles, TiktokenRankFilesRoundTripGpt2) {
    TempDir dir;
    const Tokenizer gpt2 = Tokenizer::gpt2();
    // write GPT-2's ranks as a .tiktoken file (base64 bytes, rank), read them back
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string file;
    for (Token r = 0; r < gpt2.ranks().end_rank(); ++r) {
        const std::string_view b = gpt2.ranks().bytes(r);
        for (std::size_t i = 0; i < b.size(); i += 3) {
            unsigned w = static_cast<unsigned char>(b[i]) << 16;
            if (i + 1 < b.size()) w |= static_cast<unsigned char>(b[i + 1]) << 8;
            if (i + 2 < b.size()) w |= static_cast<unsigned char>(b[i + 2]);
            file += b64[w >> 18];
            file += b64[(w >> 12) & 63];
            file += i + 1 < b.size() ? b64[(w >> 6) & 63] : '=';
            file += i + 2 < b.size() ? b64[w & 63] : '=';
        }
        file += " " + std::to_string(r) + "\n";
    }
    const Tokenizer tok = Tokenizer::from_tiktoken_file(dir.write("gpt2.tiktoken", file), {{"<|endoftext|>", 50256}});
    const std::string verdict = testing::read_all(kGpt2 + "the-verdict.txt");
    EXPECT_EQ(tok.encode(verdict), gpt2.encode(verdict));
    EXPECT_EQ(tok.n_vocab(), 50257u);
    // bad lines are named
    EXPECT_NE(file_error([&] { Tokenizer::from_tiktoken_file(dir.write("b1.tiktoken", "IQ== 0\nIg== x\n"), {}); })
                  .find("b1.tiktoken: line 2: the rank 'x' is not a non-negative integer"), std::string::npos);
    EXPECT_NE(file_error([&] { Tokenizer::from_tiktoken_file(dir.write("b2.tiktoken", "IQ== 0\n*** 1\n"), {}); })
                  .find("b2.tiktoken: line 2: '***' is not base64"), std::string::npos);
    EXPECT_NE(file_error([&] { Tokenizer::from_tiktoken_file(dir.write("b3.tiktoken", "IQ== 0\nIQ== 1\n"), {}); })
                  .find("b3.tiktoken: line 2: the bytes of rank 1 are those of rank 0 too"), std::string::npos);
    EXPECT_NE(file_error([&] { Tokenizer::from_tiktoken_file(dir.write("b4.tiktoken", "IQ== 0\n"), {}); })
                  .find("not every one of the 256 single bytes is a token"), std::string::npos);
}

}  // namespace
}  // namespace xgrad::text
