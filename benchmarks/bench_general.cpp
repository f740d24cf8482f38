// The general op core (tensor/kernels/broadcast.hpp) against the machine's own yardsticks, in the same
// run: memcpy (copy) and a[i] = b[i] + s·c[i] (triad) bandwidth, at the GPT's sizes in cache (B, T, D) =
// (16, 32, 64), 128 KB, and out of cache (64, 256, 384), 25 MB. Bytes counted: what the kernel must
// read and write (the small broadcast operand included). Then the attention's transposes and batched
// products against a plain copy and the 2-D GEMM on the same flops.
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "autograd/ops.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/kernels/gemm.hpp"
#include "tensor/random.hpp"

namespace {

using xgrad::Array;
using xgrad::Shape;

Array random_array(const Shape& s, uint64_t seed) {
    xgrad::Generator g(seed);
    Array a = Array::from_shape(s);
    for (auto& v : a) v = g.uniform(0.5f, 1.5f);
    return a;
}

// size 0: in cache (16, 32, 64); 1: out of cache (64, 256, 384)
Shape btd(long size) { return size == 0 ? Shape{16, 32, 64} : Shape{64, 256, 384}; }

void BM_copy(benchmark::State& st) {
    const Array x = random_array(btd(st.range(0)), 1);
    Array y = Array::from_shape(x.shape());
    for (auto _ : st) {
        std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
        benchmark::DoNotOptimize(y.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(2 * x.size() * sizeof(float)));
}
BENCHMARK(BM_copy)->ArgName("big")->Arg(0)->Arg(1);

void BM_triad(benchmark::State& st) {
    const Array b = random_array(btd(st.range(0)), 1), c = random_array(btd(st.range(0)), 2);
    Array a = Array::from_shape(b.shape());
    const float s = 1.5f;
    for (auto _ : st) {
        float* pa = a.data();
        const float* pb = b.data();
        const float* pc = c.data();
        for (std::size_t i = 0; i < a.size(); ++i) pa[i] = pb[i] + s * pc[i];
        benchmark::DoNotOptimize(a.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(3 * a.size() * sizeof(float)));
}
BENCHMARK(BM_triad)->ArgName("big")->Arg(0)->Arg(1);

// (B, T, D) op (D) [pattern 0], op (B, T, 1) [1], op (B, T, D) [2]; op 0 add, 1 mul, 2 div; ref: the
// one-element-at-a-time reference.
void BM_broadcast(benchmark::State& st) {
    const Shape xs = btd(st.range(0));
    const long pattern = st.range(1), op = st.range(2);
    const bool ref = st.range(3) != 0;
    const Shape bs = pattern == 0 ? Shape{xs[2]} : pattern == 1 ? Shape{xs[0], xs[1], 1} : xs;
    const Array a = random_array(xs, 1), b = random_array(bs, 2);
    Array y = Array::from_shape(xs);
    const auto plan = xgrad::kernels::plan_broadcast(xs, bs, xs);
    auto run = [&](auto f) {
        if (ref) xgrad::kernels::broadcast_apply_ref(xs, a.data(), bs, b.data(), xs, y.data(), f);
        else xgrad::kernels::broadcast_apply(plan, a.data(), b.data(), y.data(), f);
    };
    for (auto _ : st) {
        if (op == 0) run(xgrad::kernels::Add{});
        else if (op == 1) run(xgrad::kernels::Mul{});
        else run(xgrad::kernels::Div{});
        benchmark::DoNotOptimize(y.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t((2 * a.size() + b.size()) * sizeof(float)));
}
BENCHMARK(BM_broadcast)->ArgNames({"big", "pattern", "op", "ref"})->ArgsProduct({{0, 1}, {0, 1, 2}, {0, 1, 2}, {0}})
    ->ArgsProduct({{0}, {0, 1}, {0}, {1}});

// Σ of (B, T, D) over: 0 the last dim (→ (B, T, 1)), 1 the middle dim (→ (B, 1, D)), 2 the first two
// (→ (1, 1, D): sum_to of a (D) broadcast, a bias's gradient), 3 everything.
void BM_sum(benchmark::State& st) {
    const Shape xs = btd(st.range(0));
    const long which = st.range(1);
    const bool ref = st.range(2) != 0;
    std::vector<bool> red = which == 0 ? std::vector<bool>{false, false, true}
                            : which == 1 ? std::vector<bool>{false, true, false}
                            : which == 2 ? std::vector<bool>{true, true, false}
                                         : std::vector<bool>{true, true, true};
    const Array x = random_array(xs, 1);
    std::vector<float> out(x.size());
    for (auto _ : st) {
        if (ref) xgrad::kernels::sum_dims_ref(x.data(), xs, red, out.data());
        else xgrad::kernels::sum_dims(x.data(), xs, red, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(x.size() * sizeof(float)));
}
BENCHMARK(BM_sum)->ArgNames({"big", "dims", "ref"})->ArgsProduct({{0, 1}, {0, 1, 2, 3}, {0}})->ArgsProduct({{0}, {0, 1}, {1}});

// transpose(1, 2) of (B, T, H, hd): in cache (16, 32, 4, 16), out of cache (64, 256, 6, 64); ref: the
// reference walk. Bytes: read once, written once (compare with BM_copy of the same size class).
void BM_transpose(benchmark::State& st) {
    const Shape xs = st.range(0) == 0 ? Shape{16, 32, 4, 16} : Shape{64, 256, 6, 64};
    const bool ref = st.range(1) != 0;
    const Array x = random_array(xs, 1);
    Array y = Array::from_shape({xs[0], xs[2], xs[1], xs[3]});
    const std::vector<std::size_t> perm = {0, 2, 1, 3};
    for (auto _ : st) {
        if (ref) xgrad::kernels::permute_copy_ref(x.data(), xs, perm, y.data());
        else xgrad::kernels::permute_copy(x.data(), xs, perm, y.data());
        benchmark::DoNotOptimize(y.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(2 * x.size() * sizeof(float)));
}
BENCHMARK(BM_transpose)->ArgNames({"big", "ref"})->Args({0, 0})->Args({1, 0})->Args({0, 1});

// The attention scores q·kᵀ as the matmul op: B·H products of (T, hd)·(hd, T), shape (B·H, T, hd) @
// (B·H, hd, T); against one 2-D GEMM of the same flops, (B·H·T, hd)·(hd, T).
void BM_batched_matmul(benchmark::State& st) {
    const std::size_t BH = st.range(0), T = st.range(1), hd = st.range(2);
    const bool batched = st.range(3) != 0;
    const xgrad::NoGradGuard no_grad;
    const xgrad::Tensor q(random_array({BH, T, hd}, 1)), k(random_array({BH, hd, T}, 2));
    const Array q2 = random_array({BH * T, hd}, 1), k2 = random_array({hd, T}, 2);
    Array y = Array::from_shape({BH * T, T});
    for (auto _ : st) {
        if (batched) benchmark::DoNotOptimize(xgrad::matmul(q, k).data().data());
        else xgrad::kernels::gemm(false, false, BH * T, T, hd, q2.data(), hd, k2.data(), T, y.data(), T, false);
    }
    st.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(BH * T * T * hd) * double(st.iterations()),
                                                benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_batched_matmul)->ArgNames({"BH", "T", "hd", "batched"})->ArgsProduct({{64}, {32}, {16}, {0, 1}})
    ->ArgsProduct({{384}, {256}, {64}, {0, 1}});

// What an op costs beyond its arithmetic: a (4, 8) × (4, 8) with its graph recorded (graph 0: forward
// only), or c = a·b, d = c + a, Σd, its backward and both leaves' zero_grad (graph 1). 32 elements: the
// time is the bookkeeping — the result's tensor, the node, the plan, the gradients.
void BM_small_op(benchmark::State& st) {
    const bool backward = st.range(0) != 0;
    const xgrad::Tensor a(random_array({4, 8}, 1), true), b(random_array({4, 8}, 2), true);
    for (auto _ : st) {
        xgrad::Tensor c = a * b;
        if (backward) {
            xgrad::Tensor d = c + a;
            xgrad::sum(d).backward();
            a.zero_grad(), b.zero_grad();
        }
        benchmark::DoNotOptimize(c.data().data());
    }
}
BENCHMARK(BM_small_op)->ArgNames({"backward"})->Arg(0)->Arg(1);

}  // namespace
