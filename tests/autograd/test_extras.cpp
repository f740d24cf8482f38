// The calls a course user missed, against PyTorch (tests/reference/extras.txt, from
// make_extras_reference.py): dot, mse_loss / MSELoss, linspace (bit for bit), bincount, x[ids], x[i];
// and the writes and signed sizes of PyTorch's C++ API: x[i] = y, x[i][j] = v, x.size(-1), zeros({B, T}).
#include "helpers.hpp"
#include "reference_file.hpp"

namespace xgrad {
namespace {

using testing::RefIds;
using testing::RefInputs;
using testing::throws_with;

const std::map<std::string, testing::RefCase>& cases() { return testing::reference_cases("extras.txt"); }

TEST(ExtrasReference, DotMseIndexing) {
    testing::check_case(cases(), "dot", [](RefInputs& x, const RefIds&) { return dot(x["a"], x["b"]); });
    const std::pair<const char*, nn::Reduction> reductions[] = {
        {"mse_mean", nn::Reduction::Mean}, {"mse_sum", nn::Reduction::Sum}, {"mse_none", nn::Reduction::None}};
    for (const auto& named : reductions) {
        const nn::Reduction r = named.second;
        testing::check_case(cases(), named.first, [r](RefInputs& x, const RefIds&) { return nn::MSELoss(r)(x["x"], x["t"]); });
    }
    testing::check_case(cases(), "index_ids_2d", [](RefInputs& x, const RefIds& i) { return x["x"][i.at("i")]; });
    testing::check_case(cases(), "index_ids_3d_table", [](RefInputs& x, const RefIds& i) { return x["x"][i.at("i")]; });
}

TEST(ExtrasReference, LinspaceBitForBit) {
    const std::tuple<const char*, float, float, long> spans[] = {
        {"linspace_0_1_5", 0, 1, 5}, {"linspace_m3_7_11", -3, 7, 11}, {"linspace_odd", 0.1f, 2.3f, 7},
        {"linspace_down", 1, -1, 6}, {"linspace_one", 2.5f, 9, 1}, {"linspace_many", -1.7f, 3.3f, 1000},
        {"linspace_37", 0, 1, 37}, {"linspace_333", -5.3f, 2.9f, 333}};
    for (auto [name, a, b, n] : spans) {
        const Array& want = cases().at(name).out;
        const Tensor got = linspace(a, b, n);
        ASSERT_EQ(got.shape(), want.shape()) << name;
        for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got.data()(i), want(i)) << name << " " << i;
    }
    EXPECT_EQ(linspace(0, 1, 0).shape(), Shape{0});
}

TEST(ExtrasReference, Bincount) {
    const auto& c = cases().at("bincount");
    const IdArray ids = c.ids.at("x");
    auto as_float = [](const IdArray& a) { return Tensor(xt::cast<float>(a)); };
    EXPECT_TRUE(testing::all_close(as_float(bincount(ids)), c.out, 0, 0));
    EXPECT_TRUE(testing::all_close(as_float(bincount(ids, 10)), cases().at("bincount_min").out, 0, 0));
    const auto& w = cases().at("bincount_weights");
    EXPECT_TRUE(testing::all_close(bincount(ids, Tensor(w.in.at("w")), 0), w.out, 1e-6, 1e-6));
}

TEST(Extras, GradcheckAndRowAccess) {
    Generator g(3);
    auto leaf = [&](const Shape& s) { return Tensor(randn(s, g).data(), true); };
    GradcheckResult r = gradcheck([](auto& v) { return dot(v[0], v[1]); }, {leaf({5}), leaf({5})});
    EXPECT_TRUE(r.ok) << r.message;
    r = gradcheck([](auto& v) { return nn::mse_loss(v[0], v[1]); }, {leaf({2, 3}), leaf({2, 3})});
    EXPECT_TRUE(r.ok) << r.message;
    const IdArray ids = {{2, 0}, {2, 2}};
    r = gradcheck([&](auto& v) { return v[0][ids]; }, {leaf({3, 2})});  // repeated rows accumulate
    EXPECT_TRUE(r.ok) << r.message;
    const Tensor x = tensor({{1, 2}, {3, 4}, {5, 6}});
    EXPECT_TRUE(testing::all_close(x[-1], tensor({5, 6}).data()));
    EXPECT_TRUE(testing::all_close(x[1], tensor({3, 4}).data()));
}

TEST(Extras, ErrorsNameTheInput) {
    EXPECT_TRUE(throws_with<ShapeError>([] { dot(zeros({3}), zeros({4})); }, {"dot: expected two 1-D tensors of one length, got (3) and (4)"}));
    EXPECT_TRUE(throws_with<ShapeError>([] { nn::mse_loss(zeros({2, 3}), zeros({3})); }, {"input (2, 3) and target (3)"}));
    EXPECT_TRUE(throws_with<ValueError>([] { bincount(IdArray{1, -2}); }, {"id -2 at position 1 is negative"}));
    EXPECT_TRUE(throws_with<ValueError>([] { linspace(0, 1, -1); }, {"linspace: number of steps must be non-negative, got -1"}));
    EXPECT_TRUE(throws_with<IndexError>([] { tensor({1, 2})[IdArray{2}]; }, {"2"}));
}

TEST(Extras, AssignmentIntoRowsWritesInPlace) {
    Tensor x = zeros({3, 4});
    x[1] = tensor({1, 2, 3, 4});
    x[2] = 7.0f;
    x[0][3] = 5.0f;
    x[-1][0] = -1.0f;
    EXPECT_EQ(x.data(), (Array{{0, 0, 0, 5}, {1, 2, 3, 4}, {-1, 7, 7, 7}}));
    x[0] = x[1];                // one row into another
    x[1] = tensor({9.0f});      // broadcast to the row
    EXPECT_EQ(x.data(), (Array{{1, 2, 3, 4}, {9, 9, 9, 9}, {-1, 7, 7, 7}}));
    const Tensor row = x[2];    // reading is select's copy
    x[2] = 0.0f;
    EXPECT_EQ(row(1), 7.0f);
    // the book's ch. 3 loop: attn_scores[i, j] = dot(inputs[i], inputs[j]) is inputs @ inputs.T
    const Tensor inputs = tensor({{0.43f, 0.15f, 0.89f}, {0.55f, 0.87f, 0.66f}, {0.57f, 0.85f, 0.64f}});
    Tensor scores = zeros({inputs.size(0), inputs.size(0)});
    for (long i = 0; i < inputs.size(0); ++i)
        for (long j = 0; j < inputs.size(0); ++j) scores[i][j] = dot(inputs[i], inputs[j]);
    EXPECT_TRUE(testing::all_close(scores, matmul(inputs, t(inputs)).data(), 1e-6, 0));
}

TEST(Extras, AssignmentIsCheckedAndNeverSilent) {
    Tensor x = zeros({3, 4});
    EXPECT_TRUE(throws_with<IndexError>([&] { x[3] = 1.0f; }, {"index 3", "size 3"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { x[-4] = 1.0f; }, {"index -4", "size 3"}));  // not wrapped twice
    EXPECT_EQ(x.data(), full_array({3, 4}, 0.0f));
    EXPECT_TRUE(throws_with<IndexError>([&] { x[0][1][2] = 1.0f; }, {"x[0][1][2]", "too many indices", "(3, 4)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { x[0] = tensor({1, 2}); }, {"x[0] = y", "(2)", "(4)"}));
    Tensor w = zeros({2, 2}).requires_grad_();
    EXPECT_TRUE(throws_with<ValueError>([&] { w[0] = 1.0f; }, {"x[0]", "requires grad", "NoGradGuard"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { x[0][0] = sum(w); }, {"the value", "requires grad"}));
    {
        NoGradGuard no_grad;  // as torch.no_grad(): a weight set by hand
        w[1][0] = 3.0f;
    }
    EXPECT_EQ(w(1, 0), 3.0f);
    // a write into a value a graph saved is caught at backward, as any in-place change
    Tensor a = ones({2}).requires_grad_(), b = tensor({1, 2});
    Tensor y = sum(a * b);
    b[0] = 5.0f;
    EXPECT_THROW(y.backward(), ValueError);
}

TEST(Extras, SignedSizesAsPyTorchs) {
    const long B = 2, T = 3;
    const std::size_t C = 4;
    Tensor x = zeros({B, T, 4});  // longs and ints mixed
    EXPECT_EQ(x.size(0), 2);
    EXPECT_EQ(x.size(-1), 4);
    EXPECT_EQ(x.sizes(), (std::vector<long>{2, 3, 4}));
    EXPECT_EQ(x.numel(), 24);
    EXPECT_EQ(x.dim(), 3);
    EXPECT_EQ(randn({C, C}).shape(), (Shape{4, 4}));  // unsigned sizes too
    EXPECT_EQ(ones(x.sizes()).shape(), x.shape());
    EXPECT_EQ(x.reshape({B * T, x.size(-1)}).shape(), (Shape{6, 4}));
    EXPECT_TRUE(throws_with<IndexError>([&] { x.size(3); }, {"size: dim 3", "(2, 3, 4)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { x.size(-4); }, {"dim -4"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { zeros({B, -T}); }, {"size -3 at dim 1 of (2, -3) is negative"}));
}

}  // namespace
}  // namespace xgrad
