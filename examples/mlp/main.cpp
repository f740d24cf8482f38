// mlp: makemore's MLP language model (Bengio et al. 2003) on the bundled names — the lecture as a program.
//   3 characters of context → Embedding(27, 10) → concat (30) → Linear(30, 200) → tanh → Linear(200, 27)
//   200,000 SGD steps on minibatches of 32, lr 0.1 for the first half and 0.01 for the second.
// Prints the train and valid loss, samples names, and with --plot draws the learned character
// embeddings in 2-D (the first two principal components when they have more dimensions).
#include <chrono>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "programs/plot.hpp"
#include "programs/run.hpp"
#include "train.hpp"

using namespace xgrad;

namespace {

struct Args {
    std::string data = XGRAD_DATA_DIR "/names", plot;
    long steps = 200000, batch = 32, block = 3, emb = 10, hidden = 200, samples = 20, print_every = 10000;
    double lr = 0.1, lr_final = 0.01;
    uint64_t seed = 2147483647;
    int threads = 1;
    bool json = false;
};

// DIR/embeddings.svg: the character embeddings in 2-D; DIR/loss.svg: the minibatch losses.
void draw(const mlp::Mlp& model, const std::vector<float>& losses, const std::string& dir) {
    const mlp::Projection p = mlp::project_2d(model.C->weight.data());
    const bool pca = model.C->embedding_dim != 2;
    plot::Panel a;
    a.title = pca ? fmt::format("C (27×{}): first two principal components ({:.0f}% of the variance)", model.C->embedding_dim,
                                100 * p.explained)
                  : "C (27×2)";
    for (int i = 0; i < mlp::kVocab; ++i) a.labels.push_back(std::string(1, mlp::itos(i)));
    a.x = p.x, a.y = p.y, a.color = "#1f77b4", a.points = true;
    nn::write_file_atomic(dir + "/embeddings.svg", plot::panels({a}, "makemore MLP: the learned character embeddings",
                                                                pca ? "PC 1" : "C[:, 0]", pca ? "PC 2" : "C[:, 1]"));
    plot::Series batch{"minibatch loss", {}, {}, "#1f77b4"};
    const std::size_t every = std::max<std::size_t>(1, losses.size() / 5000);  // at most ~5000 points
    for (std::size_t i = 0; i < losses.size(); i += every) batch.x.push_back(double(i + 1)), batch.y.push_back(losses[i]);
    if (!losses.empty() && batch.x.back() != double(losses.size()))  // the line runs to the last step
        batch.x.push_back(double(losses.size())), batch.y.push_back(losses.back());
    nn::write_file_atomic(dir + "/loss.svg", plot::line_chart({"makemore MLP: minibatch loss", "step", "cross-entropy loss",
                                                               false, false, {batch}, {}}));
}

int run(const Args& a) {
    const programs::StopSignals stop;  // SIGINT/SIGTERM: the step finishes, the figures so far are drawn, exit 130/143
    // Everything that can fail after training is checked first: the data and the plot's directory.
    const auto train_words = mlp::read_words(a.data + "/train.txt"), valid_words = mlp::read_words(a.data + "/valid.txt");
    if (!a.plot.empty()) programs::make_output_dir(a.plot, "--plot", "embeddings.svg");  // now: a late failure loses nothing
    const mlp::Dataset Xtr = mlp::build_dataset(train_words, a.block), Xdev = mlp::build_dataset(valid_words, a.block);

    manual_seed(a.seed);
    mlp::Mlp model(mlp::kVocab, a.block, a.emb, a.hidden);
    if (!a.json) {
        fmt::print("data: {} names, {} examples for training; {} names, {} for validation\n", train_words.size(),
                   Xtr.Y.size(), valid_words.size(), Xdev.Y.size());
        fmt::print("{}\nparameters: {}\n\n", model.to_string(), [&] {
            std::size_t n = 0;
            for (auto& p : model.parameters()) n += p.numel();
            return n;
        }());
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<float> losses;
    for (long i = 0; i < a.steps && !stop.requested(); ++i) {
        const float lr = static_cast<float>(i < a.steps / 2 ? a.lr : a.lr_final);
        losses.push_back(mlp::sgd_step(model, Xtr, a.batch, lr));
        programs::check_finite_loss(losses.back(), i, "--lr");
        if (!a.json && (i % a.print_every == 0 || i == a.steps - 1))
            fmt::print("step {:7d}/{}: minibatch loss {:.4f}\n", i, a.steps, losses.back()), std::fflush(stdout);
    }
    if (stop.requested()) {  // nothing to resume from (no --save): the figures of the steps done, and where it stopped
        if (!a.plot.empty()) draw(model, losses, a.plot);
        fmt::print(stderr, "mlp: {} at step {} of {}{}\n", stop.what(), losses.size(), a.steps,
                   a.plot.empty() ? "" : "; its figures are in " + a.plot);
        return stop.exit_code();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double train_loss = mlp::split_loss(model, Xtr), valid_loss = mlp::split_loss(model, Xdev);
    Generator g(a.seed + 10);
    std::vector<std::string> names;
    for (long i = 0; i < a.samples; ++i) names.push_back(mlp::sample_name(model, a.block, g));
    if (!a.plot.empty()) draw(model, losses, a.plot);
    if (a.json) {
        fmt::print("{{\"train_loss\": {:.9g}, \"valid_loss\": {:.9g}, \"seconds\": {:.3f}, \"ms_per_step\": {:.5f}, "
                   "\"first_losses\": [{}]}}\n", train_loss, valid_loss, secs, 1e3 * secs / double(a.steps),
                   fmt::join(std::vector<float>(losses.begin(), losses.begin() + std::min<long>(a.steps, 1000)), ", "));
        return 0;
    }
    fmt::print("\ntrain loss {:.4f}, valid loss {:.4f} ({} steps in {:.1f} s)\n\nsamples:\n", train_loss, valid_loss,
               a.steps, secs);
    for (const auto& n : names) fmt::print("{}\n", n);
    if (!a.plot.empty()) fmt::print("\nembeddings plotted to {0}/embeddings.svg, the losses to {0}/loss.svg\n", a.plot);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"makemore's MLP language model on names (the lecture's program)"};
    app.add_option("--data", a.data, "directory with train.txt and valid.txt, one name a line")->capture_default_str();
    app.add_option("--steps", a.steps, "SGD steps")->capture_default_str()->check(programs::positive);
    app.add_option("--batch", a.batch, "minibatch size")->capture_default_str()->check(programs::positive);
    app.add_option("--block", a.block, "characters of context")->capture_default_str()->check(programs::positive);
    app.add_option("--emb", a.emb, "embedding dimensions")->capture_default_str()->check(programs::positive);
    app.add_option("--hidden", a.hidden, "hidden units")->capture_default_str()->check(programs::positive);
    app.add_option("--lr", a.lr, "learning rate of the first half")->capture_default_str()->check(programs::non_negative);
    app.add_option("--lr-final", a.lr_final, "learning rate of the second half")->capture_default_str()->check(programs::non_negative);
    app.add_option("--seed", a.seed, "seed (torch.manual_seed's; samples use seed + 10)")->capture_default_str();
    app.add_option("--samples", a.samples, "names to sample")->capture_default_str()->check(programs::non_negative);
    app.add_option("--print-every", a.print_every, "steps between progress lines")->capture_default_str()->check(programs::positive);
    app.add_option("--plot", a.plot, "directory for embeddings.svg (the embeddings in 2-D) and loss.svg");
    app.add_option("--threads", a.threads, "threads (same numbers at any count)")->capture_default_str()->check(CLI::Range(1, 256));
    app.add_flag("--json", a.json, "print the losses as one JSON line (for tests)");
    if (const auto status = programs::parse(app, argc, argv, "mlp")) return *status;
    return programs::run_main("mlp", [&] {
        set_num_threads(a.threads);
        return run(a);
    });
}
