// bfloat16: the rounding against PyTorch's (tests/reference/bf16.txt), and the products with bfloat16
// weights against gemm on the same weights widened to floats (bit for bit, at 1 and 2 threads) and the
// scalar reference.
#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

#include "helpers.hpp"
#include "tensor/bf16.hpp"
#include "tensor/kernels/bf16.hpp"
#include "tensor/kernels/gemm.hpp"

namespace xgrad {
namespace {

using testing::ThreadCount;

std::vector<float> random_vec(std::size_t n, uint64_t seed) {
    Generator g(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = g.normal();
    return v;
}

uint32_t bits(float x) {
    uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return u;
}

TEST(Bf16, RoundsEveryFloatAsPyTorch) {
    std::ifstream f(XGRAD_TEST_DATA "/bf16.txt");
    ASSERT_TRUE(f) << "tests/reference/bf16.txt (make_bf16_reference.py)";
    std::size_t n = 0, nans = 0;
    for (uint32_t x, h; f >> std::hex >> x >> h; ++n) {
        float v;
        std::memcpy(&v, &x, sizeof v);
        EXPECT_EQ(kernels::to_bf16(v), h) << std::hex << "float bits " << x;
        nans += std::isnan(v);
    }
    EXPECT_EQ(n, 330u);
    EXPECT_GE(nans, 4u);
}

TEST(Bf16, WideningIsExactAndRoundingKeepsTheNearest) {
    // Every bfloat16 that is not a NaN widens to a float that rounds back to itself.
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float x = kernels::from_bf16(uint16_t(h));
        if (std::isnan(x)) continue;
        ASSERT_EQ(kernels::to_bf16(x), h);
        EXPECT_EQ(bits(x), h << 16);
    }
    // A float lands within half a bfloat16 step (2⁻⁷ of its binade) of itself: relative error ≤ 2⁻⁸.
    for (float x : random_vec(1000, 3)) EXPECT_LE(std::abs(kernels::from_bf16(kernels::to_bf16(x)) - x), std::abs(x) / 256);
}

// gemm_bf16 against gemm(x, widened B) bit for bit, and against the scalar reference within float noise.
void expect_like_gemm(std::size_t M, std::size_t N, std::size_t K) {
    const std::vector<float> x = random_vec(M * K, M * 1000 + K), b = random_vec(N * K, N + 7);
    std::vector<uint16_t> h(N * K);
    kernels::to_bf16(b.data(), h.data(), h.size());
    std::vector<float> wide(N * K), want(M * N), ref(M * N);
    kernels::from_bf16(h.data(), wide.data(), wide.size());
    kernels::gemm(false, true, M, N, K, x.data(), K, wide.data(), K, want.data(), N, false);
    kernels::gemm_bf16_ref(M, N, K, x.data(), h.data(), ref.data());
    for (int threads : {1, 2}) {
        ThreadCount t(threads);
        std::vector<float> y(M * N, NAN);
        kernels::gemm_bf16(M, N, K, x.data(), h.data(), y.data());
        for (std::size_t i = 0; i < y.size(); ++i) {
            ASSERT_EQ(bits(y[i]), bits(want[i])) << M << "x" << N << "x" << K << " element " << i << ", " << threads << " threads";
            ASSERT_NEAR(y[i], ref[i], 1e-4 * std::sqrt(double(K)) * (1 + std::abs(ref[i])));
        }
    }
}

TEST(Bf16, OneRowTimesBf16WeightsIsGemmsProduct) {
    // M = 1: the matrix-vector kernel (4 rows at a time, a tail of rows, a tail of k), and gemm's tiny path.
    for (auto [N, K] : {std::pair<std::size_t, std::size_t>{1, 1}, {5, 7}, {3, 17}, {9, 33}, {64, 64}, {67, 100},
                        {133, 768}, {1029, 257}, {2048, 768}})
        expect_like_gemm(1, N, K);
}

TEST(Bf16, RowsTimesBf16WeightsAreGemmsProduct) {
    // M > 1: blocks of 512 rows of B widened (one block, several, a last partial one), small and tall x.
    for (auto [M, N, K] : {std::tuple<std::size_t, std::size_t, std::size_t>{2, 3, 5}, {4, 600, 33}, {7, 512, 64},
                           {13, 1100, 300}, {100, 1030, 257}, {3, 50, 768}})
        expect_like_gemm(M, N, K);
}

TEST(Bf16, EmptyProductsWriteZerosOrNothing) {
    std::vector<float> y(6, 1.0f), x(6, 1.0f);
    std::vector<uint16_t> h(6, 0x3F80);
    kernels::gemm_bf16(2, 3, 0, x.data(), h.data(), y.data());
    for (float v : y) EXPECT_EQ(v, 0.0f);
    kernels::gemm_bf16(0, 3, 2, x.data(), h.data(), y.data());  // nothing to write
    kernels::gemm_bf16(2, 3, 2, x.data(), h.data(), y.data());
    for (float v : y) EXPECT_EQ(v, 2.0f);
}

TEST(Bf16, MatrixRoundsAndWidensBackWithItsShape) {
    Array m = Array::from_shape({2, 3});
    const float v[] = {1.0f, 1.00390625f, 1.01171875f, -2.5f, 3.0e38f, 1e-3f};  // a tie to even, a tie up, overflow
    std::copy(v, v + 6, m.data());
    const Bf16Matrix b(m);
    EXPECT_EQ(b.rows, 2u);
    EXPECT_EQ(b.cols, 3u);
    const Array w = b.to_float();
    ASSERT_EQ(w.shape(), m.shape());
    EXPECT_EQ(w(0, 1), 1.0f);
    EXPECT_EQ(w(0, 2), 1.015625f);
    EXPECT_EQ(w(1, 0), -2.5f);
    EXPECT_NEAR(w(1, 1), 3.0e38f, 3.0e38f / 256);
    EXPECT_THROW(Bf16Matrix(Array::from_shape({6})), ShapeError);
}

}  // namespace
}  // namespace xgrad
