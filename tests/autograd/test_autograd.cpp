// The autograd engine's rules: accumulation, zero_grad, NoGradGuard, detach, the graph released after
// backward, shared sub-expressions, in-place edits caught, and no leaks over a training loop.
#include "helpers.hpp"

namespace xgrad {
namespace {

using testing::all_close;

TEST(Autograd, GradientsAccumulateUntilZeroGrad) {
    Tensor x = tensor({1, 2, 3}).requires_grad_();
    sum(x * x).backward();  // d/dx Σx² = 2x
    EXPECT_TRUE(all_close(x.grad().data(), Array{2, 4, 6}));
    sum(x * 3.0f).backward();  // + 3
    EXPECT_TRUE(all_close(x.grad().data(), Array{5, 7, 9}));
    x.zero_grad();
    EXPECT_FALSE(x.has_grad());
    sum(x).backward();
    EXPECT_TRUE(all_close(x.grad().data(), Array{1, 1, 1}));
}

TEST(Autograd, GradIsATensorHandleAsTorchs) {
    Tensor x = tensor({1, 2, 3}).requires_grad_();
    sum(x * x).backward();
    const Tensor g = x.grad();  // a tensor: printable, usable in ops, not a copy
    EXPECT_EQ(g.impl_ptr(), x.grad().impl_ptr());
    EXPECT_FALSE(g.requires_grad());
    EXPECT_EQ(g(2), 6.0f);
    EXPECT_EQ(fmt::format("{}", g), "tensor([2., 4., 6.])");
    EXPECT_EQ((g * 0.5f).data(), (Array{1, 2, 3}));
    sum(x).backward();  // accumulates into the same tensor, as x.grad in PyTorch
    EXPECT_EQ(g(0), 3.0f);
    g.mutable_data()(0) = 10.0f;  // an in-place change of the handle is the gradient's
    EXPECT_EQ(x.grad()(0), 10.0f);
    x.zero_grad();  // set to None: the old handle keeps its values, x has none
    EXPECT_FALSE(x.has_grad());
    EXPECT_EQ(g(1), 5.0f);
    EXPECT_THROW(x.grad(), ValueError);
}

TEST(Autograd, SharedSubexpressionGetsTheSumOfItsUses) {
    Tensor x = tensor({0.5f, -1.0f}).requires_grad_();
    Tensor h = exp(x);          // used twice below
    Tensor y = sum(h * h + h);  // dy/dx = (2h + 1)·h
    y.backward();
    const Array h_val = h.data();
    EXPECT_TRUE(all_close(x.grad().data(), Array((2.0f * h_val + 1.0f) * h_val)));
}

TEST(Autograd, SameTensorAsBothInputs) {
    Tensor x = tensor({3.0f}).requires_grad_();
    (x * x).backward();
    EXPECT_TRUE(all_close(x.grad().data(), Array{6.0f}));
}

TEST(Autograd, NoGradGuardRecordsNothing) {
    Tensor x = tensor({1, 2}).requires_grad_();
    {
        NoGradGuard guard;
        EXPECT_FALSE(is_grad_enabled());
        Tensor y = x * 2.0f;
        EXPECT_FALSE(y.requires_grad());
        EXPECT_TRUE(y.is_leaf());
        EXPECT_THROW(sum(y).backward(), ValueError);
        // embedding's own shortcut (no backward built): the rows, and no graph
        Tensor table = tensor({1, 2, 3, 4, 5, 6}).reshape({3, 2}).requires_grad_();
        Tensor rows = nn::embedding(to_ids(xt::xarray<int32_t>{2, 0}), table);
        EXPECT_FALSE(rows.requires_grad());
        EXPECT_TRUE(rows.is_leaf());
        EXPECT_EQ(rows.data(), (Array{{5, 6}, {1, 2}}));
    }
    EXPECT_TRUE(nn::embedding(to_ids(xt::xarray<int32_t>{0}), tensor({1, 2}).reshape({1, 2}).requires_grad_()).requires_grad());
    EXPECT_TRUE(is_grad_enabled());
    EXPECT_TRUE((x * 2.0f).requires_grad());
}

TEST(Autograd, DetachStopsGradients) {
    Tensor x = tensor({1, 2}).requires_grad_();
    Tensor d = (x * 2.0f).detach();
    EXPECT_FALSE(d.requires_grad());
    EXPECT_TRUE(d.is_leaf());
    Tensor y = sum(x * d);  // d is a constant here: dy/dx = d
    y.backward();
    EXPECT_TRUE(all_close(x.grad().data(), Array{2, 4}));
}

TEST(Autograd, SecondBackwardThrowsUnlessRetained) {
    Tensor x = tensor({1, 2}).requires_grad_();
    Tensor y = sum(exp(x));
    y.backward();
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { y.backward(); }, {"second time", "retain_graph"}));

    Tensor z = sum(exp(x));
    x.zero_grad();
    z.backward({.retain_graph = true});
    z.backward();
    EXPECT_TRUE(all_close(x.grad().data(), Array(2.0f * xt::xarray<float>{std::exp(1.0f), std::exp(2.0f)})));
}

TEST(Autograd, TensorsNoGradientReachesGetNone) {
    Tensor a = tensor({1, 2}).requires_grad_();
    Tensor b = tensor({3, 4}).requires_grad_();
    Tensor c = tensor({5, 6});
    Tensor unused = sum(b * 2.0f);  // b is in a graph, but not in the loss's
    sum(a * c).backward();
    EXPECT_TRUE(a.has_grad());
    EXPECT_FALSE(b.has_grad());
    EXPECT_FALSE(c.has_grad());
    EXPECT_THROW(b.grad().data(), ValueError);
}

TEST(Autograd, NonLeafGradOnlyWhenRetained) {
    Tensor x = tensor({1, 2}).requires_grad_();
    Tensor h = x * 3.0f;
    Tensor k = x * 4.0f;
    h.retain_grad();
    sum(h * k).backward();
    EXPECT_TRUE(all_close(h.grad().data(), k.data()));
    EXPECT_FALSE(k.has_grad());
    EXPECT_FALSE(h.is_leaf());
    EXPECT_STREQ(h.grad_fn_name(), "mul");
}

TEST(Autograd, ExplicitUpstreamGradient) {
    Tensor x = tensor({{1, 2}, {3, 4}}).requires_grad_();
    Tensor y = x * x;
    EXPECT_THROW(y.backward(), ValueError);  // not a scalar: needs a gradient
    y.backward({.grad = Array{{1, 0}, {0, 2}}});
    EXPECT_TRUE(all_close(x.grad().data(), Array{{2, 0}, {0, 16}}));
    EXPECT_THROW(sum(x * x).backward({.grad = Array{1, 2}}), ShapeError);
}

TEST(Autograd, InPlaceChangeOfASavedValueIsCaught) {
    Tensor x = tensor({1, 2}).requires_grad_();
    Tensor w = tensor({3, 4});
    Tensor y = sum(x * w);
    w.mutable_data() += 1.0f;  // mul saved w: its gradient for x would now be wrong
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { y.backward(); }, {"modified in place", "mul"}));
}

TEST(Autograd, RequiresGradOnlyOnLeaves) {
    Tensor x = tensor({1.0f}).requires_grad_();
    Tensor y = x * 2.0f;
    EXPECT_THROW(y.requires_grad_(false), ValueError);
}

// vecdot's fused path gives what sum(x * y) gives, values and both gradients, for broadcasts either way.
TEST(Autograd, VecdotAgreesWithTheSumOfAProduct) {
    const std::vector<std::pair<Shape, Shape>> shapes = {{{16, 6, 100}, {16, 1, 100}}, {{2, 1, 3, 33}, {5, 1, 33}}, {{9}, {4, 9}}};
    for (const auto& [sa, sb] : shapes) {
        SCOPED_TRACE(shape_str(sa) + " . " + shape_str(sb));
        Generator g(21);
        Tensor a = uniform(sa, -1.0f, 1.0f, g).requires_grad_(), b = uniform(sb, -1.0f, 1.0f, g).requires_grad_();
        Tensor a2 = a.detach().requires_grad_(), b2 = b.detach().requires_grad_();
        Tensor y = vecdot(a, b), y2 = sum(a2 * b2, {-1});
        ASSERT_EQ(y.shape(), y2.shape());
        EXPECT_TRUE(testing::all_close(y, y2.data(), 1e-5, 1e-5));
        Tensor w = uniform(y.shape(), -1.0f, 1.0f, g);
        sum(y * w).backward();
        sum(y2 * w).backward();
        EXPECT_TRUE(testing::all_close(a.grad().data(), a2.grad().data(), 1e-5, 1e-5));
        EXPECT_TRUE(testing::all_close(b.grad().data(), b2.grad().data(), 1e-5, 1e-5));
    }
}

TEST(Autograd, DeepChainDoesNotOverflowTheStack) {
    Tensor x = tensor({1.0f}).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y + 0.0f;
    y.backward();
    EXPECT_FLOAT_EQ(x.grad().data()(0), 1.0f);
}

TEST(Autograd, TrainingLoopDoesNotLeak) {
    // The lecture's model trained with raw ops: the number of live tensors stays flat step after step.
    const IdArray prev = {6, 3, 2, 6, 4, 0, 6, 4, 5, 6, 7};
    const Tensor mask = one_hot(IdArray{3, 2, 6, 4, 0, 6, 4, 5, 6, 7, 1}, 8);
    Generator gen(0);
    Tensor V = randn({8, 2}, gen).requires_grad_();
    Tensor U = randn({8, 2}, gen).requires_grad_();
    long after_first = 0, at_last = 0;
    float first_loss = 0, last_loss = 0;
    for (int step = 0; step < 300; ++step) {
        Tensor loss = -sum(log_softmax(matmul(index_select(V, 0, prev), t(U)), 1) * mask) / 11.0f;
        V.zero_grad();
        U.zero_grad();
        loss.backward();
        {
            NoGradGuard g;
            V.mutable_data() -= 0.5f * V.grad().data();
            U.mutable_data() -= 0.5f * U.grad().data();
        }
        (step == 0 ? first_loss : last_loss) = loss.item();
        if (step == 0) after_first = TensorImpl::live();
        if (step == 299) at_last = TensorImpl::live();
    }
    EXPECT_EQ(at_last, after_first);
    EXPECT_LT(last_loss, first_loss);  // and it learns
}

TEST(Autograd, GraphIsFreedWhenTheOutputGoesAway) {
    const long before = TensorImpl::live();
    {
        Tensor x = tensor({1, 2}).requires_grad_();
        Tensor y = sum(exp(x) * 2.0f);  // x, exp, mul, sum (+ no saved extras)
        EXPECT_GT(TensorImpl::live(), before);
    }
    EXPECT_EQ(TensorImpl::live(), before);
}

}  // namespace
}  // namespace xgrad

namespace xgrad {
namespace {
TEST(Autograd, DroppingADeepGraphWithoutBackwardIsSafe) {
    const long before = TensorImpl::live();
    {
        Tensor x = tensor({1.0f}).requires_grad_();
        Tensor y = x;
        for (int i = 0; i < 200000; ++i) y = y * 1.0f;
    }
    EXPECT_EQ(TensorImpl::live(), before);
}
}  // namespace
}  // namespace xgrad

namespace xgrad {
namespace {
TEST(Autograd, InPlaceChangeOfASavedOutputIsCaught) {
    Tensor x = tensor({1, 2}).requires_grad_();
    Tensor y = exp(x);  // exp's backward reads y
    y.mutable_data() += 1.0f;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { y.backward({.grad = Array{1, 1}}); }, {"output of 'exp'"}));
    // clone's backward does not read its output: editing it is fine
    Tensor c = clone(x);
    c.mutable_data() += 1.0f;
    c.backward({.grad = Array{1, 1}});
    // NOTE: a change of a tensor some op took as *input* is refused conservatively, even when that
    // op's backward would not read it (docs/api.md).
}

// A user's op recorded with the earlier spelling, record(..., true), still works (deprecated for one
// release in favour of BackwardReads::InputsAndOutput) and still guards its output.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(Autograd, TheDeprecatedBoolSpellingOfRecordStillGuardsTheOutput) {
    Tensor x = tensor({1, 2}).requires_grad_();
    Tensor y = record("twice", Array(x.data() * 2.0f), {x}, [](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(Array(dy * 2.0f));
    }, true);
    y.mutable_data() += 1.0f;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { y.backward({.grad = Array{1, 1}}); }, {"output of 'twice'"}));
}
#pragma GCC diagnostic pop
}  // namespace
}  // namespace xgrad

namespace xgrad {
namespace {

// tensor() reads nested braces as torch.tensor reads nested lists, at any depth and with single elements.
TEST(TensorFactory, NestedBracesGiveTorchsShapes) {
    EXPECT_EQ(tensor(3.0f).shape(), Shape{});
    EXPECT_EQ(tensor({{0.f}}).shape(), (Shape{1, 1}));
    EXPECT_EQ(tensor({{1}, {2}}).shape(), (Shape{2, 1}));  // a column, not the list {1, 2}
    EXPECT_EQ(tensor({1, 2}).shape(), Shape{2});
    EXPECT_EQ(tensor({}).shape(), Shape{0});
    const Tensor t = tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}, {{9, 10}, {11, 12}}});
    EXPECT_EQ(t.shape(), (Shape{3, 2, 2}));
    EXPECT_EQ(t.data()(2, 1, 0), 11.0f);
    EXPECT_EQ(tensor({{{{{0.5f}}}}}).shape(), (Shape{1, 1, 1, 1, 1}));
    EXPECT_TRUE(testing::throws_with<ShapeError>([] { tensor({{1, 2}, {3}}); },
                                                  {"ragged nested list: item 0 has shape (2), item 1 has shape (1)"}));
}

}  // namespace
}  // namespace xgrad

namespace xgrad {
namespace {

// register_post_accumulate_grad_hook: called once per backward per leaf, when every use of the leaf has
// added to its gradient (a weight used twice: the hook sees the sum), leaves nearer the loss first.
TEST(GradHooks, ALeafsHookSeesItsFinalGradientOnce) {
    Tensor w = tensor({1.0f, 2.0f}).requires_grad_();   // used twice: y = w·x + w·w
    Tensor b = tensor({0.5f, -1.0f}).requires_grad_();  // used after w: loss = sum(y·b)
    Tensor x = tensor({3.0f, 4.0f});
    std::vector<std::string> calls;
    std::vector<float> seen;
    w.register_post_accumulate_grad_hook([&](const Tensor& t) {
        calls.push_back("w");
        seen.assign(t.grad().data().begin(), t.grad().data().end());
    });
    const std::size_t hb = b.register_post_accumulate_grad_hook([&](const Tensor&) { calls.push_back("b"); });
    (((w * x) + (w * w)) * b).sum().backward();
    // d/dw sum((w·x + w²)·b) = (x + 2w)·b = (5·0.5, 8·-1)
    EXPECT_EQ(calls, (std::vector<std::string>{"b", "w"}));
    EXPECT_EQ(seen, (std::vector<float>{2.5f, -8.0f}));
    b.remove_hook(hb);
    calls.clear();
    (w * x).sum().backward();  // only w used: b's hook is gone and b is not reached anyway
    EXPECT_EQ(calls, (std::vector<std::string>{"w"}));
    EXPECT_EQ(seen, (std::vector<float>{2.5f + 3.0f, -8.0f + 4.0f}));  // accumulated, as a leaf's grad is
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { (w * x).register_post_accumulate_grad_hook([](const Tensor&) {}); },
                                                 {"register_post_accumulate_grad_hook", "made by 'mul'"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { x.register_post_accumulate_grad_hook([](const Tensor&) {}); },
                                                 {"does not require grad"}));
}

}  // namespace
}  // namespace xgrad
