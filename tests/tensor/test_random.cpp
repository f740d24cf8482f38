// The generator against PyTorch's CPU generator (tests/reference/random.txt, written by
// make_random_reference.py): the same seed gives torch's numbers for rand, uniform_, randn below and
// from 16 elements, normal_, randint, randperm, exponential_, multinomial and the modules' init.
#include <random>
#include <sstream>

#include "helpers.hpp"
#include "reference_file.hpp"
#include "tensor/kernels/mt19937.hpp"

namespace xgrad {
namespace {

const std::map<std::string, testing::RefCase>& cases() {
    static const auto c = testing::load_reference("random.txt");
    return c;
}

// Seeds the default generator as the case did, runs fn, and compares with torch's values: bit for bit,
// or within atol (from 16 normals on: PyTorch's AVX2 kernel computes log/sin/cos its own way).
void check_floats(const std::string& name, const std::function<Tensor()>& fn, double atol = 0.0) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(cases().count(name)) << name;
    const auto& c = cases().at(name);
    manual_seed(static_cast<uint64_t>(c.scalar.at("seed")));
    Tensor got = fn();
    Array want = c.out;
    want.reshape(got.shape());
    if (atol == 0.0) EXPECT_TRUE(testing::all_equal(got.data(), want));
    else EXPECT_TRUE(testing::all_close(got.data(), want, atol, 0.0));
}

void check_ids(const std::string& name, const std::function<IdArray()>& fn) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(cases().count(name)) << name;
    const auto& c = cases().at(name);
    manual_seed(static_cast<uint64_t>(c.scalar.at("seed")));
    EXPECT_EQ(fn(), c.outids);
}

Tensor flat_cat(std::vector<Tensor> ts) {
    for (auto& t : ts) t = reshape(t, {-1});
    return cat(ts);
}

TEST(TorchRandom, UniformsAreBitIdentical) {
    check_floats("rand_5", [] { return rand({5}); });
    check_floats("rand_2x20", [] { return rand({2, 20}); });
    check_floats("uniform_20", [] { return uniform({20}, -0.3f, 0.3f); });
}

TEST(TorchRandom, NormalsBelowSixteenAreBitIdenticalAndCarryTheirCachedHalf) {
    check_floats("randn_3", [] { return randn({3}); });
    check_floats("randn_15", [] { return randn({15}); });
    check_floats("randn_3_3_1", [] { return flat_cat({randn({3}), randn({3}), randn({1})}); });
    check_floats("normal_8", [] { return nn::init::normal_(zeros({8}), 0.5, 0.02); });
}

TEST(TorchRandom, NormalsFromSixteenOnAgreeWithinTwoMillionths) {
    // Measured over 100,000 normals: at most 1.9e-6 apart, 61% bit for bit (PyTorch's AVX2 log/sin/cos).
    const double atol = 4e-6;
    check_floats("randn_16", [] { return randn({16}); }, atol);
    check_floats("randn_18", [] { return randn({18}); }, atol);
    check_floats("randn_40", [] { return randn({40}); }, atol);
    check_floats("randn_5000", [] { return randn({50, 100}); }, atol);
    check_floats("randn_7_then_20", [] { return flat_cat({randn({7}), randn({20})}); }, atol);
    check_floats("normal_64", [] { return nn::init::normal_(zeros({64}), 0.5, 0.02); }, atol * 0.02);
}

TEST(TorchRandom, IntegersPermutationsAndExponentialsAreIdentical) {
    check_ids("randint_50", [] { return randint(10, {50}); });
    check_ids("randint_big", [] { return randint(int64_t(1) << 40, {6}); });
    check_ids("randint_low_high", [] { return randint(3, 17, {4, 5}); });
    check_ids("randperm_30", [] { return randperm(30); });
    const auto& c = cases().at("exponential_10");
    Generator g(static_cast<uint64_t>(c.scalar.at("seed")));
    for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(static_cast<float>(g.exponential()), c.out(i)) << i;
}

TEST(TorchRandom, ModulesStartFromTorchsWeights) {
    // The book: torch.manual_seed(123); torch.nn.Embedding(6, 3) → [[0.3374, -0.1778, -0.1690], ...]
    check_floats("embedding_6_3", [] { return nn::Embedding(6, 3).weight; }, 4e-6);
    manual_seed(123);
    nn::Embedding book(6, 3);
    EXPECT_EQ(fmt::format("{:.4f}", book.weight(0, 0)), "0.3374");
    EXPECT_EQ(fmt::format("{:.4f}", book.weight(1, 1)), "1.5810");
    check_floats("linear_4_3", [] {
        nn::Linear l(4, 3);
        return flat_cat({l.weight, l.bias});
    });
    check_floats("linear_30_200_then_bias", [] {
        nn::Linear l(30, 200);
        return flat_cat({l.weight, l.bias});
    });
}

TEST(TorchRandom, MultinomialDrawsTorchsIds) {
    const Tensor p = tensor({{0.1f, 0.2f, 0.3f, 0.4f}, {0.5f, 0.0f, 0.25f, 0.25f}, {1.0f, 2.0f, 3.0f, 4.0f}});
    check_ids("multinomial_replacement", [&] { return multinomial(p, 12, true); });
    check_ids("multinomial_one", [&] { return multinomial(p, 1); });
    check_ids("multinomial_no_replacement", [] {
        return multinomial(tensor({{0.1f, 0.2f, 0.3f, 0.4f, 0.0f}, {0.1f, 0.2f, 0.3f, 0.4f, 0.0f}}), 3);
    });
    check_ids("multinomial_1d", [] { return multinomial(tensor({0.2f, 0.3f, 0.5f}), 6, true); });
}

TEST(TorchRandom, DropoutDrawsTorchsMaskAndScale) {
    check_floats("dropout_0.3", [] { return nn::dropout(rand({100}), 0.3); });
    check_floats("dropout_0.123", [] { return nn::dropout(rand({4, 25}), 0.123); });
}

TEST(TorchRandom, StateRoundTripsAndRejectsGarbage) {
    Generator g(77);
    g.normal();  // leaves a cached normal
    const auto st = g.state();
    Generator h(1);
    h.set_state(st);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(g.normal(), h.normal());
    EXPECT_EQ(g.random(), h.random());
    EXPECT_THROW(h.set_state({"1 2 3", 0, std::nullopt}), ValueError);
    EXPECT_THROW(h.set_state({st.engine + " 9", 0, std::nullopt}), ValueError);
}

// The engine against its reference, std::mt19937: single words and bulk fills of every length across the
// 624-word regenerations, and the text form (what a checkpoint stores) after each.
TEST(Mt19937, EqualsStdMt19937WordForWordAndInItsTextForm) {
    for (uint32_t seed : {0u, 123u, 4294967295u}) {
        std::mt19937 want(seed);
        kernels::Mt19937 got(seed);
        std::vector<uint32_t> words(3000);
        for (std::size_t round = 0; round < 24; ++round) {
            const std::size_t n = round * 977 % 2000 + 1;
            if (round % 3 == 0)
                for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(got(), want()) << seed << " " << round;
            else {
                got.fill(words.data(), n);
                for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(words[i], want()) << seed << " " << round << " " << i;
            }
            std::ostringstream text;
            text << want;
            ASSERT_EQ(got.to_text(), text.str());
        }
    }
}

TEST(Mt19937, BernoulliMaskIsTheUniformsComparedInOrder) {
    Generator a(9), b(9);
    std::vector<float> mask(1500);
    a.bernoulli_mask(mask, 0.7, 2.5f);
    for (std::size_t i = 0; i < mask.size(); ++i) ASSERT_EQ(mask[i], b.uniform_double() < 0.7 ? 2.5f : 0.0f) << i;
    EXPECT_EQ(a.random(), b.random());
}

// Three processes of 700 elements each keep their third of one process's 2,100-element mask, in order,
// and each generator ends where the one process's does.
TEST(Mt19937, MaskSharesAreTheWholeMasksThirds) {
    Generator whole(5);
    std::vector<float> want(2100);
    whole.bernoulli_mask(want, 0.9, 1.0f / 0.9f);
    for (std::size_t r = 0; r < 3; ++r) {
        Generator mine(5);
        mine.set_mask_share(r, 3);
        std::vector<float> got(700);
        mine.bernoulli_mask(got, 0.9, 1.0f / 0.9f);
        for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[r * 700 + i]) << r << " " << i;
        EXPECT_EQ(mine.state().engine, whole.state().engine) << r;
        mine.set_mask_share(0, 1);  // back to whole masks
        std::vector<float> next(50), next_whole(50);
        mine.bernoulli_mask(next, 0.5, 2.0f);
        Generator copy(5);
        copy.set_state(whole.state());
        copy.bernoulli_mask(next_whole, 0.5, 2.0f);
        EXPECT_EQ(next, next_whole) << r;
    }
    Generator g;
    try {
        g.set_mask_share(2, 2);
        ADD_FAILURE() << "share 2 of 2 was taken";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("share 2 of 2 does not exist"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace xgrad
