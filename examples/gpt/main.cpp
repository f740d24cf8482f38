// gpt: the lecture's GPT (ng-video-lecture) trained on tinyshakespeare characters, as a program.
// The script's steps, in order: read the text, characters as the vocabulary, 90/10 split; get_batch;
// estimate_loss every eval_interval steps; AdamW; then generate from a prompt (temperature, top-k).
// Defaults are the lecture's small CPU model (n_embd 64, 4 heads, 4 layers, block 32, batch 16, lr 1e-3);
// flags give the lecture's full sizes (--n-embd 384 --n-head 6 --n-layer 6 --block-size 256 ...).
// Under `mpirun -np N` each rank trains --batch-size rows of every global batch of N·batch (data parallelism).
#include <chrono>
#include <filesystem>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "distributed/data_parallel.hpp"
#include "model.hpp"
#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "programs/plot.hpp"
#include "programs/run.hpp"

using namespace xgrad;

namespace {

struct Args {
    std::string text = XGRAD_DATA_DIR "/tinyshakespeare/input.txt", save, load, resume, prompt = "\n", plot;
    gpt::Config model;
    long batch_size = 16, max_iters = 5000, eval_interval = 500, eval_iters = 200, max_new_tokens = 500, top_k = 0;
    double learning_rate = 1e-3, temperature = 1.0;
    uint64_t seed = 1337;
    int threads = 1;
    bool json = false;

    /// Where an interrupted run is saved whole (weights, AdamW's moments, step, generator): beside --save
    /// (w.safetensors: w.run.safetensors), or gpt-interrupted.safetensors.
    std::string interrupted_path() const {
        if (save.empty()) return "gpt-interrupted.safetensors";
        const std::string ext = ".safetensors";
        const bool has_ext = save.size() > ext.size() && save.compare(save.size() - ext.size(), ext.size(), ext) == 0;
        return (has_ext ? save.substr(0, save.size() - ext.size()) : save) + ".run.safetensors";
    }
};

struct Data {
    std::vector<char> chars;  // itos
    std::map<char, int64_t> stoi;
    IdArray train, val;
    IdArray encode(const std::string& s) const {
        IdArray out = IdArray::from_shape({s.size()});
        for (std::size_t i = 0; i < s.size(); ++i) {
            auto it = stoi.find(s[i]);
            if (it == stoi.end()) throw ValueError(fmt::format("the prompt has a character the text does not: byte {}", int(s[i])));
            out(i) = it->second;
        }
        return out;
    }
    /// The characters as the JSON a checkpoint records (nn::tokens_to_json).
    std::string vocab_json() const {
        std::vector<std::string> tokens;
        for (char c : chars) tokens.emplace_back(1, c);
        return nn::tokens_to_json(tokens);
    }
    std::string decode(const IdArray& ids) const {
        std::string s;
        for (auto i : ids) s += chars[std::size_t(i)];
        return s;
    }
};

Data load_data(const std::string& path) {
    const std::string text = nn::read_file(path);
    Data d;
    for (unsigned char c : text) d.stoi[char(c)] = 0;  // chars = sorted(list(set(text)))
    for (auto& [c, i] : d.stoi) i = int64_t(d.chars.size()), d.chars.push_back(c);
    const IdArray data = d.encode(text);
    const long n = long(0.9 * double(data.size()));  // first 90% train, rest val
    d.train = slice(data, 0, 0, n);
    d.val = slice(data, 0, n);
    return d;
}

// ix = torch.randint(len(data) - block_size, (batch_size,)); x, y = stack of data[i:i+block], data[i+1:i+block+1]
std::pair<IdArray, IdArray> get_batch(const IdArray& data, long batch_size, long block_size) {
    if (long(data.size()) <= block_size)
        throw ValueError(fmt::format("a split of {} characters is too short for block_size {}", data.size(), block_size));
    const IdArray ix = randint(long(data.size()) - block_size, {batch_size});
    std::vector<IdArray> xs, ys;
    for (auto i : ix) xs.push_back(slice(data, 0, i, i + block_size)), ys.push_back(slice(data, 0, i + 1, i + block_size + 1));
    return {stack(xs), stack(ys)};
}

// Under mpirun: this rank's rows of a global batch (every rank draws the same one), rows [r·B/N, (r+1)·B/N).
IdArray my_rows(const IdArray& batch) {
    const long n = long(batch.shape()[0]), r = distributed::rank(), world = distributed::world_size();
    return world == 1 ? batch : slice(batch, 0, n * r / world, n * (r + 1) / world);
}

// The mean loss of eval_iters batches of each split, in eval mode (no dropout) and without a graph. Under
// mpirun each rank takes its rows of the global batch and the ranks' losses are averaged.
std::pair<float, float> estimate_loss(gpt::GPTLanguageModel& model, const Data& d, const Args& a) {
    NoGradGuard no_grad;
    model.eval();
    float out[2];
    for (int split = 0; split < 2; ++split) {
        Tensor losses = zeros({std::size_t(a.eval_iters)});
        for (long k = 0; k < a.eval_iters; ++k) {
            auto [X, Y] = get_batch(split == 0 ? d.train : d.val, a.batch_size * distributed::world_size(), model.config.block_size);
            const float mine = model.loss(model.forward(my_rows(X)), my_rows(Y)).item();
            losses.mutable_data()(k) = float(distributed::mean_over_ranks(mine));
        }
        out[split] = losses.mean().item();
    }
    model.train();
    return {out[0], out[1]};
}

// The lecture's generate, with temperature and top-k: idx (B, T) grows by max_new_tokens.
IdArray generate(const gpt::GPTLanguageModel& model, IdArray idx, long max_new_tokens, double temperature, long top_k) {
    NoGradGuard no_grad;
    for (long i = 0; i < max_new_tokens; ++i) {
        const IdArray idx_cond = index(idx, {Slice(), Slice(-model.config.block_size, None)});
        Tensor logits = index(model.forward(idx_cond), {Slice(), -1, Slice()}) / float(temperature);  // (B, V)
        if (top_k > 0) {
            auto [v, _] = topk(logits, std::min(top_k, long(logits.shape().back())));
            logits = masked_fill(logits, lt(logits, index(v, {Slice(), Slice(-1, None)})), -INFINITY);
        }
        const IdArray idx_next = multinomial(softmax(logits, -1), 1);  // (B, 1)
        idx = cat({idx, idx_next}, 1);
    }
    return idx;
}

// Where a run is: what the loop has done and drawn so far (all of it saved with an interrupted run).
struct Progress {
    long iter = 0;  // training steps done
    std::vector<float> losses;
    plot::Series train_est{"train loss (estimate)", {}, {}, "#1f77b4"}, val_est{"val loss (estimate)", {}, {}, "#ff7f0e"};
    float train_loss = NAN, val_loss = NAN;  // the last estimates
    double train_secs = 0;  // the training steps alone, without the estimates
};

std::string progress_json(const Progress& p) {
    return nlohmann::json{{"iter", p.iter}, {"losses", p.losses}, {"est_x", p.train_est.x}, {"train_est", p.train_est.y},
                          {"val_est", p.val_est.y}, {"train_secs", p.train_secs}}.dump();
}

// Weights saved from a text of other characters would decode to other characters: a file that records its
// vocabulary (gpt --save does) must hold this text's. PyTorch's weights record none and are taken as they are.
void check_vocab(const std::string& path, const std::map<std::string, std::string>& metadata, const Data& d) {
    const auto it = metadata.find("vocab");
    if (it == metadata.end() || it->second == d.vocab_json()) return;
    const std::vector<std::string> saved = nn::tokens_from_json(it->second);
    std::size_t i = 0;
    while (i < saved.size() && i < d.chars.size() && saved[i] == std::string(1, d.chars[i])) ++i;
    const auto shown = [](const std::string& c) { return c == "\n" ? std::string("\\n") : c; };
    throw ValueError(fmt::format("{}: its weights were trained on a text of other characters: character {} is '{}' there, "
                                 "'{}' in this text (of {} and {} characters)", path, i, i < saved.size() ? shown(saved[i]) : "",
                                 i < d.chars.size() ? shown(std::string(1, d.chars[i])) : "", saved.size(), d.chars.size()));
}

void load_weights(const std::string& path, gpt::GPTLanguageModel& model, const Data& d) {
    const nn::SafetensorsFile f = nn::load_safetensors(path);
    check_vocab(path, f.metadata, d);
    model.load_state_dict(f.tensors);
}

Progress resume(const std::string& path, gpt::GPTLanguageModel& model, nn::Optimizer& opt, const Args& a, const Data& d) {
    const programs::SavedRun run = programs::load_run(path, model, opt);
    check_vocab(path, run.metadata, d);
    const auto j = nlohmann::json::parse(run.progress);
    Progress p;
    p.iter = j.at("iter"), p.losses = j.at("losses").get<std::vector<float>>(), p.train_secs = j.at("train_secs");
    p.train_est.x = p.val_est.x = j.at("est_x").get<std::vector<double>>();
    p.train_est.y = j.at("train_est").get<std::vector<double>>(), p.val_est.y = j.at("val_est").get<std::vector<double>>();
    if (!p.train_est.y.empty()) p.train_loss = float(p.train_est.y.back()), p.val_loss = float(p.val_est.y.back());
    if (p.iter > a.max_iters)
        throw ValueError(fmt::format("--max-iters {}: the run {} is already at step {}", a.max_iters, path, p.iter));
    return p;
}

// The lecture's loop from step p.iter to max_iters. False when a signal asked it to stop (after a whole step).
bool train(gpt::GPTLanguageModel& model, nn::AdamW& optimizer, const Data& d, const Args& a, Progress& p,
           const programs::StopSignals& stop) {
    distributed::DataParallel ddp(model);  // under mpirun: rank 0's weights everywhere, gradients averaged
    const bool main_rank = distributed::is_main();
    for (; p.iter < a.max_iters; ++p.iter) {
        if (distributed::all_reduce_max(stop.requested())) return false;  // every rank at the same step
        distributed::note_step(p.iter);
        if (p.iter % a.eval_interval == 0 || p.iter == a.max_iters - 1) {
            std::tie(p.train_loss, p.val_loss) = estimate_loss(model, d, a);
            p.train_est.x.push_back(double(p.iter)), p.train_est.y.push_back(p.train_loss);
            p.val_est.x.push_back(double(p.iter)), p.val_est.y.push_back(p.val_loss);
            if (main_rank && !a.json) fmt::print("step {}: train loss {:.4f}, val loss {:.4f}\n", p.iter, p.train_loss, p.val_loss);
            if (main_rank && a.json) fmt::print("{{\"step\": {}, \"train_loss\": {:.9g}, \"val_loss\": {:.9g}}}\n", p.iter, p.train_loss, p.val_loss);
            std::fflush(stdout);  // a logged or piped run shows its progress as it goes
        }
        const auto s0 = std::chrono::steady_clock::now();
        auto [xb, yb] = get_batch(d.train, a.batch_size * distributed::world_size(), a.model.block_size);
        Tensor loss = model.loss(model.forward(my_rows(xb)), my_rows(yb));
        const float mean = float(distributed::mean_over_ranks(loss.item()));
        programs::check_finite_loss(mean, p.iter, "--learning-rate");  // before the update
        optimizer.zero_grad();
        loss.backward();
        ddp.wait();
        optimizer.step();
        p.losses.push_back(mean);
        p.train_secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    }
    return true;
}

void write_plot(const std::string& dir, const Progress& p, const gpt::Config& c) {
    plot::Series batch{"batch loss", {}, {}, "#c7c7c7"};
    for (std::size_t i = 0; i < p.losses.size(); ++i) batch.x.push_back(double(i)), batch.y.push_back(p.losses[i]);
    const plot::LineChart chart{fmt::format("GPT on tinyshakespeare: {} layers, {} heads, n_embd {}", c.n_layer, c.n_head, c.n_embd),
                                "step", "cross-entropy loss", false, false, {batch, p.train_est, p.val_est}, {}};
    nn::write_file_atomic(dir + "/loss.svg", plot::line_chart(chart));
}

// Everything that can fail after training is checked before it: the model's sizes, the prompt, the outputs.
void check_run(const Args& a, const Data& d) {
    if (a.model.n_embd % a.model.n_head != 0)
        throw ValueError(fmt::format("--n-embd {} is not a multiple of --n-head {}", a.model.n_embd, a.model.n_head));
    d.encode(a.prompt);
    if (!a.load.empty() && !a.resume.empty())
        throw ValueError(fmt::format("--load {} with --resume {}: a resumed run goes on from its own weights", a.load, a.resume));
    if (!a.save.empty()) {
        programs::check_writable(a.save, "--save");
        programs::check_not_input(a.save, "--save", a.text, "the training text");
    }
    if (!a.plot.empty())
        programs::check_not_input(programs::make_output_dir(a.plot, "--plot", "loss.svg"), "--plot", a.text, "the training text");
}

int run(Args a) {
    const programs::StopSignals stop;  // SIGINT/SIGTERM: the step finishes, the run is saved, exit 130/143
    const Data d = load_data(a.text);
    a.model.vocab_size = long(d.chars.size());
    check_run(a, d);

    manual_seed(a.seed);
    gpt::GPTLanguageModel model(a.model);
    if (!a.load.empty()) load_weights(a.load, model, d);
    std::size_t n_params = 0;
    for (auto& p : model.parameters()) n_params += p.numel();
    const bool main_rank = distributed::is_main();  // under mpirun rank 0 alone prints, saves and generates
    if (main_rank && !a.json) fmt::print("{} characters, vocabulary {}; {:.3f} M parameters\n", d.train.size() + d.val.size(),
                            a.model.vocab_size, double(n_params) / 1e6);
    nn::AdamW optimizer(model.parameters(), {.lr = a.learning_rate});
    Progress p;
    if (!a.resume.empty()) p = resume(a.resume, model, optimizer, a, d);
    const auto t0 = std::chrono::steady_clock::now();
    if (!train(model, optimizer, d, a, p, stop)) {
        if (!main_rank) return stop.exit_code();
        programs::save_run(a.interrupted_path(), model, optimizer, progress_json(p), {{"program", "gpt"}, {"vocab", d.vocab_json()}});
        fmt::print(stderr, "gpt: {} at step {} of {}; the run is saved to {} (go on with --resume {})\n", stop.what(), p.iter,
                   a.max_iters, a.interrupted_path(), a.interrupted_path());
        return stop.exit_code();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!main_rank) return 0;
    if (!a.save.empty()) {  // before generating: the weights are what matters
        programs::check_finite_weights(model, a.save);
        nn::save_safetensors(a.save, model.state_dict(), {{"vocab", d.vocab_json()}});  // PyTorch reads it as a state_dict
    }
    if (!a.plot.empty()) write_plot(a.plot, p, a.model);
    model.eval();
    IdArray start = reshape(d.encode(a.prompt), {1, -1});
    const std::string text = d.decode(select(generate(model, start, a.max_new_tokens, a.temperature, a.top_k), 0, 0));
    const double ms_step = 1e3 * p.train_secs / double(std::max(a.max_iters, 1L));
    if (a.json) {
        fmt::print("{{\"train_loss\": {:.9g}, \"valid_loss\": {:.9g}, \"seconds\": {:.3f}, \"ms_per_step\": {:.4f}, "
                   "\"parameters\": {}, \"losses\": [{}]}}\n",
                   p.train_loss, p.val_loss, secs, ms_step, n_params, fmt::join(p.losses, ", "));
        return 0;
    }
    fmt::print("{} steps in {:.1f} s ({:.1f} ms a training step){}\n\n{}\n", a.max_iters, secs, ms_step,
               a.save.empty() ? "" : "; weights saved to " + a.save, text);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    distributed::ProcessGroup group(argc, argv);  // MPI when mpirun started us: each rank --batch-size rows a step
    Args a;
    CLI::App app{"the lecture's GPT on tinyshakespeare characters"};
    app.add_option("--text", a.text, "training text")->capture_default_str();
    app.add_option("--batch-size", a.batch_size, "sequences a step")->capture_default_str()->check(programs::positive);
    app.add_option("--block-size", a.model.block_size, "context length")->capture_default_str()->check(programs::positive);
    app.add_option("--n-embd", a.model.n_embd, "embedding size C")->capture_default_str()->check(programs::positive);
    app.add_option("--n-head", a.model.n_head, "attention heads (C must be a multiple)")->capture_default_str()->check(programs::positive);
    app.add_option("--n-layer", a.model.n_layer, "blocks")->capture_default_str()->check(programs::positive);
    app.add_option("--dropout", a.model.dropout, "dropout probability")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    app.add_option("--max-iters", a.max_iters, "training steps")->capture_default_str()->check(programs::non_negative);
    app.add_option("--eval-interval", a.eval_interval, "steps between loss estimates")->capture_default_str()->check(programs::positive);
    app.add_option("--eval-iters", a.eval_iters, "batches a loss estimate")->capture_default_str()->check(programs::positive);
    app.add_option("--learning-rate", a.learning_rate, "AdamW's lr")->capture_default_str()->check(programs::non_negative);
    app.add_option("--seed", a.seed, "seed (torch.manual_seed's)")->capture_default_str();
    app.add_option("--prompt", a.prompt, "text to continue (default: a line break)");
    app.add_option("--max-new-tokens", a.max_new_tokens, "characters to generate")->capture_default_str()->check(programs::non_negative);
    app.add_option("--temperature", a.temperature, "sampling temperature")->capture_default_str()->check(programs::positive);
    app.add_option("--top-k", a.top_k, "sample from the k likeliest characters (0: all)")->capture_default_str()->check(programs::non_negative);
    app.add_option("--save", a.save, "write the trained weights (safetensors, the script's state_dict names)");
    app.add_option("--plot", a.plot, "write loss.svg (batch losses and the estimates) into this directory");
    app.add_option("--load", a.load, "start from these weights (safetensors, e.g. PyTorch's)");
    app.add_option("--resume", a.resume, "go on from the run an interrupted gpt saved (on SIGINT/SIGTERM: W.run.safetensors "
                                         "beside --save W.safetensors, or gpt-interrupted.safetensors)")->check(CLI::ExistingFile);
    app.add_option("--activation", a.model.activation, "feed-forward nonlinearity (gpt.py: relu; gelu is the tanh form)")
        ->capture_default_str()->check(CLI::IsMember({"relu", "gelu"}));
    app.add_option("--threads", a.threads, "threads (same numbers at any count)")->capture_default_str()->check(CLI::Range(1, 256));
    app.add_flag("--json", a.json, "JSON lines: the estimates, then every step's loss (for tests)");
    std::string preset = "small";
    app.add_option("--preset", preset, "small: the defaults above; lecture: gpt.py's sizes (batch 64, block 256, "
                                       "n_embd 384, 6 heads, 6 layers, dropout 0.2, lr 3e-4); flags given win")
        ->capture_default_str()->check(CLI::IsMember({"small", "lecture"}));
    if (const auto status = programs::parse(app, argc, argv, "gpt")) return group.exit(*status);
    if (preset == "lecture") {  // gpt.py's hyperparameters, where no flag set them
        auto unset = [&](const char* flag) { return app.count(flag) == 0; };
        if (unset("--batch-size")) a.batch_size = 64;
        if (unset("--block-size")) a.model.block_size = 256;
        if (unset("--n-embd")) a.model.n_embd = 384;
        if (unset("--n-head")) a.model.n_head = 6;
        if (unset("--n-layer")) a.model.n_layer = 6;
        if (unset("--dropout")) a.model.dropout = 0.2;
        if (unset("--learning-rate")) a.learning_rate = 3e-4;
    }
    return group.exit(programs::run_main("gpt", [&] {
        set_num_threads(a.threads);
        return run(a);
    }));
}
