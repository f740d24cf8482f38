// gpt2_step: the W-gpt2 training step — the book's GPTModel (124M by default), AdamW, one step =
// zero_grad, forward, cross-entropy, backward, optimizer step — on random ids of (batch, context), timed
// step by step with what the buffer cache did (arrays mapped anew, reused, live and cached MB).
//   ./build/benchmarks/gpt2_step --steps 5 --threads 2 --batch 2 --context 256
// One JSON object a step; the first step pays the first touch of every buffer.
#include <chrono>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "gpt2/model.hpp"
#include "xgrad.hpp"

using namespace xgrad;

int main(int argc, char** argv) {
    std::string size = "124M";
    long steps = 5, threads = 1, batch = 2, context = 256;
    CLI::App app{"the GPT-2 training step, timed"};
    app.add_option("--model", size, "124M, 355M, 774M or 1558M");
    app.add_option("--steps", steps, "steps to time")->check(CLI::PositiveNumber);
    app.add_option("--threads", threads, "threads")->check(CLI::Range(1, 256));
    app.add_option("--batch", batch, "windows a step")->check(CLI::PositiveNumber);
    app.add_option("--context", context, "tokens a window (at most the model's 1024)")->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);
    try {
        set_num_threads(static_cast<int>(threads));
        manual_seed(123);
        const gpt2::Config cfg = gpt2::Config::named(size);  // dropout 0.1, as the book trains
        auto model = nn::make<gpt2::GPTModel>(cfg);
        nn::AdamW opt(model->parameters(), {.lr = 4e-4, .weight_decay = 0.1});
        const IdArray x = randint(cfg.vocab_size, {batch, context}), y = randint(cfg.vocab_size, {batch, context});
        for (long s = 0; s < steps; ++s) {
            const BufferStats before = buffer_stats();
            const auto t0 = std::chrono::steady_clock::now();
            opt.zero_grad();
            Tensor loss = gpt2::loss(model(x), y);
            loss.backward();
            opt.step();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const BufferStats after = buffer_stats();
            fmt::print("{{\"step\": {}, \"seconds\": {:.4f}, \"loss\": {:.4f}, \"maps\": {}, \"reuses\": {}, \"live_mb\": {}, "
                       "\"cached_mb\": {}, \"peak_live_mb\": {}}}\n", s, seconds, loss.item(), after.maps - before.maps,
                       after.reuses - before.reuses, after.live_bytes >> 20, after.cached_bytes >> 20,
                       after.peak_live_bytes >> 20);
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "gpt2_step: {}\n", e.what());
        return 1;
    }
}
