// The tokenizer's encode on a text file, 1 and 2 threads, and BPE training (benchmarks/tokenizer.py
// runs it beside tiktoken). The file: XGRAD_BENCH_TEXT (default: the bundled tinyshakespeare).
//   XGRAD_BENCH_TEXT=big.txt ./build/benchmarks/bench_text
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "nn/serialize.hpp"
#include "tensor/kernels/threads.hpp"
#include "text/text.hpp"

namespace {

const std::string& bench_text() {
    static const std::string text = [] {
        const char* path = std::getenv("XGRAD_BENCH_TEXT");
        return xgrad::nn::read_file(path && *path ? path : XGRAD_SOURCE_DIR "/data/tinyshakespeare/input.txt");
    }();
    return text;
}

void BM_encode(benchmark::State& state) {
    const auto tok = xgrad::text::Tokenizer::gpt2();
    const std::string& text = bench_text();
    xgrad::set_num_threads(static_cast<int>(state.range(0)));
    std::size_t n = 0;
    for (auto _ : state) {
        auto ids = tok.encode(text, xgrad::text::AllowedSpecial::All());
        n = ids.size();
        benchmark::DoNotOptimize(ids.data());
    }
    xgrad::set_num_threads(1);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.counters["tokens"] = static_cast<double>(n);
}
BENCHMARK(BM_encode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_decode(benchmark::State& state) {
    const auto tok = xgrad::text::Tokenizer::gpt2();
    const auto ids = tok.encode(bench_text(), xgrad::text::AllowedSpecial::All());
    for (auto _ : state) benchmark::DoNotOptimize(tok.decode_bytes(ids).data());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bench_text().size()));
}
BENCHMARK(BM_decode)->Unit(benchmark::kMillisecond);

void BM_load_gpt2(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(xgrad::text::Tokenizer::from_gpt2_files(XGRAD_SOURCE_DIR "/data/gpt2/encoder.json",
                                                                         XGRAD_SOURCE_DIR "/data/gpt2/vocab.bpe").n_vocab());
}
BENCHMARK(BM_load_gpt2)->Unit(benchmark::kMillisecond);

void BM_train_4096(benchmark::State& state) {
    const std::string text = xgrad::nn::read_file(XGRAD_SOURCE_DIR "/data/tinyshakespeare/input.txt");
    for (auto _ : state) benchmark::DoNotOptimize(xgrad::text::train_bpe(text, {.vocab_size = 4096}).merges.size());
}
BENCHMARK(BM_train_4096)->Unit(benchmark::kMillisecond);

}  // namespace
