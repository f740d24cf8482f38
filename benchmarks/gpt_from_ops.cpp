// gpt_from_ops: the char GPT as a user writes it from ops — the book's chapter-4 classes (LayerNorm from
// mean and var, the tanh GELU from its formula, causal attention from matmul, masked_fill and softmax)
// at the lecture's size: vocabulary 65 (tinyshakespeare's characters), context 32, C 64, 4 heads, 2
// blocks, batch 16, dropout 0, AdamW 1e-3. Its peer is benchmarks/peers/gpt_from_ops.py, the same
// classes in PyTorch; compare.py's W-gpt-ops runs both.
//   ./build/benchmarks/gpt_from_ops --steps 300 --threads 1 [--layers 2]
// Prints one JSON line: ms_per_step (the training loop alone) and the last loss.
#include <chrono>
#include <cmath>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "xgrad.hpp"

using namespace xgrad;

struct Config {
    long vocab = 65, context = 32, emb = 64, heads = 4, layers = 2;
};

/// (x − mean) / √(var + ε) · scale + shift over the last dim (var without Bessel's correction).
struct LayerNorm : nn::Module {
    Tensor& scale;
    Tensor& shift;
    explicit LayerNorm(long emb)
        : scale(register_parameter("scale", ones({std::size_t(emb)}))),
          shift(register_parameter("shift", zeros({std::size_t(emb)}))) {}
    Tensor forward(const Tensor& x) const {
        const Tensor mean = xgrad::mean(x, {-1}, true);
        const Tensor var = xgrad::var(x, {-1}, /*unbiased=*/false, true);
        return scale * ((x - mean) / sqrt(var + 1e-5f)) + shift;
    }
};

/// 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
struct GELU : nn::Module {
    Tensor forward(const Tensor& x) const {
        const float c = static_cast<float>(std::sqrt(2.0 / M_PI));
        return 0.5f * x * (1.0f + tanh(c * (x + 0.044715f * pow(x, 3.0f))));
    }
};

/// x (B, T, C) → (B, T, C): queries, keys, values split into heads of C / H, causal softmax, projection.
struct MultiHeadAttention : nn::Module {
    long heads, head_dim;
    nn::Ptr<nn::Linear> W_query, W_key, W_value, out_proj;
    Tensor& mask;  // (context, context): 1 above the diagonal (the future)
    explicit MultiHeadAttention(const Config& c)
        : heads(c.heads), head_dim(c.emb / c.heads),
          W_query(register_module("W_query", nn::make<nn::Linear>(c.emb, c.emb, false))),
          W_key(register_module("W_key", nn::make<nn::Linear>(c.emb, c.emb, false))),
          W_value(register_module("W_value", nn::make<nn::Linear>(c.emb, c.emb, false))),
          out_proj(register_module("out_proj", nn::make<nn::Linear>(c.emb, c.emb))),
          mask(register_buffer("mask", triu(ones({std::size_t(c.context), std::size_t(c.context)}), 1))) {}
    Tensor split(const Tensor& x) const {  // (B, T, C) → (B, H, T, hd)
        return transpose(view(x, {x.size(0), x.size(1), heads, head_dim}), 1, 2);
    }
    Tensor forward(const Tensor& x) const {
        const long B = x.size(0), T = x.size(1);
        const Tensor q = split(W_query(x)), k = split(W_key(x)), v = split(W_value(x));
        Tensor att = matmul(q, transpose(k, 2, 3));                                    // (B, H, T, T)
        att = masked_fill(att, eq(index(mask, {Slice(None, T), Slice(None, T)}), 1.0f), -INFINITY);
        att = softmax(att / std::sqrt(float(head_dim)), -1);
        const Tensor ctx = transpose(matmul(att, v), 1, 2).reshape({B, T, heads * head_dim});
        return out_proj(ctx);
    }
};

struct Block : nn::Module {
    nn::Ptr<MultiHeadAttention> att;
    nn::Ptr<nn::Sequential> ff;
    nn::Ptr<LayerNorm> norm1, norm2;
    explicit Block(const Config& c)
        : att(register_module("att", nn::make<MultiHeadAttention>(c))),
          ff(register_module("ff", nn::make<nn::Sequential>({nn::make<nn::Linear>(c.emb, 4 * c.emb), nn::make<GELU>(),
                                                              nn::make<nn::Linear>(4 * c.emb, c.emb)}))),
          norm1(register_module("norm1", nn::make<LayerNorm>(c.emb))),
          norm2(register_module("norm2", nn::make<LayerNorm>(c.emb))) {}
    Tensor forward(const Tensor& x) const {
        const Tensor y = x + att(norm1(x));
        return y + ff(norm2(y));
    }
};

struct GPTModel : nn::Module {
    nn::Ptr<nn::Embedding> tok_emb, pos_emb;
    nn::Ptr<nn::Sequential> trf_blocks;
    nn::Ptr<LayerNorm> final_norm;
    nn::Ptr<nn::Linear> out_head;
    explicit GPTModel(const Config& c) {  // built in PyTorch's order, so a seed gives PyTorch's weights
        tok_emb = register_module("tok_emb", nn::make<nn::Embedding>(c.vocab, c.emb));
        pos_emb = register_module("pos_emb", nn::make<nn::Embedding>(c.context, c.emb));
        trf_blocks = register_module("trf_blocks", nn::make<nn::Sequential>());
        for (long i = 0; i < c.layers; ++i) trf_blocks->push_back(nn::make<Block>(c));
        final_norm = register_module("final_norm", nn::make<LayerNorm>(c.emb));
        out_head = register_module("out_head", nn::make<nn::Linear>(c.emb, c.vocab, false));
    }
    Tensor forward(const IdArray& idx) const {  // (B, T) → logits (B, T, V)
        const Tensor x = tok_emb(idx) + pos_emb(arange_ids(long(idx.shape()[1])));
        return out_head(final_norm(trf_blocks(x)));
    }
};

int main(int argc, char** argv) {
    long steps = 300, threads = 1, batch = 16;
    Config c;
    std::string text_path = XGRAD_SOURCE_DIR "/data/tinyshakespeare/input.txt";
    CLI::App app{"the char GPT written from ops (the book's chapter-4 classes), trained with AdamW and timed"};
    app.add_option("--steps", steps, "training steps")->check(CLI::PositiveNumber);
    app.add_option("--threads", threads, "threads")->check(CLI::Range(1, 256));
    app.add_option("--layers", c.layers, "transformer blocks")->check(CLI::PositiveNumber);
    app.add_option("--text", text_path, "the training text (characters are the vocabulary)")->check(CLI::ExistingFile);
    CLI11_PARSE(app, argc, argv);
    try {
        set_num_threads(static_cast<int>(threads));
        std::map<char, int64_t> stoi;
        const std::string text = nn::read_file(text_path);
        for (unsigned char ch : text) stoi[char(ch)] = 0;
        for (int64_t i = 0; auto& [ch, id] : stoi) id = i++;
        IdArray data = IdArray::from_shape({text.size()});
        for (std::size_t i = 0; i < text.size(); ++i) data[i] = stoi[text[i]];
        if (long(stoi.size()) != c.vocab || long(text.size()) <= c.context)
            throw ValueError(fmt::format("{}: {} characters of {} kinds; the model needs {} kinds", text_path, text.size(),
                                         stoi.size(), c.vocab));
        manual_seed(1337);
        GPTModel model(c);
        nn::AdamW opt(model.parameters(), {.lr = 1e-3});
        Tensor loss;
        const auto t0 = std::chrono::steady_clock::now();
        for (long s = 0; s < steps; ++s) {
            const IdArray ix = randint(long(text.size()) - c.context, {batch});
            std::vector<IdArray> xs, ys;
            for (auto i : ix) xs.push_back(slice(data, 0, i, i + c.context)), ys.push_back(slice(data, 0, i + 1, i + c.context + 1));
            const Tensor logits = model.forward(stack(xs));
            loss = nn::cross_entropy(logits.reshape({-1, c.vocab}), reshape(stack(ys), {-1}));
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        const double ms = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / double(steps);
        fmt::print("{{\"ms_per_step\": {:.4f}, \"loss\": {:.6f}}}\n", ms, loss.item());
    } catch (const std::exception& e) {
        fmt::print(stderr, "gpt_from_ops: {}\n", e.what());
        return 1;
    }
    return 0;
}
