// Persistent worker threads woken per parallel_for call; the calling thread takes the first range.
#include "tensor/kernels/threads.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace xgrad {

namespace {

int initial_threads() {
    if (const char* e = std::getenv("XGRAD_NUM_THREADS")) {
        int n = std::atoi(e);
        if (n >= 1) return n;
    }
    return 1;
}

std::atomic<int> g_threads{initial_threads()};

class Pool {
public:
    explicit Pool(int workers) {
        for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { loop(i + 1); });
    }
    ~Pool() {
        {
            std::lock_guard lk(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_) t.join();
    }
    int size() const { return static_cast<int>(threads_.size()) + 1; }

    // Runs job(part) for part in [0, parts); part 0 on the caller.
    void run(int parts, const std::function<void(int)>& job) {
        std::lock_guard one_at_a_time(run_mu_);  // callers on several threads take turns
        {
            std::lock_guard lk(mu_);
            job_ = &job;
            parts_ = parts;
            pending_ = parts - 1;
            ++generation_;
        }
        cv_.notify_all();
        job(0);
        std::unique_lock lk(mu_);
        done_cv_.wait(lk, [this] { return pending_ == 0; });
        job_ = nullptr;
    }

private:
    void loop(int id) {
        unsigned long seen = 0;
        for (;;) {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            if (id >= parts_) continue;
            const auto* job = job_;
            lk.unlock();
            (*job)(id);
            lk.lock();
            if (--pending_ == 0) done_cv_.notify_one();
        }
    }

    std::vector<std::thread> threads_;
    std::mutex mu_, run_mu_;
    std::condition_variable cv_, done_cv_;
    const std::function<void(int)>* job_ = nullptr;
    int parts_ = 0, pending_ = 0;
    unsigned long generation_ = 0;
    bool stop_ = false;
};

Pool& pool_for(int threads) {
    static std::unique_ptr<Pool> pool;
    static std::mutex mu;
    std::lock_guard lk(mu);
    if (!pool || pool->size() < threads) {
        pool.reset();
        pool = std::make_unique<Pool>(threads - 1);
    }
    return *pool;
}

}  // namespace

int num_threads() { return g_threads.load(); }
void set_num_threads(int n) { g_threads.store(n < 1 ? 1 : n); }

void parallel_for(std::size_t n, std::size_t align, double work, double min_work, RangeFn fn) {
    const int threads = num_threads();
    if (align == 0) align = 1;
    const std::size_t blocks = (n + align - 1) / align;
    const int parts = static_cast<int>(std::min<std::size_t>(threads, blocks));
    if (parts <= 1 || work < min_work) {
        if (n) fn(0, n);
        return;
    }
    auto job = [&](int p) {
        const std::size_t b0 = blocks * p / parts, b1 = blocks * (p + 1) / parts;
        const std::size_t begin = b0 * align, end = std::min(n, b1 * align);
        if (begin < end) fn(begin, end);
    };
    pool_for(threads).run(parts, job);
}

}  // namespace xgrad
