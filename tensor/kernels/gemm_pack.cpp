// Packing for the GEMM (see gemm_pack.hpp): operands copied into the k-major, zero-padded panels the
// micro-kernel reads.
#include "tensor/kernels/gemm_pack.hpp"

#include <algorithm>
#include <cstring>

#if defined(__SSE__)
#include <immintrin.h>
#endif

namespace xgrad::kernels::gemm_detail {

using simd::Vec;

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels: panel q holds columns j0+q·NR.., k-major.
// Both cases read the source along its rows (contiguous); a transposed source is written with stride NR.
// With partial_only, only a last panel narrower than NR is packed (the full ones are read in place).
void pack_b(bool tb, const float* B, std::size_t ldb, std::size_t p0, std::size_t kc, std::size_t j0,
            std::size_t nc, float* out, bool partial_only) {
    for (std::size_t q = partial_only ? nc / NR * NR : 0; q < nc; q += NR) {
        const std::size_t w = std::min(NR, nc - q);
        float* panel = out + q * kc;
        if (!tb) {
            // fixed-size copies (no library call per row: dU packs 4096 rows of 32 floats a step)
            for (std::size_t k = 0; k < kc; ++k) {
                const float* src = B + (p0 + k) * ldb + j0 + q;
                float* dst = panel + k * NR;
                if (w == NR) {
                    simd::store(dst, simd::load(src));
                    simd::store(dst + W, simd::load(src + W));
                } else {  // w < NR columns, zero-padded: two vectors, partial loads
                    simd::store(dst, w >= W ? simd::load(src) : simd::load_first(src, w));
                    simd::store(dst + W, w > W ? simd::load_first(src + W, w - W) : Vec(0.0f));
                }
            }
        } else {
            // row j0+q+j of B is column j of the panel: 4×4 blocks (4 rows of B, 4 k's) transposed in
            // registers, so each write is 4 contiguous floats of a panel row. A panel of w < NR columns
            // is zeroed first (two vector stores a row; a loop over the padding alone compiles to a
            // memset call a row).
            if (w < NR)
                for (std::size_t k = 0; k < kc; ++k) {
                    simd::store(panel + k * NR, Vec(0.0f));
                    simd::store(panel + k * NR + W, Vec(0.0f));
                }
            std::size_t j = 0;
#if defined(__SSE__)
            for (; j + 4 <= w; j += 4) {
                const float* src = B + (j0 + q + j) * ldb + p0;
                std::size_t k = 0;
                for (; k + 4 <= kc; k += 4) {
                    __m128 r0 = _mm_loadu_ps(src + k), r1 = _mm_loadu_ps(src + ldb + k);
                    __m128 r2 = _mm_loadu_ps(src + 2 * ldb + k), r3 = _mm_loadu_ps(src + 3 * ldb + k);
                    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
                    _mm_storeu_ps(panel + k * NR + j, r0);
                    _mm_storeu_ps(panel + (k + 1) * NR + j, r1);
                    _mm_storeu_ps(panel + (k + 2) * NR + j, r2);
                    _mm_storeu_ps(panel + (k + 3) * NR + j, r3);
                }
                for (; k < kc; ++k)
                    for (std::size_t jj = j; jj < j + 4; ++jj) panel[k * NR + jj] = src[(jj - j) * ldb + k];
            }
#endif
            for (; j < w; ++j) {
                const float* src = B + (j0 + q + j) * ldb + p0;
                for (std::size_t k = 0; k < kc; ++k) panel[k * NR + j] = src[k];
            }
        }
    }
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels: panel q holds rows i0+q·MR.., k-major.
// Row-major A: the panel's MR rows are read as MR sequential streams, k by k, so each write of a
// panel row (MR floats) is contiguous. Transposed A: row k of the source holds the panels' rows side by
// side; it is read once along its length and cut into the panels (fixed-size copies of MR floats).
// With partial_only (transposed A), only a last panel of fewer than MR rows is packed.
void pack_a(bool ta, const float* A, std::size_t lda, std::size_t i0, std::size_t mc, std::size_t p0,
            std::size_t kc, float* out, bool partial_only) {
    if (!ta) {
        for (std::size_t q = 0; q < mc; q += MR) {
            const std::size_t h = std::min(MR, mc - q);
            float* panel = out + q * kc;
            const float* src = A + (i0 + q) * lda + p0;
            if (h == MR) {
                std::size_t k = 0;
#if defined(__SSE__)
                // 4×4 blocks: rows r..r+3, columns k..k+3 of A → panel rows k..k+3, entries r..r+3.
                for (; k + 4 <= kc; k += 4) {
                    std::size_t r = 0;
                    for (; r + 4 <= MR; r += 4) {
                        __m128 r0 = _mm_loadu_ps(src + r * lda + k), r1 = _mm_loadu_ps(src + (r + 1) * lda + k);
                        __m128 r2 = _mm_loadu_ps(src + (r + 2) * lda + k), r3 = _mm_loadu_ps(src + (r + 3) * lda + k);
                        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
                        _mm_storeu_ps(panel + k * MR + r, r0);
                        _mm_storeu_ps(panel + (k + 1) * MR + r, r1);
                        _mm_storeu_ps(panel + (k + 2) * MR + r, r2);
                        _mm_storeu_ps(panel + (k + 3) * MR + r, r3);
                    }
                    for (; r < MR; ++r)  // MR = 6 (AVX2): the last two rows one by one
                        for (std::size_t j = k; j < k + 4; ++j) panel[j * MR + r] = src[r * lda + j];
                }
#endif
                for (; k < kc; ++k)
                    for (std::size_t r = 0; r < MR; ++r) panel[k * MR + r] = src[r * lda + k];
            } else {  // a last panel of h < MR rows, zero-padded
                for (std::size_t k = 0; k < kc; ++k)
                    for (std::size_t r = 0; r < MR; ++r) panel[k * MR + r] = r < h ? src[r * lda + k] : 0.0f;
            }
        }
        return;
    }
    const std::size_t full = mc / MR * MR;
    for (std::size_t k = 0; k < kc; ++k) {
        const float* src = A + (p0 + k) * lda + i0;
        if (!partial_only)
            for (std::size_t q = 0; q < full; q += MR) std::memcpy(out + q * kc + k * MR, src + q, MR * sizeof(float));
        if (full < mc) {  // the last, partial panel, zero-padded: one masked load and store when MR < W
            float* dst = out + full * kc + k * MR;
            // each k is a new row of A (its first touch when the full panels are read in place): asked
            // for 8 rows ahead, so the loads do not wait on L2 one by one
            if (k + 8 < kc) __builtin_prefetch(src + 8 * lda + full);
            if constexpr (MR < W) simd::store_first(dst, simd::load_first(src + full, mc - full), MR);
            else
                for (std::size_t r = 0; r < MR; ++r) dst[r] = full + r < mc ? src[full + r] : 0.0f;
        }
    }
}

}  // namespace xgrad::kernels::gemm_detail
