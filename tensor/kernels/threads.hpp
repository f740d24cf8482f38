// A small persistent thread pool for kernels. Work is split into contiguous ranges; a kernel must make
// each output element depend only on its inputs, never on the split, so results are bit-identical
// at every thread count. The count comes from set_num_threads() or XGRAD_NUM_THREADS (default: 1).
#pragma once
#include <cstddef>
#include <functional>

namespace xgrad {

/// Threads kernels may use (>= 1).
int num_threads();
/// Sets the thread count (clamped to >= 1); takes effect at the next kernel call.
void set_num_threads(int n);

/// Calls fn(begin, end) over [0, n) split into at most num_threads() ranges, each a multiple of
/// `align` long (but the last). Runs inline when there is one thread or `work` < `min_work`.
void parallel_for(std::size_t n, std::size_t align, double work, double min_work,
                  const std::function<void(std::size_t, std::size_t)>& fn);

}  // namespace xgrad
