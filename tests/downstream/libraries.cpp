// A user's program on the installed libraries beside the core: GPT-2's tokenizer (xgrad::text, its
// vocabulary built in, so no data file is needed where the program runs), word vectors (xgrad::wordvec) and
// the book's GPT-2 (xgrad::gpt2) and the programs' tooling (xgrad::programs).
#include <cmath>
#include <cstdio>
#include <vector>

#include <gpt2/generate.hpp>
#include <programs/files.hpp>
#include <programs/run.hpp>
#include <text/tokenizer.hpp>
#include <wordvec/wordvec.hpp>

int main() {
    const auto tok = xgrad::text::Tokenizer::gpt2();
    const auto ids = tok.encode("Hello, I am");
    const bool text_ok = ids == std::vector<xgrad::text::Token>{15496, 11, 314, 716} && tok.decode(ids) == "Hello, I am";
    std::printf("downstream: gpt2 tokenizer: %s\n", text_ok ? "ok" : "WRONG");
    const xgrad::wordvec::KeyedVectors kv({"king", "queen", "apple"}, {1, 0, 0.9f, 0.1f, 0, 1}, 2);
    const auto near = kv.most_similar({"king"}, {}, 1);
    const bool vec_ok = near.size() == 1 && near[0].word == "queen";
    std::printf("downstream: word vectors: %s\n", vec_ok ? "ok" : "WRONG");
    xgrad::gpt2::Config cfg;  // a small GPT-2: the cached and uncached greedy paths choose the same ids
    cfg.vocab_size = 100, cfg.context_length = 8, cfg.emb_dim = 16, cfg.n_heads = 2, cfg.n_layers = 2;
    auto model = xgrad::nn::make<xgrad::gpt2::GPTModel>(cfg);
    model->eval();
    const xgrad::IdArray prompt = xgrad::full_ids({1, 3}, 7);
    const auto cached = xgrad::gpt2::generate(*model, prompt, {.max_new_tokens = 10});
    const auto uncached = xgrad::gpt2::generate(*model, prompt, {.max_new_tokens = 10, .use_cache = false});
    const bool gpt_ok = cached.shape()[1] == 13 && cached == uncached;
    std::printf("downstream: gpt2 generate: %s\n", gpt_ok ? "ok" : "WRONG");
    bool tools_ok = xgrad::programs::fnv1a64("a") == 0xaf63dc4c8601ec8cULL;  // the tooling: a NaN weight is named
    model->parameters()[0].mutable_data()(0) = NAN;
    try {
        xgrad::programs::check_finite_weights(*model, "x.safetensors");
        tools_ok = false;
    } catch (const xgrad::ValueError&) {
    }
    std::printf("downstream: programs: %s\n", tools_ok ? "ok" : "WRONG");
    return text_ok && vec_ok && gpt_ok && tools_ok ? 0 : 1;
}
