// The book's ch. 5 training helpers around GPTModel: calc_loss_loader, evaluate_model, the sample after
// each epoch, and the run's progress saved with the model and the optimizer (save/resume).
#pragma once
#include <string>
#include <vector>

#include "gpt2/generate.hpp"
#include "text/data_loader.hpp"
#include "text/tokenizer.hpp"

namespace gpt2_program {

using xgrad::gpt2::GPTModel;
using xgrad::text::GptDataLoader;

/// The loss of a global batch: under mpirun each rank computes its share (text::shard) and the ranks'
/// losses are averaged weighted by their rows — the loss one process gives on the whole batch.
double global_batch_loss(const GPTModel& model, const xgrad::text::Batch& batch);

/// Mean loss of the first num_batches batches of one pass over `loader` (all when fewer), no graph.
double calc_loss_loader(const GPTModel& model, GptDataLoader& loader, long num_batches);

/// (train, val) losses over eval_iter batches each, in eval mode; the model is back in train mode after.
std::pair<double, double> evaluate_model(GPTModel& model, GptDataLoader& train, GptDataLoader& val, long eval_iter);

/// generate_and_print_sample's text: 50 greedy tokens after `prompt`, line breaks as spaces.
std::string sample(GPTModel& model, const xgrad::text::Tokenizer& tok, const std::string& prompt);

/// Where a run is: what train_model_simple returns, plus what resuming needs — the generator's state at
/// the start of the current epoch (to draw its batch order again) and the batches of it already done.
struct Progress {
    long epochs_done = 0, batches_done = 0, global_step = -1, tokens_seen = 0;
    long global_batch = 0;  // windows a step over all ranks (0: a file saved before it was recorded)
    std::vector<double> train_losses, val_losses, track_tokens_seen;
    xgrad::Generator::State epoch_start;
};

/// Model, optimizer, progress and the default generator's state in one file (written whole).
void save_run(const std::string& path, const GPTModel& model, const xgrad::nn::Optimizer& opt, const Progress& p);
/// Restores what save_run wrote into model, optimizer and the default generator; FileError when the
/// file's model is not `model`'s configuration.
Progress load_run(const std::string& path, GPTModel& model, xgrad::nn::Optimizer& opt);

}  // namespace gpt2_program
