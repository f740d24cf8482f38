// The general elementwise core (see broadcast.hpp): broadcast plans, sums over dims, permuted copies.
#include "tensor/kernels/broadcast.hpp"

#include <algorithm>
#include <cstring>

namespace xgrad::kernels {

namespace {

/// Row-major element strides of a contiguous shape.
Dims contiguous_strides(const Shape& s) {
    Dims st(s.size());
    for (std::size_t d = s.size(), k = 1; d-- > 0;) st[d] = k, k *= s[d];
    return st;
}

/// Σ x[0:n] in double: 16 lane accumulators over the first n - n % 16 elements (two vectors of 8
/// doubles, so two add chains overlap), the rest in a 17th; then the lanes pairwise, then the rest.
/// The compiler vectorises the lane loops.
constexpr std::size_t kLanes = 16;

#if !defined(__AVX512F__)
double finish_row(double* l, const float* x, std::size_t j, std::size_t n) {
    double rest = 0;
    for (; j < n; ++j) rest += static_cast<double>(x[j]);
    for (std::size_t w = kLanes / 2; w >= 1; w /= 2)
        for (std::size_t k = 0; k < w; ++k) l[k] += l[k + w];
    return l[0] + rest;
}
#endif

double row_sum(const float* x, std::size_t n) {
#if defined(__AVX512F__)
    // The same sums in two registers of 8 doubles, and the halvings as vector adds of the upper half
    // onto the lower, in finish_row's order (so the same bits) without leaving the registers.
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    std::size_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
        lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm256_loadu_ps(x + j)));
        hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_loadu_ps(x + j + 8)));
    }
    double rest = 0;
    for (; j < n; ++j) rest += static_cast<double>(x[j]);
    const __m512d v8 = _mm512_add_pd(lo, hi);                                                         // l[k] += l[k+8]
    const __m256d v4 = _mm256_add_pd(_mm512_castpd512_pd256(v8), _mm512_extractf64x4_pd(v8, 1));     // l[k] += l[k+4]
    const __m128d v2 = _mm_add_pd(_mm256_castpd256_pd128(v4), _mm256_extractf128_pd(v4, 1));           // l[k] += l[k+2]
    return _mm_cvtsd_f64(_mm_add_sd(v2, _mm_unpackhi_pd(v2, v2))) + rest;                               // l[0] += l[1]
#else
    double l[kLanes] = {};
    std::size_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
        for (std::size_t k = 0; k < kLanes; ++k) l[k] += static_cast<double>(x[j + k]);
    return finish_row(l, x, j, n);
#endif
}

/// a[j] = (((a[j] + x[j]) + x[n + j]) + x[2n + j]) + x[3n + j] in double, j < n: four rows added
/// into the same outputs in row order (the same bits as one row at a time), a loaded and stored once.
void add_rows4(double* a, const float* x, std::size_t n) {
    std::size_t j = 0;
#if defined(__AVX512F__)
    for (; j + 8 <= n; j += 8) {
        if (j % 16 == 0)  // the line of the rows two groups on: out of cache, four streams outrun the prefetcher
            for (std::size_t r = 8; r < 12; ++r) __builtin_prefetch(x + r * n + j);
        __m512d s = _mm512_loadu_pd(a + j);
        s = _mm512_add_pd(s, _mm512_cvtps_pd(_mm256_loadu_ps(x + j)));
        s = _mm512_add_pd(s, _mm512_cvtps_pd(_mm256_loadu_ps(x + n + j)));
        s = _mm512_add_pd(s, _mm512_cvtps_pd(_mm256_loadu_ps(x + 2 * n + j)));
        s = _mm512_add_pd(s, _mm512_cvtps_pd(_mm256_loadu_ps(x + 3 * n + j)));
        _mm512_storeu_pd(a + j, s);
    }
#endif
    for (; j < n; ++j)
        a[j] = (((a[j] + static_cast<double>(x[j])) + static_cast<double>(x[n + j])) + static_cast<double>(x[2 * n + j])) +
               static_cast<double>(x[3 * n + j]);
}

/// y[0:n] = x[0:n] in vectors (a library memcpy call costs more than a 64-byte run).
void copy_run(const float* x, float* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + simd::kWidth <= n; i += simd::kWidth) simd::store(y + i, simd::load(x + i));
    for (; i < n; ++i) y[i] = x[i];
}

}  // namespace

BroadcastPlan plan_broadcast(const Shape& a, const Shape& b, const Shape& y) {
    const std::size_t rank = y.size();
    const auto sta = contiguous_strides(a), stb = contiguous_strides(b);
    BroadcastPlan p;
    p.numel = shape_numel(y);
    for (std::size_t d = 0; d < rank; ++d) {
        if (y[d] == 1) continue;  // a dim of one element moves nothing
        const std::size_t ra = d + a.size() - rank, rb = d + b.size() - rank;  // wrap below 0: absent dim
        const std::size_t sa = d + a.size() >= rank && a[ra] != 1 ? sta[ra] : 0;
        const std::size_t sb = d + b.size() >= rank && b[rb] != 1 ? stb[rb] : 0;
        if (!p.shape.empty() && p.sa.back() == sa * y[d] && p.sb.back() == sb * y[d]) {  // walks as one dim
            p.shape.back() *= y[d];
            p.sa.back() = sa, p.sb.back() = sb;
        } else {
            p.shape.push_back(y[d]), p.sa.push_back(sa), p.sb.push_back(sb);
        }
    }
    if (p.shape.empty()) p.shape = {1}, p.sa = {0}, p.sb = {0};  // one element
    return p;
}

void sum_dims(const float* x, const Shape& xs, const std::vector<bool>& reduced, float* out) {
    // Collapse: drop dims of size 1, merge neighbours that are both reduced or both kept.
    Dims shape, ostride;
    xt::svector<bool, 8> red;
    std::size_t out_n = 1;
    for (std::size_t d = 0; d < xs.size(); ++d) {
        if (!reduced[d]) out_n *= xs[d];
        if (xs[d] == 1) continue;
        if (!red.empty() && red.back() == reduced[d]) shape.back() *= xs[d];
        else shape.push_back(xs[d]), red.push_back(reduced[d]);
    }
    const std::size_t rank = shape.size(), numel = shape_numel(xs);
    if (numel == 0 || rank == 0) {  // nothing to sum (zeros), or one element
        for (std::size_t i = 0; i < out_n; ++i) out[i] = numel == 0 ? 0.0f : x[0];
        return;
    }
    ostride.assign(rank, 0);
    for (std::size_t d = rank, k = 1; d-- > 0;)
        if (!red[d]) ostride[d] = k, k *= shape[d];
    // the accumulators: on the stack for a few outputs (a bias's or a scalar's), else on the heap
    constexpr std::size_t kLocal = 64;
    double local[kLocal];
    std::vector<double> heap;
    double* acc = local;
    if (out_n <= kLocal) std::fill_n(local, out_n, 0.0);
    else heap.assign(out_n, 0.0), acc = heap.data();
    const std::size_t n = shape[rank - 1];
    const bool inner_reduced = red[rank - 1];
    IndexWalk run(shape.data(), rank - 1, ostride.data());  // run.a: acc's offset of the current run
    const std::size_t runs = numel / n;
    if (inner_reduced) {  // each run sums into one output
        for (std::size_t r = 0; r < runs; ++r, x += n) {
            acc[run.a] += row_sum(x, n);
            run.next();
        }
    } else {  // each run adds into n outputs
        // The group of runs that add into the same outputs (the reduced dim just outside the run), four
        // runs at a time: each output is loaded and stored once per four rows, and gets the same
        // additions in the same order as row by row.
        const std::size_t group = rank >= 2 ? shape[rank - 2] : 1;
        for (std::size_t r = 0; r < runs; r += group) {
            double* a = acc + run.a;
            std::size_t g = 0;
            for (; g + 4 <= group; g += 4, x += 4 * n) add_rows4(a, x, n);
            for (; g < group; ++g, x += n)
                for (std::size_t j = 0; j < n; ++j) a[j] += static_cast<double>(x[j]);
            for (g = 0; g < group; ++g) run.next();
        }
    }
    for (std::size_t i = 0; i < out_n; ++i) out[i] = static_cast<float>(acc[i]);
}

void sum_dims_ref(const float* x, const Shape& xs, const std::vector<bool>& reduced, float* out) {
    const std::size_t rank = xs.size();
    std::vector<std::size_t> ostride(rank, 0);
    std::size_t out_n = 1;
    for (std::size_t d = rank; d-- > 0;)
        if (!reduced[d]) ostride[d] = out_n, out_n *= xs[d];
    std::vector<double> acc(out_n, 0.0);
    IndexWalk idx(xs.data(), rank);
    for (std::size_t i = 0, n = shape_numel(xs); i < n; ++i, idx.next()) {
        std::size_t o = 0;
        for (std::size_t d = 0; d < rank; ++d) o += idx[d] * ostride[d];
        acc[o] += static_cast<double>(x[i]);
    }
    for (std::size_t i = 0; i < out_n; ++i) out[i] = static_cast<float>(acc[i]);
}

void permute_copy(const float* x, const Shape& xs, const std::vector<std::size_t>& perm, float* y) {
    // y's dims with x's strides, size-1 dims dropped and neighbours merged where x walks them as one.
    const auto xst = contiguous_strides(xs);
    Shape shape, is;  // (inline small vectors: no allocation up to rank 4)
    for (std::size_t p : perm) {
        if (xs[p] == 1) continue;
        if (!shape.empty() && is.back() == xst[p] * xs[p]) shape.back() *= xs[p], is.back() = xst[p];
        else shape.push_back(xs[p]), is.push_back(xst[p]);
    }
    const std::size_t numel = shape_numel(xs), rank = shape.size();
    if (numel == 0) return;
    if (rank <= 1 || is.back() == 1) {  // x's inner run stays inner: the copy is a copy
        if (rank <= 1) return void(std::memcpy(y, x, numel * sizeof(float)));
        // runs of n along the next dim (m of them, is[rank − 2] apart in x) in a plain loop, the
        // odometer over the dims outside it
        const std::size_t n = shape.back(), m = shape[rank - 2], step = is[rank - 2];
        IndexWalk outer(shape.data(), rank - 2, is.data());
        for (std::size_t done = 0; done < numel; done += n * m, outer.next())
            for (std::size_t t = 0; t < m; ++t, y += n) copy_run(x + outer.a + t * step, y, n);
        return;
    }
    // Otherwise y's dim j is x's inner run: each (j, last) plane is a 2-D transpose, done in tiles so
    // both the reads (along j in x) and the writes (along last in y) stay within a few cache lines.
    const std::size_t j = static_cast<std::size_t>(std::find(is.begin(), is.end(), std::size_t(1)) - is.begin());
    Shape ys(rank);
    for (std::size_t d = rank, k = 1; d-- > 0;) ys[d] = k, k *= shape[d];
    const std::size_t rows = shape[j], cols = shape[rank - 1], xcol = is[rank - 1], yrow = ys[j];
    constexpr std::size_t kTile = 16;
    IndexWalk plane(shape.data(), rank - 1, is.data(), ys.data(), /*skip=*/j);  // every dim but j and the last
    for (std::size_t p = 0, planes = numel / (rows * cols); p < planes; ++p, plane.next()) {
        const std::size_t ox = plane.a, oy = plane.b;
        for (std::size_t r0 = 0; r0 < rows; r0 += kTile)
            for (std::size_t c0 = 0; c0 < cols; c0 += kTile) {
                const std::size_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
                for (std::size_t r = r0; r < r1; ++r)
                    for (std::size_t c = c0; c < c1; ++c) y[oy + r * yrow + c] = x[ox + r + c * xcol];
            }
    }
}

void permute_copy_ref(const float* x, const Shape& xs, const std::vector<std::size_t>& perm, float* y) {
    const auto xst = contiguous_strides(xs);
    const std::size_t rank = perm.size();
    Shape ys(rank);
    for (std::size_t d = 0; d < rank; ++d) ys[d] = xs[perm[d]];
    IndexWalk idx(ys.data(), rank);  // y's multi-index
    for (std::size_t i = 0, n = shape_numel(xs); i < n; ++i, idx.next()) {
        std::size_t o = 0;
        for (std::size_t d = 0; d < rank; ++d) o += idx[d] * xst[perm[d]];
        y[i] = x[o];
    }
}

}  // namespace xgrad::kernels
