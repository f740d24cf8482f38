// gpt2: the book's GPT-2 (Raschka, "Build a Large Language Model (From Scratch)", ch. 4–5) as one program.
//   ch. 4: GPTModel(GPT_CONFIG_124M) from manual_seed(123), greedy text from "Hello, I am" (--epochs 0);
//   ch. 5: pretraining on the-verdict — 90/10 split, windows of context_length, AdamW(4e-4, 0.1), batch 2,
//          evaluate every 5 steps on 5 batches ("Ep 1 (Step 000000): Train loss 9.781, Val loss 9.933"),
//          a greedy sample after each epoch; then generation with temperature and top-k;
//   --from-pretrained DIR: OpenAI's weights from a Hugging Face GPT-2 folder, to generate or train on.
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
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

// One epoch of train_model_simple, from batch p.batches_done on (a resumed run skips those). False when interrupted.
bool train_epoch(GPTModel& model, nn::AdamW& opt, GptDataLoader& train, GptDataLoader& val, const Args& a, Progress& p,
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
    model.train();
    while (auto batch = epoch.next()) {
        opt.zero_grad();
        Tensor loss = gpt2::loss(model.forward(batch->inputs), batch->targets);
        programs::check_finite_loss(loss.item(), p.global_step + 1, "--lr");  // before the update
        loss.backward();
        opt.step();
        p.tokens_seen += long(batch->inputs.size());
        ++p.global_step, ++p.batches_done;
        if (p.global_step % a.eval_freq == 0) {
            auto [tl, vl] = evaluate_model(model, train, val, a.eval_iter);
            p.train_losses.push_back(tl), p.val_losses.push_back(vl), p.track_tokens_seen.push_back(double(p.tokens_seen));
            fmt::print(a.json ? stderr : stdout, "Ep {} (Step {:06d}): Train loss {:.3f}, Val loss {:.3f}\n",
                       p.epochs_done + 1, p.global_step, tl, vl);
            std::fflush(a.json ? stderr : stdout);
        }
        if (stop.requested()) return false;
    }
    ++p.epochs_done, p.batches_done = 0;
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
    Progress p;
    if (!a.resume.empty()) p = load_run(a.resume, *model, opt);
    if (a.epochs > p.epochs_done) {
        Data d = load_data(a, model->cfg.context_length, tok);
        while (p.epochs_done < a.epochs) {
            if (!train_epoch(*model, opt, d.train, d.val, a, p, stop)) {
                save_run(a.save_or_interrupted(), *model, opt, p);
                fmt::print(stderr, "gpt2: {} at step {}; saved to {} (go on with --resume {})\n", stop.what(), p.global_step,
                           a.save_or_interrupted(), a.save_or_interrupted());
                return stop.exit_code();
            }
            fmt::print(a.json ? stderr : stdout, "{}\n", sample(*model, tok, a.prompt));
            if (!a.save.empty()) save_run(a.save, *model, opt, p);
        }
        if (!a.plot.empty()) write_plot(a.plot, p);
    }
    t.run = since(t0);

    model->eval();
    const auto g0 = std::chrono::steady_clock::now();
    const IdArray out = gpt2::generate(*model, prompt, a.generate_options());
    t.generate = since(g0);
    const std::vector<text::Token> ids(out.begin(), out.end());
    print_result(a, p, ids, tok.decode(ids), t, long(out.size() - prompt.size()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    if (const auto status = parse_args(a, argc, argv)) return *status;
    return programs::run_main("gpt2", [&] {
        set_num_threads(a.threads);
        return run(a);
    });
}
