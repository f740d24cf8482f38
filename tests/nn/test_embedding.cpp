// Embedding: PyTorch's values for every option, the lecture identity (embedding == one-hot · Wᵀ for
// outputs and weight gradients), padding rows that never move, sparse == dense, clear id errors.
#include "nn_reference.hpp"

namespace xgrad {
namespace {

using namespace nn;
using testing::all_close;

TEST(Embedding, MatchesPyTorchForEveryOption) {
    testing::check_nn_case("embedding", [](auto& x, auto& c) { return embedding(c.ids.at("ids"), x["w"]); });
    testing::check_nn_case("embedding_padding",
                           [](auto& x, auto& c) { return embedding(c.ids.at("ids"), x["w"], {.padding_idx = 1}); });
    testing::check_nn_case("embedding_scale_freq",
                           [](auto& x, auto& c) { return embedding(c.ids.at("ids"), x["w"], {.scale_grad_by_freq = true}); });
    for (auto [name, max_norm, p] : {std::tuple{"embedding_max_norm", 1.0, 2.0}, std::tuple{"embedding_max_norm_p1", 1.5, 1.0}}) {
        auto leaves = testing::check_nn_case(name, [&, m = max_norm, p = p](auto& x, auto& c) {
            return embedding(c.ids.at("ids"), x["w"], {.max_norm = m, .norm_type = p});
        });
        EXPECT_TRUE(all_close(leaves["w"].data(), testing::nn_case(name).after.at("w"), 1e-6, 1e-5)) << name << ": renormed weight";
    }
}

TEST(Embedding, SparseGradientEqualsDense) {
    const auto& c = testing::nn_case("embedding_scale_freq");
    for (bool freq : {false, true}) {
        Tensor wd(c.in.at("w"), true), ws(c.in.at("w"), true);
        embedding(c.ids.at("ids"), wd, {.padding_idx = 0, .scale_grad_by_freq = freq}).backward({.grad = c.dout});
        embedding(c.ids.at("ids"), ws, {.padding_idx = 0, .scale_grad_by_freq = freq, .sparse = true}).backward({.grad = c.dout});
        ASSERT_TRUE(ws.has_sparse_grad());
        EXPECT_EQ(ws.sparse_grad().rows, (std::vector<int64_t>{1, 3}));  // unique, sorted, padding row 0 left out
        EXPECT_TRUE(testing::all_equal(ws.grad().data(), wd.grad().data()));            // densified: bit-identical
    }
}

TEST(Embedding, Gradcheck) {
    Generator g(3);
    const IdArray ids = {{4, 0, 4}, {2, 4, 1}};
    auto r = gradcheck([&](auto& v) { return embedding(ids, v[0]); }, {randn({5, 3}, g).requires_grad_()});
    EXPECT_TRUE(r.ok) << r.message;
    // padding_idx on a row that is not looked up changes nothing for the others
    r = gradcheck([&](auto& v) { return embedding(ids, v[0], {.padding_idx = 3}); }, {randn({5, 3}, g).requires_grad_()});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Embedding, PaddingAndScaleGradByFreqChangeTheGradientAsDocumented) {
    // Neither is the true derivative (PyTorch defines them so): padding rows get 0, and with
    // scale_grad_by_freq each row's gradient is divided by how often its id occurs in the batch.
    Generator g(4);
    const IdArray ids = {{4, 0, 4}, {2, 4, 1}};
    const Array dout = randn({2, 3, 3}, g).data();
    Tensor w0 = randn({5, 3}, g).requires_grad_();
    Tensor w1(w0.data(), true), w2(w0.data(), true);
    embedding(ids, w0).backward({.grad = dout});
    embedding(ids, w1, {.padding_idx = -1}).backward({.grad = dout});
    embedding(ids, w2, {.scale_grad_by_freq = true}).backward({.grad = dout});
    const float count[5] = {1, 1, 1, 0, 3};
    for (std::size_t r = 0; r < 5; ++r)
        for (std::size_t j = 0; j < 3; ++j) {
            EXPECT_EQ(w1.grad().data()(r, j), r == 4 ? 0.0f : w0.grad().data()(r, j));
            EXPECT_NEAR(w2.grad().data()(r, j), count[r] ? w0.grad().data()(r, j) / count[r] : 0.0f, 1e-6);
        }
}

TEST(Embedding, EqualsOneHotLinearForOutputsAndGradients) {
    // The lecture's identity: embedding(ids) == one_hot(ids, V) · Wᵀ with W (D×V) the table transposed.
    Generator g(4);
    const std::size_t V = 7, D = 3;
    const IdArray ids = {2, 3, 1, 3, 6, 0};
    Embedding emb(V, D, {}, g);
    Linear lin(V, D, false);
    lin.weight.mutable_data() = Array(t(emb.weight).data());
    Tensor a = emb.forward(ids);
    Tensor b = lin.forward(one_hot(ids, V));
    EXPECT_TRUE(all_close(a, b.data(), 0, 0));  // exactly
    const Tensor dout = randn({ids.size(), D}, g);
    a.backward({.grad = dout.data()});
    b.backward({.grad = dout.data()});
    EXPECT_TRUE(all_close(emb.weight.grad().data(), t(Tensor(lin.weight.grad().data())).data(), 1e-6, 0));
}

TEST(Embedding, PaddingRowStartsAtZeroGetsZeroGradAndStaysAtZero) {
    // As PyTorch: the rule is in the lookup (zero gradient), so every optimizer leaves a zero padding row
    // at zero — through momentum, Adam's moments and weight decay — and decays a non-zero one as any row.
    Generator g(5);
    Embedding emb(6, 4, {.padding_idx = -2}, g);  // row 4
    EXPECT_EQ(*emb.options.padding_idx, 4);
    EXPECT_EQ(emb.to_string(), "Embedding(6, 4, padding_idx=4)");
    for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(emb.weight(4, j), 0.0f);
    const Array before = emb.weight.data();
    const IdArray ids = {4, 1, 4, 0, 5};
    AdamW opt(emb.parameters(), {.lr = 0.1, .weight_decay = 0.5, .amsgrad = true});
    SGD sgd(emb.parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1});
    for (Optimizer* o : std::initializer_list<Optimizer*>{&opt, &sgd})
        for (int step = 0; step < 20; ++step) {
            o->zero_grad();
            sum(pow(emb.forward(ids), 2)).backward();
            for (std::size_t j = 0; j < 4; ++j) ASSERT_EQ(emb.weight.grad().data()(4, j), 0.0f);
            o->step();
        }
    for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(emb.weight(4, j), 0.0f);
    EXPECT_NE(emb.weight(1, 0), before(1, 0));  // the others did move
    // a padding row set to non-zero values: zero gradient, so AdamW only decays it, p *= 1 - lr * wd
    emb.weight.mutable_data()(4, 1) = 0.5f;
    AdamW decay(emb.parameters(), {.lr = 0.1, .weight_decay = 0.5});
    float expected = 0.5f;
    for (int step = 0; step < 3; ++step) {
        decay.zero_grad();
        sum(pow(emb.forward(ids), 2)).backward();
        decay.step();
        expected *= 1.0f - 0.1f * 0.5f;
    }
    EXPECT_FLOAT_EQ(emb.weight(4, 1), expected);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(Embedding, DeprecatedFrozenRowsAreStillNeverMoved) {
    // Tensor::set_frozen_rows, kept one release: the optimizers still leave those rows (and their state) alone.
    Generator g(5);
    Tensor w = randn({4, 3}, g).requires_grad_();
    w.set_frozen_rows({2});
    const Array before = w.data();
    AdamW opt({w}, {.lr = 0.1, .weight_decay = 0.5});
    for (int step = 0; step < 5; ++step) {
        opt.zero_grad();
        sum(pow(w, 2)).backward();
        opt.step();
    }
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(w(2, j), before(2, j));
    EXPECT_NE(w(1, 0), before(1, 0));
    EXPECT_EQ(w.frozen_rows(), std::vector<int64_t>{2});
}
#pragma GCC diagnostic pop

TEST(Embedding, SparseAndDenseGiveTheSameParametersUnderSGD) {
    Generator g(6);
    const Array init = randn({50, 8}, g).data();
    auto dense = Embedding::from_pretrained(init, false);
    auto sparse = Embedding::from_pretrained(init, false, {.sparse = true});
    SGD a(dense->parameters(), {.lr = 0.5}), b(sparse->parameters(), {.lr = 0.5});
    for (int step = 0; step < 20; ++step) {
        IdArray ids = IdArray::from_shape({16});
        for (auto& i : ids) i = static_cast<int64_t>(g.randint(10));  // repeats
        a.zero_grad();
        b.zero_grad();
        sum(tanh(dense(ids))).backward();
        sum(tanh(sparse(ids))).backward();
        EXPECT_TRUE(sparse->weight.has_sparse_grad());
        a.step();
        b.step();
    }
    EXPECT_TRUE(testing::all_equal(dense->weight.data(), sparse->weight.data()));
}

TEST(Embedding, FromPretrainedFreezeIsExplicit) {
    const Array w = {{1, 2}, {3, 4}};
    auto frozen = Embedding::from_pretrained(w, true);
    auto trained = Embedding::from_pretrained(w, false);
    EXPECT_FALSE(frozen->weight.requires_grad());
    EXPECT_TRUE(trained->weight.requires_grad());
    EXPECT_TRUE(all_close(frozen(IdArray{1}), Array{{3, 4}}));
    EXPECT_THROW(Embedding::from_pretrained(Array{1, 2}, true), ShapeError);
}

TEST(Embedding, IdsOfAnyShapeAndInt32) {
    Embedding emb(10, 3);
    EXPECT_EQ(emb.forward(IdArray{{1, 2}, {3, 4}}).shape(), (Shape{2, 2, 3}));
    const xt::xarray<int32_t> ids32 = {{1, 2, 9}};
    EXPECT_TRUE(all_close(emb.forward(ids32), emb.forward(IdArray{{1, 2, 9}}).data(), 0, 0));
    EXPECT_EQ(emb.forward(IdArray::from_shape({0})).shape(), (Shape{0, 3}));
}

TEST(Embedding, BadIdsGiveOneClearMessageOnEveryPath) {
    Embedding emb(8, 2);
    auto dense = [&] { emb.forward(IdArray{{0, 1}, {8, 2}}); };
    auto sparse = [&] { embedding(IdArray{{0, 1}, {8, 2}}, emb.weight, {.sparse = true}); };
    auto i32 = [&] { emb.forward(xt::xarray<int32_t>{{0, 1}, {8, 2}}); };
    for (auto f : std::vector<std::function<void()>>{dense, sparse, i32})
        EXPECT_TRUE(testing::throws_with<IndexError>(f, {"embedding: id 8 at position (1, 0) is out of range [0, 8)"}));
    EXPECT_TRUE(testing::throws_with<IndexError>([&] { emb.forward(IdArray{-3}); }, {"id -3", "[0, 8)"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([] { Embedding(4, 2, {.padding_idx = 4}); }, {"padding_idx 4"}));
}

TEST(Embedding, BackwardIsBitIdenticalAtAnyThreadCount) {
    Generator g(7);
    Embedding emb(3000, 64, {}, g);
    IdArray ids = IdArray::from_shape({20000});
    for (auto& i : ids) i = static_cast<int64_t>(g.randint(3000));
    const Array dout = randn({20000, 64}, g).data();
    Array grads[2];
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        emb.zero_grad();
        emb.forward(ids).backward({.grad = dout});
        grads[threads - 1] = emb.weight.grad().data();
    }
    set_num_threads(1);
    EXPECT_TRUE(testing::all_equal(grads[0], grads[1]));
}

}  // namespace
}  // namespace xgrad
