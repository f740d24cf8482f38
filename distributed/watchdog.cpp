// The collectives' watchdog (see watchdog.hpp).
#include "distributed/watchdog.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "distributed/distributed.hpp"

namespace xgrad::distributed {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<long> g_entered_ms{-1};          // when the call in progress began (ms since the epoch), -1: none
std::atomic<const char*> g_call{"MPI"};      // its name
std::atomic<long> g_step{-1};                // the program's step (note_step), -1: not said
std::thread g_thread;
std::mutex g_mutex;
std::condition_variable g_wake;
bool g_stop = false;

long now_ms() {
    return long(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count());
}

long timeout_seconds() {
    const char* v = std::getenv("XGRAD_DISTRIBUTED_TIMEOUT");
    if (!v) return 600;
    char* end = nullptr;
    const long s = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || s < 0) {
        std::fprintf(stderr, "xgrad: XGRAD_DISTRIBUTED_TIMEOUT=%s is not a number of seconds; using 600\n", v);
        return 600;
    }
    return s;
}

void watch(int rank, int size, long timeout) {
    std::unique_lock lock(g_mutex);
    while (!g_wake.wait_for(lock, std::chrono::milliseconds(500), [] { return g_stop; })) {
        const long since = g_entered_ms.load();
        if (since < 0 || now_ms() - since < timeout * 1000) continue;
        const long step = g_step.load();
        std::fprintf(stderr, "xgrad: rank %d of %d has waited %ld s in %s%s%s for the other ranks: one of them died, "
                     "hangs or is stopped; ending the job (XGRAD_DISTRIBUTED_TIMEOUT=%ld)\n", rank, size,
                     (now_ms() - since) / 1000, g_call.load(), step >= 0 ? " at step " : "",
                     step >= 0 ? std::to_string(step).c_str() : "", timeout);
        std::fflush(stderr);
        std::_Exit(1);  // a rank that exits unfinalised makes mpirun end the job
    }
}

}  // namespace

void note_step(long step) { g_step.store(step); }

void detail::start_watchdog(int rank, int size) {
    const long timeout = timeout_seconds();
    if (timeout == 0 || size == 1) return;
    g_stop = false;
    g_thread = std::thread(watch, rank, size, timeout);
}

void detail::stop_watchdog() {
    if (!g_thread.joinable()) return;
    {
        std::lock_guard lock(g_mutex);
        g_stop = true;
    }
    g_wake.notify_all();
    g_thread.join();
}

detail::InCall::InCall(const char* name) {
    g_call.store(name);
    g_entered_ms.store(now_ms());
}

detail::InCall::~InCall() { g_entered_ms.store(-1); }

}  // namespace xgrad::distributed
