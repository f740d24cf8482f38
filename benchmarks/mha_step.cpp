// mha_step: the book's MultiHeadAttention (causal, no qkv bias, dropout 0) forward + backward on x of
// (batch, context, emb), timed step by step, with the buffer cache's peak of live arrays. The peer is
// benchmarks/attention.py's PyTorch run of the book's class.
//   ./build/benchmarks/mha_step --batch 8 --context 1024 --emb 768 --heads 12 --steps 4 --threads 1
// One JSON object a step: seconds, the live arrays before it (the inputs, weights and dy) and the peak
// of live arrays so far above them (what forward saves for backward, then the gradients).
#include <chrono>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "xgrad.hpp"

using namespace xgrad;

int main(int argc, char** argv) {
    long batch = 8, context = 1024, emb = 768, heads = 12, steps = 4, threads = 1;
    CLI::App app{"the book's MultiHeadAttention, forward + backward, timed"};
    app.add_option("--batch", batch, "rows")->check(CLI::PositiveNumber);
    app.add_option("--context", context, "tokens a row")->check(CLI::PositiveNumber);
    app.add_option("--emb", emb, "d_in = d_out")->check(CLI::PositiveNumber);
    app.add_option("--heads", heads, "heads (emb must be a multiple)")->check(CLI::PositiveNumber);
    app.add_option("--steps", steps, "steps to time")->check(CLI::PositiveNumber);
    app.add_option("--threads", threads, "threads")->check(CLI::Range(1, 256));
    CLI11_PARSE(app, argc, argv);
    try {
        set_num_threads(static_cast<int>(threads));
        manual_seed(123);
        auto mha = nn::make<nn::MultiHeadAttention>(emb, emb, context, 0.0, heads);
        Tensor x(randn({std::size_t(batch), std::size_t(context), std::size_t(emb)}).data(), true);
        const Tensor dy = randn({std::size_t(batch), std::size_t(context), std::size_t(emb)});
        for (long s = 0; s < steps; ++s) {
            x.zero_grad();
            mha->zero_grad();
            const std::size_t live0 = buffer_stats().live_bytes;
            const auto t0 = std::chrono::steady_clock::now();
            Tensor y = mha(x);
            (y * dy).sum().backward();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const BufferStats st = buffer_stats();
            fmt::print("{{\"step\": {}, \"seconds\": {:.4f}, \"peak_above_live_mb\": {:.1f}, \"live_mb\": {:.1f}}}\n", s, seconds,
                       double(st.peak_live_bytes - live0) / 1e6, double(live0) / 1e6);
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "mha_step: {}\n", e.what());
        return 1;
    }
    return 0;
}
