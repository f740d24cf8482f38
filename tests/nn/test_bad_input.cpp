// Bad input through the library API: ids out of range (int32 and int64, forward and backward paths),
// class targets out of range, all-ignored and zero-size batches, rank-0 tensors, NaN and Inf.
// Each gives an error naming what was wrong, or the number PyTorch gives — never a crash.
#include <cstdint>
#include <limits>

#include "helpers.hpp"

namespace xgrad {
namespace {

using testing::throws_with;

TEST(BadInput, EmbeddingIdsOutOfRangeInt64AndInt32AllPaths) {
    const int64_t huge = std::numeric_limits<int64_t>::max();
    for (bool sparse : {false, true}) {
        nn::Embedding emb(5, 3, {.sparse = sparse});
        for (int64_t bad : {int64_t{-1}, int64_t{5}, huge, std::numeric_limits<int64_t>::min()}) {
            const std::string id = "id " + std::to_string(bad);
            EXPECT_TRUE(throws_with<IndexError>([&] { emb.forward(IdArray{0, bad}); }, {"embedding", id, "position (1)", "[0, 5)"}));
            // padding_idx, max_norm and scale_grad_by_freq take other code paths; the check is the same
            EXPECT_TRUE(throws_with<IndexError>(
                [&] { nn::embedding(IdArray{{1, 2}, {bad, 0}}, emb.weight, {.max_norm = 1.0, .scale_grad_by_freq = true}); },
                {id, "position (1, 0)", "[0, 5)"}));
        }
        EXPECT_TRUE(throws_with<IndexError>([&] { emb.forward(xt::xarray<int32_t>{3, 4, 5}); }, {"id 5", "position (2)", "[0, 5)"}));
        EXPECT_TRUE(throws_with<IndexError>([&] { emb.forward(xt::xarray<int32_t>{-7}); }, {"id -7", "[0, 5)"}));
        // the table and its gradient are untouched by the failed calls
        EXPECT_FALSE(emb.weight.has_grad());
    }
    // the backward path: a graph built with good ids, then the one-hot/linear path with bad ones
    Tensor w = randn({4, 2}).requires_grad_();
    EXPECT_TRUE(throws_with<IndexError>([&] { nn::linear(nn::one_hot(IdArray{4}, 4), t(w)); }, {"one_hot", "id 4", "[0, 4)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { nn::one_hot(IdArray{1}, 0); }, {"one_hot", "id 1", "[0, 0)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { index_select(w, 0, IdArray{huge}); }, {"index_select", "[0, 4)"}));
}

TEST(BadInput, CrossEntropyTargetsOutOfRangeAndIgnored) {
    Tensor logits = randn({3, 4}).requires_grad_();
    EXPECT_TRUE(throws_with<IndexError>([&] { nn::cross_entropy(logits, IdArray{0, 4, 1}); },
                                        {"cross_entropy", "4", "position (1)", "[0, 4)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { nn::cross_entropy(logits, IdArray{0, -2, 1}); }, {"cross_entropy", "-2"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { nn::cross_entropy(logits, IdArray{0, 1}); }, {"cross_entropy", "(3, 4)", "(2)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { nn::cross_entropy(logits, zeros({3, 5})); }, {"cross_entropy", "(3, 5)"}));
    // -100 is ignored, not out of range; all ignored: mean = nan (PyTorch), sum = 0, grads 0
    Tensor all_ignored = nn::cross_entropy(logits, IdArray{-100, -100, -100});
    EXPECT_TRUE(std::isnan(all_ignored.item()));
    Tensor s = nn::cross_entropy(logits, IdArray{-100, -100, -100}, {.reduction = nn::Reduction::Sum});
    EXPECT_EQ(s.item(), 0.0f);
    s.backward();
    EXPECT_TRUE(testing::all_equal(logits.grad().data(), xt::zeros<float>({3, 4})));
    // a class weight vector of the wrong size
    EXPECT_TRUE(throws_with<ShapeError>([&] { nn::cross_entropy(logits, IdArray{0, 1, 2}, {.weight = ones({3})}); },
                                        {"cross_entropy", "weight"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { nn::cross_entropy(logits, IdArray{0, 1, 2}, {.label_smoothing = 1.5}); },
                                        {"label_smoothing", "1.5"}));
}

TEST(BadInput, ZeroSizeBatchRunsThroughTheModel) {
    // A batch of 0 items: shapes (0, ·) all the way, mean loss nan as PyTorch, weight grads zero.
    nn::Embedding emb(6, 3);
    nn::Linear lin(3, 6, false);
    Tensor loss = nn::cross_entropy(lin.forward(emb.forward(IdArray::from_shape({0}))), IdArray::from_shape({0}));
    EXPECT_EQ(loss.dim(), 0u);
    EXPECT_TRUE(std::isnan(loss.item()));
    Tensor sum_loss = nn::cross_entropy(lin.forward(emb.forward(IdArray::from_shape({0}))), IdArray::from_shape({0}),
                                        {.reduction = nn::Reduction::Sum});
    sum_loss.backward();
    EXPECT_TRUE(testing::all_equal(lin.weight.grad().data(), xt::zeros<float>({6, 3})));
    EXPECT_TRUE(testing::all_equal(emb.weight.grad().data(), xt::zeros<float>({6, 3})));
}

TEST(BadInput, RankZeroTensors) {
    Tensor a = tensor(3.0f).requires_grad_(), b = tensor(2.0f).requires_grad_();
    EXPECT_EQ(a.dim(), 0u);
    Tensor y = a * b + exp(a) / b;
    y.backward();
    EXPECT_NEAR(a.grad().data()(), 2 + std::exp(3.0) / 2, 1e-4);
    EXPECT_NEAR(b.grad().data()(), 3 - std::exp(3.0) / 4, 1e-4);
    EXPECT_TRUE(throws_with<ShapeError>([&] { matmul(a, b); }, {"matmul"}));
    EXPECT_EQ(softmax(a, 0).item(), 1.0f);  // PyTorch allows dim 0 and -1 on a rank-0 tensor
    EXPECT_EQ(softmax(a, -1).item(), 1.0f);
    EXPECT_TRUE(throws_with<IndexError>([&] { softmax(a, 1); }, {"softmax", "dim 1"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { ones({2}).item(); }, {"item", "(2)"}));
    EXPECT_EQ(sum(a).dim(), 0u);
    EXPECT_EQ(reshape(a, {1, 1}).shape(), (Shape{1, 1}));
    // backward() needs a scalar or an explicit gradient
    Tensor v = ones({2}).requires_grad_() * 2.0f;
    EXPECT_TRUE(throws_with<ValueError>([&] { v.backward(); }, {"backward", "(2)"}));
}

TEST(BadInput, NanAndInfReachTheLossInsteadOfHidingIt) {
    // A NaN weight or an Inf logit makes the loss non-finite: it is reported, never silently fixed.
    Tensor logits = tensor({{1.0f, 2.0f, 3.0f}, {0.0f, 0.0f, 0.0f}});
    logits.mutable_data()(0, 1) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(std::isnan(nn::cross_entropy(logits, IdArray{0, 1}).item()));
    // +Inf in the target's logit: softmax is nan there (inf - inf), as PyTorch
    Tensor inf_logits = tensor({{std::numeric_limits<float>::infinity(), 0.0f}});
    EXPECT_FALSE(std::isfinite(nn::cross_entropy(inf_logits, IdArray{1}).item()));
    // -Inf logit of a class that is not the target is fine (probability 0; its gradient 0), as PyTorch
    Tensor masked = tensor({{-std::numeric_limits<float>::infinity(), 1.0f, 2.0f}}).requires_grad_();
    Tensor masked_loss = nn::cross_entropy(masked, IdArray{2});
    EXPECT_NEAR(masked_loss.item(), std::log(1 + std::exp(-1.0)), 1e-6);
    masked_loss.backward();
    EXPECT_TRUE(testing::all_close(masked.grad().data(), Array{{0.0f, 0.268941f, -0.268941f}}));
    // with label smoothing the -inf class has target mass: the loss is inf (PyTorch: inf)
    EXPECT_EQ(nn::cross_entropy(masked.detach(), IdArray{2}, {.label_smoothing = 0.1}).item(),
              std::numeric_limits<float>::infinity());
    // a NaN row in an embedding table reaches exactly the items that look it up
    nn::Embedding emb(3, 2);
    emb.weight.mutable_data()(1, 0) = std::numeric_limits<float>::quiet_NaN();
    const Tensor out = emb.forward(IdArray{0, 1, 2});
    EXPECT_TRUE(std::isfinite(out.data()(0, 0)) && std::isnan(out.data()(1, 0)) && std::isfinite(out.data()(2, 0)));
    // large but finite logits stay finite (the max is subtracted)
    EXPECT_NEAR(nn::cross_entropy(tensor({{1e30f, 0.0f}}), IdArray{0}).item(), 0.0, 1e-6);
}

}  // namespace
}  // namespace xgrad
