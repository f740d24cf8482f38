// The general elementwise core (tensor/kernels/broadcast.hpp) against its plain references: every
// broadcast pattern a model meets ((B,T,D) with (D), (B,T,1), (1,T,D), (B,1,1), scalars, size-0 and
// size-1 dims), sums over any set of dims, and permuted copies of ranks 1 to 5.
#include <cstring>
#include <vector>

#include "helpers.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/kernels/unary.hpp"

namespace xgrad {
namespace {

using kernels::BroadcastPlan;

Array random_array(const Shape& s, uint64_t seed) {
    Generator g(seed);
    Array a = Array::from_shape(s);
    for (auto& v : a) v = g.normal();
    return a;
}

bool same_bits(const Array& a, const Array& b) {
    if (a.shape() != b.shape()) return false;
    return a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;  // (no memcmp on null)
}

struct Pair {
    Shape a, b;
};
const Pair kPairs[] = {
    {{4, 9, 33}, {4, 9, 33}}, {{4, 9, 33}, {33}},   {{4, 9, 33}, {4, 9, 1}}, {{4, 9, 33}, {1, 9, 33}},
    {{4, 9, 33}, {4, 1, 1}},  {{4, 9, 33}, {}},     {{}, {4, 9, 33}},       {{9, 1}, {1, 17}},
    {{1}, {1}},               {{3, 1, 5}, {3, 7, 1}}, {{2, 0, 3}, {3}},      {{16, 4, 32, 32}, {32, 32}},
    {{7}, {7}},               {{2, 3, 4, 5, 6}, {3, 1, 5, 1}}, {{5, 1, 1}, {1, 1, 8}},
};

TEST(BroadcastKernels, BinaryOpsGiveTheReferenceBitsForEveryPattern) {
    uint64_t seed = 1;
    for (const Pair& pair : kPairs) {  // (no structured binding: clang 14 cannot capture one in a lambda)
        const Shape& as = pair.a;
        const Shape& bs = pair.b;
        const Array a = random_array(as, seed++), b = random_array(bs, seed++);
        const Shape ys = broadcast_shapes(as, bs, "test");
        auto check = [&](auto op, const char* name) {
            const Array y = kernels::broadcast_binary(a, b, ys, op);
            Array r = Array::from_shape(ys);
            kernels::broadcast_apply_ref(as, a.data(), bs, b.data(), ys, r.data(), op);
            EXPECT_TRUE(same_bits(y, r)) << name << " " << shape_str(as) << " with " << shape_str(bs);
        };
        check(kernels::Add{}, "add");
        check(kernels::Sub{}, "sub");
        check(kernels::Mul{}, "mul");
        check(kernels::Div{}, "div");
        check(kernels::FillWhere{-INFINITY}, "fill");
    }
}

TEST(BroadcastKernels, LargeOpsSplitAmongThreadsGiveTheSameBits) {
    // above kElementwiseGrain the runs (or one long run) are split among the threads: each part must
    // start at the right outer index, so every split gives the reference's bits
    const Pair big[] = {{{8, 1, 4099}, {1, 16, 4099}},  // rank 3 after collapsing: a part starts mid-odometer
                        {{300, 301}, {300, 301}},       // one contiguous run, split along its length
                        {{64, 2050}, {2050}},           // (rows, n) with a row broadcast
                        {{70001}, {}},                  // a scalar along one run
                        {{3, 40000}, {3, 1}}};          // a column broadcast
    const int old = num_threads();
    uint64_t seed = 100;
    for (const Pair& pair : big) {
        const Array a = random_array(pair.a, seed++), b = random_array(pair.b, seed++);
        const Shape ys = broadcast_shapes(pair.a, pair.b, "test");
        Array r = Array::from_shape(ys);
        kernels::broadcast_apply_ref(pair.a, a.data(), pair.b, b.data(), ys, r.data(), kernels::Mul{});
        for (int t : {1, 2, 3}) {
            set_num_threads(t);
            EXPECT_TRUE(same_bits(kernels::broadcast_binary(a, b, ys, kernels::Mul{}), r))
                << shape_str(pair.a) << " with " << shape_str(pair.b) << " on " << t << " threads";
        }
    }
    set_num_threads(old);
}

TEST(BroadcastKernels, AddMatchesPlainArithmeticAndBroadcastToCopies) {
    const Array a = random_array({3, 4}, 7), b = random_array({4}, 8);
    const Array y = kernels::broadcast_binary(a, b, {3, 4}, kernels::Add{});
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(y(i, j), a(i, j) + b(j));
    const Array c = kernels::broadcast_to(b, {1, 4}, {2, 3, 4});
    for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(c(k, i, j), b(j));
}

TEST(BroadcastKernels, PlansMergeDimsThatWalkAsOne) {
    const BroadcastPlan same = kernels::plan_broadcast({4, 9, 33}, {4, 9, 33}, {4, 9, 33});
    EXPECT_EQ(same.shape, (kernels::Dims{4 * 9 * 33}));  // one contiguous run
    const BroadcastPlan row = kernels::plan_broadcast({4, 9, 33}, {33}, {4, 9, 33});
    EXPECT_EQ(row.shape, (kernels::Dims{36, 33}));
    EXPECT_EQ(row.sb, (kernels::Dims{0, 1}));
    const BroadcastPlan col = kernels::plan_broadcast({4, 9, 33}, {4, 9, 1}, {4, 9, 33});
    EXPECT_EQ(col.shape, (kernels::Dims{36, 33}));
    EXPECT_EQ(col.sb, (kernels::Dims{1, 0}));
}

TEST(BroadcastKernels, SumOverAnyDimsMatchesTheReference) {
    const Shape shapes[] = {{4, 9, 33}, {1}, {7}, {2, 0, 3}, {3, 1, 5}, {2, 3, 4, 5, 6}, {16, 4, 32, 32}, {1000}};
    uint64_t seed = 100;
    for (const auto& xs : shapes) {
        const Array x = random_array(xs, seed++);
        for (unsigned mask = 0; mask < (1u << xs.size()); ++mask) {
            std::vector<bool> red(xs.size());
            Shape os = xs;
            for (std::size_t d = 0; d < xs.size(); ++d)
                if ((red[d] = (mask >> d) & 1u)) os[d] = 1;
            Array y = Array::from_shape(os), r = Array::from_shape(os);
            kernels::sum_dims(x.data(), xs, red, y.data());
            kernels::sum_dims_ref(x.data(), xs, red, r.data());
            for (std::size_t i = 0; i < y.size(); ++i)  // both accumulate in double: equal once rounded to float
                ASSERT_NEAR(y.data()[i], r.data()[i], 1e-6 * (1 + std::abs(r.data()[i])))
                    << shape_str(xs) << " mask " << mask << " element " << i;
            // with the last dim kept, each output adds its elements in the reference's order (rows four
            // at a time, in row order): the same bits
            if (!xs.empty() && !red.back())
                for (std::size_t i = 0; i < y.size(); ++i)
                    ASSERT_EQ(y.data()[i], r.data()[i]) << shape_str(xs) << " mask " << mask << " element " << i;
        }
    }
}

TEST(BroadcastKernels, SumToReversesEveryBroadcast) {
    // sum_to(broadcast of ones) counts how many times each element was broadcast
    for (const auto& [as, bs] : kPairs) {
        const Shape ys = broadcast_shapes(as, bs, "test");
        const Array g = full_array(ys, 1.0f);
        const Array s = sum_to(g, bs);
        ASSERT_EQ(s.shape(), bs);
        const double times = bs.empty() || shape_numel(bs) == 0 ? double(shape_numel(ys))
                                                                : double(shape_numel(ys)) / double(shape_numel(bs));
        for (auto v : s) EXPECT_EQ(v, float(times)) << shape_str(as) << " with " << shape_str(bs);
    }
}

TEST(BroadcastKernels, PermutedCopiesMatchTheReference) {
    struct Case {
        Shape xs;
        std::vector<std::size_t> perm;
    };
    const Case cases[] = {
        {{7}, {0}},
        {{33, 17}, {1, 0}},
        {{16, 32, 16}, {0, 2, 1}},
        {{4, 32, 4, 16}, {0, 2, 1, 3}},
        {{3, 4, 5}, {1, 0, 2}},                 // the inner run stays inner: runs of 5, three dims
        {{2, 3, 4, 5, 6}, {1, 0, 3, 2, 4}},     // … and five
        {{4, 32, 4, 16}, {0, 2, 3, 1}},
        {{2, 3, 4, 5, 6}, {4, 2, 0, 3, 1}},
        {{3, 1, 5}, {2, 1, 0}},
        {{2, 0, 3}, {2, 0, 1}},
        {{1, 40, 1, 50}, {3, 2, 1, 0}},
    };
    uint64_t seed = 200;
    for (const auto& [xs, perm] : cases) {
        const Array x = random_array(xs, seed++);
        Shape ys(perm.size());
        for (std::size_t i = 0; i < perm.size(); ++i) ys[i] = xs[perm[i]];
        Array y = Array::from_shape(ys), r = Array::from_shape(ys);
        kernels::permute_copy(x.data(), xs, perm, y.data());
        kernels::permute_copy_ref(x.data(), xs, perm, r.data());
        EXPECT_TRUE(same_bits(y, r)) << shape_str(xs);
    }
}

TEST(BroadcastKernels, PermuteOpIsTorchsPermuteWithItsGradient) {
    Tensor x = Tensor(random_array({2, 3, 4}, 300), true);
    Tensor y = permute(x, {2, 0, -2});
    ASSERT_EQ(y.shape(), (Shape{4, 2, 3}));
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 2; ++j)
            for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(y.data()(i, j, k), x.data()(j, k, i));
    const auto r = gradcheck([](const std::vector<Tensor>& in) { return (permute(in[0], {1, 2, 0}) * in[1]).sum(); },
                             {x, Tensor(random_array({3, 4, 2}, 301), true)});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_THROW(permute(x, {0, 1}), ShapeError);
    EXPECT_THROW(permute(x, {0, 1, 1}), IndexError);
    EXPECT_THROW(permute(x, {0, 1, 3}), IndexError);
    EXPECT_EQ(x.transpose(0, 2).shape(), (Shape{4, 3, 2}));
}

TEST(UnaryKernels, ActivationsAndGradientsMatchTheFloatFormulasAtEveryLength) {
    // lengths around the batch width: the padded tail goes through the batch form too
    for (std::size_t n : {1u, 7u, 8u, 9u, 16u, 17u, 33u, 257u}) {
        const Array x = random_array({n}, 400 + n), dy = random_array({n}, 500 + n);
        std::vector<float> y(n), r(n);
        auto check1 = [&](auto op, const char* name) {
            kernels::map(x.data(), y.data(), n, op);
            kernels::map_ref(x.data(), r.data(), n, op);
            for (std::size_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], r[i], 4e-7 * (1 + std::abs(r[i]))) << name << " n=" << n << " i=" << i;
        };
        auto check2 = [&](auto op, const char* name) {
            kernels::map2(dy.data(), x.data(), y.data(), n, op);
            kernels::map2_ref(dy.data(), x.data(), r.data(), n, op);
            for (std::size_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], r[i], 1e-6 * (1 + std::abs(r[i]))) << name << " n=" << n << " i=" << i;
        };
        check1([](auto v) { return kernels::tanh_(v); }, "tanh");
        check1(kernels::GeluTanh{}, "gelu tanh");
        check1(kernels::GeluErf{}, "gelu");
        check1(kernels::Silu{}, "silu");
        check2(kernels::TanhGrad{}, "tanh grad");
        check2(kernels::GeluTanhGrad{}, "gelu tanh grad");
        check2(kernels::GeluErfGrad{}, "gelu grad");
        check2(kernels::SiluGrad{}, "silu grad");
        // an element's bits do not depend on the length of the array it sits in
        std::vector<float> one(1);
        kernels::map(x.data() + n - 1, one.data(), 1, kernels::GeluTanh{});
        kernels::map(x.data(), y.data(), n, kernels::GeluTanh{});
        EXPECT_EQ(one[0], y[n - 1]) << n;
    }
}

// pow's special exponents are PyTorch's forms bit for bit (x·x·x, 1/√x, …); its gradient is
// dy·(p·x^(p-1)) with x^(p-1) in the same forms; other exponents are pow within float rounding.
TEST(UnaryKernels, PowTakesPyTorchsFormsForItsSpecialExponents) {
    const std::size_t n = 37;
    Array x = random_array({n}, 600), dy = random_array({n}, 601);
    for (auto& v : x) v = std::abs(v) + 0.25f;  // positive, for the roots
    std::vector<float> y(n), g(n);
    const std::vector<std::pair<float, float (*)(float)>> forms = {
        {2.0f, [](float v) { return v * v; }},          {3.0f, [](float v) { return v * v * v; }},
        {0.5f, [](float v) { return std::sqrt(v); }},   {-0.5f, [](float v) { return 1.0f / std::sqrt(v); }},
        {-1.0f, [](float v) { return 1.0f / v; }},      {-2.0f, [](float v) { return 1.0f / (v * v); }},
        {1.0f, [](float v) { return v; }},              {0.0f, [](float) { return 1.0f; }}};
    for (const auto& [p, form] : forms) {
        kernels::map(x.data(), y.data(), n, kernels::Pow{p});
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], form(x[i])) << "p " << p << " i " << i;
    }
    kernels::map2(dy.data(), x.data(), g.data(), n, kernels::PowGrad{3.0f});
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(g[i], dy[i] * (3.0f * (x[i] * x[i]))) << i;
    kernels::map2(dy.data(), x.data(), g.data(), n, kernels::PowGrad{0.0f});
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(g[i], 0.0f) << i;
    kernels::map(x.data(), y.data(), n, kernels::Pow{1.7f});
    for (std::size_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], std::pow(x[i], 1.7f), 4e-7f * std::pow(x[i], 1.7f)) << i;
}

}  // namespace
}  // namespace xgrad
