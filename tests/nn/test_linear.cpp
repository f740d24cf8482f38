// Linear: PyTorch's values, gradcheck, default init, shapes and errors, and its bfloat16 weights for inference.
#include "nn_reference.hpp"

namespace xgrad {
namespace {

using namespace nn;

TEST(Linear, MatchesPyTorch) {
    testing::check_nn_case("linear", [](auto& x, auto&) { return linear(x["x"], x["w"], x["b"]); });
    testing::check_nn_case("linear_3d_nobias", [](auto& x, auto&) { return linear(x["x"], x["w"]); });
}

TEST(Linear, Gradcheck) {
    Generator g(1);
    Tensor x = randn({2, 3, 4}, g).requires_grad_(), w = randn({5, 4}, g).requires_grad_(), b = randn({5}, g).requires_grad_();
    auto r = gradcheck([](auto& v) { return linear(v[0], v[1], v[2]); }, {x, w, b});
    EXPECT_TRUE(r.ok) << r.message;
    r = gradcheck([](auto& v) { return linear(v[0], v[1]); }, {randn({7}, g).requires_grad_(), randn({3, 7}, g).requires_grad_()});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Linear, ModuleHasPyTorchShapesAndInit) {
    Generator g(2);
    Linear fc(100, 30, true, g);
    EXPECT_EQ(fc.weight.shape(), (Shape{30, 100}));
    EXPECT_EQ(fc.bias.shape(), (Shape{30}));
    const float bound = 1.0f / std::sqrt(100.0f);
    float max_abs = 0;
    for (float v : fc.weight.data()) max_abs = std::max(max_abs, std::abs(v));
    EXPECT_LE(max_abs, bound);
    EXPECT_GT(max_abs, 0.9f * bound);  // spread over the whole range
    EXPECT_EQ(fc.to_string(), "Linear(in_features=100, out_features=30, bias=True)");
    EXPECT_EQ(fc.forward(zeros({4, 100})).shape(), (Shape{4, 30}));
    Linear nob(3, 2, false);
    EXPECT_FALSE(nob.bias.defined());
    EXPECT_EQ(nob.parameters().size(), 1u);
}

TEST(Linear, ZeroSizedFeaturesGiveZeroSizedOrZeroGradients) {
    // in_features = 0: y = b for every row; dW is (3, 0), dx is (2, 0), db sums dy.
    Tensor x0 = zeros({2, 0}).requires_grad_(), w0 = zeros({3, 0}).requires_grad_(), b0 = ones({3}).requires_grad_();
    Tensor y0 = linear(x0, w0, b0);
    EXPECT_EQ(y0.shape(), (Shape{2, 3}));
    y0.sum().backward();
    EXPECT_EQ(w0.grad().data().shape(), (Shape{3, 0}));
    EXPECT_EQ(x0.grad().data().shape(), (Shape{2, 0}));
    EXPECT_EQ(b0.grad().data()(0), 2.0f);
    // out_features = 0: y is (2, 0); dx is zeros (2, 3), dW is (0, 3).
    Tensor x1 = ones({2, 3}).requires_grad_(), w1 = zeros({0, 3}).requires_grad_();
    Tensor y1 = linear(x1, w1);
    EXPECT_EQ(y1.shape(), (Shape{2, 0}));
    y1.sum().backward();
    EXPECT_EQ(x1.grad().data().shape(), (Shape{2, 3}));
    EXPECT_EQ(xt::amax(xt::abs(x1.grad().data()))(), 0.0f);
    EXPECT_EQ(w1.grad().data().shape(), (Shape{0, 3}));
}

TEST(Linear, ShapeErrorsNameTheShapes) {
    EXPECT_TRUE(testing::throws_with<ShapeError>([] { linear(zeros({2, 3}), zeros({4, 5})); },
                                                 {"linear", "(2, 3)", "(4, 5)", "in_features = 5"}));
    EXPECT_TRUE(testing::throws_with<ShapeError>([] { linear(zeros({2, 5}), zeros({4, 5}), zeros({3})); },
                                                 {"linear", "bias", "(3)"}));
}

// x·Wᵀ + b with W rounded to bfloat16, computed in float32: what use_bf16 must give, bit for bit.
Tensor rounded_linear(const Linear& fc, const Tensor& x) {
    return linear(x, Tensor(Bf16Matrix(fc.weight.data()).to_float()), fc.bias);
}

TEST(Linear, Bf16WeightsGiveTheFloatProductOfTheRoundedWeights) {
    Generator g(5);
    Linear fc(70, 300, true, g);
    fc.use_bf16();
    ASSERT_TRUE(fc.uses_bf16());
    for (long rows : {1L, 3L}) {  // the matrix-vector kernel, and gemm on widened blocks
        const Tensor x = randn({rows, 70}, g);
        NoGradGuard no_grad;
        const Tensor y = fc.forward(x);
        EXPECT_TRUE(xt::all(xt::equal(y.data(), rounded_linear(fc, x).data()))) << rows << " rows";
        EXPECT_FALSE(xt::all(xt::equal(y.data(), linear(x, fc.weight, fc.bias).data())));  // W itself would differ
        EXPECT_LE(xt::amax(xt::abs(y.data() - linear(x, fc.weight, fc.bias).data()))(), 0.02f);
    }
}

TEST(Linear, Bf16WeightsAreForPassesThatRecordNoGraph) {
    Generator g(6);
    Linear fc(8, 4, true, g);
    fc.use_bf16();
    const Tensor x = randn({2, 8}, g);
    Tensor y = fc.forward(x);  // grad mode: W itself, and a graph to train through
    EXPECT_TRUE(xt::all(xt::equal(y.data(), linear(x, fc.weight, fc.bias).data())));
    y.sum().backward();
    EXPECT_TRUE(fc.weight.has_grad());
    // The functional form refuses a graph it cannot record, naming why.
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { linear(randn({2, 8}, g).requires_grad_(), Bf16Matrix(fc.weight.data())); },
                                                 {"linear", "bfloat16", "NoGradGuard"}));
    EXPECT_TRUE(testing::throws_with<ShapeError>([&] { linear(zeros({2, 5}), Bf16Matrix(fc.weight.data())); },
                                                 {"linear", "(2, 5)", "(4, 8)", "in_features = 8"}));
    fc.use_bf16(false);
    EXPECT_FALSE(fc.uses_bf16());
    NoGradGuard no_grad;
    EXPECT_TRUE(xt::all(xt::equal(fc.forward(x).data(), linear(x, fc.weight, fc.bias).data())));
}

TEST(Linear, Bf16CopyFollowsTheWeightThroughAStepAndAReplacement) {
    Generator g(7);
    Linear fc(16, 16, false, g);
    use_bf16(fc);  // the module-wide form, on the module itself
    const Tensor x = randn({1, 16}, g);
    SGD opt(fc.parameters(), {.lr = 0.5});
    fc.forward(x).sum().backward();
    opt.step();  // W changes in place
    NoGradGuard no_grad;
    EXPECT_TRUE(xt::all(xt::equal(fc.forward(x).data(), rounded_linear(fc, x).data())));
    fc.weight = randn({16, 16}, g);  // W replaced by another tensor
    EXPECT_TRUE(xt::all(xt::equal(fc.forward(x).data(), rounded_linear(fc, x).data())));
}

}  // namespace
}  // namespace xgrad
