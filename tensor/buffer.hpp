// Where tensor data lives. Small arrays come from the C++ heap; large ones (≥ kLargeBuffer bytes) are
// mapped from the system on their own and, when freed, kept in a cache keyed by size for the next array
// of the same size. A training step makes the same big tensors every time (tens of MB of logits and
// their gradient), so from the second step on they cost neither a system call nor a page fault, and
// they never mix with small allocations (no heap fragmentation holding a peak). PyTorch's CUDA caching
// allocator works the same way; release_cached_buffers() is its empty_cache().
#pragma once
#include <cstddef>
#include <new>

namespace xgrad {

/// Arrays of at least this many bytes use the buffer cache.
inline constexpr std::size_t kLargeBuffer = 256 * 1024;

/// What the buffer cache holds now (bytes rounded up to whole pages).
struct BufferStats {
    std::size_t live_bytes = 0;    ///< large buffers in use
    std::size_t cached_bytes = 0;  ///< freed large buffers kept for reuse
    std::size_t peak_bytes = 0;    ///< highest live + cached so far
    std::size_t peak_live_bytes = 0;  ///< highest live so far: what the automatic limit keeps room for
    std::size_t maps = 0;          ///< buffers mapped from the system so far
    std::size_t reuses = 0;        ///< allocations served from the cache so far
    std::size_t aged_out = 0;      ///< cached buffers given back after waiting too long unused
};
BufferStats buffer_stats();
/// False in sanitizer builds: there large buffers come from operator new and are never cached, so
/// AddressSanitizer sees every use after free.
bool buffer_cache_enabled();
/// Gives every cached buffer back to the system (live ones are untouched).
void release_cached_buffers();
/// set_buffer_cache_limit's default: the cache keeps freed buffers up to the program's own high-water
/// mark of live buffers (peak live − live now) plus 1 GiB — a training step finds all of the last step's
/// temporaries again, and caching never lifts the footprint more than 1 GiB above the live peak — and
/// gives back buffers that waited unused longer than the program's own reuse gap (learned: a size
/// given back too early and asked for again doubles the wait), so sizes a program never asks for
/// again (a window that grows every token) do not pile up.
inline constexpr std::size_t kBufferCacheAuto = ~std::size_t(0);
/// A fixed limit instead: at most `bytes` of freed buffers (XGRAD_BUFFER_CACHE_MB sets it at start);
/// 0 turns caching off (every large buffer is unmapped when freed); kBufferCacheAuto goes back to the default.
void set_buffer_cache_limit(std::size_t bytes);

/// A large buffer of `bytes` (a cached one of the same rounded size if there is one); throws
/// std::bad_alloc when the system has no memory left, after releasing the cache and trying once more.
void* allocate_large_buffer(std::size_t bytes);
/// Hands back a buffer from allocate_large_buffer (same `bytes`): kept for reuse up to the limit.
void free_large_buffer(void* p, std::size_t bytes);

/// Every array starts on a 64-byte boundary (a cache line; large buffers on a page). It matters for
/// results, not only speed: xtensor's vectorised loops do the elements before the first aligned one
/// with scalar math (std::pow where the vector loop uses xsimd's pow), so data placed at another
/// alignment would give other bits.
inline constexpr std::size_t kAlignment = 64;

/// A small (< kLargeBuffer) 64-byte aligned block: malloc'd with room to align (glibc's aligned
/// allocation is several times slower, and a tiny model's step makes dozens of tiny arrays). Blocks up to
/// 4 KiB are reused from the calling thread's short lists of freed blocks of the same 64-byte class.
void* allocate_small_buffer(std::size_t bytes);
/// Hands back a block from allocate_small_buffer (same `bytes`); any thread may free it.
void free_small_buffer(void* p, std::size_t bytes) noexcept;

/// The allocator of Array: large requests go to the buffer cache, small ones to allocate_small_buffer.
template <class T>
struct BufferAllocator {
    using value_type = T;
    BufferAllocator() = default;
    template <class U>
    BufferAllocator(const BufferAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes >= kLargeBuffer) return static_cast<T*>(allocate_large_buffer(bytes));
        return static_cast<T*>(allocate_small_buffer(bytes));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        const std::size_t bytes = n * sizeof(T);
        if (bytes >= kLargeBuffer) free_large_buffer(p, bytes);
        else free_small_buffer(p, bytes);
    }
    template <class U>
    bool operator==(const BufferAllocator<U>&) const noexcept { return true; }
};

}  // namespace xgrad
