// GEMM: op(B) is packed into a contiguous K×N panel (and op(A) into M×K when transposed), then a
// micro-kernel keeps an MR×(2·W) block of C in registers while it walks k (W = SIMD width).
// K is blocked by KC so a B panel stays in cache; each C element is summed in one fixed order,
// whatever the thread split, so results are bit-identical at any thread count.
#include "tensor/kernels/gemm.hpp"

#include <vector>

#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::kernels {

namespace {

using simd::Vec;
constexpr std::size_t W = simd::kWidth;
constexpr std::size_t NR = 2 * W;  // columns of C per micro-tile
constexpr std::size_t MR = 6;      // rows of C per micro-tile
constexpr std::size_t KC = 256;    // k-block

// C[0:R, 0:NR] (+)= a[0:R, 0:kc] · b[0:kc, 0:NR]; a has row stride lda, b row stride ldb.
template <std::size_t R>
void micro_tile(std::size_t kc, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
                std::size_t ldc, bool add) {
    Vec acc0[R], acc1[R];
    for (std::size_t r = 0; r < R; ++r) acc0[r] = acc1[r] = Vec(0.0f);
    for (std::size_t k = 0; k < kc; ++k) {
        const Vec b0 = simd::load(b + k * ldb), b1 = simd::load(b + k * ldb + W);
        for (std::size_t r = 0; r < R; ++r) {
            const Vec av(a[r * lda + k]);
            acc0[r] = xsimd::fma(av, b0, acc0[r]);
            acc1[r] = xsimd::fma(av, b1, acc1[r]);
        }
    }
    for (std::size_t r = 0; r < R; ++r) {
        float* cr = c + r * ldc;
        if (add) {
            acc0[r] += simd::load(cr);
            acc1[r] += simd::load(cr + W);
        }
        simd::store(cr, acc0[r]);
        simd::store(cr + W, acc1[r]);
    }
}

void tile_rows(std::size_t rows, std::size_t kc, const float* a, std::size_t lda, const float* b, std::size_t ldb,
               float* c, std::size_t ldc, bool add) {
    switch (rows) {
        case 6: return micro_tile<6>(kc, a, lda, b, ldb, c, ldc, add);
        case 5: return micro_tile<5>(kc, a, lda, b, ldb, c, ldc, add);
        case 4: return micro_tile<4>(kc, a, lda, b, ldb, c, ldc, add);
        case 3: return micro_tile<3>(kc, a, lda, b, ldb, c, ldc, add);
        case 2: return micro_tile<2>(kc, a, lda, b, ldb, c, ldc, add);
        default: return micro_tile<1>(kc, a, lda, b, ldb, c, ldc, add);
    }
}

// Rows [i0, i1) of C = a·b with a M×K (stride lda), b K×N packed with row stride nb (a multiple of NR,
// zero-padded past N). The last N % NR columns go through the same micro-kernel into a scratch tile.
void gemm_rows(std::size_t i0, std::size_t i1, std::size_t N, std::size_t K, const float* a, std::size_t lda,
               const float* b, std::size_t nb, float* C, std::size_t ldc, bool accumulate) {
    const std::size_t n_full = N / NR * NR;
    alignas(64) float tmp[MR * NR];
    for (std::size_t k0 = 0; k0 < K || k0 == 0; k0 += KC) {
        const std::size_t kc = std::min(KC, K - k0);
        const bool add = accumulate || k0 > 0;
        for (std::size_t i = i0; i < i1; i += MR) {
            const std::size_t rows = std::min(MR, i1 - i);
            const float* ai = a + i * lda + k0;
            for (std::size_t j = 0; j < n_full; j += NR)
                tile_rows(rows, kc, ai, lda, b + k0 * nb + j, nb, C + i * ldc + j, ldc, add);
            if (n_full == N) continue;
            tile_rows(rows, kc, ai, lda, b + k0 * nb + n_full, nb, tmp, NR, false);
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t j = n_full; j < N; ++j) {
                    float& c = C[(i + r) * ldc + j];
                    c = add ? tmp[r * NR + j - n_full] + c : tmp[r * NR + j - n_full];
                }
        }
        if (K == 0) break;
    }
}

// Copies op(X) (rows×cols) into a row-major buffer of row stride ld >= cols, zero-padded.
void pack(bool trans, std::size_t rows, std::size_t cols, const float* X, std::size_t ldx, std::size_t ld,
          std::vector<float>& out) {
    out.assign(rows * ld, 0.0f);
    if (!trans) {
        for (std::size_t r = 0; r < rows; ++r) std::copy(X + r * ldx, X + r * ldx + cols, out.data() + r * ld);
        return;
    }
    constexpr std::size_t T = 32;  // transpose in tiles for locality
    for (std::size_t r0 = 0; r0 < rows; r0 += T)
        for (std::size_t c0 = 0; c0 < cols; c0 += T)
            for (std::size_t c = c0; c < std::min(cols, c0 + T); ++c)
                for (std::size_t r = r0; r < std::min(rows, r0 + T); ++r) out[r * ld + c] = X[c * ldx + r];
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    if (M == 0 || N == 0) return;
    // Buffers live across calls: no fresh allocation (and page faults) on every training step.
    thread_local std::vector<float> bpack, apack;
    const std::size_t nb = (N + NR - 1) / NR * NR;
    pack(trans_b, K, N, B, ldb, nb, bpack);
    const float* b = bpack.data();
    const float* a = A;
    std::size_t a_ld = lda;
    if (trans_a) {
        pack(true, M, K, A, lda, K, apack);
        a = apack.data();
        a_ld = K;
    }
    const double flops = 2.0 * double(M) * double(N) * double(K);
    parallel_for(M, MR, flops, 4e6, [&](std::size_t i0, std::size_t i1) {
        gemm_rows(i0, i1, N, K, a, a_ld, b, nb, C, ldc, accumulate);
    });
}

void gemm_ref(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
              std::size_t lda, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            float s = 0.0f;
            for (std::size_t k = 0; k < K; ++k) {
                const float a = trans_a ? A[k * lda + i] : A[i * lda + k];
                const float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
            }
            C[i * ldc + j] = accumulate ? C[i * ldc + j] + s : s;
        }
}

}  // namespace xgrad::kernels
