// The book's GPTModel (gpt2/model.hpp) and generate() against the book's PyTorch code at the size of its
// ch. 5 test (tests/reference/gpt2/book_small.json, made by make_gpt2_reference.py): logits and loss
// from manual_seed(123), greedy, sampled and eos-stopped generations with and without the KV cache, and
// three AdamW steps with dropout; bfloat16 weights; then the state_dict names, the presets and the errors.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpt2/generate.hpp"
#include "tests/helpers.hpp"

namespace xgrad::gpt2 {
namespace {

using testing::throws_with;

const nlohmann::json& ref() {
    static const nlohmann::json j = [] {
        std::ifstream f(std::string(XGRAD_TEST_DATA) + "/gpt2/book_small.json");
        return nlohmann::json::parse(f);
    }();
    return j;
}

Config small() {
    const auto& c = ref()["config"];
    Config cfg;
    cfg.vocab_size = c["vocab_size"], cfg.context_length = c["context_length"], cfg.emb_dim = c["emb_dim"];
    cfg.n_heads = c["n_heads"], cfg.n_layers = c["n_layers"], cfg.drop_rate = c["drop_rate"], cfg.qkv_bias = c["qkv_bias"];
    return cfg;
}

IdArray ids(const nlohmann::json& rows) {
    IdArray a = IdArray::from_shape({rows.size(), rows[0].size()});
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::size_t j = 0; j < rows[0].size(); ++j) a(i, j) = rows[i][j];
    return a;
}
std::vector<int64_t> row0(const IdArray& a) { return std::vector<int64_t>(a.begin(), a.begin() + long(a.shape()[1])); }
std::vector<int64_t> expected(const char* key) { return ref()[key].get<std::vector<int64_t>>(); }

TEST(Gpt2Model, BookLogitsLossAndGenerationsFromSeed123) {
    manual_seed(123);
    auto model = nn::make<GPTModel>(small());
    model->eval();
    const IdArray idx = ids(ref()["idx"]), targets = ids(ref()["targets"]);
    Tensor logits = model(idx);
    ASSERT_EQ(logits.shape(), (Shape{2, 4, 50257}));
    const auto first8 = ref()["logits_first8"].get<std::vector<double>>();
    for (std::size_t i = 0; i < first8.size(); ++i)
        EXPECT_NEAR(logits.data().data()[(i / 8) * 50257 + i % 8], first8[i], 1e-5) << i;
    double sum = 0.0;
    for (float v : logits.data()) sum += v;
    EXPECT_NEAR(sum, ref()["logits_sum"].get<double>(), 1e-2);
    EXPECT_NEAR(loss(logits, targets).item(), ref()["loss"].get<double>(), 1e-5);

    const IdArray prompt = slice(idx, 0, 0, 1);
    for (bool cached : {false, true}) {
        SCOPED_TRACE(cached ? "KV cache" : "uncached");
        GenerateOptions greedy{.max_new_tokens = 15, .use_cache = cached};
        EXPECT_EQ(row0(generate(*model, prompt, greedy)), expected("greedy"));  // the window slides past 12
        GenerateOptions sample{.max_new_tokens = 15, .temperature = 1.4, .top_k = 25, .use_cache = cached};
        manual_seed(123);
        EXPECT_EQ(row0(generate(*model, prompt, sample)), expected("sampled"));
        sample.eos_id = ref()["eos_id"].get<int64_t>();
        manual_seed(123);
        EXPECT_EQ(row0(generate(*model, prompt, sample)), expected("eos"));
    }

    model->train();  // ch. 5's AdamW(lr 4e-4, weight_decay 0.1) with dropout 0.1, continuing the generator
    nn::AdamW opt(model->parameters(), {.lr = 0.0004, .weight_decay = 0.1});
    const auto losses = ref()["train_losses"].get<std::vector<double>>();
    for (double want : losses) {
        opt.zero_grad();
        Tensor l = loss(model(idx), targets);
        l.backward();
        opt.step();
        EXPECT_NEAR(l.item(), want, 2e-5);
    }
}

TEST(Gpt2Model, StreamsTokensAndStopsAtEos) {
    manual_seed(1);
    auto model = nn::make<GPTModel>(small());
    model->eval();
    std::vector<int64_t> streamed;
    GenerateOptions o{.max_new_tokens = 5, .on_token = [&](const IdArray& next) { streamed.push_back(next(0)); }};
    IdArray out = generate(*model, full_ids({1, 3}, 11), o);
    EXPECT_EQ(streamed, std::vector<int64_t>(out.begin() + 3, out.end()));
    o.eos_id = streamed[0];  // greedy: the first new token is eos, nothing is appended
    EXPECT_EQ(generate(*model, full_ids({1, 3}, 11), o).shape()[1], 3u);
}

TEST(Gpt2Model, Bf16WeightsGenerateAsTheModelWithRoundedWeights) {
    // use_bf16 on every Linear (6 a block and the head) against a twin whose Linear weights are rounded to
    // bfloat16 and kept in float32: the same logits, bit for bit, and the same ids, cached or not.
    manual_seed(123);
    auto model = nn::make<GPTModel>(small());
    manual_seed(123);
    auto rounded = nn::make<GPTModel>(small());
    model->eval(), rounded->eval();
    EXPECT_EQ(nn::use_bf16(*model), std::size_t(6 * small().n_layers + 1));
    rounded->apply([](nn::Module& m) {
        if (auto* l = m.as<nn::Linear>()) l->weight.mutable_data() = Bf16Matrix(l->weight.data()).to_float();
    });
    const IdArray idx = ids(ref()["idx"]);
    {
        NoGradGuard no_grad;
        EXPECT_TRUE(xt::all(xt::equal(model(idx).data(), rounded(idx).data())));
    }
    const IdArray prompt = slice(idx, 0, 0, 1);
    const IdArray want = generate(*rounded, prompt, {.max_new_tokens = 15, .use_cache = false});
    EXPECT_EQ(row0(generate(*model, prompt, {.max_new_tokens = 15, .use_cache = false})), row0(want));
    EXPECT_EQ(row0(generate(*model, prompt, {.max_new_tokens = 15})), row0(want));  // the window slides past 12
}

TEST(Gpt2Model, StateDictNamesArePresetsAreTheBooks) {
    Config c = small();
    c.vocab_size = 10;
    auto model = nn::make<GPTModel>(c);
    auto sd = model->state_dict();
    for (const char* name : {"tok_emb.weight", "pos_emb.weight", "trf_blocks.1.att.W_query.weight", "trf_blocks.0.att.out_proj.bias",
                             "trf_blocks.0.ff.layers.0.weight", "trf_blocks.0.ff.layers.2.bias", "trf_blocks.0.norm1.scale",
                             "trf_blocks.0.norm2.shift", "final_norm.scale", "out_head.weight"})
        EXPECT_TRUE(sd.count(name)) << name;
    EXPECT_FALSE(sd.count("out_head.bias"));
    EXPECT_FALSE(sd.count("trf_blocks.0.att.W_query.bias"));  // qkv_bias false
    const Config m = Config::named("gpt2-medium (355M)");
    EXPECT_EQ(m.emb_dim, 1024);
    EXPECT_EQ(m.n_layers, 24);
    EXPECT_EQ(m.n_heads, 16);
    EXPECT_EQ(Config::named("1558M").emb_dim, 1600);
}

TEST(Gpt2Model, ErrorsComeBeforeAnyWork) {
    Config c = small();
    c.vocab_size = 100;
    auto model = nn::make<GPTModel>(c);
    EXPECT_TRUE(throws_with<IndexError>([&] { model(full_ids({1, 2}, 100)); }, {"token id 100", "outside the vocabulary [0, 100)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { model(full_ids({1, 13}, 1)); }, {"13 tokens exceed the context length 12"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { generate(*model, full_ids({1, 2}, 1), {.max_new_tokens = 1, .top_k = 0}); },
                                        {"top_k = 0 must be ≥ 1"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { generate(*model, full_ids({1, 2}, 1), {.temperature = -1}); }, {"temperature = -1"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { generate(*model, full_ids({1, 2}, 1), {.top_p = 0.0}); }, {"top_p = 0"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { generate(*model, full_ids({1, 2}, 1), {.eos_id = 100}); }, {"eos_id = 100"}));
    EXPECT_TRUE(throws_with<ValueError>([] { Config::named("gpt3"); }, {"unknown model \"gpt3\""}));
    c.n_heads = 5;
    EXPECT_TRUE(throws_with<ValueError>([&] { GPTModel bad(c); }, {"emb_dim = 32 is not a multiple of n_heads = 5"}));
}

}  // namespace
}  // namespace xgrad::gpt2
