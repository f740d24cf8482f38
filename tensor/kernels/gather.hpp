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

}  // namespace xgrad::kernels
