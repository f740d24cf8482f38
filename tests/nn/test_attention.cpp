// scaled_dot_product_attention and the book's MultiHeadAttention against PyTorch
// (tests/reference/attention.txt, made by make_attention_reference.py), gradcheck, the kernel against its
// scalar reference, the blocked (flash) kernels against the whole-matrix ones, the KV cache against the
// uncached path, and the errors.
#include "helpers.hpp"
#include "reference_file.hpp"
#include "tensor/kernels/attention.hpp"
#include "tensor/kernels/flash_attention.hpp"

namespace xgrad {
namespace {

using namespace nn;
using testing::RefIds;
using testing::RefInputs;
using testing::throws_with;

const std::map<std::string, testing::RefCase>& cases() { return testing::reference_cases("attention.txt"); }

TEST(AttentionReference, ScaledDotProductAttention) {
    auto sdpa = [](bool causal, std::optional<double> scale = std::nullopt) {
        return [=](RefInputs& x, const RefIds&) { return scaled_dot_product_attention(x["q"], x["k"], x["v"], 0.0, causal, scale); };
    };
    testing::check_case(cases(), "sdpa_causal", sdpa(true));
    testing::check_case(cases(), "sdpa_full_scaled", sdpa(false, 0.3));
    testing::check_case(cases(), "sdpa_causal_rect", sdpa(true));  // L < S: top-left aligned, as PyTorch
    testing::check_case(cases(), "sdpa_dropout", [](RefInputs& x, const RefIds&) {
        Generator g(7);  // torch.manual_seed(7) before F.dropout: the same mask over (B, H, L, S)
        return scaled_dot_product_attention(x["q"], x["k"], x["v"], 0.3, true, std::nullopt, g);
    });
}

TEST(AttentionReference, BookMultiHeadAttention) {
    // ch. 3: manual_seed(123), MultiHeadAttention(3, 2, 6, 0.0, num_heads=2) on the 6 × 3 inputs → 0.3190 0.4858 …
    testing::check_case(cases(), "mha_book", [](RefInputs& x, const RefIds&) {
        manual_seed(123);
        auto mha = make<MultiHeadAttention>(3, 2, 6, 0.0, 2);
        mha->eval();
        return mha(x["x"]);
    });
    testing::check_case(cases(), "mha_dropout_bias", [](RefInputs& x, const RefIds&) {
        manual_seed(123);  // init, then the dropout mask, from one generator as in PyTorch
        auto mha = make<MultiHeadAttention>(8, 4, 5, 0.2, 2, /*qkv_bias=*/true);
        return mha(x["x"]);
    });
}

TEST(Attention, StateDictNamesAreTheBooks) {
    auto mha = make<MultiHeadAttention>(8, 4, 5, 0.0, 2, true);
    std::vector<std::string> names;
    for (auto& [name, t] : mha->named_parameters()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"W_query.weight", "W_query.bias", "W_key.weight", "W_key.bias",
                                               "W_value.weight", "W_value.bias", "out_proj.weight", "out_proj.bias"}));
}

TEST(Attention, Gradcheck) {
    Generator g(5);
    auto leaf = [&](const Shape& s) { return Tensor(randn(s, g).data(), true); };
    for (bool causal : {false, true}) {
        GradcheckResult r = gradcheck([&](auto& v) { return scaled_dot_product_attention(v[0], v[1], v[2], 0.0, causal); },
                                      {leaf({2, 4, 3}), leaf({2, 5, 3}), leaf({2, 5, 2})});
        EXPECT_TRUE(r.ok) << r.message;
    }
    GradcheckResult r = gradcheck(
        [&](auto& v) { return scaled_dot_product_attention(v[0], v[1], v[2], 0.4, true, std::nullopt, *std::make_unique<Generator>(3)); },
        {leaf({1, 2, 4, 3}), leaf({1, 2, 4, 3}), leaf({1, 2, 4, 3})});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Attention, KernelEqualsScalarReference) {
    Generator g(2);
    for (std::size_t offset : {0u, 3u}) {
        const std::size_t L = 7, S = L + offset, E = 16, Ev = 9;
        Array Q = randn({L, E}, g).data(), K = randn({S, E}, g).data(), V = randn({S, Ev}, g).data();
        kernels::AttentionDims d{L, S, E, Ev, 0.25f, true, offset};
        std::vector<float> P(L * S), O(L * Ev), Pr(L * S), Or(L * Ev);
        kernels::attention_forward(d, Q.data(), K.data(), E, V.data(), Ev, nullptr, P.data(), O.data(), nullptr);
        kernels::attention_forward_ref(d, Q.data(), K.data(), V.data(), Pr.data(), Or.data());
        for (std::size_t i = 0; i < O.size(); ++i) EXPECT_NEAR(O[i], Or[i], 1e-5) << i;
        for (std::size_t i = 0; i < P.size(); ++i) EXPECT_NEAR(P[i], Pr[i], 1e-6) << i;
    }
}

// Sizes that cross the blocks (64 queries, 256 keys) and end inside one: full, causal square, and causal
// with an offset (a cache), against the kernels that keep the whole L×S matrix.
TEST(Attention, BlockedKernelsEqualTheWholeMatrixOnes) {
    Generator g(4);
    struct Case { std::size_t L, S, offset; bool causal; };
    for (const Case c : {Case{150, 600, 0, false}, Case{300, 300, 0, true}, Case{70, 400, 330, true}, Case{1, 257, 256, true}}) {
        const std::size_t E = 24, Ev = 20;
        Array Q = randn({c.L, E}, g).data(), K = randn({c.S, E}, g).data(), V = randn({c.S, Ev}, g).data();
        Array dO = randn({c.L, Ev}, g).data();
        const kernels::AttentionDims d{c.L, c.S, E, Ev, 0.3f, c.causal, c.offset};
        std::vector<float> P(c.L * c.S), O(c.L * Ev), scratch(2 * c.L * c.S), dQ(c.L * E), dK(c.S * E), dV(c.S * Ev);
        kernels::attention_forward(d, Q.data(), K.data(), E, V.data(), Ev, nullptr, P.data(), O.data(), nullptr);
        kernels::attention_backward(d, Q.data(), K.data(), V.data(), nullptr, P.data(), dO.data(), dQ.data(), dK.data(),
                                    dV.data(), scratch.data());
        std::vector<float> Of(O.size(), NAN), lse(c.L), fs(kernels::kFlashScratch), dQf(dQ.size(), NAN),
            dKf(dK.size(), NAN), dVf(dV.size(), NAN);
        kernels::flash_attention_forward(d, Q.data(), K.data(), E, V.data(), Ev, Of.data(), lse.data(), fs.data());
        kernels::flash_attention_backward(d, Q.data(), K.data(), V.data(), Of.data(), lse.data(), dO.data(), dQf.data(),
                                          dKf.data(), dVf.data(), fs.data());
        const std::string at = fmt::format("L {} S {} offset {} causal {}", c.L, c.S, c.offset, c.causal);
        for (std::size_t i = 0; i < O.size(); ++i) ASSERT_NEAR(Of[i], O[i], 1e-5) << at << " O " << i;
        for (std::size_t i = 0; i < dQ.size(); ++i) ASSERT_NEAR(dQf[i], dQ[i], 2e-5) << at << " dQ " << i;
        for (std::size_t i = 0; i < dK.size(); ++i) ASSERT_NEAR(dKf[i], dK[i], 2e-5) << at << " dK " << i;
        for (std::size_t i = 0; i < dV.size(); ++i) ASSERT_NEAR(dVf[i], dV[i], 2e-5) << at << " dV " << i;
        for (std::size_t i = 0; i < c.L; ++i) {  // lse: log Σ_j e^(scale·q·k_j) over the keys query i sees
            double z = 0.0;
            for (std::size_t j = 0; j < d.visible(i); ++j) {
                double s = 0.0;
                for (std::size_t e = 0; e < E; ++e) s += double(Q.data()[i * E + e]) * K.data()[j * E + e];
                z += std::exp(0.3 * s);
            }
            ASSERT_NEAR(lse[i], std::log(z), 1e-4) << at << " lse " << i;
        }
    }
}

TEST(Attention, KvCacheEqualsTheUncachedPath) {
    manual_seed(1);
    auto mha = make<MultiHeadAttention>(8, 8, 10, 0.1, 2);
    mha->eval();
    Tensor x = randn({2, 9, 8});
    NoGradGuard ng;
    Tensor full = mha(x);
    KVCache cache(10);
    std::vector<Tensor> parts{mha(narrow(x, 1, 0, 4), cache)};  // a prompt of 4, then one at a time
    for (long t = 4; t < 9; ++t) parts.push_back(mha(narrow(x, 1, t, 1), cache));
    EXPECT_EQ(cache.length, 9u);
    EXPECT_TRUE(testing::all_close(cat(parts, 1), full.data(), 1e-5, 1e-5));
    EXPECT_THROW(mha(narrow(x, 1, 0, 2), cache), ShapeError);  // 9 + 2 > 10
    cache.reset();
    EXPECT_TRUE(testing::all_close(mha(x, cache), full.data(), 1e-5, 1e-5));
}

TEST(Attention, ErrorsNameTheShapes) {
    Tensor q = zeros({2, 3, 4}), k = zeros({2, 5, 4}), v = zeros({2, 5, 6});
    EXPECT_TRUE(throws_with<ShapeError>([&] { scaled_dot_product_attention(q, zeros({2, 5, 3}), v); },
                                        {"query (2, 3, 4), key (2, 5, 3), value (2, 5, 6): query width 4 ≠ key width 3"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { scaled_dot_product_attention(q, k, zeros({2, 4, 6})); }, {"5 keys but 4 values"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { scaled_dot_product_attention(zeros({3, 3, 4}), k, v); }, {"batch dims differ"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { scaled_dot_product_attention(q, k, v, 1.5); }, {"dropout_p = 1.5"}));
    EXPECT_TRUE(throws_with<ValueError>([] { MultiHeadAttention(4, 6, 8, 0.0, 4); }, {"d_out = 6 must be a positive multiple of num_heads = 4"}));
    auto mha = make<MultiHeadAttention>(4, 4, 3, 0.0, 2);
    EXPECT_TRUE(throws_with<ShapeError>([&] { mha(zeros({1, 4, 4})); }, {"4 tokens exceed the context length 3"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { mha(zeros({1, 2, 5})); }, {"input (1, 2, 5) is not (batch, tokens, d_in = 4)"}));
}

}  // namespace
}  // namespace xgrad
