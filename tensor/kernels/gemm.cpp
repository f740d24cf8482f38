// GEMM in the BLIS/OpenBLAS way: op(B) is packed into NR-column panels (KC×NC blocks that stay in L2),
// op(A) into MR-row panels (MC×KC blocks), both zero-padded, so one register-blocked FMA micro-kernel
// (an MR×NR block of C in registers, NR = 2 SIMD vectors) serves all three orientations and every edge.
// Each C element is summed in one fixed order (k blocks in order, k in order inside), whatever the
// thread split over rows: results are bit-identical at any thread count.
#include "tensor/kernels/gemm.hpp"

#include <algorithm>
#include <vector>

#include "tensor/kernels/gemm_pack.hpp"
#include "tensor/kernels/matvec.hpp"
#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::kernels {

namespace {

using simd::Vec;
using namespace gemm_detail;  // the blocking constants and the packing
constexpr std::size_t kThin = 4;             // a last panel this narrow goes to micro_kernel_thin

// Where a micro-kernel reads a panel: element (i, k) of an A panel (i < MR) is p[k·ks + i·is], element
// (k, j) of a B panel (j < NR) is p[k·ks + j]. Packed panels have ks = MR or NR and is = 1; a panel read
// in place from the operand has its leading dimension: ks for a transposed A or a row-major B, is for
// a row-major A (the kernels' kRowA variants, which read exactly their R rows).
struct Panel {
    const float* p;
    std::size_t ks;
    std::size_t is = 1;
};

// C[r, j] = (C[r, j] +) tile[r·rs + j·cs] for r < rows, j < cols: an edge micro-tile, computed in a
// scratch tile, written back element by element.
void write_tile(float* C, std::size_t ldc, bool add, std::size_t rows, std::size_t cols, const float* tile,
                std::size_t rs, std::size_t cs) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < cols; ++j) {
            float& c = C[r * ldc + j];
            c = add ? tile[r * rs + j * cs] + c : tile[r * rs + j * cs];
        }
}

// C[0:MR, 0:NR] = (C +) A · B over kc (A: an MR-row panel, B: an NR-column panel, both k-major).
// Writes the rows < rows and columns < cols only (edges go through a scratch tile).
template <std::size_t R, bool kRowA>
void micro_kernel_narrow(std::size_t kc, Panel A, Panel B, float* C, std::size_t ldc, bool add, std::size_t rows,
                         std::size_t cols);

// The full-width kernel for R rows of the panel (R = MR, or MR/2 or 2·MR/3 for a last panel of few rows:
// a product with 65 = 5·12 + 5 rows, and a 12-row kernel on its last 5 rows would do 12 rows of work).
template <std::size_t R, bool kRowA>
void micro_kernel_rows(std::size_t kc, Panel A, Panel B, float* C, std::size_t ldc, bool add, std::size_t rows,
                       std::size_t cols) {
    Vec acc0[R], acc1[R];
    for (std::size_t r = 0; r < R; ++r) acc0[r] = acc1[r] = Vec(0.0f);
    for (std::size_t k = 0; k < kc; ++k) {
        const Vec b0 = simd::load(B.p + k * B.ks), b1 = simd::load(B.p + k * B.ks + W);
        const float* a = A.p + k * A.ks;
        for (std::size_t r = 0; r < R; ++r) {
            const Vec av(a[kRowA ? r * A.is : r]);
            acc0[r] = simd::fma(av, b0, acc0[r]);
            acc1[r] = simd::fma(av, b1, acc1[r]);
        }
    }
    // The write-back loops are unrolled so the accumulators stay in registers (rolled, GCC spills all
    // of them to the stack and reloads them: 48 extra memory operations a tile).
    if (rows == R && cols == NR) {
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) {
            float* c = C + r * ldc;
            if (add) {
                acc0[r] += simd::load(c);
                acc1[r] += simd::load(c + W);
            }
            simd::store(c, acc0[r]);
            simd::store(c + W, acc1[r]);
        }
        return;
    }
    alignas(64) float tile[R * NR];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) {
        simd::store(tile + r * NR, acc0[r]);
        simd::store(tile + r * NR + W, acc1[r]);
    }
    write_tile(C, ldc, add, rows, cols, tile, NR, 1);
}

// The R of the kernel that takes a last panel of `rows` rows: MR/2, 2·MR/3 (32 = 12 + 12 + 8) or MR.
constexpr std::size_t kernel_rows(std::size_t rows) {
    return rows <= MR / 2 ? MR / 2 : rows <= 2 * MR / 3 ? 2 * MR / 3 : MR;
}

template <bool kRowA>
void micro_kernel_of(std::size_t kc, Panel A, Panel B, float* C, std::size_t ldc, bool add, std::size_t rows,
                     std::size_t cols) {
    switch (kernel_rows(rows)) {
        case MR / 2:
            if (cols <= W) return micro_kernel_narrow<MR / 2, kRowA>(kc, A, B, C, ldc, add, rows, cols);
            return micro_kernel_rows<MR / 2, kRowA>(kc, A, B, C, ldc, add, rows, cols);
        case 2 * MR / 3:
            if (cols <= W) return micro_kernel_narrow<2 * MR / 3, kRowA>(kc, A, B, C, ldc, add, rows, cols);
            return micro_kernel_rows<2 * MR / 3, kRowA>(kc, A, B, C, ldc, add, rows, cols);
        default:
            if (cols <= W) return micro_kernel_narrow<MR, kRowA>(kc, A, B, C, ldc, add, rows, cols);
            return micro_kernel_rows<MR, kRowA>(kc, A, B, C, ldc, add, rows, cols);
    }
}

void micro_kernel(std::size_t kc, Panel A, Panel B, float* C, std::size_t ldc, bool add, std::size_t rows,
                  std::size_t cols) {
    if (A.is != 1) return micro_kernel_of<true>(kc, A, B, C, ldc, add, rows, cols);
    micro_kernel_of<false>(kc, A, B, C, ldc, add, rows, cols);
}

// The same for a last panel of at most W columns: one vector per row, half the work.
template <std::size_t R, bool kRowA>
void micro_kernel_narrow(std::size_t kc, Panel A, Panel B, float* C, std::size_t ldc, bool add, std::size_t rows,
                         std::size_t cols) {
    // (loops unrolled so the accumulators stay in registers: rolled, GCC keeps them in memory and
    // copies them to the tile with memcpy)
    Vec acc[R];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) acc[r] = Vec(0.0f);
    for (std::size_t k = 0; k < kc; ++k) {
        const Vec b0 = simd::load(B.p + k * B.ks);
        const float* a = A.p + k * A.ks;
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) acc[r] = simd::fma(Vec(a[kRowA ? r * A.is : r]), b0, acc[r]);
    }
    alignas(64) float tile[R * W];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) simd::store(tile + r * W, acc[r]);
    write_tile(C, ldc, add, rows, cols, tile, W, 1);
}

// A last panel of NC ≤ kThin columns (65 = 2·32 + 1, a small vocabulary): the vectors run down the MR rows of an A
// panel instead, so a column costs one FMA per k, not MR; kThinPanels row panels at once, so the FMA
// chains over k of different panels overlap (one panel alone would wait on each FMA's latency). Same
// arithmetic per element (an FMA chain over k from 0, C added last), so the same bits as the other kernels.
constexpr std::size_t kThinPanels = 4;
template <std::size_t NC>
void micro_kernel_thin(std::size_t kc, const float* Ap, std::size_t panels, const float* Bp, float* C,
                       std::size_t ldc, bool add, std::size_t rows) {
    Vec acc[kThinPanels][NC];
    const float* a[kThinPanels];  // panels past the last repeat it; their results are not written
    for (std::size_t p = 0; p < kThinPanels; ++p) {
        a[p] = Ap + std::min(p, panels - 1) * MR * kc;
        for (std::size_t j = 0; j < NC; ++j) acc[p][j] = Vec(0.0f);
    }
    for (std::size_t k = 0; k < kc; ++k)
        for (std::size_t p = 0; p < kThinPanels; ++p) {
            const Vec av = simd::load(a[p] + k * MR);  // rows 0..MR-1 (the lanes past MR are not used)
            for (std::size_t j = 0; j < NC; ++j) acc[p][j] = simd::fma(av, Vec(Bp[k * NR + j]), acc[p][j]);
        }
    alignas(64) float tile[NC * W];
    for (std::size_t p = 0; p < panels; ++p) {
        for (std::size_t j = 0; j < NC; ++j) simd::store(tile + j * W, acc[p][j]);
        write_tile(C + p * MR * ldc, ldc, add, std::min(MR, rows - p * MR), NC, tile, 1, W);  // the tile holds columns
    }
}

// C[0:rows, 0:cols] (rows ≤ kThinPanels·MR, cols ≤ kThin) from `panels` consecutive A panels.
void thin_panels(std::size_t kc, const float* Ap, std::size_t panels, const float* Bp, float* C, std::size_t ldc,
                 bool add, std::size_t rows, std::size_t cols) {
    switch (cols) {
        case 1: return micro_kernel_thin<1>(kc, Ap, panels, Bp, C, ldc, add, rows);
        case 2: return micro_kernel_thin<2>(kc, Ap, panels, Bp, C, ldc, add, rows);
        case 3: return micro_kernel_thin<3>(kc, Ap, panels, Bp, C, ldc, add, rows);
        default: return micro_kernel_thin<4>(kc, Ap, panels, Bp, C, ldc, add, rows);
    }
}

// op(X)[r, c] for X stored row-major with stride ld (trans: X is the transpose).
inline float at(const float* X, std::size_t ld, bool trans, std::size_t r, std::size_t c) {
    return trans ? X[c * ld + r] : X[r * ld + c];
}

// A tiny product (K ≤ KC, M·N·K ≤ 4096) one column of C at a time, as vectors down its rows: op(A) is
// copied k-major with its M rows zero-padded to whole vectors, and column j is Σ_k A[:, k]·B[k, j], one
// FMA chain per lane, so each element gets the same operations as in the scalar loops; for products
// this small (the lecture's 11×8×2) packing and blocking would cost more than the arithmetic.
void tiny_columns(bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, const float* A, std::size_t lda,
                  const float* B, std::size_t ldb, float* C, std::size_t ldc, bool add) {
    const std::size_t Mp = (M + W - 1) / W * W;
    thread_local std::vector<float> buf;
    buf.resize(K * Mp + Mp);  // op(A), then one column of C
    float* ap = buf.data();
    float* col = buf.data() + K * Mp;
    for (std::size_t k = 0; k < K; ++k) {
        float* row = ap + k * Mp;
        for (std::size_t i = 0; i < M; ++i) row[i] = at(A, lda, ta, i, k);
        std::fill(row + M, row + Mp, 0.0f);
    }
    for (std::size_t j = 0; j < N; ++j) {
        for (std::size_t i0 = 0; i0 < Mp; i0 += W) {
            Vec s(0.0f);
            for (std::size_t k = 0; k < K; ++k) s = simd::fma(simd::load(ap + k * Mp + i0), Vec(at(B, ldb, tb, k, j)), s);
            simd::store(col + i0, s);
        }
        for (std::size_t i = 0; i < M; ++i) {
            float& c = C[i * ldc + j];
            c = add ? col[i] + c : col[i];
        }
    }
}

// One product: C (M×N) = op(A) (M×K) · op(B) (K×N), plus C when accumulate.
struct Product {
    bool trans_a, trans_b;
    std::size_t M, N, K;
    const float* A;
    std::size_t lda;
    const float* B;
    std::size_t ldb;
    float* C;
    std::size_t ldc;
    bool accumulate;
};

// A tiny product (the lecture's 11×8×2) without packing: vectors down C's columns when there are at
// least half a vector of rows, scalar loops otherwise; both with the micro-kernel's arithmetic (one
// fused multiply-add per k, in order, from 0; C added last), so the bits are the same.
void tiny_product(const Product& g) {
    if (g.M >= W / 2) return tiny_columns(g.trans_a, g.trans_b, g.M, g.N, g.K, g.A, g.lda, g.B, g.ldb, g.C, g.ldc, g.accumulate);
    for (std::size_t i = 0; i < g.M; ++i)
        for (std::size_t j = 0; j < g.N; ++j) {
            float s = 0.0f;
            for (std::size_t k = 0; k < g.K; ++k) s = simd::fma(at(g.A, g.lda, g.trans_a, i, k), at(g.B, g.ldb, g.trans_b, k, j), s);
            float& c = g.C[i * g.ldc + j];
            c = g.accumulate ? s + c : s;
        }
}

// One block of the product: rows i0..i0+mc, columns j0..j0+nc, k from p0 over kc; A's panels packed in
// apack (or read in place: row_a, direct_a), B's in bpack (or in place: direct_b).
struct Block {
    std::size_t i0, mc, j0, nc, p0, kc;
    bool add, row_a, direct_a, direct_b;
    const float *apack, *bpack;
};

// The micro-kernels over a block's MR×NR tiles (thin_panels for a last column panel of ≤ kThin columns).
void multiply_block(const Product& g, const Block& k) {
    for (std::size_t jq = 0; jq < k.nc; jq += NR) {
        const std::size_t cols = std::min(NR, k.nc - jq);
        if (cols <= kThin && MR <= W) {
            for (std::size_t iq = 0; iq < k.mc; iq += kThinPanels * MR)
                thin_panels(k.kc, k.apack + iq * k.kc, std::min(kThinPanels, (k.mc - iq + MR - 1) / MR), k.bpack + jq * k.kc,
                            g.C + (k.i0 + iq) * g.ldc + k.j0 + jq, g.ldc, k.add, std::min(kThinPanels * MR, k.mc - iq), cols);
            continue;
        }
        const Panel b = k.direct_b && cols == NR ? Panel{g.B + k.p0 * g.ldb + k.j0 + jq, g.ldb} : Panel{k.bpack + jq * k.kc, NR};
        for (std::size_t iq = 0; iq < k.mc; iq += MR) {
            const std::size_t rows = std::min(MR, k.mc - iq);
            const Panel a = k.row_a ? Panel{g.A + (k.i0 + iq) * g.lda + k.p0, 1, g.lda}
                            : k.direct_a && rows == MR ? Panel{g.A + k.p0 * g.lda + k.i0 + iq, g.lda}
                                                       : Panel{k.apack + iq * k.kc, MR};
            // The tile of C is asked for (for writing) before its k loop runs: a C larger than the cache
            // would otherwise take all its store misses at the end.
            float* c = g.C + (k.i0 + iq) * g.ldc + k.j0 + jq;
            for (std::size_t r = 0; r < rows; ++r) {
                __builtin_prefetch(c + r * g.ldc, 1);
                __builtin_prefetch(c + r * g.ldc + cols - 1, 1);
            }
            micro_kernel(k.kc, a, b, c, g.ldc, k.add, rows, cols);
        }
    }
}

// C[r0:r1, c0:c1], one thread's share: NC-column blocks, KC-deep k blocks in order, MC-row blocks. The
// packing buffers live across calls (no fresh allocation, no page faults, on every training step).
// Full panels of a row-major B and of a transposed A are read in place (their k-th row is already a
// contiguous run of the panel's NR columns or MR rows), but only when the operand's rows are short: a
// panel strided over long rows touches a page a row (A) or crowds a few L1 sets (B, read again for
// every row panel). The thin kernel reads whole vectors down an A panel, past its MR rows, so a block
// with a thin last panel packs A.
void multiply_range(const Product& g, std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1) {
    thread_local std::vector<float> apack, bpack;
    // grown, never shrunk: a resize back up would zero the new part on every call
    if (apack.size() < MC * KC + W) apack.resize(MC * KC + W);  // + W: the thin kernel's loads run past the end
    const std::size_t bneed = KC * std::min(NC, (c1 - c0 + NR - 1) / NR * NR);
    if (bpack.size() < bneed) bpack.resize(bneed);
    // rows of at most two panels, or few row panels to read them (32 rows: 3)
    const bool direct_b = !g.trans_b && (g.ldb <= 2 * NR || r1 - r0 <= 4 * MR);
    for (std::size_t j0 = c0; j0 < c1; j0 += NC) {
        const std::size_t nc = std::min(NC, c1 - j0);
        const bool thin = MR <= W && nc % NR != 0 && nc % NR <= kThin;
        const bool direct_a = g.trans_a && !thin && g.lda <= 256;  // a k block within 256 KB
        // A row-major A is read in place when every panel has exactly its kernel's rows and it has at most
        // four row panels, or the block has one column panel (each A panel is then read once, so packing
        // it would copy A for nothing); else packed.
        bool row_a = !g.trans_a && !thin && (r1 - r0 <= 4 * MR || nc <= NR);
        for (std::size_t i = r0; row_a && i < r1; i += MR) row_a = kernel_rows(std::min(MR, r1 - i)) == std::min(MR, r1 - i);
        for (std::size_t p0 = 0; p0 < g.K; p0 += KC) {
            const std::size_t kc = std::min(KC, g.K - p0);
            pack_b(g.trans_b, g.B, g.ldb, p0, kc, j0, nc, bpack.data(), direct_b);
            for (std::size_t i0 = r0; i0 < r1; i0 += MC) {
                const std::size_t mc = std::min(MC, r1 - i0);
                if (!row_a) pack_a(g.trans_a, g.A, g.lda, i0, mc, p0, kc, apack.data(), direct_a);
                multiply_block(g, {i0, mc, j0, nc, p0, kc, g.accumulate || p0 > 0, row_a, direct_a, direct_b, apack.data(),
                                   bpack.data()});
            }
        }
    }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        if (!accumulate)
            for (std::size_t i = 0; i < M; ++i) std::fill_n(C + i * ldc, N, 0.0f);
        return;
    }
    const Product g{trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate};
    if (is_tiny(M, N, K)) return tiny_product(g);
    const double flops = 2.0 * double(M) * double(N) * double(K);
    if (M == 1 && trans_b && !trans_a)
        return parallel_for(N, 16, flops, 1e6, [&](std::size_t j0, std::size_t j1) {
            matvec_detail::row_times_transposed(A, B, ldb, K, C, accumulate, j0, j1);  // one pass over B (matvec.hpp)
        });
    // Work is split over threads once: by rows, or by columns when there are too few rows (a vocabulary's
    // 65 rows). Every C element is computed the same way whatever the split, so the bits do not depend
    // on the thread count.
    if (M >= 8 * MR || N < 2 * NR)
        parallel_for(M, MR, flops, M < 8 * MR ? 1e300 : 1e6, [&](std::size_t r0, std::size_t r1) { multiply_range(g, r0, r1, 0, N); });
    else
        parallel_for(N, NR, flops, 1e6, [&](std::size_t c0, std::size_t c1) { multiply_range(g, 0, M, c0, c1); });
}

void gemm_ref(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
              std::size_t lda, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            float s = 0.0f;
            for (std::size_t k = 0; k < K; ++k) s += at(A, lda, trans_a, i, k) * at(B, ldb, trans_b, k, j);
            C[i * ldc + j] = accumulate ? C[i * ldc + j] + s : s;
        }
}

}  // namespace xgrad::kernels
