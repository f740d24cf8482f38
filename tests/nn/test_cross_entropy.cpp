// cross_entropy / CrossEntropyLoss: PyTorch's values for every option, gradcheck, stability, errors.
#include <cmath>

#include "nn_reference.hpp"

namespace xgrad {
namespace {

using namespace nn;

Tensor class_weight() { return Tensor(testing::nn_case("ce_class_weight").in.at("w")); }

TEST(CrossEntropy, MatchesPyTorchForEveryOption) {
    const Tensor w = class_weight();
    const std::vector<std::pair<const char*, CrossEntropyOptions>> cases = {
        {"ce_mean", {}},
        {"ce_sum", {.reduction = Reduction::Sum}},
        {"ce_none", {.reduction = Reduction::None}},
        {"ce_weight", {.weight = w}},
        {"ce_ignore", {}},
        {"ce_smoothing", {.label_smoothing = 0.1}},
        {"ce_all_options", {.weight = w, .label_smoothing = 0.2}},
        {"ce_all_options_none", {.weight = w, .reduction = Reduction::None, .label_smoothing = 0.2}},
        {"ce_1d", {}},
        {"ce_nd", {}},
        {"ce_nd_none", {.reduction = Reduction::None}},
    };
    for (const auto& [name, o] : cases)
        testing::check_nn_case(name, [&o = o](auto& x, auto& c) { return cross_entropy(x["x"], c.ids.at("t"), o); });
    const std::vector<std::pair<const char*, CrossEntropyOptions>> prob_cases = {
        {"ce_probs", {}}, {"ce_probs_weight_smooth", {.weight = w, .label_smoothing = 0.1}}, {"ce_probs_sum", {.reduction = Reduction::Sum}}};
    for (const auto& [name, o] : prob_cases)
        testing::check_nn_case(name, [&o = o](auto& x, auto&) { return cross_entropy(x["x"], x["p"], o); });
}

TEST(CrossEntropy, AllIgnoredBatchGivesNanLikePyTorch) {
    const auto& c = testing::nn_case("ce_all_ignored");
    ASSERT_TRUE(std::isnan(c.scalar.at("loss")));
    Tensor x(c.in.at("x"), true);
    Tensor loss = cross_entropy(x, IdArray{-100, -100});
    EXPECT_TRUE(std::isnan(loss.item()));
    loss.backward();  // and the gradient is zero, not nan
    for (float g : x.grad().data()) EXPECT_EQ(g, 0.0f);
    EXPECT_EQ(cross_entropy(x, IdArray{-100, -100}, {.reduction = Reduction::Sum}).item(), 0.0f);
}

TEST(CrossEntropy, Gradcheck) {
    Generator g(8);
    const Tensor w = uniform({5}, 0.5f, 1.5f, g);
    const IdArray t = {0, 4, -100, 2};
    for (CrossEntropyOptions o : {CrossEntropyOptions{}, CrossEntropyOptions{.weight = w, .label_smoothing = 0.3},
                                  CrossEntropyOptions{.reduction = Reduction::None, .label_smoothing = 0.1},
                                  CrossEntropyOptions{.weight = w, .reduction = Reduction::Sum}}) {
        auto r = gradcheck([&](auto& v) { return cross_entropy(v[0], t, o); }, {randn({4, 5}, g).requires_grad_()});
        EXPECT_TRUE(r.ok) << r.message;
        const Tensor probs = softmax(randn({4, 5}, g), 1);
        r = gradcheck([&](auto& v) { return cross_entropy(v[0], probs, o); }, {randn({4, 5}, g).requires_grad_()});
        EXPECT_TRUE(r.ok) << r.message;
    }
    auto r = gradcheck([](auto& v) { return cross_entropy(v[0], IdArray{{1, 0}, {2, 2}}); }, {randn({2, 3, 2}, g).requires_grad_()});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(CrossEntropy, EqualsLogSoftmaxPickedAndIsStableForHugeLogits) {
    Tensor x = tensor({{1000, 1001, 999}, {-1000, -1002, -1001}});
    const float loss = cross_entropy(x, IdArray{1, 0}).item();
    // by hand: row 0 picks the max: -log(e/(1+e+e^-1))... computed from the shifted logits
    const double l0 = std::log(std::exp(-1.0) + 1 + std::exp(-2.0)), l1 = std::log(1 + std::exp(-2.0) + std::exp(-1.0));
    EXPECT_NEAR(loss, (l0 + l1) / 2, 1e-4);  // float32 resolution at 1000 is 6e-5, in PyTorch too
    Tensor y = tensor({{0.5f, -1, 2}, {0, 0.25f, -0.5f}});
    const float direct = -sum(log_softmax(y, 1) * one_hot(IdArray{2, 1}, 3)).item() / 2;
    EXPECT_NEAR(cross_entropy(y, IdArray{2, 1}).item(), direct, 1e-6);
}

TEST(CrossEntropy, ModuleAndErrors) {
    CrossEntropyLoss loss({.ignore_index = 0, .label_smoothing = 0.1});
    EXPECT_EQ(loss.to_string(), "CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)");
    EXPECT_NEAR(loss(zeros({2, 4}), IdArray{1, 3}).item(), std::log(4.0), 1e-6);
    EXPECT_TRUE(testing::throws_with<IndexError>([] { cross_entropy(zeros({3, 4}), IdArray{0, 4, 1}); },
                                                 {"cross_entropy", "target 4", "position (1)", "[0, 4)"}));
    EXPECT_TRUE(testing::throws_with<IndexError>([] { cross_entropy(zeros({3, 4}), IdArray{0, -1, 1}); }, {"target -1"}));
    EXPECT_TRUE(testing::throws_with<ShapeError>([] { cross_entropy(zeros({3, 4}), IdArray{0, 1}); },
                                                 {"cross_entropy", "(3, 4)", "(3)", "(2)"}));
    EXPECT_TRUE(testing::throws_with<ShapeError>([] { cross_entropy(zeros({3, 4}), zeros({3, 5})); }, {"probability targets"}));
    EXPECT_TRUE(testing::throws_with<ShapeError>([] { cross_entropy(zeros({3, 4}), IdArray{0, 1, 2}, {.weight = ones({3})}); },
                                                 {"weight", "(3)", "4 classes"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([] { cross_entropy(zeros({1, 2}), IdArray{0}, {.label_smoothing = 1.5}); },
                                                 {"label_smoothing"}));
}

// The backward writes the gradient into the saved softmax's buffer; with retain_graph a second
// backward must still give the same gradient (it recomputes the softmax), so the grads add up to 2×.
TEST(CrossEntropy, SecondBackwardWithRetainGraphGivesTheSameGradient) {
    Tensor x = tensor({{1.0f, -2.0f, 0.5f}, {0.0f, 3.0f, -1.0f}}).requires_grad_();
    const IdArray y = {2, 1};
    Tensor loss = nn::cross_entropy(x, y);
    loss.backward({.retain_graph = true});
    const Array once = x.grad().data();
    loss.backward();
    EXPECT_TRUE(testing::all_close(x.grad().data(), Array(once * 2.0f), 1e-7));
}

}  // namespace
}  // namespace xgrad
