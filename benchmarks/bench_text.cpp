// The tokenizer's encode on a text file, 1 and 2 threads, and BPE training (benchmarks/tokenizer.py
// runs it beside tiktoken). The file: XGRAD_BENCH_TEXT (default: the bundled tinyshakespeare).
//   XGRAD_BENCH_TEXT=big.txt ./build/benchmarks/bench_text
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

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

// The merging's worst cases (the tokenizer issue's list): one long piece, or many pieces that are
// one long run of one character class.
std::string long_text(int which) {
    auto repeat = [](const std::string& s, int n) {
        std::string out;
        for (int i = 0; i < n; ++i) out += s;
        return out;
    };
    switch (which) {
        case 0: return repeat("a", 1000000);
        case 1: {
            std::string out;
            std::uint64_t seed = 20240520;
            for (int i = 0; i < 100000; ++i) {
                seed = (seed * 1103515245 + 12345) % 2147483648ull;
                out += static_cast<char>('a' + (seed >> 16) % 26);
            }
            return out;
        }
        default: return repeat(std::vector<std::string>{"^", "0", "a", "'s", " ", "\n"}[which - 2], 10000);
    }
}

void BM_long_piece(benchmark::State& state) {
    static const char* names[] = {"1e6 x a", "1e5 random letters", "1e4 x ^", "1e4 x 0", "1e4 x a", "1e4 x 's", "1e4 x space", "1e4 x newline"};
    const auto tok = xgrad::text::Tokenizer::gpt2();
    const std::string text = long_text(static_cast<int>(state.range(0)));
    state.SetLabel(names[state.range(0)]);
    for (auto _ : state) benchmark::DoNotOptimize(tok.encode(text).data());
}
BENCHMARK(BM_long_piece)->DenseRange(0, 7)->Unit(benchmark::kMillisecond);

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
