// Kernels against their scalar references on the shapes of the bigram workloads (BENCHMARKS.md):
//   W-char: B = 4096 rows, N = 65 classes, K = 64;   W-word: B = 1024, N = 10,000, K = 128.
// GEMM orientations: x·Wᵀ (logits = v·Uᵀ), dy·W (dv = dlogits·U), dyᵀ·x (dU = dlogitsᵀ·v).
#include <mutex>
#include <vector>

#include <benchmark/benchmark.h>
#if defined(XGRAD_BENCH_OPENBLAS)
#include <cblas.h>
#endif

#include "tensor/kernels/bf16.hpp"
#include "tensor/kernels/gather.hpp"
#include "tensor/kernels/gemm.hpp"
#include "tensor/kernels/optim.hpp"
#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/softmax.hpp"
#include "tensor/kernels/threads.hpp"
#include "tensor/random.hpp"

namespace {

std::vector<float> random_vec(std::size_t n, uint64_t seed) {
    xgrad::Generator g(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = g.normal();
    return v;
}

// args: M, N, K, orientation (0: A·Bᵀ, 1: A·B, 2: Aᵀ·B), threads, reference?
void BM_gemm(benchmark::State& st) {
    const std::size_t M = st.range(0), N = st.range(1), K = st.range(2);
    const int orient = static_cast<int>(st.range(3));
    xgrad::set_num_threads(static_cast<int>(st.range(4)));
    const bool ref = st.range(5) != 0;
    const bool ta = orient == 2, tb = orient == 0;
    const auto A = random_vec(M * K, 1), B = random_vec(K * N, 2);
    std::vector<float> C(M * N);
    const std::size_t lda = ta ? M : K, ldb = tb ? K : N;
    for (auto _ : st) {
        if (ref) xgrad::kernels::gemm_ref(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), N, false);
        else xgrad::kernels::gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), N, false);
        benchmark::DoNotOptimize(C.data());
    }
    st.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K * st.iterations(), benchmark::Counter::kIsRate,
                                                benchmark::Counter::kIs1000);
    xgrad::set_num_threads(1);
}

// The bigram products in their three orientations (0: x·Wᵀ, 1: dy·W, 2: dyᵀ·x), as M, N, K. W-char:
// logits (4096×65) = v (4096×64)·Uᵀ; dv (4096×64) = dlogits·U; dU (65×64) = dlogitsᵀ·v. Then W-word, and
// W-word at K = 512 (the dimension sweep's widest point). Only W-char's get the scalar reference.
const long kGemmShapes[3][3][3] = {
    {{4096, 65, 64}, {4096, 64, 65}, {65, 64, 4096}},
    {{1024, 10000, 128}, {1024, 128, 10000}, {10000, 128, 1024}},
    {{1024, 10000, 512}, {1024, 512, 10000}, {10000, 512, 1024}},
};

void gemm_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"M", "N", "K", "orient", "threads", "ref"});
    for (int ref : {0, 1})
        for (int orient : {0, 1, 2})
            for (int threads : {1, 2}) {
                if (ref && threads == 2) continue;
                for (int w = 0; w < (ref ? 1 : 3); ++w) {
                    const long* s = kGemmShapes[w][orient];
                    b->Args({s[0], s[1], s[2], orient, threads, ref});
                }
            }
}
BENCHMARK(BM_gemm)->Apply(gemm_args)->Unit(benchmark::kMillisecond);

#if defined(XGRAD_BENCH_OPENBLAS)
// The yardstick: OpenBLAS's sgemm on the same shapes and orientations (built when CMake finds OpenBLAS).
void BM_gemm_openblas(benchmark::State& st) {
    const int M = static_cast<int>(st.range(0)), N = static_cast<int>(st.range(1)), K = static_cast<int>(st.range(2));
    const int orient = static_cast<int>(st.range(3));
    openblas_set_num_threads(static_cast<int>(st.range(4)));
    const bool ta = orient == 2, tb = orient == 0;
    const auto A = random_vec(std::size_t(M) * K, 1), B = random_vec(std::size_t(K) * N, 2);
    std::vector<float> C(std::size_t(M) * N);
    for (auto _ : st) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f,
                    A.data(), ta ? M : K, B.data(), tb ? K : N, 0.0f, C.data(), N);
        benchmark::DoNotOptimize(C.data());
    }
    st.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K * st.iterations(), benchmark::Counter::kIsRate,
                                                benchmark::Counter::kIs1000);
}
void openblas_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"M", "N", "K", "orient", "threads"});
    for (int orient : {0, 1, 2})
        for (int threads : {1, 2})
            for (const auto& workload : kGemmShapes) {
                const long* s = workload[orient];
                b->Args({s[0], s[1], s[2], orient, threads});
            }
}
BENCHMARK(BM_gemm_openblas)->Apply(openblas_args)->Unit(benchmark::kMillisecond);
#endif

// rows × n: log-sum-exp + softmax per row (the fused cross-entropy pass)
void BM_logsumexp_softmax(benchmark::State& st) {
    const std::size_t rows = st.range(0), n = st.range(1);
    const bool ref = st.range(2) != 0;
    const auto x = random_vec(rows * n, 3);
    std::vector<float> p(rows * n), lse(rows);
    for (auto _ : st) {
        if (ref)
            for (std::size_t r = 0; r < rows; ++r)
                lse[r] = xgrad::kernels::logsumexp_softmax_row_ref(x.data() + r * n, p.data() + r * n, n);
        else
            xgrad::kernels::logsumexp_softmax_rows(x.data(), p.data(), rows, n, lse.data());
        benchmark::DoNotOptimize(lse.data());
        benchmark::ClobberMemory();
    }
    st.counters["Gexp/s"] = benchmark::Counter(double(rows * n) * st.iterations(), benchmark::Counter::kIsRate,
                                               benchmark::Counter::kIs1000);
}
BENCHMARK(BM_logsumexp_softmax)->ArgNames({"rows", "n", "ref"})->Args({4096, 65, 0})->Args({4096, 65, 1})
    ->Args({1024, 10000, 0})->Args({1024, 10000, 1})->Unit(benchmark::kMicrosecond);

// B ids into a V×D table: gather and duplicate-safe scatter-add
void BM_gather_scatter(benchmark::State& st) {
    const std::size_t V = st.range(0), D = 128, B = 1024;
    const bool ref = st.range(1) != 0;
    const auto table = random_vec(V * D, 4), dout = random_vec(B * D, 5);
    std::vector<int64_t> ids(B);
    xgrad::Generator g(6);
    for (auto& i : ids) i = static_cast<int64_t>(g.randint(V));
    std::vector<float> out(B * D), dtable(V * D, 0.0f);
    for (auto _ : st) {
        if (ref) {
            xgrad::kernels::gather_rows_ref(table.data(), D, ids.data(), B, out.data());
            xgrad::kernels::scatter_add_rows_ref(dtable.data(), V, D, ids.data(), B, dout.data());
        } else {
            xgrad::kernels::gather_rows(table.data(), D, ids.data(), B, out.data());
            xgrad::kernels::scatter_add_rows(dtable.data(), V, D, ids.data(), B, dout.data());
        }
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_gather_scatter)->ArgNames({"V", "ref"})->Args({1000, 0})->Args({1000, 1})->Args({50257, 0})->Args({50257, 1})
    ->Unit(benchmark::kMicrosecond);

// One Adam step over a parameter of n floats (W-word's U and V: 10,000 × 128 each)
void BM_adam(benchmark::State& st) {
    const std::size_t n = st.range(0);
    const bool ref = st.range(1) != 0;
    auto p = random_vec(n, 7), g = random_vec(n, 8), m = random_vec(n, 9), v = random_vec(n, 10);
    for (auto& x : v) x = x * x;
    const xgrad::kernels::AdamCoefs c{0.9f, 0.999f, 0.1f, 0.001f, 0.0f, 1.0f, 0.0316f, -1e-6f, 1e-8f};
    for (auto _ : st) {
        if (ref) xgrad::kernels::adam_update_ref(p.data(), g.data(), m.data(), v.data(), nullptr, n, c);
        else xgrad::kernels::adam_update(p.data(), g.data(), m.data(), v.data(), nullptr, n, c);
        benchmark::DoNotOptimize(p.data());
    }
    st.counters["GB/s"] = benchmark::Counter(double(n) * 20 * st.iterations(), benchmark::Counter::kIsRate,
                                             benchmark::Counter::kIs1000);  // read p g m v, write p m v
}
BENCHMARK(BM_adam)->ArgNames({"n", "ref"})->Args({4160, 0})->Args({4160, 1})->Args({1280000, 0})->Args({1280000, 1})
    ->Unit(benchmark::kMicrosecond);

// The machine's read bandwidth, the bound of any product that reads its matrix once (generation's
// matrix-vector products): a 1 GiB array summed with four vector accumulators, split over `threads`
// (each thread its contiguous share). bytes_per_second is what gpt2.py divides a token's bytes by.
void BM_read_bandwidth(benchmark::State& st) {
    namespace simd = xgrad::simd;
    constexpr std::size_t W = simd::kWidth, n = std::size_t(1) << 28;  // 1 GiB of floats
    static const std::vector<float> a(n, 1.0f);
    xgrad::set_num_threads(static_cast<int>(st.range(0)));
    for (auto _ : st) {
        float total = 0.0f;
        std::mutex mu;
        xgrad::parallel_for(n / (4 * W), 1, 1e12, 0, [&](std::size_t b, std::size_t e) {
            simd::Vec s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
            for (std::size_t i = b * 4 * W; i < e * 4 * W; i += 4 * W) {
                s0 += simd::load(a.data() + i), s1 += simd::load(a.data() + i + W);
                s2 += simd::load(a.data() + i + 2 * W), s3 += simd::load(a.data() + i + 3 * W);
            }
            const std::lock_guard lock(mu);
            total += simd::sum(s0 + s1 + s2 + s3);
        });
        benchmark::DoNotOptimize(total);
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * n * sizeof(float)));
    xgrad::set_num_threads(1);
}
BENCHMARK(BM_read_bandwidth)->ArgNames({"threads"})->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Generation's matrix-vector products, x (1, K) · Wᵀ for W (N, K): GPT-2's head (50,257 × 768) and its
// feed-forward (3,072 × 768), against BM_read_bandwidth. Copies of the matrix filling ~600 MB are cycled
// (4 of the head, 66 of the feed-forward's), so each call reads its matrix from memory, as a token does
// (124M's weights are far larger than the caches).
void BM_row_times_transposed(benchmark::State& st) {
    const auto N = std::size_t(st.range(0)), K = std::size_t(st.range(1));
    const std::size_t copies = std::max<std::size_t>(1, (std::size_t(600) << 20) / (N * K * sizeof(float)));
    const std::vector<float> w(copies * N * K, 0.5f);
    std::vector<float> x(K, 1.0f), y(N);
    xgrad::set_num_threads(static_cast<int>(st.range(2)));
    std::size_t c = 0;
    for (auto _ : st) {
        xgrad::kernels::gemm(false, true, 1, N, K, x.data(), K, w.data() + (c++ % copies) * N * K, K, y.data(), N, false);
        benchmark::DoNotOptimize(y.data());
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * N * K * sizeof(float)));
    xgrad::set_num_threads(1);
}
BENCHMARK(BM_row_times_transposed)->ArgNames({"N", "K", "threads"})->Args({50257, 768, 1})->Args({3072, 768, 1})
    ->Args({50257, 768, 2})->Args({3072, 768, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// The same products with W in bfloat16 (kernels::gemm_bf16, `gpt2 --bf16`): half the bytes a call reads.
// Bytes processed are the bf16 matrix's, so GB/s compares with BM_read_bandwidth as the float32 one does.
void BM_row_times_transposed_bf16(benchmark::State& st) {
    const auto N = std::size_t(st.range(0)), K = std::size_t(st.range(1));
    const std::size_t copies = std::max<std::size_t>(1, (std::size_t(600) << 20) / (N * K * sizeof(uint16_t)));
    const std::vector<uint16_t> w(copies * N * K, xgrad::kernels::to_bf16(0.5f));
    std::vector<float> x(K, 1.0f), y(N);
    xgrad::set_num_threads(static_cast<int>(st.range(2)));
    std::size_t c = 0;
    for (auto _ : st) {
        xgrad::kernels::gemm_bf16(1, N, K, x.data(), w.data() + (c++ % copies) * N * K, y.data());
        benchmark::DoNotOptimize(y.data());
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * N * K * sizeof(uint16_t)));
    xgrad::set_num_threads(1);
}
BENCHMARK(BM_row_times_transposed_bf16)->ArgNames({"N", "K", "threads"})->Args({50257, 768, 1})->Args({3072, 768, 1})
    ->Args({50257, 768, 2})->Args({3072, 768, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
