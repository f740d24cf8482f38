// The Hugging Face GPT-2 loader (gpt2/hf.hpp) on two small folders in the published layout written by
// make_hf_gpt2_reference.py (float32 with the mask buffers and a tied head; float16 under `transformer.`
// with its own head): the greedy ids and logits of PyTorch's forward of the same weights, with and
// without the KV cache; then each bad folder's error, raised before any weight is read.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpt2/generate.hpp"
#include "gpt2/hf.hpp"
#include "tests/helpers.hpp"

namespace xgrad::gpt2 {
namespace {

namespace fs = std::filesystem;
using testing::throws_with;

const std::string kDir = std::string(XGRAD_TEST_DATA) + "/gpt2/";

const nlohmann::json& expected() {
    static const nlohmann::json j = nlohmann::json::parse(std::ifstream(kDir + "hf_expected.json"));
    return j;
}

IdArray prompt() {
    const auto rows = expected()["prompt"];
    IdArray a = IdArray::from_shape({rows.size(), rows[0].size()});
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
        for (std::size_t j = 0; j < a.shape()[1]; ++j) a(i, j) = rows[i][j];
    return a;
}

TEST(Gpt2Hf, GreedyIdsAndLogitsArePyTorchs) {
    for (const char* folder : {"tiny", "tiny_prefixed"}) {
        SCOPED_TRACE(folder);
        auto model = from_pretrained(kDir + folder);
        EXPECT_EQ(model->cfg.emb_dim, 16);
        EXPECT_TRUE(model->cfg.qkv_bias);
        const auto& want = expected()[folder];
        Tensor logits = select(model(prompt()), 1, -1);  // (2, V)
        const auto first8 = want["logits_last"].get<std::vector<double>>();
        for (std::size_t i = 0; i < first8.size(); ++i)
            EXPECT_NEAR(logits.data()(i / 8, i % 8), first8[i], 1e-4) << i;
        for (bool cached : {false, true}) {
            IdArray out = generate(*model, prompt(), {.max_new_tokens = 14, .use_cache = cached});
            for (std::size_t r = 0; r < 2; ++r)
                EXPECT_EQ(std::vector<int64_t>(out.begin() + long(r * out.shape()[1]), out.begin() + long((r + 1) * out.shape()[1])),
                          want["greedy"][r].get<std::vector<int64_t>>()) << "row " << r << (cached ? ", cached" : "");
        }
    }
}

// A copy of the tiny folder in a scratch directory, for breaking.
struct Scratch {
    fs::path dir = fs::temp_directory_path() / fmt::format("xgrad_hf_{}", ::testing::UnitTest::GetInstance()->random_seed() + getpid());
    Scratch() {
        fs::remove_all(dir);
        fs::create_directories(dir);
        fs::copy(kDir + "tiny", dir, fs::copy_options::recursive);
    }
    ~Scratch() { fs::remove_all(dir); }
    void set_config(const char* key, long value) {
        nlohmann::json c = nlohmann::json::parse(std::ifstream(dir / "config.json"));
        c[key] = value;
        std::ofstream(dir / "config.json") << c.dump();
    }
};

TEST(Gpt2Hf, BadFoldersAreNamedErrors) {
    {
        Scratch s;
        fs::remove(s.dir / "config.json");
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained(s.dir.string()); }, {"config.json: cannot open"}));
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained((s.dir / "nope").string()); }, {"nope: not a folder"}));
    }
    {
        Scratch s;
        fs::resize_file(s.dir / "model.safetensors", fs::file_size(s.dir / "model.safetensors") - 100);
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained(s.dir.string()); }, {"model.safetensors: truncated: tensor", "the file has"}));
    }
    {
        Scratch s;
        s.set_config("n_embd", 32);  // the config of a bigger model over the tiny weights
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained(s.dir.string()); },
                                           {"has shape (", "n_embd 32", "the checkpoint is of another size"}));
    }
    {
        Scratch s;
        s.set_config("n_layer", 1);
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained(s.dir.string()); }, {"unknown tensor h.1."}));
        s.set_config("n_layer", 3);
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained(s.dir.string()); }, {"no tensor h.2.ln_1.weight"}));
        s.set_config("n_head", 5);
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained(s.dir.string()); }, {"config.json: gpt2::Config: emb_dim = 16 is not a multiple of n_heads = 5"}));
    }
    {
        Scratch s;
        std::ofstream(s.dir / "model.safetensors") << std::string("\x10\0\0\0\0\0\0\0{not json!!!!!!}", 24);
        EXPECT_TRUE(throws_with<FileError>([&] { from_pretrained(s.dir.string()); }, {"the safetensors header is not JSON"}));
    }
    Config other;  // a model that is not the folder's
    other.vocab_size = 300, other.context_length = 16, other.emb_dim = 16, other.n_heads = 2, other.n_layers = 2;
    GPTModel m(other);  // qkv_bias false: GPT-2's checkpoints have Q, K, V biases
    EXPECT_TRUE(throws_with<ValueError>([&] { load_hf_weights(m, kDir + "tiny"); }, {"qkv_bias false"}));
}

}  // namespace
}  // namespace xgrad::gpt2
