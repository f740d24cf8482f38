// embedding_vs_linear: the lecture's claim that an Embedding is a Linear layer applied to one-hot
// vectors, X·Wᵀ, only without the multiplications by zero.
//   Part 1 (seed 001): Embedding(4, 5), ids [2, 3, 1]: the looked-up rows equal one_hot(ids)·Wᵀ through
//           Linear(4, 5, bias=false) whose weight is the table transposed, and so do the weight gradients.
//   Part 2: forward+backward time of both paths for batch 1024, dim 128, vocabularies 1,000 … 50,257.
#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "programs/plot.hpp"
#include "xgrad.hpp"

using namespace xgrad;

namespace {

void part1() {
    manual_seed(1);
    auto emb = nn::make<nn::Embedding>(4, 5);
    const IdArray ids = {2, 3, 1};
    fmt::print("Embedding(4, 5).weight (4×5):\n{}\n\n", emb->weight);
    Tensor rows = emb(ids);
    fmt::print("embedding(ids = {}):\n{}\n\n", format_ids(ids), rows);
    const Tensor X = one_hot(ids, 4);
    fmt::print("one-hot X (3×4):\n{}\n\n", X);
    auto lin = nn::make<nn::Linear>(4, 5, false);
    lin->weight.mutable_data() = Array(t(emb->weight).data());  // W (5×4) = the table transposed
    Tensor out = lin(X);
    fmt::print("X·Wᵀ through Linear(4, 5, bias=false), W = table transposed:\n{}\n\n", out);
    const Array dout = randn({3, 5}).data();
    rows.backward({.grad = dout});
    out.backward({.grad = dout});
    const Array lin_grad_t = t(lin->weight.grad()).data();
    float out_diff = 0, grad_diff = 0;
    for (std::size_t i = 0; i < rows.numel(); ++i) out_diff = std::max(out_diff, std::abs(rows.data().data()[i] - out.data().data()[i]));
    for (std::size_t i = 0; i < lin_grad_t.size(); ++i)
        grad_diff = std::max(grad_diff, std::abs(emb->weight.grad().data()[i] - lin_grad_t.data()[i]));
    fmt::print("gradient of the table (embedding path):\n{}\n", emb->weight.grad());
    fmt::print("gradient of W, transposed (one-hot path):\n{}\n", lin_grad_t);
    fmt::print("largest difference: outputs {:.3g}, weight gradients {:.3g}  -> {}\n\n", out_diff, grad_diff,
               out_diff == 0 && grad_diff < 1e-6f ? "equal" : "DIFFERENT");
}

// Median seconds of `reps` runs of fn.
template <class Fn>
double time_it(int reps, Fn fn) {
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

struct Options {
    std::string plot_dir;
    std::size_t batch = 1024, dim = 128, max_vocab = 50257;
    int reps = 5, threads = 1;
    bool json = false, vocabs_given = false;
    std::vector<std::size_t> vocabs = {1000, 2000, 5000, 10000, 20000, 50257};
};

// Forward + backward at vocabulary V, median ms of o.reps runs: embedding with a sparse gradient, with a
// dense one, and one_hot(ids) · Wᵀ (Linear).
std::array<double, 3> time_vocab(std::size_t V, const Options& o, Generator& gen) {
    IdArray ids = IdArray::from_shape({o.batch});
    for (auto& i : ids) i = static_cast<int64_t>(gen.randint(V));
    Tensor table = randn({V, o.dim}, gen).requires_grad_();
    Tensor weight = randn({o.dim, V}, gen).requires_grad_();
    const Array dout = randn({o.batch, o.dim}, gen).data();
    auto sparse = [&] {
        table.zero_grad();
        nn::embedding(ids, table, {.sparse = true}).backward({.grad = dout});
    };
    auto dense = [&] {
        table.zero_grad();
        nn::embedding(ids, table).backward({.grad = dout});
    };
    auto onehot = [&] {
        weight.zero_grad();
        nn::linear(one_hot(ids, static_cast<long>(V)), weight).backward({.grad = dout});
    };
    sparse(), dense(), onehot();  // warm up
    return {time_it(o.reps, sparse) * 1e3, time_it(o.reps, dense) * 1e3, time_it(o.reps, onehot) * 1e3};
}

int run(Options o) {
    std::sort(o.vocabs.begin(), o.vocabs.end());  // the table's rows in order of size
    o.vocabs.erase(std::unique(o.vocabs.begin(), o.vocabs.end()), o.vocabs.end());
    if (o.vocabs_given && !o.vocabs.empty() && o.vocabs.back() > o.max_vocab)  // said now, not as an empty table
        throw ValueError(fmt::format("--vocabs: {} is above --max-vocab {} (raise --max-vocab to time it)", o.vocabs.back(), o.max_vocab));
    std::erase_if(o.vocabs, [&](std::size_t V) { return V > o.max_vocab; });  // the default sizes, up to --max-vocab
    set_num_threads(o.threads);
    if (!o.plot_dir.empty()) programs::make_output_dir(o.plot_dir, "--plot", "timing.svg");  // before the timings
    part1();

    fmt::print("forward + backward, batch {}, dim {}, {} thread(s), median of {} runs (ms):\n", o.batch, o.dim, o.threads, o.reps);
    fmt::print("{:>8} {:>16} {:>16} {:>16} {:>9}\n", "vocab", "embedding", "embedding", "one-hot·Wᵀ", "one-hot /");
    fmt::print("{:>8} {:>16} {:>16} {:>16} {:>9}\n", "", "(sparse grad)", "(dense grad)", "(Linear)", "sparse");
    Generator gen(7);
    plot::LineChart chart{fmt::format("forward+backward, batch {}, dim {}", o.batch, o.dim), "vocabulary size", "milliseconds",
                          true, true, {{"embedding (sparse grad)", {}, {}, ""}, {"embedding (dense grad)", {}, {}, ""}, {"one-hot · Wᵀ (Linear)", {}, {}, ""}}, {}};
    std::string rows;  // JSON: {"V": [sparse, dense, onehot] ms}
    for (std::size_t V : o.vocabs) {
        const auto t = time_vocab(V, o, gen);
        fmt::print("{:>8} {:>16.3f} {:>16.3f} {:>16.3f} {:>8.0f}×\n", V, t[0], t[1], t[2], t[2] / t[0]);
        rows += fmt::format("{}\"{}\": [{:.6g}, {:.6g}, {:.6g}]", rows.empty() ? "" : ", ", V, t[0], t[1], t[2]);
        std::fflush(stdout);
        for (std::size_t k = 0; k < 3; ++k) chart.series[k].x.push_back(double(V)), chart.series[k].y.push_back(t[k]);
    }
    if (!o.plot_dir.empty()) {
        nn::write_file_atomic(o.plot_dir + "/timing.svg", plot::line_chart(chart));
        fmt::print("wrote {}/timing.svg\n", o.plot_dir);
    }
    if (o.json) fmt::print("{{\"batch\": {}, \"dim\": {}, \"threads\": {}, \"ms_sparse_dense_onehot\": {{{}}}}}\n", o.batch, o.dim, o.threads, rows);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"embedding_vs_linear: Embedding == one-hot · Wᵀ, and what the zeros cost"};
    Options o;
    app.add_option("--plot", o.plot_dir, "write timing.svg into this directory");
    app.add_option("--batch", o.batch, "ids per step")->check(programs::positive);
    app.add_option("--dim", o.dim, "embedding size")->check(programs::positive);
    app.add_option("--max-vocab", o.max_vocab, "largest vocabulary timed")->check(programs::positive);
    app.add_option("--reps", o.reps, "timed repetitions (the median is shown)")->check(programs::positive);
    app.add_option("--threads", o.threads, "kernel threads")->check(CLI::Range(1, 256));
    app.add_option("--vocabs", o.vocabs, "vocabulary sizes to time (default 1000 … 50257)")->delimiter(',')->check(programs::positive);
    app.add_flag("--json", o.json, "also print the timings as one JSON object on the last line");
    if (const auto status = programs::parse(app, argc, argv, "embedding_vs_linear")) return *status;
    o.vocabs_given = app.count("--vocabs") > 0;
    return programs::run_main("embedding_vs_linear", [&] {
        try {
            return run(o);
        } catch (const std::bad_alloc&) {  // name the flags behind the sizes
            const std::size_t largest = o.vocabs.empty() ? 0 : *std::max_element(o.vocabs.begin(), o.vocabs.end());
            throw ValueError(fmt::format("out of memory for --batch {} --dim {} and vocabularies up to {}", o.batch, o.dim,
                                         std::min(o.max_vocab, largest)));
        }
    });
}
