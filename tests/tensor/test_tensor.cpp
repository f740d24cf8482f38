// Tensor basics: factories, accessors, printing (against PyTorch's own output) and the seeded generator.
#include <fstream>
#include <sstream>

#include "helpers.hpp"

namespace xgrad {
namespace {

using testing::all_close;

TEST(Tensor, Factories) {
    EXPECT_TRUE(all_close(zeros({2, 3}), Array{{0, 0, 0}, {0, 0, 0}}));
    EXPECT_TRUE(all_close(ones({2}), Array{1, 1}));
    EXPECT_TRUE(all_close(full({2, 2}, 7.5f), Array{{7.5f, 7.5f}, {7.5f, 7.5f}}));
    EXPECT_TRUE(all_close(arange(4), Array{0, 1, 2, 3}));
    EXPECT_TRUE(all_close(arange(1, 2, 0.25f), Array{1, 1.25f, 1.5f, 1.75f}));
    EXPECT_EQ(arange(5, 1).numel(), 0u);
    EXPECT_THROW(arange(0, 1, 0), ValueError);
    Tensor m = tensor({{1, 2, 3}, {4, 5, 6}});
    EXPECT_EQ(m.shape(), (Shape{2, 3}));
    EXPECT_EQ(m.dim(), 2u);
    EXPECT_EQ(m.numel(), 6u);
    EXPECT_EQ(m(1, 2), 6.0f);
    Tensor v = from_vector({1, 2, 3, 4, 5, 6}, {3, 2});
    EXPECT_EQ(v(2, 1), 6.0f);
    EXPECT_THROW(from_vector({1, 2, 3}, {2, 2}), ShapeError);
    Tensor a(Array{{1, 2}}, true);
    EXPECT_TRUE(a.requires_grad());
    EXPECT_TRUE(a.is_leaf());
    EXPECT_EQ(tensor({{{1, 2}}, {{3, 4}}}).shape(), (Shape{2, 1, 2}));
}

TEST(Tensor, ItemAndScalars) {
    EXPECT_EQ(sum(tensor({1, 2, 3})).item(), 6.0f);
    EXPECT_EQ(sum(tensor({1, 2, 3})).dim(), 0u);
    EXPECT_THROW(tensor({1, 2}).item(), ValueError);
    EXPECT_THROW(Tensor().shape(), ValueError);
    EXPECT_FALSE(Tensor().defined());
}

TEST(Tensor, DetachAndCloneCopy) {
    Tensor x = tensor({1, 2}).requires_grad_();
    Tensor d = x.detach();
    d.mutable_data()(0) = 10;
    EXPECT_EQ(x(0), 1.0f);
    Tensor c = clone(x);
    EXPECT_TRUE(c.requires_grad());
    EXPECT_STREQ(c.grad_fn_name(), "clone");
    Tensor m = x.clone();
    m.mutable_data()(0) = 5;  // its own data
    EXPECT_EQ(x(0), 1.0f);
    sum(m * 3.0f).backward();  // and the gradient reaches x
    EXPECT_EQ(x.grad().data()(0), 3.0f);
}

// Reads tests/reference/print.txt: "values <shape> | <flat values>", PyTorch's repr lines, "----".
TEST(Tensor, PrintsLikePyTorch) {
    std::ifstream f(std::string(XGRAD_TEST_DATA) + "/print.txt");
    ASSERT_TRUE(f.good());
    std::string line;
    int checked = 0;
    while (std::getline(f, line)) {
        ASSERT_EQ(line.rfind("values", 0), 0u) << line;
        std::istringstream s(line.substr(6));
        Shape shape;
        std::string tok;
        while (s >> tok && tok != "|") shape.push_back(std::stoul(tok));
        std::vector<float> vals;
        for (double v; s >> v;) vals.push_back(static_cast<float>(v));
        std::string want, l;
        while (std::getline(f, l) && l != "----") want += (want.empty() ? "" : "\n") + l;
        EXPECT_EQ(from_vector(vals, shape).to_string(), want);
        ++checked;
    }
    EXPECT_GE(checked, 8);
}

TEST(Tensor, PrintsGradInfo) {
    Tensor x = tensor({1.5f}).requires_grad_();
    EXPECT_EQ(x.to_string(), "tensor([1.5000], requires_grad=true)");
    EXPECT_EQ(fmt::format("{}", x * 2.0f), "tensor([3.], grad_fn=<mul>)");
    EXPECT_EQ(format_ids(IdArray{2, 3, 1}), "tensor([2, 3, 1])");
}

TEST(Generator, SameSeedSameNumbers) {
    Generator a(7), b(7), c(8);
    Tensor x = randn({100}, a), y = randn({100}, b), z = randn({100}, c);
    EXPECT_TRUE(testing::all_equal(x.data(), y.data()));
    EXPECT_FALSE(testing::all_equal(x.data(), z.data()));
    manual_seed(3);
    Tensor p = rand({10});
    manual_seed(3);
    EXPECT_TRUE(testing::all_equal(p.data(), rand({10}).data()));
}

TEST(Generator, StateRoundTrip) {
    Generator g(11);
    g.normal();  // leaves a cached spare normal
    const auto st = g.state();
    const double n1 = g.normal();
    const float u1 = g.uniform();
    g.set_state(st);
    EXPECT_EQ(g.normal(), n1);
    EXPECT_EQ(g.uniform(), u1);
}

TEST(Generator, Distributions) {
    Generator g(5);
    const std::size_t n = 200000;
    double s = 0, s2 = 0, us = 0, umin = 1, umax = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = g.normal();
        s += v, s2 += v * v;
        const double u = g.uniform(-1, 3);
        us += u, umin = std::min(umin, u), umax = std::max(umax, u);
    }
    EXPECT_NEAR(s / n, 0.0, 0.01);
    EXPECT_NEAR(s2 / n, 1.0, 0.01);
    EXPECT_NEAR(us / n, 1.0, 0.01);
    EXPECT_GE(umin, -1.0);
    EXPECT_LT(umax, 3.0);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 70000; ++i) ++counts[g.randint(7)];
    for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

TEST(Random, BatchedRandintDrawsTheSameNumbersAsOneByOne) {
    for (uint64_t n : {1ull, 7ull, 1000003ull, (1ull << 63) + 5}) {  // the last takes two words a draw
        Generator a(5), b(5);
        std::vector<uint64_t> batch(300);
        a.randint(n, batch);
        for (std::size_t i = 0; i < batch.size(); ++i) ASSERT_EQ(batch[i], b.randint(n)) << "n " << n << " draw " << i;
        EXPECT_EQ(a.random(), b.random());  // and both generators end in the same state
    }
    Generator g(0);
    std::vector<uint64_t> out(3);
    EXPECT_THROW(g.randint(0, out), ValueError);
}

}  // namespace
}  // namespace xgrad
