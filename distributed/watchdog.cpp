// The collectives' watchdog (see watchdog.hpp).
#include "distributed/watchdog.hpp"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
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
std::vector<detail::Peer> g_peers;        // guarded by g_mutex

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

// Whether process `pid` has ended: gone, or a zombie its parent has not reaped yet.
bool ended(long pid) {
    if (kill(pid_t(pid), 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");  // "pid (name) S ...": S the state
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

std::string at_step() {
    const long step = g_step.load();
    return step >= 0 ? " at step " + std::to_string(step) : "";
}

[[noreturn]] void end_job() {
    std::fflush(stderr);
    std::_Exit(1);  // a rank that exits unfinalised makes mpirun end the job
}

// Ends this process naming the first rank of this host that has ended. MPI_Finalize waits for every
// rank (and this thread stops before it), so a rank that ends while this one runs has failed.
void check_peers(int rank, int size, long since) {
    for (const detail::Peer& p : g_peers)
        if (ended(p.pid)) {
            std::fprintf(stderr, "xgrad: rank %d of %d (pid %ld on this host) has ended while rank %d %s%s%s; ending the job\n",
                         p.rank, size, p.pid, rank, since < 0 ? "was working" : "waited in ",
                         since < 0 ? "" : g_call.load(), at_step().c_str());
            end_job();
        }
}

void watch(int rank, int size, long timeout) {
    std::unique_lock lock(g_mutex);
    while (!g_wake.wait_for(lock, std::chrono::milliseconds(200), [] { return g_stop; })) {
        const long since = g_entered_ms.load();
        check_peers(rank, size, since);
        if (since < 0 || timeout == 0 || now_ms() - since < timeout * 1000) continue;
        std::fprintf(stderr, "xgrad: rank %d of %d has waited %ld s in %s%s for the other ranks: one of them died, "
                     "hangs or is stopped; ending the job (XGRAD_DISTRIBUTED_TIMEOUT=%ld)\n", rank, size,
                     (now_ms() - since) / 1000, g_call.load(), at_step().c_str(), timeout);
        end_job();
    }
}

}  // namespace

void note_step(long step) { g_step.store(step); }

void detail::start_watchdog(int rank, int size) {
    const long timeout = timeout_seconds();
    if (size == 1) return;
    g_stop = false;
    g_thread = std::thread(watch, rank, size, timeout);
}

void detail::watch_peers(std::vector<Peer> peers) {
    std::lock_guard lock(g_mutex);
    g_peers = std::move(peers);
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
