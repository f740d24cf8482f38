// The barrier word2vec's reproducible trainer meets at (wordvec/word2vec.cpp).
#pragma once
#include <atomic>
#include <cstdint>

namespace xgrad::wordvec::detail {

/// Where the threads of a merge meet: the last to arrive releases the others, who spin a little, then
/// sleep on the atomic.
class StepBarrier {
public:
    void set_count(int n) { n_ = n; }
    void arrive_and_wait() {
        const uint32_t gen = gen_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
            arrived_.store(0, std::memory_order_relaxed);
            gen_.store(gen + 1, std::memory_order_release);
            gen_.notify_all();
            return;
        }
        for (int i = 0; i < 20000 && gen_.load(std::memory_order_acquire) == gen; ++i) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        while (gen_.load(std::memory_order_acquire) == gen) gen_.wait(gen, std::memory_order_acquire);
    }

private:
    int n_ = 1;
    std::atomic<int> arrived_{0};
    std::atomic<uint32_t> gen_{0};
};

}  // namespace xgrad::wordvec::detail
