// The libtorch (C++) peer of benchmarks/compare.py's W-mlp and W-gpt: lecture_peer.py's two programs
// through PyTorch's C++ API, step for step.
//   lecture_peer mlp ROOT STEPS THREADS
//   lecture_peer gpt ROOT STEPS THREADS N_LAYER relu|gelu
// ROOT is the repository (for data/names and data/tinyshakespeare). Prints one JSON object: the
// seconds of the training steps and the last loss. Built by compare.py with g++ against libtorch-dev.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace F = torch::nn::functional;

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open");
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

int mlp(const std::string& root, long steps) {
    std::vector<int64_t> X, Y;
    std::istringstream names(read(root + "/data/names/train.txt"));
    for (std::string w; std::getline(names, w);) {
        if (w.empty()) continue;
        int64_t ctx[3] = {0, 0, 0};
        for (char ch : w + ".") {
            const int64_t ix = ch == '.' ? 0 : ch - 'a' + 1;
            X.insert(X.end(), ctx, ctx + 3);
            Y.push_back(ix);
            ctx[0] = ctx[1], ctx[1] = ctx[2], ctx[2] = ix;
        }
    }
    auto Xtr = torch::from_blob(X.data(), {long(Y.size()), 3}, torch::kInt64).clone();
    auto Ytr = torch::from_blob(Y.data(), {long(Y.size())}, torch::kInt64).clone();
    torch::manual_seed(2147483647);
    torch::nn::Embedding C(27, 10);
    torch::nn::Linear l1(30, 200), l2(200, 27);
    std::vector<torch::Tensor> params = {C->weight, l1->weight, l1->bias, l2->weight, l2->bias};
    torch::Tensor loss;
    const double t0 = now();
    for (long s = 0; s < steps; ++s) {
        auto ix = torch::randint(0, Xtr.size(0), {32}, torch::kInt64);
        auto x = Xtr.index_select(0, ix);
        loss = F::cross_entropy(l2(torch::tanh(l1(C(x).view({x.size(0), -1})))), Ytr.index_select(0, ix));
        for (auto& p : params) p.mutable_grad() = torch::Tensor();
        loss.backward();
        torch::NoGradGuard no_grad;
        for (auto& p : params) p.add_(p.grad(), -0.1);
    }
    std::printf("{\"seconds\": %.9g, \"loss\": %.9g}\n", now() - t0, loss.item<double>());
    return 0;
}

constexpr long kBatch = 16, kBlock = 32, kEmbd = 64, kHeads = 4;

struct HeadImpl : torch::nn::Module {
    torch::nn::Linear key{nullptr}, query{nullptr}, value{nullptr};
    torch::Tensor tril;
    explicit HeadImpl(long hs) {
        auto lin = [&] { return torch::nn::Linear(torch::nn::LinearOptions(kEmbd, hs).bias(false)); };
        key = register_module("key", lin()), query = register_module("query", lin()), value = register_module("value", lin());
        tril = register_buffer("tril", torch::tril(torch::ones({kBlock, kBlock})));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        const long T = x.size(1);
        auto k = key(x), q = query(x);
        auto wei = (q.matmul(k.transpose(-2, -1)) * std::pow(double(k.size(-1)), -0.5))
                       .masked_fill(tril.slice(0, 0, T).slice(1, 0, T) == 0, -INFINITY);
        return torch::softmax(wei, -1).matmul(value(x));
    }
};
TORCH_MODULE(Head);

struct BlockImpl : torch::nn::Module {
    std::vector<Head> heads;
    torch::nn::Linear proj{nullptr};
    torch::nn::Sequential ffwd{nullptr};
    torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
    explicit BlockImpl(bool gelu) {
        for (long h = 0; h < kHeads; ++h) heads.push_back(register_module("head" + std::to_string(h), Head(kEmbd / kHeads)));
        proj = register_module("proj", torch::nn::Linear(kEmbd, kEmbd));
        ffwd = torch::nn::Sequential(torch::nn::Linear(kEmbd, 4 * kEmbd));
        if (gelu) ffwd->push_back(torch::nn::GELU(torch::nn::GELUOptions().approximate("tanh")));
        else ffwd->push_back(torch::nn::ReLU());
        ffwd->push_back(torch::nn::Linear(4 * kEmbd, kEmbd));
        register_module("ffwd", ffwd);
        ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({kEmbd})));
        ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({kEmbd})));
    }
    torch::Tensor forward(torch::Tensor x) {
        auto h = ln1(x);
        std::vector<torch::Tensor> outs;
        for (auto& head : heads) outs.push_back(head(h));
        x = x + proj(torch::cat(outs, -1));
        return x + ffwd->forward(ln2(x));
    }
};
TORCH_MODULE(Block);

int gpt(const std::string& root, long steps, long n_layer, bool gelu) {
    const std::string text = read(root + "/data/tinyshakespeare/input.txt");
    std::map<unsigned char, int64_t> stoi;
    for (unsigned char c : text) stoi[c] = 0;
    int64_t v = 0;
    for (auto& [c, i] : stoi) i = v++;
    std::vector<int64_t> ids;
    for (unsigned char c : text) ids.push_back(stoi[c]);
    auto data = torch::from_blob(ids.data(), {long(ids.size())}, torch::kInt64).clone();
    auto train = data.slice(0, 0, long(0.9 * double(ids.size())));
    torch::manual_seed(1337);
    torch::nn::Embedding tok(v, kEmbd), pos(kBlock, kEmbd);
    torch::nn::Sequential blocks;
    for (long i = 0; i < n_layer; ++i) blocks->push_back(Block(gelu));
    torch::nn::LayerNorm ln_f(torch::nn::LayerNormOptions({kEmbd}));
    torch::nn::Linear lm_head(kEmbd, v);
    std::vector<torch::Tensor> params;
    for (auto* m : std::initializer_list<torch::nn::Module*>{tok.get(), pos.get(), blocks.get(), ln_f.get(), lm_head.get()})
        for (auto& p : m->parameters()) params.push_back(p);
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-3));
    torch::Tensor loss;
    const double t0 = now();
    for (long s = 0; s < steps; ++s) {
        auto ix = torch::randint(train.size(0) - kBlock, {kBatch}, torch::kInt64);
        std::vector<torch::Tensor> xs, ys;
        for (long b = 0; b < kBatch; ++b) {
            const long i = ix[b].item<long>();
            xs.push_back(train.slice(0, i, i + kBlock)), ys.push_back(train.slice(0, i + 1, i + kBlock + 1));
        }
        auto xb = torch::stack(xs), yb = torch::stack(ys);
        auto x = blocks->forward(tok(xb) + pos(torch::arange(kBlock)));
        auto logits = lm_head(ln_f(x));
        loss = F::cross_entropy(logits.view({-1, v}), yb.view({-1}));
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    std::printf("{\"seconds\": %.9g, \"loss\": %.9g}\n", now() - t0, loss.item<double>());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if ((mode == "mlp" && argc == 5) || (mode == "gpt" && argc == 7)) {
            torch::set_num_threads(std::stoi(argv[4]));
            if (mode == "mlp") return mlp(argv[2], std::stol(argv[3]));
            return gpt(argv[2], std::stol(argv[3]), std::stol(argv[5]), std::string(argv[6]) == "gelu");
        }
    } catch (const std::exception& e) {
        std::cerr << "lecture_peer: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "usage: lecture_peer mlp ROOT STEPS THREADS | lecture_peer gpt ROOT STEPS THREADS N_LAYER relu|gelu\n";
    return 2;
}
