// The lectures' bigram language model: previous token → next token.
//   V: input table (N×K), an Embedding;  U: output table (N×K), the weight of Linear(K, N, bias=false)
//   logits = v_prev · Uᵀ  (N scores: the dot-product similarity of v_prev with every u_j)
//   p(next | prev) = softmax(logits), trained with cross-entropy.
// With tie, U is V (one table for both). Initialised as the PyTorch lecture code: V ~ N(0, 1),
// U ~ U(±1/√K); the state_dict keys are "V.weight" and "U.weight".
#pragma once
#include "xgrad.hpp"

namespace bigram {

using xgrad::nn::Embedding, xgrad::nn::EmbeddingOptions, xgrad::nn::Linear, xgrad::nn::make, xgrad::nn::Module, xgrad::nn::Ptr;

struct BigramModel : Module {
    Ptr<Embedding> V;
    Ptr<Linear> U;
    const bool tied;

    BigramModel(std::size_t N, std::size_t K, bool tie, xgrad::Generator& gen) : Module("BigramModel"), tied(tie) {
        V = register_module("V", make<Embedding>(N, K, EmbeddingOptions{}, gen));
        U = register_module("U", make<Linear>(K, N, /*bias=*/false, gen));
        if (tie) U->weight = V->weight;
    }
    /// prev ids (n) → logits (n, N)
    xgrad::Tensor forward(const xgrad::IdArray& prev) const { return U(V(prev)); }
    std::size_t vocab_size() const { return V->num_embeddings; }
    std::size_t dim() const { return V->embedding_dim; }
};

}  // namespace bigram
