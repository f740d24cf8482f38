// The word-vector claims of the wordvec library: vectors of a million words load in seconds, and a
// query over a million words takes milliseconds. A table of 1,000,000 words × 100 dims (random
// normals; words "w0" … "w999999") is written once to /tmp in word2vec binary and text, then:
//   BM_load/binary, BM_load/text   load_vectors of the file (streamed; the file is in the page cache)
//   BM_most_similar/threads        most_similar({"w17"}, {}, 10) over all rows (unit rows ready)
//   BM_analogy/threads             most_similar({"w1", "w3"}, {"w2"}, 10)
// Run: ./build/benchmarks/bench_wordvec --benchmark_min_time=1   (see BENCHMARKS.md)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "tensor/kernels/threads.hpp"
#include "tensor/random.hpp"
#include "wordvec/wordvec.hpp"

namespace {

using namespace xgrad;

constexpr std::size_t kWords = 1000000, kDim = 100;

const wordvec::KeyedVectors& table() {
    static const wordvec::KeyedVectors kv = [] {
        std::vector<std::string> words(kWords);
        for (std::size_t i = 0; i < kWords; ++i) words[i] = "w" + std::to_string(i);
        std::vector<float> v(kWords * kDim);
        Generator g(5);
        for (auto& x : v) x = static_cast<float>(g.normal());
        return wordvec::KeyedVectors(std::move(words), std::move(v), kDim);
    }();
    return kv;
}

const std::string& dir() {
    static const std::string d = std::filesystem::temp_directory_path() / ("xgrad_bench_wordvec_" + std::to_string(::getpid()));
    return d;
}

std::string file(bool binary) {
    const std::string path = dir() + (binary ? "/v.bin" : "/v.txt");
    if (!std::filesystem::exists(path)) {
        std::filesystem::create_directories(dir());
        if (binary) wordvec::save_word2vec_binary(table(), path);
        else wordvec::save_word2vec_text(table(), path);
    }
    return path;
}

void BM_load(benchmark::State& state) {
    const bool binary = state.range(0) == 1;
    const std::string path = file(binary);
    for (auto _ : state) {
        auto kv = wordvec::load_vectors(path);
        benchmark::DoNotOptimize(kv.size());
    }
    state.SetLabel(binary ? "word2vec binary" : "word2vec text");
    state.counters["MB"] = double(std::filesystem::file_size(path)) / 1e6;
}
BENCHMARK(BM_load)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_most_similar(benchmark::State& state) {
    set_num_threads(int(state.range(0)));
    const auto& kv = table();
    kv.most_similar({"w17"}, {}, 10);  // the unit rows, made once
    for (auto _ : state) benchmark::DoNotOptimize(kv.most_similar({"w17"}, {}, 10));
    set_num_threads(1);
}
BENCHMARK(BM_most_similar)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_analogy(benchmark::State& state) {
    set_num_threads(int(state.range(0)));
    const auto& kv = table();
    kv.most_similar({"w17"}, {}, 10);
    for (auto _ : state) benchmark::DoNotOptimize(kv.most_similar({"w1", "w3"}, {"w2"}, 10));
    set_num_threads(1);
}
BENCHMARK(BM_analogy)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// The files are removed when the run ends.
struct Cleanup {
    ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(dir(), ec);
    }
} cleanup;

}  // namespace
