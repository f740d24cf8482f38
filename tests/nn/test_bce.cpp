// logsigmoid and binary_cross_entropy_with_logits against PyTorch (tests/reference/bce.txt, written by
// make_bce_reference.py) at logits up to ±40, every reduction and a broadcast weight; gradcheck; errors.
#include "helpers.hpp"
#include "reference_file.hpp"

namespace xgrad {
namespace {

using testing::RefIds;
using testing::RefInputs;

const std::map<std::string, testing::RefCase>& cases() { return testing::reference_cases("bce.txt"); }

TEST(BinaryCrossEntropy, MatchesPyTorch) {
    testing::check_case(cases(), "logsigmoid", [](RefInputs& x, const RefIds&) { return nn::logsigmoid(x["x"]); });
    const std::pair<const char*, nn::Reduction> reductions[] = {
        {"bce_mean", nn::Reduction::Mean}, {"bce_sum", nn::Reduction::Sum}, {"bce_none", nn::Reduction::None}};
    for (const auto& [name, red] : reductions) {
        const nn::Reduction r = red;  // (a copy: clang 14 cannot capture a structured binding)
        testing::check_case(cases(), name, [r](RefInputs& x, const RefIds&) {
            return nn::binary_cross_entropy_with_logits(x["x"], x["t"], {.reduction = r});
        });
    }
    testing::check_case(cases(), "bce_weight", [](RefInputs& x, const RefIds&) {
        return nn::binary_cross_entropy_with_logits(x["x"], x["t"], {.weight = x["w"].detach()});
    });
    testing::check_case(cases(), "bce_empty", [](RefInputs& x, const RefIds&) {
        return nn::binary_cross_entropy_with_logits(x["x"], x["t"], {.reduction = nn::Reduction::Sum});
    });
}

TEST(BinaryCrossEntropy, Gradcheck) {
    Generator g(5);
    auto leaf = [&](Shape s, float scale) { return Tensor(Array(randn(s, g).data() * scale), true); };
    const Tensor t(uniform({3, 4}, 0.0f, 1.0f, g).data(), true);
    const Tensor w(uniform({4}, 0.5f, 1.5f, g).data());
    auto r = gradcheck([&](auto& v) { return nn::binary_cross_entropy_with_logits(v[0], v[1], {.weight = w}); },
                       {leaf({3, 4}, 3.0f), t});
    EXPECT_TRUE(r.ok) << r.message;
    r = gradcheck([](auto& v) { return nn::logsigmoid(v[0]).sum(); }, {leaf({2, 5}, 4.0f)});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(BinaryCrossEntropy, NamesShapesThatDoNotFit) {
    const Tensor x = zeros({2, 3});
    EXPECT_TRUE(testing::throws_with<ShapeError>([&] { nn::binary_cross_entropy_with_logits(x, zeros({3, 2})); },
                                                 {"target of shape (3, 2)", "input of shape (2, 3)"}));
    EXPECT_TRUE(testing::throws_with<ShapeError>(
        [&] { nn::binary_cross_entropy_with_logits(x, zeros({2, 3}), {.weight = zeros({4})}); }, {"weight of shape (4)"}));
}

}  // namespace
}  // namespace xgrad
