// Each xsimd kernel against its scalar reference at awkward sizes (1, 7, 8, 9, 33, 257: around the
// SIMD width and the micro-tile), and bit-identical results at 1 and 2 threads.
#include <vector>

#include "helpers.hpp"
#include "tensor/kernels/gather.hpp"
#include "tensor/kernels/gemm.hpp"
#include "tensor/kernels/optim.hpp"
#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/softmax.hpp"

namespace xgrad {
namespace {

std::vector<float> random_vec(std::size_t n, uint64_t seed, float scale = 1.0f) {
    Generator g(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = scale * g.normal();
    return v;
}

::testing::AssertionResult close(const std::vector<float>& a, const std::vector<float>& b, double tol) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(std::abs(a[i] - b[i]) <= tol * (1.0 + std::abs(b[i]))))
            return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
    return ::testing::AssertionSuccess();
}

using testing::ThreadCount;

const std::size_t kSizes[] = {1, 7, 8, 9, 33, 257};

TEST(Kernels, ParallelForCoversEveryIndexOnceInBackToBackCalls) {
    // Thousands of calls in a row, as a training step makes them: the workers spin between calls
    // and must neither miss a call nor run one twice; ranges are whole multiples of `align`.
    for (int threads : {2, 3}) {  // 3: more threads than this machine's cores
        ThreadCount t(threads);
        std::vector<int> hits(1000);
        for (int call = 0; call < 3000; ++call) {
            const std::size_t n = 1 + call % 997, align = 1 + call % 5;
            std::fill(hits.begin(), hits.end(), 0);
            parallel_for(n, align, 1e9, 0.0, [&](std::size_t b, std::size_t e) {
                EXPECT_EQ(b % align, 0u);
                for (std::size_t i = b; i < e; ++i) ++hits[i];
            });
            for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i], 1) << "call " << call << " index " << i;
        }
    }
}

TEST(Kernels, NestedParallelForRunsInlineWithTheBitsOfOneThread) {
    // One GEMM per attention head, the heads themselves in a parallel_for: the inner GEMMs are big
    // enough to go parallel on their own, so this deadlocked before nested calls ran inline.
    const std::size_t heads = 4, T = 128, hd = 128;  // 2·T·T·hd = 4.2 Mflop a head: parallel on its own
    std::vector<float> q = random_vec(heads * T * hd, 1), k = random_vec(heads * T * hd, 2);
    auto run = [&](int threads) {
        ThreadCount t(threads);
        std::vector<float> out(heads * T * T, 0.0f);
        parallel_for(heads, 1, 1e12, 0.0, [&](std::size_t h0, std::size_t h1) {
            for (std::size_t h = h0; h < h1; ++h)  // S_h = Q_h · K_hᵀ   (T, hd)·(hd, T)
                kernels::gemm(false, true, T, T, hd, q.data() + h * T * hd, hd, k.data() + h * T * hd, hd,
                              out.data() + h * T * T, T, false);
        });
        return out;
    };
    const auto one = run(1), two = run(2), three = run(3);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)), 0);
}

TEST(Kernels, GemmMatchesReferenceInAllOrientations) {
    for (std::size_t M : kSizes)
        for (std::size_t N : kSizes)
            for (std::size_t K : {1ul, 9ul, 300ul}) {
                if (M * N * K > 3000000) continue;
                for (int orient = 0; orient < 4; ++orient) {
                    const bool ta = orient & 1, tb = orient & 2;
                    SCOPED_TRACE(::testing::Message() << "M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb);
                    // padded leading dimensions catch stride bugs
                    const std::size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
                    const auto A = random_vec((ta ? K : M) * lda, 1), B = random_vec((tb ? N : K) * ldb, 2);
                    auto C = random_vec(M * ldc, 3), C_ref = C;
                    const bool acc = (M + N) % 2 == 0;
                    kernels::gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc, acc);
                    kernels::gemm_ref(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C_ref.data(), ldc, acc);
                    ASSERT_TRUE(close(C, C_ref, 1e-4 * std::sqrt(double(K))));
                }
            }
}

// gemm against gemm_ref on packed (unpadded) operands of the given orientation, from seeds s..s+2.
::testing::AssertionResult packed_gemm_matches_ref(std::size_t M, std::size_t N, std::size_t K, bool ta, bool tb,
                                                   bool acc, uint64_t s) {
    const std::size_t lda = ta ? M : K, ldb = tb ? K : N;
    const auto A = random_vec((ta ? K : M) * lda, s), B = random_vec((tb ? N : K) * ldb, s + 1);
    auto C = random_vec(M * N, s + 2), C_ref = C;
    kernels::gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), N, acc);
    kernels::gemm_ref(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C_ref.data(), N, acc);
    if (close(C, C_ref, 1e-4 * std::sqrt(double(K)))) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb;
}

TEST(Kernels, GemmNarrowLastPanelsMatchReference) {
    // N = 64 + 1..4: a last panel of 1 to 4 columns (the thin kernel, up to four row panels at once);
    // M covers one partial row panel, a partial group of panels, whole groups, and a partial last group.
    for (std::size_t M : {1ul, 5ul, 13ul, 48ul, 65ul, 101ul})
        for (std::size_t N : {65ul, 66ul, 67ul, 68ul})
            for (int orient = 0; orient < 4; ++orient)
                ASSERT_TRUE(packed_gemm_matches_ref(M, N, 70, orient & 1, orient & 2, orient == 3, 10));
}

TEST(Kernels, GemmPartialLastPanelsMatchReference) {
    // A last panel of 5..31 columns (the MLP's 27 and 30): zero-padded when packed, in both halves of
    // its two vectors (w < W, w = W, w > W); rows of one to nine panels, read in place (few panels, or
    // one column panel: 96 and 104 rows with 16 to 30 columns) or packed.
    for (std::size_t M : {32ul, 40ul, 96ul, 100ul, 104ul})
        for (std::size_t N : {16ul, 21ul, 27ul, 30ul, 40ul, 47ul, 48ul, 49ul})
            for (std::size_t K : {27ul, 200ul})
                for (int orient = 0; orient < 4; ++orient)
                    ASSERT_TRUE(packed_gemm_matches_ref(M, N, K, orient & 1, orient & 2, orient == 1, 20));
}

TEST(Kernels, GemmIsBitIdenticalAtAnyThreadCount) {
    // 257 rows are split over the threads by rows; 65 rows (W-char's dU) by columns; an attention
    // head's projection (512 × 16 from 64, 1 MFLOP, the smallest product that is split) by rows.
    // One row (a Linear on one position in generation: 3001 outputs of 768) is split by columns.
    const std::size_t shapes[][3] = {{257, 130, 300}, {65, 130, 300}, {512, 16, 64}, {100, 70, 80}, {1, 3001, 768}};
    for (const auto& [M, N, K] : shapes) {
        const auto A = random_vec(M * K, 4), B = random_vec(N * K, 5);
        std::vector<float> C1(M * N), C2(M * N), C3(M * N);
        {
            ThreadCount t(1);
            kernels::gemm(false, true, M, N, K, A.data(), K, B.data(), K, C1.data(), N, false);
        }
        {
            ThreadCount t(2);
            kernels::gemm(false, true, M, N, K, A.data(), K, B.data(), K, C2.data(), N, false);
        }
        {
            ThreadCount t(3);
            kernels::gemm(false, true, M, N, K, A.data(), K, B.data(), K, C3.data(), N, false);
        }
        EXPECT_EQ(C1, C2) << M << "×" << N << " from " << K;
        EXPECT_EQ(C1, C3) << M << "×" << N << " from " << K;
    }
}

TEST(Kernels, OneRowTimesATransposedMatrixIsADotProductARow) {
    // M = 1 with op(B) = Bᵀ reads B's rows in place: each output is simd::dot of the row with B's row j,
    // bit for bit, for rows in the groups of four and after them, and with K's tail past the last vector.
    for (std::size_t K : {64ul, 77ul, 768ul})
        for (std::size_t N : {70ul, 1030ul}) {  // above the tiny products (M·N·K > 4096)
            const auto A = random_vec(K, 6), B = random_vec(N * (K + 5), 7);
            std::vector<float> C(N);
            kernels::gemm(false, true, 1, N, K, A.data(), K, B.data(), K + 5, C.data(), N, false);
            for (std::size_t j = 0; j < N; ++j) ASSERT_EQ(C[j], simd::dot(A.data(), B.data() + j * (K + 5), K)) << N << " " << K << " " << j;
        }
}

TEST(Kernels, GemmTinyProductsGiveTheSameBitsAsPackedOnes) {
    // Each M×N×K product takes an unpacked path (M·N·K ≤ 4096: vectors down C's columns when M is at
    // least half a vector, scalar loops below that); the same rows inside a product of `big` rows take
    // the packed one. The lecture's three products (11×8×2, 11×2×8, 8×2×11) are among them.
    const std::size_t shapes[][3] = {{20, 20, 10}, {11, 8, 2}, {11, 2, 8}, {8, 2, 11}, {3, 20, 10}, {1, 7, 5},
                                     {17, 1, 1}, {33, 3, 40}};
    for (const auto& shape : shapes) {
        const std::size_t M = shape[0], N = shape[1], K = shape[2], big = std::max<std::size_t>(60, 4200 / (N * K));
        for (int orient = 0; orient < 4; ++orient) {
            const bool ta = orient & 1, tb = orient & 2, acc = orient == 1;
            SCOPED_TRACE(::testing::Message() << M << "x" << N << "x" << K << " ta=" << ta << " tb=" << tb);
            const auto A = random_vec(big * K, 7), B = random_vec(N * K, 8);
            const std::size_t lda = ta ? big : K, ldb = tb ? K : N;
            auto C_small = random_vec(M * N, 9), C_big = random_vec(big * N, 9);
            std::copy(C_small.begin(), C_small.end(), C_big.begin());
            kernels::gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C_small.data(), N, acc);
            kernels::gemm(ta, tb, big, N, K, A.data(), lda, B.data(), ldb, C_big.data(), N, acc);
            EXPECT_EQ(C_small, std::vector<float>(C_big.begin(), C_big.begin() + M * N));
        }
    }
}

TEST(Kernels, SoftmaxFamilyMatchesReference) {
    for (std::size_t n : kSizes)
        for (std::size_t rows : {1ul, 3ul}) {
            SCOPED_TRACE(::testing::Message() << "rows=" << rows << " n=" << n);
            const auto x = random_vec(rows * n, 6, 5.0f);
            std::vector<float> y(rows * n), y_ref(rows * n);
            kernels::softmax_rows(x.data(), y.data(), rows, n);
            kernels::softmax_rows_ref(x.data(), y_ref.data(), rows, n);
            EXPECT_TRUE(close(y, y_ref, 1e-6));
            kernels::log_softmax_rows(x.data(), y.data(), rows, n);
            kernels::log_softmax_rows_ref(x.data(), y_ref.data(), rows, n);
            EXPECT_TRUE(close(y, y_ref, 1e-6));
            std::vector<float> p(n), p_ref(n);
            const float lse = kernels::logsumexp_softmax_row(x.data(), p.data(), n);
            const float lse_ref = kernels::logsumexp_softmax_row_ref(x.data(), p_ref.data(), n);
            EXPECT_NEAR(lse, lse_ref, 1e-5 * (1 + std::abs(lse_ref)));
            EXPECT_TRUE(close(p, p_ref, 1e-6));
        }
}

TEST(Kernels, BlockOfRowsGivesTheSameBitsAsRowByRow) {
    for (std::size_t n : kSizes)
        for (std::size_t rows : {1ul, 16ul, 37ul}) {  // a partial block, one block, blocks and a partial one
            SCOPED_TRACE(::testing::Message() << "rows=" << rows << " n=" << n);
            const auto x = random_vec(rows * n, 10, 5.0f);
            std::vector<float> p(rows * n), p_row(rows * n), lse(rows), lse_row(rows);
            kernels::logsumexp_softmax_rows(x.data(), p.data(), rows, n, lse.data());
            for (std::size_t r = 0; r < rows; ++r)
                lse_row[r] = kernels::logsumexp_softmax_row(x.data() + r * n, p_row.data() + r * n, n);
            EXPECT_EQ(p, p_row);
            EXPECT_EQ(lse, lse_row);
        }
}

TEST(Kernels, SoftmaxIsStableForHugeLogits) {
    const std::vector<float> x = {1000.0f, 1001.0f, -1000.0f, 999.0f, 1002.0f, 0.0f, 3.0f, 1000.5f, 998.0f};
    std::vector<float> y(x.size());
    kernels::softmax_rows(x.data(), y.data(), 1, x.size());
    double s = 0;
    for (float v : y) {
        EXPECT_TRUE(std::isfinite(v));
        s += v;
    }
    EXPECT_NEAR(s, 1.0, 1e-6);
}

TEST(Kernels, GatherAndScatterAddMatchReference) {
    for (std::size_t D : kSizes) {
        SCOPED_TRACE(::testing::Message() << "D=" << D);
        const std::size_t V = 11, n = 40;
        const auto table = random_vec(V * D, 7);
        std::vector<int64_t> ids(n);
        Generator g(8);
        for (auto& i : ids) i = static_cast<int64_t>(g.randint(4));  // many repeats
        ids[0] = V - 1;
        std::vector<float> out(n * D), out_ref(n * D);
        kernels::gather_rows(table.data(), D, ids.data(), n, out.data());
        kernels::gather_rows_ref(table.data(), D, ids.data(), n, out_ref.data());
        EXPECT_EQ(out, out_ref);
        const auto dout = random_vec(n * D, 9);
        const auto scales = random_vec(n, 10);
        std::vector<float> dt(V * D, 0.5f), dt_ref(V * D, 0.5f);
        kernels::scatter_add_rows(dt.data(), V, D, ids.data(), n, dout.data(), scales.data());
        kernels::scatter_add_rows_ref(dt_ref.data(), V, D, ids.data(), n, dout.data(), scales.data());
        EXPECT_TRUE(close(dt, dt_ref, 1e-6));
    }
}

TEST(Kernels, RowDotsAndScaledRowAddsMatchReference) {
    for (std::size_t D : kSizes) {
        SCOPED_TRACE(::testing::Message() << "D=" << D);
        const std::size_t V = 9, n = 30;
        const auto x = random_vec(V * D, 11), y = random_vec(V * D, 12), s = random_vec(n, 13);
        std::vector<int64_t> xi(n), yi(n);
        Generator g(14);
        for (std::size_t i = 0; i < n; ++i) xi[i] = int64_t(g.randint(V)), yi[i] = int64_t(g.randint(3));  // repeats
        std::vector<float> out(n), out_ref(n);
        kernels::row_dots(x.data(), xi.data(), y.data(), yi.data(), n, D, out.data());
        kernels::row_dots_ref(x.data(), xi.data(), y.data(), yi.data(), n, D, out_ref.data());
        EXPECT_TRUE(close(out, out_ref, 1e-5));
        std::vector<float> d(V * D, 0.25f), d_ref(V * D, 0.25f);
        kernels::scaled_row_adds(d.data(), yi.data(), x.data(), xi.data(), s.data(), n, D);
        kernels::scaled_row_adds_ref(d_ref.data(), yi.data(), x.data(), xi.data(), s.data(), n, D);
        EXPECT_TRUE(close(d, d_ref, 1e-6));
        std::vector<float> w(n * D, 9.0f), w_ref(n * D, -9.0f);  // every element written, whatever was there
        kernels::scaled_rows(w.data(), x.data(), xi.data(), s.data(), n, D);
        kernels::scaled_rows_ref(w_ref.data(), x.data(), xi.data(), s.data(), n, D);
        EXPECT_EQ(w, w_ref);
    }
}

// The vectorised optimizer updates do the reference's float operations in its order: bit-identical,
// over three steps, for every option that changes the arithmetic.
TEST(Kernels, OptimizerUpdatesAreBitIdenticalToTheReference) {
    const kernels::AdamCoefs adam[] = {
        {0.9f, 0.999f, 0.1f, 0.001f, 0.0f, 1.0f, 0.0316f, -0.01f, 1e-8f},    // Adam
        {0.9f, 0.99f, 0.1f, 0.01f, 0.05f, 1.0f, 0.1f, -0.003f, 1e-6f},       // Adam, L2 weight decay
        {0.8f, 0.999f, 0.2f, 0.001f, 0.0f, 0.999f, 0.0447f, -0.02f, 1e-8f},  // AdamW, decoupled decay
    };
    const kernels::SgdCoefs sgd[] = {
        {0.0f, 0.0f, 1.0f, -0.1f, false, false},  // plain
        {0.01f, 0.9f, 1.0f, -0.1f, false, true},  // momentum, first step
        {0.01f, 0.9f, 0.7f, -0.1f, false, false}, // momentum with dampening
        {0.0f, 0.9f, 1.0f, -0.05f, true, false},  // nesterov
    };
    for (std::size_t n : kSizes) {
        SCOPED_TRACE(::testing::Message() << "n=" << n);
        const auto g = random_vec(n, 21);
        for (const auto& c : adam)
            for (bool amsgrad : {false, true}) {
                auto p = random_vec(n, 22), m = random_vec(n, 23, 0.1f), v = random_vec(n, 24, 0.1f), vmax = v;
                for (auto& x : v) x = x * x;
                vmax = v;
                auto p2 = p, m2 = m, v2 = v, vmax2 = vmax;
                for (int step = 0; step < 3; ++step) {
                    kernels::adam_update(p.data(), g.data(), m.data(), v.data(), amsgrad ? vmax.data() : nullptr, n, c);
                    kernels::adam_update_ref(p2.data(), g.data(), m2.data(), v2.data(), amsgrad ? vmax2.data() : nullptr, n, c);
                }
                EXPECT_EQ(p, p2);
                EXPECT_EQ(m, m2);
                EXPECT_EQ(v, v2);
                EXPECT_EQ(vmax, vmax2);
                EXPECT_NE(p, random_vec(n, 22));  // it moved
            }
        for (const auto& c : sgd)
            for (bool momentum : {false, true}) {
                auto p = random_vec(n, 25), buf = random_vec(n, 26), p2 = p, buf2 = buf;
                for (int step = 0; step < 3; ++step) {
                    kernels::sgd_update(p.data(), g.data(), momentum ? buf.data() : nullptr, n, c);
                    kernels::sgd_update_ref(p2.data(), g.data(), momentum ? buf2.data() : nullptr, n, c);
                }
                EXPECT_EQ(p, p2);
                EXPECT_EQ(buf, buf2);
            }
    }
}

TEST(Kernels, ScatterAddIsBitIdenticalAtAnyThreadCount) {
    const std::size_t V = 5000, D = 64, n = 40000;
    std::vector<int64_t> ids(n);
    Generator g(12);
    for (auto& i : ids) i = static_cast<int64_t>(g.randint(V));
    const auto dout = random_vec(n * D, 13);
    std::vector<float> d1(V * D, 0.0f), d2(V * D, 0.0f);
    {
        ThreadCount t(1);
        kernels::scatter_add_rows(d1.data(), V, D, ids.data(), n, dout.data());
    }
    {
        ThreadCount t(2);
        kernels::scatter_add_rows(d2.data(), V, D, ids.data(), n, dout.data());
    }
    EXPECT_EQ(d1, d2);
}

TEST(Kernels, MatmulOpGivesTheSameGradientsAtAnyThreadCount) {
    Generator g(14);
    Tensor a = randn({300, 70}, g).requires_grad_(), b = randn({70, 90}, g).requires_grad_();
    Array ga[2], gb[2];
    for (int threads : {1, 2}) {
        ThreadCount t(threads);
        a.zero_grad();
        b.zero_grad();
        sum(tanh(matmul(a, b))).backward();
        ga[threads - 1] = a.grad().data();
        gb[threads - 1] = b.grad().data();
    }
    EXPECT_TRUE(testing::all_equal(ga[0], ga[1]));
    EXPECT_TRUE(testing::all_equal(gb[0], gb[1]));
}

}  // namespace
}  // namespace xgrad
