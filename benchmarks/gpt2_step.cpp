// gpt2_step: the W-gpt2 training step — the book's GPTModel (124M by default), AdamW, one step =
// zero_grad, forward, cross-entropy, backward, optimizer step — on random ids of (batch, context), timed
// step by step with what the buffer cache did (arrays mapped anew, reused, live and cached MB).
//   ./build/benchmarks/gpt2_step --steps 5 --threads 2 --batch 2 --context 256
// One JSON object a step; the first step pays the first touch of every buffer. Under mpirun (`mpirun -n 2
// ./build/benchmarks/gpt2_step --batch 1`) each rank takes --batch windows of a global batch of ranks x
// --batch, the gradients averaged by distributed::DataParallel; rank 0 prints, with the seconds it waited
// for the gradients' sums ("wait").
#include <chrono>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "distributed/data_parallel.hpp"
#include "gpt2/model.hpp"
#include "xgrad.hpp"

using namespace xgrad;

int main(int argc, char** argv) {
    distributed::ProcessGroup group(argc, argv);
    std::string size = "124M";
    long steps = 5, threads = 1, batch = 2, context = 256;
    bool overlap = false;
    CLI::App app{"the GPT-2 training step, timed"};
    app.add_option("--model", size, "124M, 355M, 774M or 1558M");
    app.add_option("--steps", steps, "steps to time")->check(CLI::PositiveNumber);
    app.add_option("--threads", threads, "threads")->check(CLI::Range(1, 256));
    app.add_option("--batch", batch, "windows a step")->check(CLI::PositiveNumber);
    app.add_flag("--overlap", overlap, "under mpirun: sum the gradients during backward (DDP's way), not after it");
    app.add_option("--context", context, "tokens a window (at most the model's 1024)")->check(CLI::PositiveNumber);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return group.exit(app.exit(e));
    }
    const int rank = distributed::rank(), world = distributed::world_size();
    try {
        set_num_threads(static_cast<int>(threads));
        manual_seed(123);
        const gpt2::Config cfg = gpt2::Config::named(size);  // dropout 0.1, as the book trains
        auto model = nn::make<gpt2::GPTModel>(cfg);
        nn::AdamW opt(model->parameters(), {.lr = 4e-4, .weight_decay = 0.1});
        distributed::DataParallel ddp(*model, {.overlap = overlap});
        const IdArray all_x = randint(cfg.vocab_size, {batch * world, context}),
                      all_y = randint(cfg.vocab_size, {batch * world, context});
        IdArray x = IdArray::from_shape({std::size_t(batch), std::size_t(context)}), y = x;  // this rank's rows
        std::copy_n(all_x.begin() + rank * batch * context, x.size(), x.begin());
        std::copy_n(all_y.begin() + rank * batch * context, y.size(), y.begin());
        for (long s = 0; s < steps; ++s) {
            const double waited = ddp.wait_seconds();
            const BufferStats before = buffer_stats();
            const auto t0 = std::chrono::steady_clock::now();
            opt.zero_grad();
            Tensor loss = gpt2::loss(model(x), y);
            loss.backward();
            ddp.wait();
            opt.step();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const BufferStats after = buffer_stats();
            const double loss_mean = distributed::mean_over_ranks(loss.item());
            if (rank != 0) continue;
            fmt::print("{{\"step\": {}, \"seconds\": {:.4f}, \"loss\": {:.4f}, \"maps\": {}, \"reuses\": {}, \"live_mb\": {}, "
                       "\"cached_mb\": {}, \"peak_live_mb\": {}, \"ranks\": {}, \"wait\": {:.4f}}}\n", s, seconds, loss_mean,
                       after.maps - before.maps, after.reuses - before.reuses, after.live_bytes >> 20,
                       after.cached_bytes >> 20, after.peak_live_bytes >> 20, world, ddp.wait_seconds() - waited);
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "gpt2_step: {}\n", e.what());
        return group.exit(1);
    }
    return group.exit(0);
}
