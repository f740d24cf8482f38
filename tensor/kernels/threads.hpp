// A small persistent thread pool for kernels. Work is split into contiguous ranges; a kernel must make
// each output element depend only on its inputs, never on the split, so results are bit-identical
// at every thread count. The count comes from set_num_threads() or XGRAD_NUM_THREADS (default: 1).
#pragma once
#include <cstddef>
#include <type_traits>

namespace xgrad {

/// Threads kernels may use (>= 1).
int num_threads();
/// Sets the thread count (>= 1; less throws ValueError); takes effect at the next kernel call.
void set_num_threads(int n);

/// A reference to a callable fn(begin, end) that owns nothing and never allocates (a std::function
/// copies a lambda capturing more than two references to the heap: one allocation per kernel call).
/// Valid while the callable lives: parallel_for returns only when every range is done.
class RangeFn {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, RangeFn>)
    RangeFn(F&& f)  // NOLINT: implicit, so a lambda can be passed straight in
        : obj_(const_cast<void*>(static_cast<const void*>(&f))),
          call_([](void* o, std::size_t b, std::size_t e) { (*static_cast<std::remove_reference_t<F>*>(o))(b, e); }) {}
    void operator()(std::size_t begin, std::size_t end) const { call_(obj_, begin, end); }

private:
    void* obj_;
    void (*call_)(void*, std::size_t, std::size_t);
};

/// Elementwise kernels stay on one thread below this much work (elements, or element-passes): waking
/// the pool costs more than they take.
constexpr double kElementwiseGrain = 65536;

/// Calls fn(begin, end) over [0, n) split into at most num_threads() ranges, each a multiple of
/// `align` long (but the last). Runs inline when there is one thread or `work` < `min_work`.
void parallel_for(std::size_t n, std::size_t align, double work, double min_work, RangeFn fn);

}  // namespace xgrad
