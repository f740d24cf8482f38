// The gpt2 program's command line, its checks, data and output (main.cpp holds the chapter's flow).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "train.hpp"

namespace gpt2_program {

struct Args {
    xgrad::gpt2::Config config;  // GPT_CONFIG_124M; --model and the size flags change it
    std::string text = XGRAD_DATA_DIR "/gpt2/the-verdict.txt", prompt = "Every effort moves you";
    std::string from_pretrained, save, resume, plot;
    uint64_t seed = 123;
    long epochs = 0, batch_size = 2, eval_freq = 5, eval_iter = 5, max_new_tokens = 50;
    double lr = 4e-4, weight_decay = 0.1, train_ratio = 0.9, temperature = 0.0;
    std::optional<long> top_k;
    std::optional<double> top_p;
    bool no_cache = false, bf16 = false, json = false, overlap = false;
    int threads = 1;

    xgrad::gpt2::GenerateOptions generate_options() const {
        return {.max_new_tokens = max_new_tokens, .temperature = temperature, .top_k = top_k, .top_p = top_p,
                .use_cache = !no_cache};
    }
    /// Where an interrupted run saves: --save, or gpt2-interrupted.safetensors.
    std::string save_or_interrupted() const { return save.empty() ? "gpt2-interrupted.safetensors" : save; }
};

/// Parses the command line into `a`; the exit status when the program should stop (help or a bad flag).
std::optional<int> parse_args(Args& a, int argc, char** argv);

/// Everything that could fail after a long run, checked against the model first: the prompt (empty, longer
/// than the context, ids outside the vocabulary), the generation options, --save's path.
void check_run(const Args& a, const GPTModel& model, const xgrad::IdArray& prompt);

/// ch. 5's data: the text split train_ratio / rest by characters, each half tokenized, windows of
/// context_length with stride context_length; train shuffled with drop_last, val in order. The loaders'
/// batches are global: --batch-size windows for each rank (text::shard gives a rank its own).
struct Data {
    GptDataLoader train, val;
    std::uint64_t text_hash = 0;  // FNV-1a of the text's bytes: every rank must read the same
};
Data load_data(const Args& a, long context_length, const xgrad::text::Tokenizer& tok);

/// Under mpirun, ranks that would not train the same run are refused by name (flags, text, a resumed
/// file's step), and so is a file saved mid-epoch resumed with a different global batch; sets
/// p.global_batch.
void check_ranks(const Args& a, const Data& d, Progress& p);

/// The book's plot_losses: train and val loss against tokens seen, as an SVG.
void write_plot(const std::string& path, const Progress& p);

/// Wall-clock seconds: building (or loading) the model, everything before generating, generating; the
/// training, and the part of it spent waiting for the gradients' sums over ranks (DataParallel::wait).
struct Seconds {
    double model = 0, run = 0, generate = 0, train = 0, wait = 0;
};

/// The generated ids and text (and the losses), as lines or as --json's one object.
void print_result(const Args& a, const Progress& p, const std::vector<xgrad::text::Token>& ids, const std::string& text,
                  const Seconds& t, long new_tokens);

}  // namespace gpt2_program
