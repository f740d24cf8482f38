// Replays the fuzz targets' seed corpora (fuzz/corpus/<target>/) and every input a fuzzer once
// failed on (fuzz/regressions/<target>/) through the same checks the fuzzers run (fuzz/targets.hpp).
// Under the sanitizer build a report fails the test as well.
#include <filesystem>
#include <functional>

#include "helpers.hpp"
#include "targets.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;

void replay(const std::string& target, const std::function<void(const std::string&)>& check) {
    int files = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        const fs::path dir = fs::path(XGRAD_SOURCE_DIR) / "fuzz" / kind / target;
        if (!fs::is_directory(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir)) {
            EXPECT_NO_THROW(check(nn::read_file(e.path().string()))) << e.path();
            ++files;
        }
    }
    EXPECT_GT(files, 0) << "no inputs for " << target;
}

TEST(FuzzRegressions, Safetensors) { replay("safetensors", fuzz::check_safetensors); }
TEST(FuzzRegressions, Npy) { replay("npy", fuzz::check_npy); }
TEST(FuzzRegressions, Corpus) { replay("corpus", fuzz::check_corpus); }
TEST(FuzzRegressions, Checkpoint) { replay("checkpoint", fuzz::check_checkpoint); }
TEST(FuzzRegressions, Wordvec) { replay("wordvec", fuzz::check_wordvec); }
TEST(FuzzRegressions, Tokenizer) { replay("tokenizer", fuzz::check_tokenizer); }

// The inputs that failed, as named cases: each now gets an error that names the problem.
TEST(FuzzRegressions, EachFoundInputNowGetsAClearError) {
    const fs::path dir = fs::path(XGRAD_SOURCE_DIR) / "fuzz" / "regressions";
    auto bytes = [&](const char* name) { return nn::read_file((dir / name).string()); };
    // a number in the JSON header too large for any type (nlohmann::json threw out_of_range)
    EXPECT_TRUE(testing::throws_with<FileError>([&] { nn::parse_safetensors(bytes("safetensors/json_number_overflow"), "f"); },
                                                {"f:", "JSON header", "number overflow"}));
    // 'fortran_order': with nothing after it (std::string::compare threw out_of_range)
    EXPECT_TRUE(testing::throws_with<FileError>([&] { nn::parse_npy(bytes("npy/fortran_order_missing_value"), "f"); },
                                                {"f:", "fortran_order"}));
    // a zero-size shape whose other sizes multiply past 2^63 (xtensor's strides overflowed)
    EXPECT_TRUE(testing::throws_with<FileError>([&] { nn::parse_npy(bytes("npy/zero_size_huge_dims"), "f"); }, {"f:", "too large"}));
    // a generator state with a float seed (converting 1.6e20 to uint64 was undefined behaviour)
    const auto f = nn::parse_safetensors(bytes("checkpoint/rng_float_state"), "ck");
    bigram::Session s;
    bigram::TrainOptions o;
    EXPECT_TRUE(testing::throws_with<FileError>([&] { bigram::load_checkpoint(f, "ck", s, o); }, {"ck:", "rng"}));
    // an optimizer step too large for a long (std::stoll threw out_of_range)
    const auto g = nn::parse_safetensors(bytes("checkpoint/optimizer_step_overflow"), "ck2");
    EXPECT_TRUE(testing::throws_with<FileError>([&] { bigram::load_checkpoint(g, "ck2", s, o); }, {"ck2:", "step", "not a number"}));
    // a word2vec header promising 37,777,777,777 words (the binary loader allocated them first)
    EXPECT_TRUE(testing::throws_with<FileError>([&] { wordvec::parse_vectors(bytes("wordvec/header_promises_too_many_words"), "f", "binary"); },
                                                {"f:", "the header promises 37777777777 words"}));
}

}  // namespace
}  // namespace xgrad
