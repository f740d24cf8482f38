// The libtorch (C++) peer of benchmarks/compare.py: the same workloads through PyTorch's C++ API.
//   torch_peer bigram IDS_FILE K BATCH STEPS sgd|adam LR THREADS
//       IDS_FILE: int64 little-endian, N (the vocabulary size) then the token ids. Trains V (Embedding N×K)
//       and U (Linear K→N, no bias) on the (prev, next) pairs with mean cross-entropy; a step samples
//       BATCH pairs uniformly (0 = all pairs), runs forward, zero_grad, backward and the optimizer step.
//   torch_peer emb V K BATCH REPS THREADS
//       forward+backward of Embedding(V, K) vs one_hot(ids, V)·Wᵀ through Linear(V, K, bias=false),
//       median of REPS.
// Prints one JSON object on its last line. Built by compare.py with g++ against Debian's libtorch-dev.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int bigram(char** argv) {
    std::ifstream f(argv[2], std::ios::binary);
    if (!f) { std::cerr << argv[2] << ": cannot open\n"; return 1; }
    f.seekg(0, std::ios::end);
    const auto bytes = static_cast<std::size_t>(f.tellg());
    f.seekg(0);
    std::vector<int64_t> all(bytes / 8);
    f.read(reinterpret_cast<char*>(all.data()), static_cast<std::streamsize>(all.size() * 8));
    const int64_t N = all[0];
    const long K = std::stol(argv[3]), B = std::stol(argv[4]), steps = std::stol(argv[5]);
    const std::string opt = argv[6];
    const double lr = std::stod(argv[7]);
    torch::set_num_threads(std::stoi(argv[8]));
    torch::manual_seed(0);
    auto ids = torch::from_blob(all.data() + 1, {static_cast<long>(all.size() - 1)}, torch::kInt64).clone();
    auto prev = ids.slice(0, 0, ids.size(0) - 1), next = ids.slice(0, 1, ids.size(0));
    const int64_t n = prev.size(0);
    torch::nn::Embedding V(N, K);
    torch::nn::Linear U(torch::nn::LinearOptions(K, N).bias(false));
    std::vector<torch::Tensor> params = {V->weight, U->weight};
    std::unique_ptr<torch::optim::Optimizer> o;
    if (opt == "sgd") o = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(lr));
    else o = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(lr));
    torch::Tensor loss;
    const double t0 = now();
    for (long s = 0; s < steps; ++s) {
        torch::Tensor p = prev, q = next;
        if (B > 0) {
            auto k = torch::randint(0, n, {B}, torch::kInt64);
            p = prev.index_select(0, k), q = next.index_select(0, k);
        }
        loss = torch::nn::functional::cross_entropy(U(V(p)), q);
        o->zero_grad();
        loss.backward();
        o->step();
    }
    const double sec = now() - t0;
    std::printf("{\"seconds\": %.9g, \"loss\": %.9g, \"N\": %ld}\n", sec, loss.item<double>(), static_cast<long>(N));
    return 0;
}

template <class Fn>
double median_ms(int reps, Fn fn) {
    std::vector<double> t;
    fn();  // warm up
    for (int r = 0; r < reps; ++r) {
        const double t0 = now();
        fn();
        t.push_back(1e3 * (now() - t0));
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int emb(char** argv) {
    const long V = std::stol(argv[2]), K = std::stol(argv[3]), B = std::stol(argv[4]);
    const int reps = std::stoi(argv[5]);
    torch::set_num_threads(std::stoi(argv[6]));
    torch::manual_seed(0);
    auto ids = torch::randint(0, V, {B}, torch::kInt64);
    auto table = torch::randn({V, K}, torch::requires_grad());
    auto weight = torch::randn({K, V}, torch::requires_grad());
    auto dout = torch::randn({B, K});
    const double te = median_ms(reps, [&] {
        table.mutable_grad() = torch::Tensor();
        torch::nn::functional::embedding(ids, table).backward(dout);
    });
    const double tl = median_ms(reps, [&] {
        weight.mutable_grad() = torch::Tensor();
        torch::nn::functional::linear(torch::nn::functional::one_hot(ids, V).to(torch::kFloat32), weight).backward(dout);
    });
    std::printf("{\"embedding_ms\": %.6g, \"onehot_ms\": %.6g}\n", te, tl);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "bigram" && argc == 9) return bigram(argv);
    if (mode == "emb" && argc == 7) return emb(argv);
    std::cerr << "usage: torch_peer bigram IDS K BATCH STEPS sgd|adam LR THREADS | torch_peer emb V K BATCH REPS THREADS\n";
    return 2;
}
