// Embedding primitives over a row-major table (V×D). Ids must already be checked to lie in [0, V):
// these kernels do not check (the ops that call them do, with a message naming the id).
#pragma once
#include <cstddef>
#include <cstdint>

namespace xgrad::kernels {

/// out[i, :] = table[ids[i], :]    table (V×D), ids (n), out (n×D).
void gather_rows(const float* table, std::size_t D, const int64_t* ids, std::size_t n, float* out);
void gather_rows_ref(const float* table, std::size_t D, const int64_t* ids, std::size_t n, float* out);

/// dtable[ids[i], :] += scale_i · dout[i, :] for i = 0..n-1 in order, scale_i = scales ? scales[i] : 1.
/// Repeated ids add up. Threads split the *destination rows* (each row summed by one thread in i
/// order), so the result is bit-identical at any thread count.
void scatter_add_rows(float* dtable, std::size_t V, std::size_t D, const int64_t* ids, std::size_t n,
                      const float* dout, const float* scales = nullptr);
void scatter_add_rows_ref(float* dtable, std::size_t V, std::size_t D, const int64_t* ids, std::size_t n,
                          const float* dout, const float* scales = nullptr);

/// out[i] = Σ_d x[xi[i]·D + d] · y[yi[i]·D + d] for i = 0..n-1: dot products of rows picked by index
/// (vecdot's forward). Each sum runs in float over SIMD lanes, then across them: the same bits at any
/// thread count.
void row_dots(const float* x, const int64_t* xi, const float* y, const int64_t* yi, std::size_t n, std::size_t D,
              float* out);
void row_dots_ref(const float* x, const int64_t* xi, const float* y, const int64_t* yi, std::size_t n, std::size_t D,
                  float* out);

/// dst[i·D + :] = s[i] · src[si[i]·D + :] for i = 0..n-1 (vecdot's backward for an input that was not
/// broadcast: each of its rows gets one term, written without clearing dst first).
void scaled_rows(float* dst, const float* src, const int64_t* si, const float* s, std::size_t n, std::size_t D);
void scaled_rows_ref(float* dst, const float* src, const int64_t* si, const float* s, std::size_t n, std::size_t D);

/// dst[di[i]·D + :] += s[i] · src[si[i]·D + :] for i = 0..n-1 in order (vecdot's backward); repeated
/// destination rows add up in i order.
void scaled_row_adds(float* dst, const int64_t* di, const float* src, const int64_t* si, const float* s, std::size_t n,
                     std::size_t D);
void scaled_row_adds_ref(float* dst, const int64_t* di, const float* src, const int64_t* si, const float* s,
                         std::size_t n, std::size_t D);

}  // namespace xgrad::kernels
