// makemore's MLP language model (Bengio et al. 2003) as an xgrad module: the last `block` characters'
// embeddings, concatenated, through a tanh hidden layer to the next character's logits.
//   ids (B, block) → C → (B, block, emb) → view (B, block·emb) → Linear → tanh → Linear → (B, V)
// The state_dict names are those of tests/reference/make_mlp_reference.py: C.weight, l1.*, l2.*.
#pragma once
#include "xgrad.hpp"

namespace mlp {

struct Mlp : xgrad::nn::Module {
    xgrad::nn::Ptr<xgrad::nn::Embedding> C;
    xgrad::nn::Ptr<xgrad::nn::Linear> l1, l2;
    Mlp(long vocab, long block, long emb, long hidden) {
        C = register_module("C", xgrad::nn::make<xgrad::nn::Embedding>(vocab, emb));
        l1 = register_module("l1", xgrad::nn::make<xgrad::nn::Linear>(block * emb, hidden));
        l2 = register_module("l2", xgrad::nn::make<xgrad::nn::Linear>(hidden, vocab));
    }
    xgrad::Tensor forward(const xgrad::IdArray& x) const {
        xgrad::Tensor emb = C(x);                                                  // (B, block, emb)
        xgrad::Tensor h = xgrad::tanh(l1(emb.reshape({long(x.shape()[0]), -1})));  // (B, hidden)
        return l2(h);                                                              // (B, V)
    }
};

}  // namespace mlp
