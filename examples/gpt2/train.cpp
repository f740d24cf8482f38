// The book's ch. 5 helpers (see train.hpp).
#include "train.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "distributed/distributed.hpp"
#include "programs/run.hpp"

namespace gpt2_program {

using namespace xgrad;
using nlohmann::json;

double global_batch_loss(const GPTModel& model, const text::Batch& batch) {
    const text::Batch mine = text::shard(batch, distributed::rank(), distributed::world_size());
    if (distributed::world_size() == 1) return gpt2::loss(model.forward(mine.inputs), mine.targets).item();
    double sums[2] = {0.0, double(mine.inputs.shape()[0])};  // loss · rows, rows (a last batch may not split evenly)
    if (sums[1] > 0) sums[0] = gpt2::loss(model.forward(mine.inputs), mine.targets).item() * sums[1];
    distributed::all_reduce_sum(sums);
    return sums[0] / sums[1];
}

double calc_loss_loader(const GPTModel& model, GptDataLoader& loader, long num_batches) {
    const long n = std::min<long>(num_batches, long(loader.size()));
    double total = 0.0;
    auto epoch = loader.epoch();  // draws from the generator as iter(loader) does, even when we stop early
    for (long i = 0; i < n; ++i) {
        auto batch = epoch.next();
        total += global_batch_loss(model, *batch);
    }
    return total / double(n);
}

std::pair<double, double> evaluate_model(GPTModel& model, GptDataLoader& train, GptDataLoader& val, long eval_iter) {
    model.eval();
    NoGradGuard no_grad;
    const double t = calc_loss_loader(model, train, eval_iter), v = calc_loss_loader(model, val, eval_iter);
    model.train();
    return {t, v};
}

std::string sample(GPTModel& model, const text::Tokenizer& tok, const std::string& prompt) {
    model.eval();
    const auto ids = tok.encode(prompt);
    IdArray idx = IdArray::from_shape({1, ids.size()});
    std::copy(ids.begin(), ids.end(), idx.begin());
    const IdArray out = gpt2::generate(model, idx, {.max_new_tokens = 50});
    model.train();
    std::string s = tok.decode(std::vector<text::Token>(out.begin(), out.end()));
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
}

namespace {

json config_json(const gpt2::Config& c) {
    return {{"vocab_size", c.vocab_size}, {"context_length", c.context_length}, {"emb_dim", c.emb_dim},
            {"n_heads", c.n_heads}, {"n_layers", c.n_layers}, {"qkv_bias", c.qkv_bias}};
}

}  // namespace

void save_run(const std::string& path, const GPTModel& model, const nn::Optimizer& opt, const Progress& p) {
    const json progress = {{"epochs_done", p.epochs_done}, {"batches_done", p.batches_done}, {"global_step", p.global_step},
                           {"tokens_seen", p.tokens_seen}, {"train_losses", p.train_losses}, {"val_losses", p.val_losses},
                           {"track_tokens_seen", p.track_tokens_seen}, {"global_batch", p.global_batch},
                           {"epoch_start_engine", p.epoch_start.engine},
                           {"epoch_start_seed", p.epoch_start.seed}};
    programs::save_run(path, model, opt, progress.dump(), {{"config", config_json(model.cfg).dump()}});
}

Progress load_run(const std::string& path, GPTModel& model, nn::Optimizer& opt) {
    auto peek = nn::load_safetensors_metadata(path);  // the header alone: the sizes before any tensor is read
    if (peek.count("config") && json::parse(peek["config"]) != config_json(model.cfg))
        throw FileError(fmt::format("{}: a checkpoint of the model {}, not of this run's {} (--resume needs the same sizes)",
                                    path, peek["config"], config_json(model.cfg).dump()));
    const programs::SavedRun run = programs::load_run(path, model, opt);  // and the generator's state
    Progress p;
    try {
        const json j = json::parse(run.progress);
        p.epochs_done = j.at("epochs_done"), p.batches_done = j.at("batches_done"), p.global_step = j.at("global_step");
        p.tokens_seen = j.at("tokens_seen");
        p.train_losses = j.at("train_losses").get<std::vector<double>>();
        p.val_losses = j.at("val_losses").get<std::vector<double>>();
        p.track_tokens_seen = j.at("track_tokens_seen").get<std::vector<double>>();
        p.epoch_start = {j.at("epoch_start_engine"), j.at("epoch_start_seed"), std::nullopt};
        p.global_batch = j.value("global_batch", 0L);
    } catch (const json::exception& e) {
        throw FileError(fmt::format("{}: its \"progress\" is not a gpt2 run's: {}", path, e.what()));
    }
    return p;
}

}  // namespace gpt2_program
