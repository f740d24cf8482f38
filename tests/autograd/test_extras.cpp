// The calls a course user missed, against PyTorch (tests/reference/extras.txt, from
// make_extras_reference.py): dot, mse_loss / MSELoss, linspace (bit for bit), bincount, x[ids], x[i].
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

}  // namespace
}  // namespace xgrad
