// distributed.hpp over MPI (Open MPI or MPICH). Counts above INT_MAX go in chunks (MPI counts are int).
#include <malloc.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "distributed/distributed.hpp"
#include "distributed/launcher.hpp"
#include "distributed/watchdog.hpp"

namespace xgrad::distributed {

namespace {

bool g_active = false;  // MPI initialised by a ProcessGroup (and not finalised)
int g_rank = 0, g_size = 1;

void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw DistributedError(fmt::format("{} failed on rank {} of {}: {}", call, g_rank, g_size, std::string(text, length)));
}

// Runs one MPI call under the watchdog's eye and throws when it fails.
template <typename F>
void call(const char* name, F&& f) {
    const detail::InCall in(name);
    check(f(), name);
}

// Bytes per MPI call. Open MPI allocates a temporary the size of each call's message; above glibc's
// largest mmap threshold (32 MB) every call maps fresh pages and faults them in: one 116 MB sum took
// 339 ms on 2 ranks here, the same bytes in 26 MB calls 30 ms.
constexpr std::size_t kChunkBytes = std::size_t(16) << 20;

// f(pointer, count) over [data, data + n) in calls of at most kChunkBytes.
template <typename T, typename F>
void in_chunks(T* data, std::size_t n, F&& f) {
    constexpr std::size_t chunk = kChunkBytes / sizeof(T);
    for (std::size_t at = 0; at < n; at += chunk) f(data + at, int(std::min(chunk, n - at)));
}

// Tells the watchdog the process ids of the other ranks on this host (by host name), so it can name
// one that ends while the others wait for it.
void watch_this_hosts_ranks() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const std::vector<std::string> all = detail::all_gather_strings(fmt::format("{} {}", getpid(), host));
    const std::string mine = all[std::size_t(g_rank)].substr(all[std::size_t(g_rank)].find(' '));
    std::vector<detail::Peer> peers;
    for (int r = 0; r < g_size; ++r) {
        const std::string& s = all[std::size_t(r)];
        if (r != g_rank && s.substr(s.find(' ')) == mine) peers.push_back({r, std::stol(s)});
    }
    detail::watch_peers(std::move(peers));
}

}  // namespace

bool built_with_mpi() { return true; }

ProcessGroup::ProcessGroup(int& argc, char**& argv) {
    if (detail::launched_ranks() == 0) return;  // started alone: a world of 1, MPI untouched
    // Open MPI's non-blocking sums: the ring algorithm, unless the user chose (2 ranks here: 29 ms for
    // 116 MB against 62 ms by its default choice, as fast as the blocking MPI_Allreduce).
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", 0);
    // MPI's temporaries (a message's size, each call) from memory already faulted in: glibc would map each
    // one afresh and give it back after (a third of a 2-rank step here went to faulting them in).
    mallopt(M_MMAP_THRESHOLD, int(2 * kChunkBytes));
    mallopt(M_TRIM_THRESHOLD, int(8 * kChunkBytes));
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    active_ = g_active = true;
    detail::start_watchdog(g_rank, g_size);
    watch_this_hosts_ranks();
}

ProcessGroup::~ProcessGroup() {
    detail::stop_watchdog();
    if (active_) MPI_Finalize();
    g_active = false;
}

int ProcessGroup::exit(int status) {
    if (!active_) return status;
    std::fflush(stdout), std::fflush(stderr);
    const bool stopped = status == 128 + SIGINT || status == 128 + SIGTERM || status == 128 + SIGUSR1;  // together
    if (status != 0 && !stopped && g_size > 1) MPI_Abort(MPI_COMM_WORLD, status);
    detail::stop_watchdog();
    MPI_Finalize();
    active_ = g_active = false;
    return status;
}

int rank() { return g_rank; }
int world_size() { return g_size; }

void barrier() {
    if (g_active) call("MPI_Barrier", [&] { return MPI_Barrier(MPI_COMM_WORLD); });
}

void broadcast(std::span<float> data, int root) {
    if (!g_active) return;
    in_chunks(data.data(), data.size(),
              [&](float* p, int n) { call("MPI_Bcast", [&] { return MPI_Bcast(p, n, MPI_FLOAT, root, MPI_COMM_WORLD); }); });
}

void broadcast(std::span<std::uint64_t> data, int root) {
    if (!g_active) return;
    in_chunks(data.data(), data.size(),
              [&](std::uint64_t* p, int n) {
                  call("MPI_Bcast", [&] { return MPI_Bcast(p, n, MPI_UINT64_T, root, MPI_COMM_WORLD); });
              });
}

void all_reduce_sum(std::span<float> data) {
    if (!g_active) return;
    in_chunks(data.data(), data.size(), [&](float* p, int n) {
        call("MPI_Allreduce", [&] { return MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); });
    });
}

void all_reduce_sum(std::span<double> data) {
    if (!g_active) return;
    in_chunks(data.data(), data.size(), [&](double* p, int n) {
        call("MPI_Allreduce", [&] { return MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); });
    });
}

void all_reduce_mean(std::span<float> data) {
    if (!g_active) return;
    const float scale = 1.0f / float(g_size);
    in_chunks(data.data(), data.size(), [&](float* p, int n) {
        call("MPI_Allreduce", [&] { return MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); });
        for (int i = 0; i < n; ++i) p[i] *= scale;
    });
}

long all_reduce_max(long value) {
    if (g_active)
        call("MPI_Allreduce", [&] { return MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD); });
    return value;
}

std::vector<std::string> detail::all_gather_strings(const std::string& value) {
    if (!g_active) return {value};
    const int length = int(value.size());
    std::vector<int> lengths(g_size), offsets(g_size);
    call("MPI_Allgather", [&] { return MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD); });
    long total = 0;
    for (int r = 0; r < g_size; ++r) offsets[r] = int(total), total += lengths[r];
    if (total > INT_MAX) throw DistributedError(fmt::format("check_same: {} bytes over all ranks is too many", total));
    std::string all(std::size_t(total), '\0');
    call("MPI_Allgatherv", [&] {
        return MPI_Allgatherv(value.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                              MPI_COMM_WORLD);
    });
    std::vector<std::string> out;
    for (int r = 0; r < g_size; ++r) out.push_back(all.substr(std::size_t(offsets[r]), std::size_t(lengths[r])));
    return out;
}

struct AsyncSum::Impl {
    std::vector<MPI_Request> requests;
};

AsyncSum::AsyncSum(float* data, std::size_t count) : impl_(std::make_unique<Impl>()) {
    if (!g_active) return;
    in_chunks(data, count, [&](float* p, int n) {
        MPI_Request r;
        check(MPI_Iallreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r), "MPI_Iallreduce");
        impl_->requests.push_back(r);
    });
}

AsyncSum::~AsyncSum() {
    if (impl_ && !impl_->requests.empty())
        MPI_Waitall(int(impl_->requests.size()), impl_->requests.data(), MPI_STATUSES_IGNORE);
}

bool AsyncSum::done() {
    if (impl_->requests.empty()) return true;
    int flag = 0;
    check(MPI_Testall(int(impl_->requests.size()), impl_->requests.data(), &flag, MPI_STATUSES_IGNORE), "MPI_Testall");
    if (flag) impl_->requests.clear();
    return flag != 0;
}

void AsyncSum::wait() {
    if (impl_->requests.empty()) return;
    call("MPI_Waitall",
         [&] { return MPI_Waitall(int(impl_->requests.size()), impl_->requests.data(), MPI_STATUSES_IGNORE); });
    impl_->requests.clear();
}

}  // namespace xgrad::distributed
