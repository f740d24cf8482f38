// gpt2: the book's GPT-2 (Raschka, "Build a Large Language Model (From Scratch)", ch. 4–5) as one program.
//   ch. 4: GPTModel(GPT_CONFIG_124M) from manual_seed(123), greedy text from "Hello, I am" (--epochs 0);
//   ch. 5: pretraining on the-verdict — 90/10 split, windows of context_length, AdamW(4e-4, 0.1), batch 2,
//          evaluate every 5 steps on 5 batches ("Ep 1 (Step 000000): Train loss 9.781, Val loss 9.933"),
//          a greedy sample after each epoch; then generation with temperature and top-k;
//   --from-pretrained DIR: OpenAI's weights from a Hugging Face GPT-2 folder, to generate or train on;
//   under `mpirun -np N`: data parallelism, each rank on --batch-size windows of every N·batch global batch.
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "distributed/data_parallel.hpp"
#include "gpt2/hf.hpp"
#include "programs/cli.hpp"
#include "programs/run.hpp"
#include "train.hpp"

using namespace xgrad;
using namespace gpt2_program;

namespace {

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

IdArray row(const std::vector<text::Token>& ids) {
    IdArray a = IdArray::from_shape({1, ids.size()});
    std::copy(ids.begin(), ids.end(), a.begin());
    return a;
}

// What a training step needs: the model, its optimizer, and the gradients' average over ranks (mpirun).
struct Trainer {
    GPTModel& model;
    nn::AdamW& opt;
    distributed::DataParallel& ddp;
};

// One epoch of train_model_simple, from batch p.batches_done on (a resumed run skips those). Under mpirun
// every rank draws the same global batches and trains on its share. False when interrupted (on any rank).
bool train_epoch(Trainer& t, GptDataLoader& train, GptDataLoader& val, const Args& a, Progress& p,
                 const programs::StopSignals& stop) {
    Generator& gen = default_generator();
    if (p.batches_done == 0) p.epoch_start = gen.state();
    const Generator::State now = gen.state();
    gen.set_state(p.epoch_start);  // the epoch's batch order: drawn now, or drawn again when resuming
    auto epoch = train.epoch();
    if (p.batches_done > 0) {
        for (long i = 0; i < p.batches_done; ++i) epoch.next();
        gen.set_state(now);
    }
    t.model.train();
    while (auto batch = epoch.next()) {
        const text::Batch mine = text::shard(*batch, distributed::rank(), distributed::world_size());
        distributed::note_step(p.global_step + 1);  // named if the other ranks stop answering
        t.opt.zero_grad();
        Tensor loss = gpt2::loss(t.model.forward(mine.inputs), mine.targets);
        programs::check_finite_loss(distributed::mean_over_ranks(loss.item()), p.global_step + 1, "--lr");  // before the update
        loss.backward();
        t.ddp.wait();  // every gradient the mean over ranks
        t.opt.step();
        p.tokens_seen += long(batch->inputs.size());
        ++p.global_step, ++p.batches_done;
        if (p.global_step % a.eval_freq == 0) {
            auto [tl, vl] = evaluate_model(t.model, train, val, a.eval_iter);
            p.train_losses.push_back(tl), p.val_losses.push_back(vl), p.track_tokens_seen.push_back(double(p.tokens_seen));
            if (distributed::is_main())
                fmt::print(a.json ? stderr : stdout, "Ep {} (Step {:06d}): Train loss {:.3f}, Val loss {:.3f}\n",
                           p.epochs_done + 1, p.global_step, tl, vl);
            std::fflush(a.json ? stderr : stdout);
        }
        if (distributed::all_reduce_max(stop.requested())) return false;  // every rank stops at the same step
    }
    ++p.epochs_done, p.batches_done = 0;
    return true;
}

// The epochs (from where a resumed run was); false when interrupted, after saving. Only rank 0 prints and saves.
bool train_epochs(Trainer& t, const Args& a, const text::Tokenizer& tok, Progress& p, const programs::StopSignals& stop) {
    Data d = load_data(a, t.model.cfg.context_length, tok);
    check_ranks(a, d, p);
    const bool main_rank = distributed::is_main();
    while (p.epochs_done < a.epochs) {
        if (!train_epoch(t, d.train, d.val, a, p, stop)) {
            if (!main_rank) return false;
            save_run(a.save_or_interrupted(), t.model, t.opt, p);
            fmt::print(stderr, "gpt2: {} at step {}; saved to {} (go on with --resume {})\n", stop.what(), p.global_step,
                       a.save_or_interrupted(), a.save_or_interrupted());
            return false;
        }
        if (main_rank) fmt::print(a.json ? stderr : stdout, "{}\n", sample(t.model, tok, a.prompt));
        if (main_rank && !a.save.empty()) save_run(a.save, t.model, t.opt, p);
    }
    if (main_rank && !a.plot.empty()) write_plot(a.plot, p);
    return true;
}

int run(const Args& a) {
    const programs::StopSignals stop;  // SIGINT/SIGTERM: training finishes its step, saves, exits 130/143
    const text::Tokenizer tok = text::Tokenizer::gpt2();
    const auto t0 = std::chrono::steady_clock::now();
    manual_seed(a.seed);
    auto model = a.from_pretrained.empty() ? nn::make<GPTModel>(a.config) : gpt2::from_pretrained(a.from_pretrained);
    Seconds t{.model = since(t0)};
    const IdArray prompt = row(tok.encode(a.prompt));
    check_run(a, *model, prompt);  // every flag against the model before any work

    nn::AdamW opt(model->parameters(), {.lr = a.lr, .weight_decay = a.weight_decay});
    distributed::DataParallel ddp(*model, {.overlap = a.overlap});  // under mpirun: rank 0's weights everywhere, gradients averaged
    Trainer trainer{*model, opt, ddp};
    Progress p;
    if (!a.resume.empty()) p = load_run(a.resume, *model, opt);
    if (a.epochs > p.epochs_done) {
        const auto train0 = std::chrono::steady_clock::now();
        if (!train_epochs(trainer, a, tok, p, stop)) return stop.exit_code();
        t.train = since(train0), t.wait = ddp.wait_seconds();
    }
    t.run = since(t0);
    if (!distributed::is_main()) return 0;  // rank 0 generates and prints

    model->eval();
    if (a.bf16) nn::use_bf16(*model);
    const auto g0 = std::chrono::steady_clock::now();
    const IdArray out = gpt2::generate(*model, prompt, a.generate_options());
    t.generate = since(g0);
    const std::vector<text::Token> ids(out.begin(), out.end());
    print_result(a, p, ids, tok.decode(ids), t, long(out.size() - prompt.size()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    distributed::ProcessGroup group(argc, argv);  // MPI when mpirun started us; otherwise a world of one
    Args a;
    if (const auto status = parse_args(a, argc, argv)) return group.exit(*status);
    return group.exit(programs::run_main("gpt2", [&] {
        set_num_threads(a.threads);
        return run(a);
    }));
}
