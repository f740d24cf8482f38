// The buffer cache behind Array (tensor/buffer.hpp): alignment, reuse of freed large buffers by size
// and of small blocks by class, the cache limit, and that what a reused buffer holds never leaks into
// a new tensor's values.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <thread>
#include <vector>

#include "xgrad.hpp"

using namespace xgrad;

namespace {
bool aligned(const void* p, std::size_t a) { return reinterpret_cast<std::uintptr_t>(p) % a == 0; }
constexpr std::size_t kBig = 1 << 20;  // floats: 4 MiB, above kLargeBuffer
}  // namespace

TEST(Buffer, ArraysStartOn64ByteBoundaries) {
    std::vector<Array> keep;  // held, so each allocation is a fresh block
    for (std::size_t n : {std::size_t(1), std::size_t(3), std::size_t(12), std::size_t(1000), kLargeBuffer / 4 - 1, kBig + 7})
        for (int i = 0; i < 5; ++i) {
            keep.push_back(Array::from_shape({n}));
            EXPECT_TRUE(aligned(keep.back().data(), kAlignment)) << n << " floats";
        }
}

TEST(Buffer, ResultsDoNotDependOnWhereTheDataSits) {
    // xtensor's vectorised pow does the elements before an aligned one with scalar std::pow: the same
    // values in a fresh array must give the same bits every time.
    Generator g(9);
    const Tensor p = randn({10, 10}, g);  // 100 floats: vector loops with a scalar head and tail
    const Array first = xt::pow(p.data(), 3.0f);
    for (int i = 0; i < 20; ++i) {
        std::vector<Array> shift(i, Array::from_shape({std::size_t(i + 1)}));  // move the heap around
        Array copy = p.data();
        const Array again = xt::pow(copy, 3.0f);
        EXPECT_TRUE(xt::all(xt::equal(again, first))) << i;
    }
}

TEST(Buffer, AFreedLargeBufferIsReusedForTheNextArrayOfItsSize) {
    release_cached_buffers();
    const BufferStats before = buffer_stats();
    const float* first = nullptr;
    {
        Array a = Array::from_shape({kBig});
        first = a.data();
        EXPECT_EQ(buffer_stats().live_bytes, before.live_bytes + kBig * sizeof(float));
    }
    const BufferStats freed = buffer_stats();
    EXPECT_EQ(freed.live_bytes, before.live_bytes);
    Array b = Array::from_shape({kBig});
    const BufferStats after = buffer_stats();
    if (buffer_cache_enabled()) {
        EXPECT_EQ(freed.cached_bytes, before.cached_bytes + kBig * sizeof(float));
        EXPECT_EQ(b.data(), first);
        EXPECT_EQ(after.reuses, before.reuses + 1);
        EXPECT_EQ(after.maps, before.maps + 1);
    } else {  // sanitizer build: nothing is cached, every buffer is a new one
        EXPECT_EQ(freed.cached_bytes, 0u);
        EXPECT_EQ(after.reuses, 0u);
        EXPECT_EQ(after.maps, before.maps + 2);
    }
}

// Blocks up to 4 KiB come back from the thread's lists: the next block of the same 64-byte class is the
// one just freed, whatever its size within the class.
TEST(Buffer, AFreedSmallBlockIsReusedForTheNextOfItsClass) {
    for (const auto& [bytes, again] : std::vector<std::pair<std::size_t, std::size_t>>{{100, 120}, {4000, 3970}}) {
        SCOPED_TRACE(::testing::Message() << bytes << " then " << again << " bytes");
        std::vector<void*> held;  // empty the class's list first (a full list sends frees to the heap)
        for (int i = 0; i < 20; ++i) held.push_back(allocate_small_buffer(bytes));
        void* p = allocate_small_buffer(bytes);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % kAlignment, 0u);
        std::memset(p, 1, bytes);  // the whole request is usable
        free_small_buffer(p, bytes);
        void* q = allocate_small_buffer(again);
        if (buffer_cache_enabled()) EXPECT_EQ(q, p);  // sanitizer builds: exact-size blocks, never listed
        std::memset(q, 2, again);
        free_small_buffer(q, again);
        void* other = allocate_small_buffer(bytes + 64);  // the next class: not p
        if (buffer_cache_enabled()) EXPECT_NE(other, p);
        free_small_buffer(other, bytes + 64);
        for (void* h : held) free_small_buffer(h, bytes);
    }
}

TEST(Buffer, FactoriesFillAReusedBuffer) {
    { Tensor junk = full({kBig}, 7.0f); }
    Tensor z = zeros({kBig});
    EXPECT_EQ(xt::amax(xt::abs(z.data()))(), 0.0f);
    Tensor o = ones({kBig / 2, 2});
    EXPECT_EQ(xt::amin(o.data())(), 1.0f);
    EXPECT_EQ(xt::amax(o.data())(), 1.0f);
}

TEST(Buffer, TheLimitBoundsWhatIsCachedAndReleaseEmptiesIt) {
    { Array a = Array::from_shape({kBig}), b = Array::from_shape({2 * kBig}); }
    if (buffer_cache_enabled()) EXPECT_GE(buffer_stats().cached_bytes, 3 * kBig * sizeof(float));
    set_buffer_cache_limit(2 * kBig * sizeof(float));  // keeps one of the two (the larger goes first)
    EXPECT_LE(buffer_stats().cached_bytes, 2 * kBig * sizeof(float));
    set_buffer_cache_limit(0);
    { Array c = Array::from_shape({kBig}); }
    EXPECT_EQ(buffer_stats().cached_bytes, 0u);
    set_buffer_cache_limit(kBufferCacheAuto);
    { Array d = Array::from_shape({kBig}); }
    release_cached_buffers();
    EXPECT_EQ(buffer_stats().cached_bytes, 0u);
}

// By default the cache keeps room up to the program's own peak of live buffers, past 1 GiB: a step
// whose temporaries add up to 1.5 GiB finds every one of them again in the next step (mapped, never
// touched here, so this costs address space, not memory).
TEST(Buffer, TheDefaultLimitKeepsAStepsTemporariesPastOneGiB) {
    if (!buffer_cache_enabled()) {  // sanitizer build: every large buffer is freed at once, none is kept
        { Array a = Array::from_shape({kBig}); }
        EXPECT_EQ(buffer_stats().cached_bytes, 0u);
        return;
    }
    const std::size_t n = (std::size_t(256) << 20) / sizeof(float);  // 256 MiB arrays, six of them
    auto step = [&] {
        std::vector<Array> temporaries;
        for (int i = 0; i < 6; ++i) temporaries.push_back(Array::from_shape({n}));
    };
    step();
    const BufferStats after_first = buffer_stats();
    EXPECT_GE(after_first.cached_bytes, 6 * n * sizeof(float));
    step();
    const BufferStats after_second = buffer_stats();
    EXPECT_EQ(after_second.maps, after_first.maps);  // nothing mapped anew
    EXPECT_EQ(after_second.reuses, after_first.reuses + 6);
    release_cached_buffers();
}

TEST(Buffer, SmallBlocksAreReusedByTheirClassOnTheThreadThatFreedThem) {
    if (buffer_cache_enabled()) {  // sanitizer builds: every small block comes from operator new
        const float* first = nullptr;
        {
            Array a = Array::from_shape({7});  // 28 bytes: the 64-byte class
            first = a.data();
        }
        Array b = Array::from_shape({16});  // 64 bytes: the same class, so the same block
        EXPECT_EQ(b.data(), first);
        Array c = Array::from_shape({17});  // 68 bytes: the next class, a new block
        EXPECT_NE(c.data(), first);
        EXPECT_TRUE(aligned(c.data(), kAlignment));
    }

    // A block made on one thread and freed on another joins the freeing thread's lists; blocks from
    // the lists hold what was written last (nothing carries over into a factory's values).
    std::vector<Array> made(64);
    std::thread([&] {
        for (std::size_t i = 0; i < made.size(); ++i) made[i] = full_array({1 + i % 40}, float(i));
    }).join();
    made.clear();
    for (std::size_t i = 0; i < 64; ++i) {
        const Array z = full_array({1 + i % 40}, -1.0f);
        ASSERT_TRUE(aligned(z.data(), kAlignment));
        for (float v : z) ASSERT_EQ(v, -1.0f);
    }
}

// Sizes never asked for again (a window one position longer every token) are given back once they wait
// longer than the program's reuse gap; a loop that reuses its buffers at a longer gap (a step of 600
// temporaries, each freed before the next is made) teaches the cache to wait that long: after a few
// steps it maps nothing new. (Mapped, never touched: address space, not memory.)
TEST(Buffer, SizesNotAskedForAgainAgeOutAndALongStepIsLearned) {
    release_cached_buffers();
    const std::size_t page = 4096;
    for (std::size_t t = 2000; t-- > 0;) {  // 2000 sizes, 8 MiB down to 256 KiB, each used once
        void* p = allocate_large_buffer(kLargeBuffer + t * page);
        free_large_buffer(p, kLargeBuffer + t * page);
    }
    const BufferStats grown = buffer_stats();
    // without aging the smallest would wait up to the 1 GiB room; aged, the last few hundred (≤ 260 MiB)
    EXPECT_LT(grown.cached_bytes, std::size_t(300) << 20);
    if (buffer_cache_enabled()) EXPECT_GT(grown.aged_out, 500u);  // (the first, largest, leave by the 1 GiB room; a sanitizer build caches nothing)
    release_cached_buffers();

    auto step = [&] {  // 600 temporaries of 600 sizes (256 KiB + k pages: 852 MiB in all), one after the other
        for (std::size_t k = 0; k < 600; ++k) {
            void* p = allocate_large_buffer(kLargeBuffer + k * page);
            free_large_buffer(p, kLargeBuffer + k * page);
        }
    };
    for (int s = 0; s < 6; ++s) step();
    const std::size_t maps = buffer_stats().maps;
    step();
    step();
    if (buffer_cache_enabled()) EXPECT_EQ(buffer_stats().maps, maps) << "the step's buffers are found again once the gap is learned";
    release_cached_buffers();
}
