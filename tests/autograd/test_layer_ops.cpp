// The ops the lectures after the embedding one need (slicing, masks, var/std, topk, gather,
// multinomial): PyTorch's values and gradients (tests/reference/layers.txt, written by
// make_layers_reference.py), gradcheck by finite differences, and the errors bad input gets.
#include <pthread.h>

#include "helpers.hpp"
#include "reference_file.hpp"

namespace xgrad {
namespace {

using testing::RefIds;
using testing::RefInputs;
using testing::throws_with;

const std::map<std::string, testing::RefCase>& cases() { return testing::reference_cases("layers.txt"); }
void check(const std::string& name, const std::function<Tensor(RefInputs&, const RefIds&)>& fn) {
    testing::check_case(cases(), name, fn);
}

TEST(LayerOpsReference, Elementwise) {
    check("sqrt", [](RefInputs& x, const RefIds&) { return sqrt(x["x"]); });
    check("rsqrt", [](RefInputs& x, const RefIds&) { return rsqrt(x["x"]); });
    check("abs", [](RefInputs& x, const RefIds&) { return abs(x["x"]); });
    check("clamp", [](RefInputs& x, const RefIds&) { return clamp(x["x"], -0.5f, 0.5f); });
    check("clamp_min", [](RefInputs& x, const RefIds&) { return clamp(x["x"], 0.2f); });
    check("erf", [](RefInputs& x, const RefIds&) { return erf(x["x"]); });
    check("empty_sqrt", [](RefInputs& x, const RefIds&) { return sqrt(x["x"]); });
}

TEST(LayerOpsReference, Masks) {
    check("where_broadcast", [](RefInputs& x, const RefIds&) { return where(gt(x["c"], 0.0f), x["a"], x["b"]); });
    check("masked_fill_broadcast", [](RefInputs& x, const RefIds&) { return masked_fill(x["x"], gt(x["m"], 0.0f), 2.5f); });
    check("causal_softmax", [](RefInputs& x, const RefIds&) {
        return softmax(masked_fill(x["x"], eq(tril(ones({4, 4})), 0.0f), -INFINITY), -1);
    });
    check("tril", [](RefInputs& x, const RefIds&) { return tril(x["x"], 1); });
    check("triu", [](RefInputs& x, const RefIds&) { return triu(x["x"], -1); });
}

TEST(LayerOpsReference, Slicing) {
    check("select_last", [](RefInputs& x, const RefIds&) { return index(x["x"], {Slice(), -1, Slice()}); });
    check("slice_steps", [](RefInputs& x, const RefIds&) { return index(x["x"], {Slice(1, 4, 2), Slice(), Slice(None, None, 2)}); });
    check("slice_mask", [](RefInputs& x, const RefIds&) { return index(x["x"], {Slice(None, 3), Slice(None, 3)}); });
    check("slice_tail", [](RefInputs& x, const RefIds&) { return index(x["x"], {Slice(), Slice(-8, None)}); });
    check("index_none_ellipsis", [](RefInputs& x, const RefIds&) { return index(x["x"], {None, Ellipsis, Slice(1, None)}); });
    check("narrow", [](RefInputs& x, const RefIds&) { return narrow(x["x"], -1, 1, 2); });
    check("split_sizes", [](RefInputs& x, const RefIds&) {
        auto p = split(x["x"], {2, 3}, 1);
        return cat({p[0], p[1] * 2.0f}, 1);
    });
    check("chunk", [](RefInputs& x, const RefIds&) {
        auto p = chunk(x["x"], 3, 0);  // sizes 3, 3, 1
        EXPECT_EQ(p.size(), 3u);
        return cat({p[0], p[1] * 2.0f, p[2] * 3.0f}, 0);
    });
    check("slice_empty", [](RefInputs& x, const RefIds&) { return slice(x["x"], 1, 2, 2); });
}

TEST(LayerOpsReference, Reductions) {
    check("var_last", [](RefInputs& x, const RefIds&) { return var(x["x"], {-1}); });
    check("var_biased_keepdim", [](RefInputs& x, const RefIds&) { return var(x["x"], {0, 2}, false, true); });
    check("std_middle", [](RefInputs& x, const RefIds&) { return std(x["x"], {1}); });
    check("var_all", [](RefInputs& x, const RefIds&) { return var(x["x"]); });
    IdArray got;
    auto topk_case = [&](const std::string& name, long k, int dim, bool largest) {
        testing::check_case(cases(), name, [&](RefInputs& x, const RefIds&) {
            auto [v, i] = topk(x["x"], k, dim, largest);
            got = i;
            return v;
        });
        EXPECT_EQ(got, cases().at(name).outids) << name;
    };
    topk_case("topk_last", 2, -1, true);
    topk_case("topk_smallest_dim0", 3, 0, false);
    testing::check_case(cases(), "max_dim1", [&](RefInputs& x, const RefIds&) {
        EXPECT_EQ(argmax(x["x"], 1), cases().at("max_dim1").outids);
        return max(x["x"], 1).values;
    });
    check("gather_dim1", [](RefInputs& x, const RefIds& i) { return gather(x["x"], 1, i.at("i")); });
    check("gather_dim0", [](RefInputs& x, const RefIds& i) { return gather(x["x"], 0, i.at("i")); });
}

TEST(LayerOps, Gradcheck) {
    Generator g(5);
    auto leaf = [&](const Shape& s, float shift = 0.0f) { return Tensor(Array(randn(s, g).data() + shift), true); };
    const std::vector<std::pair<std::string, std::function<Tensor(const std::vector<Tensor>&)>>> fns = {
        {"sqrt", [](auto& v) { return sqrt(v[0]); }},
        {"rsqrt", [](auto& v) { return rsqrt(v[0]); }},
        {"erf", [](auto& v) { return erf(v[0]); }},
        {"var", [](auto& v) { return var(v[0], {-1}); }},
        {"std", [](auto& v) { return std(v[0], {0}, false, true); }},
        {"index", [](auto& v) { return index(v[0], {Slice(1, None), -1}); }},
        {"masked_softmax", [](auto& v) { return softmax(masked_fill(v[0], eq(tril(ones({3, 3})), 0.0f), -INFINITY), -1); }},
        {"topk", [](auto& v) { return topk(v[0], 2, 0).values; }},
        {"tril", [](auto& v) { return tril(v[0], -1) * 2.0f; }},
        {"triu", [](auto& v) { return triu(v[0]) * 3.0f; }},
        {"narrow", [](auto& v) { return narrow(v[0], 1, 1, 2); }},
        {"split", [](auto& v) { auto p = split(v[0], {1, 2}, -1); return cat({p[1], p[0] * 4.0f}, -1); }},
        {"chunk", [](auto& v) { auto p = chunk(v[0], 2, 0); return cat({p[1] * 2.0f, p[0]}, 0); }},
        {"select", [](auto& v) { return select(v[0], -1, 0); }},
        {"slice_step", [](auto& v) { return slice(v[0], 0, None, None, 2); }},
    };
    for (const auto& [name, fn] : fns) {
        SCOPED_TRACE(name);
        const auto r = gradcheck(fn, {leaf({3, 3}, name.find("sqrt") != std::string::npos ? 4.0f : 0.0f)});
        EXPECT_TRUE(r.ok) << r.message;
    }
    // abs and clamp on values at least 0.1 from their kinks (0; -0.5 and 0.7), farther than eps
    const Tensor kinked = Tensor(Array{{-1.2f, 0.5f, 2.0f}, {0.3f, -0.7f, 1.1f}, {-0.2f, 0.9f, -1.5f}}, true);
    auto r = gradcheck([](auto& v) { return abs(v[0]); }, {kinked});
    EXPECT_TRUE(r.ok) << r.message;
    r = gradcheck([](auto& v) { return clamp(v[0], -0.5f, 0.7f); }, {kinked});
    EXPECT_TRUE(r.ok) << r.message;
    r = gradcheck([](auto& v) { return where(gt(v[0], 0.0f), v[1], v[2]); }, {leaf({3, 1}), leaf({3, 4}), leaf({4})});
    EXPECT_TRUE(r.ok) << r.message;
    r = gradcheck([](auto& v) { return gather(v[0], 1, IdArray{{0, 0, 2}, {1, 2, 2}}); }, {leaf({2, 3})});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(LayerOps, IdsSliceSelectAndIndexLikePython) {
    const IdArray idx = {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}};
    EXPECT_EQ(index(idx, {Slice(), Slice(-3, None)}), (IdArray{{3, 4, 5}, {8, 9, 10}}));  // idx[:, -3:]
    EXPECT_EQ(index(idx, {Slice(), -1}), (IdArray{5, 10}));                              // idx[:, -1]
    EXPECT_EQ(index(idx, {Slice(), Slice(-8, None)}), idx);                               // a block longer than T
    EXPECT_EQ(select(idx, 0, 1), (IdArray{6, 7, 8, 9, 10}));
    EXPECT_EQ(index(idx, {1, None}).shape(), (IdArray::shape_type{1, 5}));
}

TEST(LayerOps, BadInputGetsNamedErrors) {
    const Tensor x = zeros({3, 4});
    EXPECT_TRUE(throws_with<IndexError>([&] { index(x, {5}); }, {"select", "index 5", "size 3"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { index(x, {0, 0, 0}); }, {"too many indices", "rank 2", "3 given"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { slice(x, 1, 0, 4, 0); }, {"step must be positive"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { narrow(x, 1, 2, 3); }, {"narrow", "start 2", "length 3", "size 4"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { split(x, {2, 3}, 1); }, {"split", "sizes (2, 3) add up to 5", "size 4"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { split(x, 0, 1); }, {"split_size must be positive"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { topk(x, 5, 1); }, {"topk", "k = 5", "size 4"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { masked_fill(x, zeros({2, 4}), 1.0f); }, {"masked_fill", "(2, 4)", "(3, 4)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { masked_fill(x, zeros({2, 1, 4}), 1.0f); }, {"does not broadcast", "(2, 1, 4)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { tril(zeros({4})); }, {"tril", "at least 2 dims", "(4)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { gather(x, 1, IdArray{0, 1}); }, {"gather", "(2)", "(3, 4)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { gather(x, 1, IdArray(xt::reshape_view(IdArray{0, 4, 1}, {3, 1}))); }, {"gather", "id 4", "[0, 4)"}));
    EXPECT_TRUE(throws_with<ValueError>([] { clamp(ones({2}), std::nullopt, std::nullopt); }, {"clamp"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { var(x, {2}); }, {"var", "dim 2"}));
}

TEST(LayerOps, SoftmaxOverAnEmptyDimAndBadThreadCountsGetNoCrash) {
    for (const Shape& s : {Shape{2, 0}, Shape{0, 3}})
        for (int dim : {0, 1}) {
            Tensor x = Tensor(Array::from_shape(s), true);
            Tensor y = softmax(x, dim), z = log_softmax(x, dim);
            EXPECT_EQ(y.shape(), s);
            sum(y + z).backward();
            EXPECT_EQ(x.grad().data().shape(), s);
        }
    EXPECT_TRUE(throws_with<ValueError>([] { set_num_threads(0); }, {"set_num_threads", "at least 1", "got 0"}));
    // sizes that overflow, or that no memory holds: a named error up front, not a bad_alloc or a crash
    EXPECT_TRUE(throws_with<ValueError>([] { zeros({8, 1UL << 62}); }, {"zeros", "(8, 4611686018427387904)", "too many"}));
    EXPECT_TRUE(throws_with<ValueError>([] { zeros({0, 1UL << 62}); }, {"zeros", "too large to index"}));
    EXPECT_TRUE(throws_with<ValueError>([] { nn::Embedding(8, 1UL << 62); }, {"randn", "(8, 4611686018427387904)"}));
    EXPECT_TRUE(throws_with<ValueError>([] { nn::Linear(static_cast<std::size_t>(long(-1)), 3); }, {"uniform", "18446744073709551615"}));
    EXPECT_TRUE(throws_with<ValueError>([] { randn({1UL << 40, 1UL << 20}); }, {"randn", "cannot allocate", "bytes"}));
    EXPECT_TRUE(throws_with<ValueError>([] { set_num_threads(-4); }, {"got -4"}));
}

TEST(LayerOps, MultinomialDrawsByWeightAndIsSeeded) {
    const Tensor probs = tensor({{0.0f, 1.0f, 3.0f, 0.0f}, {5.0f, 0.0f, 0.0f, 0.0f}});
    Generator g(7);
    IdArray s = multinomial(probs, 4000, true, g);
    ASSERT_EQ(s.shape(), (IdArray::shape_type{2, 4000}));
    long twos = 0;
    for (std::size_t j = 0; j < 4000; ++j) {
        ASSERT_TRUE(s(0, j) == 1 || s(0, j) == 2) << "a zero-weight category was drawn";
        ASSERT_EQ(s(1, j), 0);
        twos += s(0, j) == 2;
    }
    EXPECT_NEAR(twos / 4000.0, 0.75, 0.03);  // 3 / (1 + 3); 0.03 is > 4 standard deviations
    Generator g2(7);
    EXPECT_EQ(multinomial(probs, 4000, true, g2), s);  // same seed, same draws
    IdArray perm = multinomial(ones({6}), 6, false, g);
    std::sort(perm.begin(), perm.end());
    EXPECT_EQ(perm, (IdArray{0, 1, 2, 3, 4, 5}));  // without replacement: each once
    EXPECT_TRUE(throws_with<ValueError>([&] { multinomial(tensor({1.0f, -0.5f}), 1); }, {"row 0", "-0.5", "column 1"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { multinomial(tensor({{1.0f, 1.0f}, {0.0f, 0.0f}}), 1); }, {"row 1 sums to 0"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { multinomial(tensor({1.0f, 0.0f, 1.0f}), 3); },
                                        {"3 samples without replacement", "2 non-zero"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { multinomial(tensor({1.0f, NAN}), 1); }, {"nan"}));
}

TEST(LayerOps, BitIdenticalAtAnyThreadCount) {
    auto run = [](int threads) {
        testing::ThreadCount t(threads);
        Generator g(3);
        Tensor x = Tensor(randn({4, 16, 64}, g).data(), true);
        Tensor s = matmul(x, transpose(x, 1, 2));  // (4, 16, 16)
        Tensor y = sum(softmax(masked_fill(s, eq(tril(ones({16, 16})), 0.0f), -INFINITY), -1) * var(x, {-1}, true, true));
        y.backward();
        return std::make_pair(y.data(), x.grad().data());
    };
    const auto a = run(1), b = run(2);
    EXPECT_TRUE(testing::all_equal(a.first, b.first));
    EXPECT_TRUE(testing::all_equal(a.second, b.second));
}

// The kernels a GPT block splits over threads above their grain: layer_norm's rows (and its weight
// gradient's columns), the activations' maps, the softmax's rows, a batched matmul's products.
TEST(LayerOps, BlockKernelsAreBitIdenticalAtAnyThreadCount) {
    auto run = [](int threads) {
        testing::ThreadCount t(threads);
        Generator g(5);
        Tensor x = Tensor(randn({16, 32, 64}, g).data(), true);
        Tensor w = Tensor(randn({64}, g).data(), true), b = Tensor(randn({64}, g).data(), true);
        Tensor h = nn::layer_norm(x, {64}, w, b, 1e-5);
        Tensor wei = softmax(matmul(h, transpose(h, 1, 2)) * 0.125f, -1);     // (16, 32, 32)
        Tensor y = matmul(wei, relu(h)) + sum(tanh(cat({h, h}, -1)).reshape({16, 32, 2, 64}), {2});
        Tensor loss = sum(y * y);
        loss.backward();
        return std::vector<Array>{loss.data(), x.grad().data(), w.grad().data(), b.grad().data()};
    };
    const auto one = run(1);
    for (int t : {2, 3}) {
        const auto many = run(t);
        for (std::size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(testing::all_equal(one[i], many[i])) << "threads " << t << ", array " << i;
    }
}

// A thread the system will not start (a process or memory limit) must not hang or crash the pool: it
// runs with the threads it got, says so once, and gives the same numbers. Run in a fresh process (the
// "threadsafe" death-test style re-executes the binary) whose new threads are given a stack no memory
// holds, so every thread start fails.
TEST(ThreadPool, ThreadsThatCannotStartLeaveOneWarningAndTheSameResult) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    Generator g(1);
    const Tensor a = randn({256, 256}, g), b = randn({256, 256}, g);  // big enough to be split over threads
    const Array want = matmul(a, b).data();
    EXPECT_EXIT(
        {
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setstacksize(&attr, std::size_t(1) << 46);  // 64 TiB
            pthread_setattr_default_np(&attr);
            set_num_threads(8);
            const bool same = testing::all_equal(matmul(a, b).data(), want) && testing::all_equal(matmul(a, b).data(), want);
            std::fprintf(stderr, same ? "same result\n" : "different result\n");
            std::exit(same ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "only 1 of the 8 threads asked for could be started; running with 1\nsame result");
}

}  // namespace
}  // namespace xgrad
