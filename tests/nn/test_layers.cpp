// The layers after the embedding lecture: gelu, silu, layer_norm, BatchNorm1d against PyTorch
// (tests/reference/layers.txt), gradcheck, Dropout's train/eval and seeding, nn::init, and errors.
#include "helpers.hpp"
#include "reference_file.hpp"

namespace xgrad {
namespace {

using namespace nn;
using testing::RefIds;
using testing::RefInputs;
using testing::throws_with;

const std::map<std::string, testing::RefCase>& cases() { return testing::reference_cases("layers.txt"); }
void check(const std::string& name, const std::function<Tensor(RefInputs&, const RefIds&)>& fn) {
    testing::check_case(cases(), name, fn);
}

TEST(LayersReference, ActivationsAndLayerNorm) {
    check("gelu", [](RefInputs& x, const RefIds&) { return gelu(x["x"]); });
    check("gelu_tanh", [](RefInputs& x, const RefIds&) { return gelu(x["x"], "tanh"); });
    check("silu", [](RefInputs& x, const RefIds&) { return silu(x["x"]); });
    check("layer_norm_affine", [](RefInputs& x, const RefIds&) { return layer_norm(x["x"], {8}, x["w"], x["b"]); });
    check("layer_norm_2d_plain", [](RefInputs& x, const RefIds&) { return layer_norm(x["x"], {3, 4}); });
    // Over one element x - mean is exactly 0 and y = bias; PyTorch's float statistics leave a rounding
    // residue of about |x|·6e-8 that rstd = 1/√eps ≈ 316 and |w| ≈ 2 magnify to ~5e-5, hence 1e-4 here.
    testing::check_case(
        cases(), "layer_norm_size1", [](RefInputs& x, const RefIds&) { return layer_norm(x["x"], {1}, x["w"], x["b"]); },
        nullptr, 1e-4, 1e-4);
    check("layer_norm_empty", [](RefInputs& x, const RefIds&) { return layer_norm(x["x"], {5}); });
}

TEST(LayersReference, BatchNorm1dTrainAndEvalWithRunningStatistics) {
    for (const std::string name : {"batch_norm_train_2d", "batch_norm_train_3d", "batch_norm_eval"}) {
        const auto& c = cases().at(name);
        auto bn = make<BatchNorm1d>(c.in.at("x").shape()[1]);
        {
            NoGradGuard g;  // the reference's starting statistics: linspace(-0.5, 0.5) and linspace(0.5, 2)
            const std::size_t C = bn->num_features;
            for (std::size_t i = 0; i < C; ++i) {
                bn->running_mean.mutable_data()(i) = -0.5f + static_cast<float>(i) / static_cast<float>(C - 1);
                bn->running_var.mutable_data()(i) = 0.5f + 1.5f * static_cast<float>(i) / static_cast<float>(C - 1);
            }
        }
        if (name == "batch_norm_eval") bn->eval();
        testing::check_case(cases(), name, [&](RefInputs& x, const RefIds&) { return bn(x["x"]); });
        EXPECT_TRUE(testing::all_close(bn->running_mean, c.after.at("running_mean"), 1e-5, 1e-5)) << name;
        EXPECT_TRUE(testing::all_close(bn->running_var, c.after.at("running_var"), 1e-5, 1e-5)) << name;
    }
}

TEST(Layers, Gradcheck) {
    Generator g(9);
    auto leaf = [&](const Shape& s) { return Tensor(randn(s, g).data(), true); };
    auto ok = [](const GradcheckResult& r) { return r.ok ? ::testing::AssertionSuccess() : ::testing::AssertionFailure() << r.message; };
    EXPECT_TRUE(ok(gradcheck([](auto& v) { return gelu(v[0]); }, {leaf({2, 5})})));
    EXPECT_TRUE(ok(gradcheck([](auto& v) { return gelu(v[0], "tanh"); }, {leaf({2, 5})})));
    EXPECT_TRUE(ok(gradcheck([](auto& v) { return silu(v[0]); }, {leaf({7})})));
    EXPECT_TRUE(ok(gradcheck([](auto& v) { return layer_norm(v[0], {6}, v[1], v[2]); }, {leaf({3, 6}), leaf({6}), leaf({6})})));
    EXPECT_TRUE(ok(gradcheck([](auto& v) { return dropout(v[0], 0.3, true, *std::make_unique<Generator>(4)); }, {leaf({4, 4})})));
    auto bn = make<BatchNorm1d>(3);
    EXPECT_TRUE(ok(gradcheck([&](auto& v) { return bn(v[0]); }, {leaf({5, 3, 2})})));
}

TEST(Layers, ModulesHavePyTorchsNamesParametersAndRepr) {
    auto ln = make<LayerNorm>(64);
    EXPECT_EQ(ln->to_string(), "LayerNorm((64,), eps=1e-05, elementwise_affine=True)");
    EXPECT_EQ(ln->named_parameters().size(), 2u);
    EXPECT_EQ(ln(zeros({2, 3, 64})).shape(), (Shape{2, 3, 64}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { ln(zeros({2, 32})); }, {"layer_norm", "(64)", "(2, 32)"}));
    EXPECT_EQ(make<LayerNorm>(8, 1e-5, false)->parameters().size(), 0u);
    auto bn = make<BatchNorm1d>(4);
    auto sd = bn->state_dict();
    for (const char* k : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}) EXPECT_EQ(sd.count(k), 1u) << k;
    EXPECT_TRUE(throws_with<ShapeError>([&] { bn(zeros({2, 3})); }, {"BatchNorm1d(4)", "(2, 3)"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { bn(zeros({1, 4})); }, {"more than 1 value per channel"}));
    EXPECT_EQ(make<GELU>("tanh")->to_string(), "GELU(approximate='tanh')");
    EXPECT_TRUE(throws_with<ValueError>([] { GELU("fast"); }, {"GELU", "\"fast\""}));
    EXPECT_TRUE(throws_with<ValueError>([] { gelu(zeros({1}), "erf"); }, {"gelu", "\"erf\""}));
    // The makemore MLP as a Sequential of the new layers
    auto mlp = make<Sequential>(make<Linear>(30, 200), make<BatchNorm1d>(200), make<Tanh>(), make<Dropout>(0.1),
                                make<Linear>(200, 27), make<ReLU>(), make<GELU>(), make<SiLU>(), make<Sigmoid>());
    EXPECT_EQ(mlp(randn({32, 30})).shape(), (Shape{32, 27}));
    EXPECT_EQ(mlp->ptr<BatchNorm1d>(1)->num_features, 200u);
}

TEST(Layers, DropoutIsSeededActiveInTrainAndTheIdentityInEval) {
    Generator g1(11), g2(11);
    auto d1 = make<Dropout>(0.25, g1), d2 = make<Dropout>(0.25, g2);
    const Tensor x = ones({100, 100});
    const Tensor a = d1(x), b = d2(x);
    EXPECT_TRUE(testing::all_equal(a.data(), b.data()));  // same seed, same mask
    std::size_t zeros_seen = 0;
    for (float v : a.data()) {
        ASSERT_TRUE(v == 0.0f || std::abs(v - 1.0f / 0.75f) < 1e-6f) << v;
        zeros_seen += v == 0.0f;
    }
    EXPECT_NEAR(zeros_seen / 10000.0, 0.25, 0.02);  // > 4 standard deviations
    d1->eval();
    EXPECT_TRUE(testing::all_equal(d1(x).data(), x.data()));
    EXPECT_TRUE(testing::all_equal(dropout(x, 1.0).data(), zeros({100, 100}).data()));  // p = 1: all dropped, as PyTorch
    EXPECT_TRUE(throws_with<ValueError>([] { Dropout(1.5); }, {"Dropout", "p = 1.5", "[0, 1]"}));
    EXPECT_TRUE(throws_with<ValueError>([] { Dropout(-0.1); }, {"p = -0.1"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { dropout(x, NAN); }, {"dropout", "nan"}));
}

TEST(Layers, InitFollowsPyTorchsFormulas) {
    Generator g(1);
    auto stats = [](const Tensor& t) {
        double m = 0, s = 0, mx = 0;
        for (float v : t.data()) m += v, mx = std::max(mx, std::abs(double(v)));
        m /= t.numel();
        for (float v : t.data()) s += (v - m) * (v - m);
        return std::make_tuple(m, std::sqrt(s / t.numel()), mx);
    };
    Tensor w = zeros({300, 200});
    init::kaiming_uniform_(w, 0.0, "fan_in", "leaky_relu", g);  // bound √2·√(3/200)
    auto [m1, s1, b1] = stats(w);
    EXPECT_LE(b1, std::sqrt(6.0 / 200));
    EXPECT_NEAR(s1, std::sqrt(6.0 / 200) / std::sqrt(3.0), 0.003);
    init::xavier_uniform_(w, 1.0, g);  // bound √(6/500)
    auto [m2, s2, b2] = stats(w);
    EXPECT_LE(b2, std::sqrt(6.0 / 500));
    EXPECT_GT(b2, 0.99 * std::sqrt(6.0 / 500));
    init::normal_(w, 0.5, 0.02, g);
    auto [m3, s3, b3] = stats(w);
    EXPECT_NEAR(m3, 0.5, 0.001);
    EXPECT_NEAR(s3, 0.02, 0.0005);
    init::zeros_(w);
    EXPECT_EQ(std::get<2>(stats(w)), 0.0);
    EXPECT_NEAR(init::calculate_gain("tanh"), 5.0 / 3.0, 1e-12);
    EXPECT_TRUE(throws_with<ShapeError>([&] { init::xavier_uniform_(zeros({5})); }, {"xavier_uniform_", "(5)"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { init::kaiming_uniform_(w, 0, "fan_middle"); }, {"fan_middle"}));
    // custom initialisation of a whole model through apply, as GPT-2's normal(0, 0.02)
    auto mlp = make<Sequential>(make<Linear>(4, 8), make<Tanh>(), make<Linear>(8, 2));
    mlp->apply([&](Module& m) {
        if (auto* l = m.as<Linear>()) {
            init::normal_(l->weight, 0.0, 0.02, g);
            init::zeros_(l->bias);
        }
    });
    EXPECT_EQ(std::get<2>(stats(mlp->ptr<Linear>(2)->bias)), 0.0);
    EXPECT_LT(std::get<2>(stats(mlp->ptr<Linear>(0)->weight)), 0.1);
}

// The example of a user's layer in the README and docs/api.md: one head of causal self-attention.
struct Head : Module {                               // one head of causal self-attention
    Ptr<Linear> key, query, value;
    Tensor& tril;                                    // a buffer: in the state_dict, never trained
    Head(int C, int hs, int T)
        : key(register_module("key", make<Linear>(C, hs, false))),
          query(register_module("query", make<Linear>(C, hs, false))),
          value(register_module("value", make<Linear>(C, hs, false))),
          tril(register_buffer("tril", xgrad::tril(ones({std::size_t(T), std::size_t(T)})))) {}
    Tensor forward(const Tensor& x) const {          // x (B, T, C) → (B, T, hs)
        const long T = long(x.shape()[1]);
        Tensor w = matmul(query(x), transpose(key(x), -2, -1)) * (1.0f / std::sqrt(float(key->out_features)));
        w = masked_fill(w, eq(index(tril, {Slice(None, T), Slice(None, T)}), 0.0f), -INFINITY);
        return matmul(softmax(w, -1), value(x));
    }
};

TEST(Layers, TheReadmesAttentionHeadIsCausalAndGradchecks) {
    manual_seed(2);
    auto head = make<Head>(8, 4, 6);
    EXPECT_EQ(head->type_name(), "Head");
    EXPECT_EQ(head->state_dict().count("tril"), 1u);
    EXPECT_EQ(head->parameters().size(), 3u);
    Tensor x = randn({2, 5, 8});  // T = 5 < block 6: the mask is sliced to (5, 5)
    Tensor y = head(x);
    ASSERT_EQ(y.shape(), (Shape{2, 5, 4}));
    // causal: changing the last position changes no earlier output
    Tensor x2 = Tensor(x.data());
    x2.mutable_data()(1, 4, 3) += 5.0f;
    Tensor y2 = head(x2);
    for (std::size_t t = 0; t < 4; ++t)
        for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(y(1, t, j), y2(1, t, j)) << t;
    EXPECT_NE(y(1, 4, 0), y2(1, 4, 0));
    const auto r = gradcheck([&](const std::vector<Tensor>& v) { return head(v[0]); }, {Tensor(x.data(), true)});
    EXPECT_TRUE(r.ok) << r.message;
}

// A braced Sequential builds its modules left to right, as PyTorch's nn.Sequential(...) after the same seed:
// its weights are those of the modules built one after the other (a function's arguments would not be).
TEST(Layers, BracedSequentialBuildsInTheWrittenOrder) {
    manual_seed(5);
    auto seq = make<Sequential>({make<Linear>(2, 3), make<Tanh>(), make<Linear>(3, 4)});
    manual_seed(5);
    auto first = make<Linear>(2, 3);
    auto second = make<Linear>(3, 4);
    EXPECT_TRUE(testing::all_close(seq->ptr<Linear>(0)->weight, first->weight.data(), 0, 0));
    EXPECT_TRUE(testing::all_close(seq->ptr<Linear>(2)->bias, second->bias.data(), 0, 0));
    EXPECT_EQ(seq->size(), 3u);
    EXPECT_EQ(seq->named_parameters()[2].first, "2.weight");
}

}  // namespace
}  // namespace xgrad
