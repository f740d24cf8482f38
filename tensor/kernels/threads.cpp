// Persistent worker threads woken per parallel_for call; the calling thread takes the first range.
// Waiting threads poll a little before they sleep (see kPolls).
#include "tensor/kernels/threads.hpp"

#include <string>

#include "tensor/error.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace xgrad {

namespace {

// XGRAD_NUM_THREADS, when it is a whole number from 1 to 1024; anything else is said once on stderr
// (when the library loads) and the count stays 1.
int initial_threads() {
    const char* e = std::getenv("XGRAD_NUM_THREADS");
    if (!e) return 1;
    char* end = nullptr;
    const long n = std::strtol(e, &end, 10);
    if (end != e && *end == '\0' && n >= 1 && n <= 1024) return int(n);
    std::fprintf(stderr, "xgrad: XGRAD_NUM_THREADS=\"%s\" is not a number of threads (a whole number from 1 to 1024); "
                         "running with 1\n", e);
    return 1;
}

std::atomic<int> g_threads{initial_threads()};

// True on a thread while it runs a part of a parallel_for (the caller's part included). A
// parallel_for called there runs inline: the pool is busy with the outer call, so handing it a
// nested job would wait on itself.
thread_local bool t_in_parallel = false;

// Sets t_in_parallel for one part's run and restores it after (also when the part throws).
struct InParallel {
    bool previous = t_in_parallel;
    InParallel() { t_in_parallel = true; }
    ~InParallel() { t_in_parallel = previous; }
    InParallel(const InParallel&) = delete;
    InParallel& operator=(const InParallel&) = delete;
};

// One parallel_for call: [0, n) in `blocks` blocks of `align`, split into `parts` ranges.
struct Job {
    std::size_t n = 0, align = 1, blocks = 0;
    int parts = 0;
    const RangeFn* fn = nullptr;

    void run_part(int p) const {
        const std::size_t b0 = blocks * p / parts, b1 = blocks * (p + 1) / parts;
        const std::size_t begin = b0 * align, end = std::min(n, b1 * align);
        InParallel inside;
        if (begin < end) (*fn)(begin, end);
    }
};

// A waiting thread first polls, yielding its core between polls (up to kPolls times, some tens of
// microseconds on an idle machine), and only then sleeps: a training step runs its parallel kernels
// back to back, and waking a sleeping thread costs more than many of them take (BENCHMARKS.md has the
// measurement). Yielding, not busy-waiting, keeps a waiting thread from holding a core
// that a working one needs when there are more threads than cores.
// Before that, when the pool has no more threads than the machine has cores, it spins (kSpins checks
// with a CPU pause between, some tens of microseconds): a yield is a system call, and the gap between
// two of a step's parallel kernels is often shorter than waking through one (BENCHMARKS.md).
constexpr int kPolls = 200;
constexpr int kSpins = 2000;

inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

template <class Done>
void poll(Done done, int spins) {
    for (int i = 0; i < spins; ++i) {
        if (done()) return;
        cpu_pause();
    }
    for (int i = 0; i < kPolls && !done(); ++i) std::this_thread::yield();
}

class Pool {
public:
    // Starts up to `workers` threads; a thread the system will not start (a process or memory limit)
    // ends the starting: the pool works with those it has (size() says how many).
    explicit Pool(int workers) : spins_(workers + 1 <= int(std::thread::hardware_concurrency()) ? kSpins : 0) {
        for (int i = 0; i < workers; ++i) {
            try {
                threads_.emplace_back([this, i] { loop(i + 1); });
            } catch (const std::system_error&) {
                break;
            }
        }
    }
    ~Pool() {
        {
            std::lock_guard lk(mu_);
            stop_ = true;
            generation_.fetch_add(1);
        }
        cv_.notify_all();
        for (auto& t : threads_) t.join();
    }
    int size() const { return static_cast<int>(threads_.size()) + 1; }

    // Runs job.run_part(p) for p in [0, job.parts); part 0 on the caller.
    void run(const Job& job) {
        std::lock_guard one_at_a_time(run_mu_);  // callers on several threads take turns
        {
            std::lock_guard lk(mu_);
            job_ = job;
            pending_.store(job.parts - 1);
            generation_.fetch_add(1);  // published last: a polling worker that sees it sees the job
        }
        cv_.notify_all();
        job.run_part(0);
        poll([this] { return pending_.load() == 0; }, spins_);
        if (pending_.load() != 0) {
            std::unique_lock lk(mu_);
            done_cv_.wait(lk, [this] { return pending_.load() == 0; });
        }
    }

private:
    void loop(int id) {
        unsigned long seen = 0;
        for (;;) {
            poll([&] { return generation_.load() != seen; }, spins_);
            Job job;
            {
                std::unique_lock lk(mu_);
                cv_.wait(lk, [&] { return generation_.load() != seen; });
                if (stop_) return;
                seen = generation_.load();
                job = job_;
            }
            if (id >= job.parts) continue;
            job.run_part(id);
            if (pending_.fetch_sub(1) == 1) {
                std::lock_guard lk(mu_);  // the caller checks pending_ under mu_: no lost wake-up
                done_cv_.notify_one();
            }
        }
    }

    const int spins_;  // kSpins, or 0 when there are more threads than cores
    std::vector<std::thread> threads_;
    std::mutex mu_, run_mu_;
    std::condition_variable cv_, done_cv_;
    Job job_;
    std::atomic<int> pending_{0};
    std::atomic<unsigned long> generation_{0};
    bool stop_ = false;
};

// The pool for `threads` threads, or the largest the system would start: when a thread could not be
// started, one warning on stderr, and no further attempt beyond that size.
Pool& pool_for(int threads) {
    static std::unique_ptr<Pool> pool;
    static int most = 1 << 30;  // threads the system started at most (known after a failure)
    static std::mutex mu;
    std::lock_guard lk(mu);
    threads = std::min(threads, most);
    if (!pool || pool->size() < threads) {
        pool.reset();
        pool = std::make_unique<Pool>(threads - 1);
        if (pool->size() < threads) {
            most = pool->size();
            std::fprintf(stderr, "xgrad: warning: only %d of the %d threads asked for could be started; running with %d\n",
                         most, threads, most);
        }
    }
    return *pool;
}

}  // namespace

int num_threads() { return g_threads.load(); }
void set_num_threads(int n) {
    if (n < 1) throw ValueError("set_num_threads: the thread count must be at least 1, got " + std::to_string(n));
    g_threads.store(n);
}

void parallel_for(std::size_t n, std::size_t align, double work, double min_work, RangeFn fn) {
    const int threads = num_threads();
    if (align == 0) align = 1;
    const std::size_t blocks = (n + align - 1) / align;
    const int parts = static_cast<int>(std::min<std::size_t>(threads, blocks));
    // Nested calls (a GEMM inside a parallel loop over attention heads) run inline, so the result is
    // the same as with one thread: each range's elements do not depend on the split.
    if (parts <= 1 || work < min_work || t_in_parallel) {
        if (n) fn(0, n);
        return;
    }
    Pool& pool = pool_for(threads);
    const int have = std::min(parts, pool.size());
    if (have <= 1) {
        if (n) fn(0, n);
        return;
    }
    pool.run(Job{n, align, blocks, have, &fn});
}

}  // namespace xgrad
