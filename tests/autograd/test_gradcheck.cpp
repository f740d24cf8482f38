// Finite-difference checks of every op's backward (autograd/gradcheck.hpp), including broadcasting and
// repeated ids, and a check that gradcheck itself catches a wrong backward.
#include "helpers.hpp"

namespace xgrad {
namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor leaf(const Shape& s, uint64_t seed, float lo = -2.0f, float hi = 2.0f) {
    Generator g(seed);
    return uniform(s, lo, hi, g).requires_grad_();
}

void expect_gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, const char* what) {
    const GradcheckResult r = gradcheck(fn, inputs);
    EXPECT_TRUE(r.ok) << what << ": " << r.message;
}

TEST(Gradcheck, BinaryOpsWithBroadcasting) {
    const std::vector<std::pair<Shape, Shape>> shapes = {{{3, 4}, {3, 4}}, {{2, 3, 4}, {3, 1}}, {{4}, {3, 1}}, {{2, 1, 4}, {1, 3, 1}}, {{}, {2, 3}}};
    for (const auto& [sa, sb] : shapes) {
        Tensor a = leaf(sa, 1), b = leaf(sb, 2);
        Tensor bpos = leaf(sb, 3, 0.5f, 2.0f);
        expect_gradcheck([](auto& x) { return x[0] + x[1]; }, {a, b}, "add");
        expect_gradcheck([](auto& x) { return x[0] - x[1]; }, {a, b}, "sub");
        expect_gradcheck([](auto& x) { return x[0] * x[1]; }, {a, b}, "mul");
        expect_gradcheck([](auto& x) { return x[0] / x[1]; }, {a, bpos}, "div");
    }
}

TEST(Gradcheck, UnaryAndScalarOps) {
    Tensor x = leaf({3, 5}, 4);
    Tensor pos = leaf({3, 5}, 5, 0.5f, 2.0f);
    expect_gradcheck([](auto& v) { return -v[0]; }, {x}, "neg");
    expect_gradcheck([](auto& v) { return v[0] + 1.5f; }, {x}, "add scalar");
    expect_gradcheck([](auto& v) { return 3.0f - v[0]; }, {x}, "rsub scalar");
    expect_gradcheck([](auto& v) { return v[0] * -2.0f; }, {x}, "mul scalar");
    expect_gradcheck([](auto& v) { return v[0] / 3.0f; }, {x}, "div scalar");
    expect_gradcheck([](auto& v) { return 2.0f / v[0]; }, {pos}, "rdiv");
    expect_gradcheck([](auto& v) { return pow(v[0], 3.0f); }, {x}, "pow 3");
    expect_gradcheck([](auto& v) { return pow(v[0], -1.5f); }, {pos}, "pow -1.5");
    expect_gradcheck([](auto& v) { return exp(v[0]); }, {x}, "exp");
    expect_gradcheck([](auto& v) { return log(v[0]); }, {pos}, "log");
    expect_gradcheck([](auto& v) { return tanh(v[0]); }, {x}, "tanh");
    expect_gradcheck([](auto& v) { return sigmoid(v[0]); }, {x}, "sigmoid");
    expect_gradcheck([](auto& v) { return clone(v[0]); }, {x}, "clone");
    // relu: keep the points away from the kink at 0, where the derivative does not exist
    Tensor away = Tensor(xt::xarray<float>{{-1.5f, -0.7f, 0.3f}, {0.9f, -0.2f, 1.7f}}, true);
    expect_gradcheck([](auto& v) { return relu(v[0]); }, {away}, "relu");
}

TEST(Gradcheck, Matmul) {
    const std::vector<std::pair<Shape, Shape>> shapes = {
        {{5, 7}, {7, 3}}, {{1, 9}, {9, 17}}, {{2, 3, 4}, {4, 2}}, {{2, 1, 3, 4}, {5, 4, 2}}, {{4}, {4, 3}},
        {{3, 4}, {4}}, {{6}, {6}}, {{2, 3, 4}, {4}}};
    for (const auto& [sa, sb] : shapes) {
        SCOPED_TRACE(shape_str(sa) + " x " + shape_str(sb));
        expect_gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {leaf(sa, 6), leaf(sb, 7)}, "matmul");
    }
}

TEST(Gradcheck, Vecdot) {
    // the fused path (last dim, leading dims broadcast either way) and sum(x * y) (a middle dim, a broadcast D)
    const std::vector<std::tuple<Shape, Shape, int>> cases = {
        {{3, 4, 5}, {3, 1, 5}, -1}, {{2, 1, 3}, {4, 3}, -1}, {{7}, {7}, 0}, {{2, 3, 4}, {2, 3, 1}, 1}, {{2, 3}, {1}, -1}};
    for (const auto& [sa, sb, dim] : cases) {
        SCOPED_TRACE(shape_str(sa) + " . " + shape_str(sb));
        expect_gradcheck([dim = dim](auto& x) { return vecdot(x[0], x[1], dim); }, {leaf(sa, 11), leaf(sb, 12)}, "vecdot");
    }
    Tensor x = leaf({4, 6}, 13);  // the same tensor on both sides: both gradients add up
    expect_gradcheck([](auto& v) { return vecdot(v[0], v[0]); }, {x}, "vecdot(x, x)");
}

TEST(Gradcheck, Reductions) {
    Tensor x = leaf({2, 3, 4}, 8);
    expect_gradcheck([](auto& v) { return sum(v[0]); }, {x}, "sum all");
    expect_gradcheck([](auto& v) { return sum(v[0], {1}); }, {x}, "sum dim 1");
    expect_gradcheck([](auto& v) { return sum(v[0], {0, -1}, true); }, {x}, "sum dims keepdim");
    expect_gradcheck([](auto& v) { return mean(v[0]); }, {x}, "mean all");
    expect_gradcheck([](auto& v) { return mean(v[0], {2}, true); }, {x}, "mean dim keepdim");
    expect_gradcheck([](auto& v) { return max(v[0], 1).values; }, {x}, "max dim 1");
    expect_gradcheck([](auto& v) { return max(v[0], -1, true).values; }, {x}, "max dim -1 keepdim");
}

TEST(Gradcheck, ShapeOps) {
    Tensor x = leaf({2, 3, 4}, 9);
    expect_gradcheck([](auto& v) { return reshape(v[0], {4, -1}); }, {x}, "reshape");
    expect_gradcheck([](auto& v) { return view(v[0], {6, 4}); }, {x}, "view");
    expect_gradcheck([](auto& v) { return transpose(v[0], 0, 2); }, {x}, "transpose");
    expect_gradcheck([](auto& v) { return t(v[0]); }, {leaf({3, 5}, 10)}, "t");
    expect_gradcheck([](auto& v) { return unsqueeze(v[0], -1); }, {x}, "unsqueeze");
    expect_gradcheck([](auto& v) { return squeeze(v[0], 1); }, {leaf({2, 1, 3}, 11)}, "squeeze");
    Tensor a = leaf({2, 3}, 12), b = leaf({2, 5}, 13), c = leaf({2, 3}, 14);
    expect_gradcheck([](auto& v) { return cat({v[0], v[1]}, 1); }, {a, b}, "cat");
    expect_gradcheck([](auto& v) { return cat({v[0], v[1]}, 0); }, {a, c}, "cat dim 0");
    expect_gradcheck([](auto& v) { return stack({v[0], v[1]}, 0); }, {a, c}, "stack");
    expect_gradcheck([](auto& v) { return stack({v[0], v[1]}, -1); }, {a, c}, "stack -1");
}

TEST(Gradcheck, SoftmaxFamily) {
    Tensor x = leaf({3, 6}, 15, -3.0f, 3.0f);
    Tensor x3 = leaf({2, 4, 3}, 16, -3.0f, 3.0f);
    expect_gradcheck([](auto& v) { return softmax(v[0], 1); }, {x}, "softmax");
    expect_gradcheck([](auto& v) { return softmax(v[0], 1); }, {x3}, "softmax middle dim");
    expect_gradcheck([](auto& v) { return log_softmax(v[0], -1); }, {x}, "log_softmax");
    expect_gradcheck([](auto& v) { return log_softmax(v[0], 0); }, {x3}, "log_softmax dim 0");
}

TEST(Gradcheck, IndexSelectWithRepeatedIds) {
    Tensor table = leaf({6, 4}, 17);
    const IdArray ids = {5, 0, 5, 5, 2, 0};
    expect_gradcheck([&](auto& v) { return index_select(v[0], 0, ids); }, {table}, "index_select");
    expect_gradcheck([&](auto& v) { return index_select(v[0], 1, IdArray{3, 3, 1}); }, {table}, "index_select dim 1");
}

TEST(Gradcheck, LectureModelLoss) {
    // loss = -mean(log_softmax(V[prev]·Uᵀ)[next]) with the target picked by a one-hot mask
    const IdArray prev = {6, 3, 2, 6, 4, 0, 6, 4, 5, 6, 7};
    const IdArray next = {3, 2, 6, 4, 0, 6, 4, 5, 6, 7, 1};
    const Tensor mask = one_hot(next, 8);
    expect_gradcheck([&](auto& p) { return -sum(log_softmax(matmul(index_select(p[0], 0, prev), t(p[1])), 1) * mask) / 11.0f; },
                     {leaf({8, 2}, 18), leaf({8, 2}, 19)}, "bigram loss");
}

TEST(Gradcheck, CatchesAWrongBackward) {
    // y = x², but the backward claims dy/dx = x (half the truth): gradcheck must fail and say where.
    auto wrong_square = [](const std::vector<Tensor>& v) {
        Array y = v[0].data() * v[0].data();
        return record("wrong_square", std::move(y), {v[0]}, [](const Array& dy, const Array&, xgrad::Inputs in) {
            in[0].accumulate_grad(Array(dy * in[0].data()));
        });
    };
    const GradcheckResult r = gradcheck(wrong_square, {leaf({2, 3}, 20)});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.message.find("input 0"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("element"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace xgrad
