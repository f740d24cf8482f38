// Training, evaluation, sampling and checkpoints of the bigram model (the CLI is in main.cpp).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "model.hpp"
#include "nn/serialize.hpp"

namespace bigram {

struct TrainOptions {
    std::string optimizer = "sgd";  ///< sgd | adam | adamw
    double lr = 0.1;
    std::size_t batch = 0;  ///< 0 = every pair in every step (full batch)
    long steps = 0;         ///< the run's total number of optimizer steps
    std::string schedule = "constant";  ///< constant | cosine (lr to 0 at step t_max)
    long t_max = 0;                     ///< the cosine schedule's horizon (PyTorch's T_max); 0 = steps
    bool quiet = false;
    double progress_every = -1;     ///< seconds between progress lines; < 0: 0.2 on a terminal, 10 otherwise
    bool reset_optimizer = false;   ///< a resume starts the optimizer's state afresh instead of loading it
    long eval_every = 0;                   ///< > 0: on_eval(steps done) every this many steps and after the last
    std::function<void(long)> on_eval;
    std::function<bool()> should_stop;    ///< asked after each step: true ends training there (a signal came)
    bool stop_on_nonfinite = true;  ///< a NaN/Inf batch loss throws, naming the step; else it is counted
};

struct Session {
    Vocabulary vocab;
    Pairs train_pairs;
    std::unique_ptr<BigramModel> model;
    std::unique_ptr<xgrad::nn::Optimizer> optimizer;
    xgrad::Generator batch_gen;  ///< draws mini-batches
    long step = 0;               ///< optimizer steps taken so far
    /// (step, loss of that step's batch): every step of the first 10,000, then a thinned record
    /// (at most ~20,000 points), so a run of a million steps keeps a steady memory.
    std::vector<std::pair<long, double>> curve;
    long nonfinite_steps = 0, first_nonfinite_step = -1;

    /// Makes the optimizer named in `o` over the model's parameters.
    void make_optimizer(const TrainOptions& o);
    /// Trains from `step` up to o.steps (or until o.should_stop() says so after a step); prints progress
    /// unless quiet. Returns the seconds spent.
    double train(const TrainOptions& o);
    /// Saves model, optimizer, generator, step and vocabulary (one safetensors file, written atomically);
    /// non-finite weights are refused (ValueError), never written over a file.
    void save(const std::string& path, const std::map<std::string, std::string>& options) const;
};

/// Loads a checkpoint written by Session::save: fills vocab, model, optimizer state, generator and step.
/// Returns the options stored in it.
std::map<std::string, std::string> load_checkpoint(const std::string& path, Session& s, TrainOptions& o);
/// The same from a file already parsed (`path` names it in errors).
std::map<std::string, std::string> load_checkpoint(const xgrad::nn::SafetensorsFile& f, const std::string& path, Session& s,
                                                   TrainOptions& o);

/// The whole of `text` as a number (no trailing bytes: "12abc" is refused, as are "" and out-of-range
/// values); throws std::invalid_argument naming `what` and the text.
long whole_number(const std::string& text, const std::string& what);
double real_number(const std::string& text, const std::string& what);

/// Mean cross-entropy of the model over all pairs (no graph; summed in double).
double mean_loss(BigramModel& m, const Pairs& pairs);

/// n tokens drawn after `context` (the last id is the previous token): softmax(logits / temperature),
/// restricted to the top_k most likely when top_k > 0.
std::vector<int64_t> sample(BigramModel& m, int64_t prev, std::size_t n, double temperature, std::size_t top_k,
                            xgrad::Generator& gen);

}  // namespace bigram
