// gpt: the lecture's GPT (ng-video-lecture) trained on tinyshakespeare characters, as a program.
// The script's steps, in order: read the text, characters as the vocabulary, 90/10 split; get_batch;
// estimate_loss every eval_interval steps; AdamW; then generate from a prompt (temperature, top-k).
// Defaults are the lecture's small CPU model (n_embd 64, 4 heads, 4 layers, block 32, batch 16, lr 1e-3);
// flags give the lecture's full sizes (--n-embd 384 --n-head 6 --n-layer 6 --block-size 256 ...).
#include <chrono>
#include <filesystem>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli_parse.hpp"
#include "model.hpp"
#include "plot.hpp"

using namespace xgrad;

namespace {

struct Args {
    std::string text = XGRAD_DATA_DIR "/tinyshakespeare/input.txt", save, load, prompt = "\n", plot;
    gpt::Config model;
    long batch_size = 16, max_iters = 5000, eval_interval = 500, eval_iters = 200, max_new_tokens = 500, top_k = 0;
    double learning_rate = 1e-3, temperature = 1.0;
    uint64_t seed = 1337;
    int threads = 1;
    bool json = false;
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

// The mean loss of eval_iters batches of each split, in eval mode (no dropout) and without a graph.
std::pair<float, float> estimate_loss(gpt::GPTLanguageModel& model, const Data& d, const Args& a) {
    NoGradGuard no_grad;
    model.eval();
    float out[2];
    for (int split = 0; split < 2; ++split) {
        Tensor losses = zeros({std::size_t(a.eval_iters)});
        for (long k = 0; k < a.eval_iters; ++k) {
            auto [X, Y] = get_batch(split == 0 ? d.train : d.val, a.batch_size, model.config.block_size);
            losses.mutable_data()(k) = model.loss(model.forward(X), Y).item();
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

int run(Args a) {
    const Data d = load_data(a.text);
    a.model.vocab_size = long(d.chars.size());
    if (a.model.n_embd % a.model.n_head != 0)
        throw ValueError(fmt::format("--n-embd {} is not a multiple of --n-head {}", a.model.n_embd, a.model.n_head));
    const IdArray context = d.encode(a.prompt);  // checked before training: a bad prompt loses nothing
    if (!a.save.empty()) nn::check_writable(a.save, "--save");
    if (!a.plot.empty()) {  // the directory is made and checked now: a late failure would lose the run's figure
        std::error_code ec;
        std::filesystem::create_directories(a.plot, ec);
        nn::check_writable(a.plot + "/loss.svg", "--plot");
    }

    manual_seed(a.seed);
    gpt::GPTLanguageModel model(a.model);
    if (!a.load.empty()) nn::load(model, a.load);
    std::size_t n_params = 0;
    for (auto& p : model.parameters()) n_params += p.numel();
    if (!a.json) fmt::print("{} characters, vocabulary {}; {:.3f} M parameters\n", d.train.size() + d.val.size(),
                            a.model.vocab_size, double(n_params) / 1e6);
    nn::AdamW optimizer(model.parameters(), {.lr = a.learning_rate});
    std::vector<float> losses;
    float train_loss = NAN, val_loss = NAN;
    plot::Series train_est{"train loss (estimate)", {}, {}, "#1f77b4"}, val_est{"val loss (estimate)", {}, {}, "#ff7f0e"};
    double train_secs = 0;  // the training steps alone, without the estimates
    const auto t0 = std::chrono::steady_clock::now();
    for (long iter = 0; iter < a.max_iters; ++iter) {
        if (iter % a.eval_interval == 0 || iter == a.max_iters - 1) {
            std::tie(train_loss, val_loss) = estimate_loss(model, d, a);
            train_est.x.push_back(double(iter)), train_est.y.push_back(train_loss);
            val_est.x.push_back(double(iter)), val_est.y.push_back(val_loss);
            if (!a.json) fmt::print("step {}: train loss {:.4f}, val loss {:.4f}\n", iter, train_loss, val_loss);
            if (a.json) fmt::print("{{\"step\": {}, \"train_loss\": {:.9g}, \"val_loss\": {:.9g}}}\n", iter, train_loss, val_loss);
            std::fflush(stdout);  // a logged or piped run shows its progress as it goes
        }
        const auto s0 = std::chrono::steady_clock::now();
        auto [xb, yb] = get_batch(d.train, a.batch_size, a.model.block_size);
        Tensor loss = model.loss(model.forward(xb), yb);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.push_back(loss.item());
        train_secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!a.save.empty()) nn::save(model, a.save);  // before generating: the weights are what matters
    if (!a.plot.empty()) {
        plot::Series batch{"batch loss", {}, {}, "#c7c7c7"};
        for (std::size_t i = 0; i < losses.size(); ++i) batch.x.push_back(double(i)), batch.y.push_back(losses[i]);
        const plot::LineChart chart{fmt::format("GPT on tinyshakespeare: {} layers, {} heads, n_embd {}", a.model.n_layer,
                                                a.model.n_head, a.model.n_embd),
                                    "step", "cross-entropy loss", false, false, {batch, train_est, val_est}, {}};
        nn::write_file_atomic(a.plot + "/loss.svg", plot::line_chart(chart));
    }
    model.eval();
    IdArray start = reshape(context, {1, -1});
    const std::string text = d.decode(select(generate(model, start, a.max_new_tokens, a.temperature, a.top_k), 0, 0));
    if (a.json) {
        fmt::print("{{\"train_loss\": {:.9g}, \"valid_loss\": {:.9g}, \"seconds\": {:.3f}, \"ms_per_step\": {:.4f}, "
                   "\"parameters\": {}, \"losses\": [{}]}}\n",
                   train_loss, val_loss, secs, 1e3 * train_secs / double(std::max(a.max_iters, 1L)), n_params,
                   fmt::join(losses, ", "));
        return 0;
    }
    fmt::print("{} steps in {:.1f} s ({:.1f} ms a training step){}\n\n{}\n", a.max_iters, secs,
               1e3 * train_secs / double(std::max(a.max_iters, 1L)),
               a.save.empty() ? "" : "; weights saved to " + a.save, text);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"the lecture's GPT on tinyshakespeare characters"};
    app.add_option("--text", a.text, "training text")->capture_default_str();
    app.add_option("--batch-size", a.batch_size, "sequences a step")->capture_default_str()->check(examples::positive);
    app.add_option("--block-size", a.model.block_size, "context length")->capture_default_str()->check(examples::positive);
    app.add_option("--n-embd", a.model.n_embd, "embedding size C")->capture_default_str()->check(examples::positive);
    app.add_option("--n-head", a.model.n_head, "attention heads (C must be a multiple)")->capture_default_str()->check(examples::positive);
    app.add_option("--n-layer", a.model.n_layer, "blocks")->capture_default_str()->check(examples::positive);
    app.add_option("--dropout", a.model.dropout, "dropout probability")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    app.add_option("--max-iters", a.max_iters, "training steps")->capture_default_str()->check(examples::non_negative);
    app.add_option("--eval-interval", a.eval_interval, "steps between loss estimates")->capture_default_str()->check(examples::positive);
    app.add_option("--eval-iters", a.eval_iters, "batches a loss estimate")->capture_default_str()->check(examples::positive);
    app.add_option("--learning-rate", a.learning_rate, "AdamW's lr")->capture_default_str()->check(examples::non_negative);
    app.add_option("--seed", a.seed, "seed (torch.manual_seed's)")->capture_default_str();
    app.add_option("--prompt", a.prompt, "text to continue (default: a line break)");
    app.add_option("--max-new-tokens", a.max_new_tokens, "characters to generate")->capture_default_str()->check(examples::non_negative);
    app.add_option("--temperature", a.temperature, "sampling temperature")->capture_default_str()->check(examples::positive);
    app.add_option("--top-k", a.top_k, "sample from the k likeliest characters (0: all)")->capture_default_str()->check(examples::non_negative);
    app.add_option("--save", a.save, "write the trained weights (safetensors, the script's state_dict names)");
    app.add_option("--plot", a.plot, "write loss.svg (batch losses and the estimates) into this directory");
    app.add_option("--load", a.load, "start from these weights (safetensors, e.g. PyTorch's)");
    app.add_option("--activation", a.model.activation, "feed-forward nonlinearity (gpt.py: relu; gelu is the tanh form)")
        ->capture_default_str()->check(CLI::IsMember({"relu", "gelu"}));
    app.add_option("--threads", a.threads, "threads (same numbers at any count)")->capture_default_str()->check(CLI::Range(1, 256));
    app.add_flag("--json", a.json, "JSON lines: the estimates, then every step's loss (for tests)");
    std::string preset = "small";
    app.add_option("--preset", preset, "small: the defaults above; lecture: gpt.py's sizes (batch 64, block 256, "
                                       "n_embd 384, 6 heads, 6 layers, dropout 0.2, lr 3e-4); flags given win")
        ->capture_default_str()->check(CLI::IsMember({"small", "lecture"}));
    if (const auto status = examples::parse(app, argc, argv, "gpt")) return *status;
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
    try {
        set_num_threads(a.threads);
        return run(a);
    } catch (const std::exception& e) {
        fmt::print(stderr, "gpt: error: {}\n", e.what());
        return 1;
    }
}
