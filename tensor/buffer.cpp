// The large-buffer cache of tensor/buffer.hpp: buffers mapped on their own (mmap), freed ones kept in
// lists by page-rounded size, reused by exact size, given back when the cache passes its limit.
// Small blocks are malloc'd with room to start on a 64-byte boundary; up to 4 KiB they come in classes
// of 64 bytes, and each thread keeps a few freed blocks of each class for reuse. Built with
// AddressSanitizer, all buffers come from exact-size aligned operator new and none is cached, so the
// sanitizer still sees every overflow and every use after free.
#include "tensor/buffer.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>
#include <new>

#include <fmt/format.h>

#include "tensor/error.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XGRAD_NO_BUFFER_CACHE 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define XGRAD_NO_BUFFER_CACHE 1
#endif

namespace xgrad {

OutOfMemory::OutOfMemory(std::size_t bytes)
    : bytes_(bytes), what_(fmt::format("out of memory: cannot allocate {} bytes ({:.1f} GiB)", bytes, double(bytes) / (1 << 30))) {}

namespace {

struct Cache {
    std::mutex mu;
    struct Cached {
        void* p;
        uint64_t freed_at;  // `allocations` when it was freed
    };
    std::map<std::size_t, std::vector<Cached>> free;  // rounded size → freed buffers of that size, oldest first
    uint64_t allocations = 0;  // large allocations so far
    uint64_t max_age = 256;    // allocations a cached buffer may wait for reuse (automatic limit only)
    std::map<std::size_t, uint64_t> aged_out;  // sizes given back for their age → when that buffer was freed
    uint64_t aged_sizes = 0, asked_again = 0;  // how many were given back, and how many of those asked for again
    std::size_t limit = kBufferCacheAuto;  // a fixed cap (XGRAD_BUFFER_CACHE_MB, set_buffer_cache_limit)
    BufferStats stats;

    Cache() {
        if (const char* env = std::getenv("XGRAD_BUFFER_CACHE_MB")) {
            char* end = nullptr;
            const unsigned long long mb = std::strtoull(env, &end, 10);
            if (end == env || *end != '\0' || env[0] == '-' || mb > (std::size_t(1) << 40))
                std::fprintf(stderr, "xgrad: XGRAD_BUFFER_CACHE_MB=\"%s\" is not a number of megabytes; the buffer "
                                     "cache keeps its default (automatic) limit\n", env);
            else
                limit = static_cast<std::size_t>(mb) << 20;
        }
    }
    // How many bytes may stay cached now. Automatic: the room under the program's own high-water mark of
    // live buffers (peak − live) plus 1 GiB, since reuse is by exact size and a step's buffers of other
    // sizes wait beside the ones in use. A step that made 4 GB of temporaries finds them again in the
    // next step, and the cache never lifts the footprint more than 1 GiB above the program's peak.
    std::size_t room() const {
        if (limit != kBufferCacheAuto) return limit;
        return (stats.peak_live_bytes - stats.live_bytes) + (std::size_t(1) << 30);
    }
    // Unmaps cached buffers, largest first, until at most `keep` bytes stay cached. Holds mu.
    void shrink_to(std::size_t keep) {
        while (stats.cached_bytes > keep && !free.empty()) {
            auto it = std::prev(free.end());
            ::munmap(it->second.back().p, it->first);
            stats.cached_bytes -= it->first;
            it->second.pop_back();
            if (it->second.empty()) free.erase(it);
        }
    }
    // Before a buffer of `size` is mapped (a miss; automatic limit only): buffers that waited more than
    // max_age allocations unused are given back — a program that keeps asking for new sizes (generation
    // without a cache: every token a longer window) would otherwise fill the cache with sizes it never
    // asks for again. When most sizes given back are asked for again, the program reuses at longer gaps
    // than max_age (a training step longer than it): max_age grows to twice the gaps seen. A size asked
    // for again now and then by chance (another tensor of the same bytes) is not enough. A training loop
    // that finds its buffers again has no misses, so nothing is aged out of it.
    void age_out(std::size_t size) {
        if (limit != kBufferCacheAuto) return;
        if (auto it = aged_out.find(size); it != aged_out.end()) {
            const uint64_t gap = allocations - it->second;
            aged_out.erase(it);
            if (++asked_again * 4 >= aged_sizes) max_age = std::max(max_age, std::min<uint64_t>(2 * gap, uint64_t(1) << 30));
        }
        for (auto it = free.begin(); it != free.end();) {
            auto& v = it->second;
            std::size_t n = 0;
            for (; n < v.size() && allocations - v[n].freed_at > max_age; ++n) ::munmap(v[n].p, it->first);
            if (n > 0) {
                if (aged_out.size() >= 4096) aged_out.clear();  // bounded; forgetting only delays learning
                aged_out[it->first] = v[n - 1].freed_at;
                v.erase(v.begin(), v.begin() + static_cast<long>(n));
                stats.cached_bytes -= n * it->first;
                stats.aged_out += n;
                if (++aged_sizes > 8192) aged_sizes /= 2, asked_again /= 2;  // the recent past counts
            }
            it = v.empty() ? free.erase(it) : std::next(it);
        }
    }
};

Cache& cache() {
    static Cache* c = new Cache;  // never destroyed: arrays in static storage may free into it at exit
    return *c;
}

// Made when the library loads, so a bad XGRAD_BUFFER_CACHE_MB is reported at start, not at the first big array.
[[maybe_unused]] const bool kCacheMade = (cache(), true);

std::size_t rounded(std::size_t bytes) {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return (bytes + page - 1) / page * page;
}

}  // namespace

#if defined(XGRAD_NO_BUFFER_CACHE)

bool buffer_cache_enabled() { return false; }

void* allocate_large_buffer(std::size_t bytes) {
    // nothrow, then std::bad_alloc ourselves: under AddressSanitizer with allocator_may_return_null=1 the
    // throwing aligned new aborts on a request it cannot meet instead of throwing (the sanitizer run's tests
    // ask for 400 GB to check the message they get).
    void* p = ::operator new(bytes, std::align_val_t(kAlignment), std::nothrow);
    if (!p) throw OutOfMemory(bytes);
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    c.stats.live_bytes += rounded(bytes);
    ++c.stats.maps;
    c.stats.peak_live_bytes = std::max(c.stats.peak_live_bytes, c.stats.live_bytes);
    c.stats.peak_bytes = std::max(c.stats.peak_bytes, c.stats.live_bytes);
    return p;
}

void free_large_buffer(void* p, std::size_t bytes) {
    if (!p) return;
    ::operator delete(p, std::align_val_t(kAlignment));
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    c.stats.live_bytes -= rounded(bytes);
}

#else

bool buffer_cache_enabled() { return true; }

void* allocate_large_buffer(std::size_t bytes) {
    const std::size_t size = rounded(bytes);
    Cache& c = cache();
    {
        std::lock_guard lock(c.mu);
        ++c.allocations;
        auto it = c.free.find(size);
        if (it != c.free.end()) {
            void* p = it->second.back().p;
            it->second.pop_back();
            if (it->second.empty()) c.free.erase(it);
            c.stats.cached_bytes -= size;
            c.stats.live_bytes += size;
            ++c.stats.reuses;
            return p;
        }
        c.age_out(size);
    }
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {  // out of memory: give the cache back and try once more
        release_cached_buffers();
        p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw OutOfMemory(size);
    }
    // Huge pages for buffers of 2 MiB and more: a first touch costs one fault per 2 MiB instead of one per
    // 4 KiB (a 124M-parameter model is 160,000 faults otherwise). Advice only: refused, nothing changes.
    if (size >= (std::size_t(2) << 20)) ::madvise(p, size, MADV_HUGEPAGE);
    std::lock_guard lock(c.mu);
    c.stats.live_bytes += size;
    ++c.stats.maps;
    c.stats.peak_live_bytes = std::max(c.stats.peak_live_bytes, c.stats.live_bytes);
    c.shrink_to(c.room());
    c.stats.peak_bytes = std::max(c.stats.peak_bytes, c.stats.live_bytes + c.stats.cached_bytes);
    return p;
}

void free_large_buffer(void* p, std::size_t bytes) {
    if (!p) return;
    const std::size_t size = rounded(bytes);
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    c.stats.live_bytes -= size;
    if (size > c.room()) {
        ::munmap(p, size);
        return;
    }
    c.free[size].push_back({p, c.allocations});
    c.stats.cached_bytes += size;
    c.shrink_to(c.room());
}

#endif

#if defined(XGRAD_NO_BUFFER_CACHE)
// Sanitizer builds: an exact-size aligned allocation, so AddressSanitizer catches a read one past the end.
void* allocate_small_buffer(std::size_t bytes) { return ::operator new(bytes, std::align_val_t(kAlignment)); }
void free_small_buffer(void* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t(kAlignment)); }
#else
namespace {

// Blocks up to kSmallCached bytes are sized in classes of 64 bytes; each thread keeps up to
// kPerClass freed blocks of each class in a list (linked through the blocks' first bytes) for its next
// allocation of that class: a training step frees and makes the same small arrays every time, and a
// list pop is a few instructions. At most 64 × 16 blocks (2 MB) a thread.
constexpr std::size_t kSmallCached = 4096;
constexpr std::size_t kClasses = kSmallCached / kAlignment;
constexpr unsigned kPerClass = 16;

struct SmallLists {  // trivially constructible: a thread's lists need no initialisation call
    void* head[kClasses + 1];
    unsigned count[kClasses + 1];
    bool registered;  // the thread's drain (below) is set up
    bool dead;        // the thread is exiting: free straight to malloc
};
thread_local SmallLists t_small;

// Frees the thread's listed blocks when it exits (later frees go straight to the heap).
struct SmallDrain {
    ~SmallDrain() {
        t_small.dead = true;
        for (std::size_t c = 1; c <= kClasses; ++c)
            while (void* p = t_small.head[c]) {
                t_small.head[c] = *static_cast<void**>(p);
                std::free(static_cast<void**>(p)[-1]);
            }
    }
};

std::size_t size_class(std::size_t bytes) { return (bytes + kAlignment - 1) / kAlignment; }

// bytes + 64 from malloc; the block starts at the next 64-byte boundary past the start (16 to 64 bytes
// in), and the pointer malloc gave is kept in the 8 bytes just before it.
void* aligned_block(std::size_t bytes) {
    void* raw = std::malloc(bytes + kAlignment);
    if (!raw) throw OutOfMemory(bytes);
    const auto a = (reinterpret_cast<std::uintptr_t>(raw) + kAlignment) & ~std::uintptr_t(kAlignment - 1);
    reinterpret_cast<void**>(a)[-1] = raw;
    return reinterpret_cast<void*>(a);
}

}  // namespace

void* allocate_small_buffer(std::size_t bytes) {
    const std::size_t c = size_class(bytes);
    if (c == 0 || c > kClasses) return aligned_block(bytes);
    if (void* p = t_small.head[c]) {
        t_small.head[c] = *static_cast<void**>(p);
        --t_small.count[c];
        return p;
    }
    if (!t_small.registered) {
        t_small.registered = true;
        thread_local SmallDrain drain;
        (void)drain;
    }
    return aligned_block(c * kAlignment);  // the whole class, so any request of the class can reuse it
}

void free_small_buffer(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    const std::size_t c = size_class(bytes);
    if (c == 0 || c > kClasses || t_small.dead || !t_small.registered || t_small.count[c] >= kPerClass) {
        std::free(static_cast<void**>(p)[-1]);
        return;
    }
    *static_cast<void**>(p) = t_small.head[c];
    t_small.head[c] = p;
    ++t_small.count[c];
}
#endif

BufferStats buffer_stats() {
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    return c.stats;
}

void release_cached_buffers() {
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    c.shrink_to(0);
}

void set_buffer_cache_limit(std::size_t bytes) {
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    c.limit = bytes;
    c.shrink_to(c.room());
}

}  // namespace xgrad
