// step_floor: what xgrad's kernels take on the parts of a training step's floor — each matrix product
// given (best of --reps calls after a warm-up) and the machine's copy bandwidth (a 512 MiB array copied,
// split over the threads). benchmarks/gpt2_step.py --floor gives it the step's products, times the same
// shapes with OpenBLAS, and adds the best of each to the optimizer's bytes at the better copy rate.
//   ./build/benchmarks/step_floor --threads 1 --products '[[M, N, K, orient], ...]'
// orient: 0 C = A·Bᵀ (x·Wᵀ), 1 C = A·B (dy·W), 2 C = Aᵀ·B (dyᵀ·x); A, B, C row-major.
// Prints one JSON object: {"seconds": [a call of each product], "copy_bytes_per_second": read + written}.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tensor/kernels/gemm.hpp"
#include "xgrad.hpp"

namespace {

template <class F>
double best_seconds(int reps, F&& fn) {
    fn();  // warm-up: first touch, packing buffers
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

std::vector<float> random_vec(std::size_t n, uint64_t seed) {
    xgrad::Generator g(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = g.normal();
    return v;
}

double product_seconds(std::size_t M, std::size_t N, std::size_t K, int orient, int reps) {
    const bool ta = orient == 2, tb = orient == 0;
    const auto A = random_vec(M * K, 1), B = random_vec(K * N, 2);
    std::vector<float> C(M * N);
    return best_seconds(reps, [&] {
        xgrad::kernels::gemm(ta, tb, M, N, K, A.data(), ta ? M : K, B.data(), tb ? K : N, C.data(), N, false);
    });
}

// Bytes read + written a second by memcpy over a 512 MiB array, each thread its contiguous share.
double copy_bytes_per_second(int reps) {
    constexpr std::size_t n = std::size_t(1) << 27;  // floats
    std::vector<float> src(n, 1.0f), dst(n, 0.0f);
    const double s = best_seconds(reps, [&] {
        xgrad::parallel_for(n, 16, 1e12, 0, [&](std::size_t b, std::size_t e) {
            std::memcpy(dst.data() + b, src.data() + b, (e - b) * sizeof(float));
        });
    });
    return 2.0 * n * sizeof(float) / s;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 1, reps = 3;
    std::string products = "[]";
    CLI::App app{"the kernels' time on a step's products, and the copy bandwidth"};
    app.add_option("--threads", threads, "threads")->check(CLI::Range(1, 256));
    app.add_option("--reps", reps, "timed calls of each (the best is kept)")->check(CLI::PositiveNumber);
    app.add_option("--products", products, "JSON list of [M, N, K, orient]");
    CLI11_PARSE(app, argc, argv);
    try {
        xgrad::set_num_threads(threads);
        nlohmann::json out = {{"seconds", nlohmann::json::array()}};
        for (const auto& p : nlohmann::json::parse(products)) {
            const auto M = p.at(0).get<std::size_t>(), N = p.at(1).get<std::size_t>(), K = p.at(2).get<std::size_t>();
            const int orient = p.at(3).get<int>();
            if (orient < 0 || orient > 2) throw std::invalid_argument(fmt::format("orient {} is not 0, 1 or 2", orient));
            out["seconds"].push_back(product_seconds(M, N, K, orient, reps));
        }
        out["copy_bytes_per_second"] = copy_bytes_per_second(reps);
        fmt::print("{}\n", out.dump());
    } catch (const std::exception& e) {
        fmt::print(stderr, "step_floor: --products {}: {}\n", products, e.what());
        return 2;
    }
    return 0;
}
