// GPT-2 checkpoints in Hugging Face's layout: a folder with config.json and model.safetensors, as the
// `gpt2`, `gpt2-medium`, `gpt2-large` and `gpt2-xl` repositories publish them. The book's ch. 5
// load_weights_into_gpt, from that layout:
//   wte → tok_emb, wpe → pos_emb, h.N.ln_1/ln_2 → norm1/norm2 (weight → scale, bias → shift),
//   h.N.attn.c_attn [C, 3C] → W_query, W_key, W_value (split, transposed: Conv1D stores [in, out]),
//   h.N.attn.c_proj → att.out_proj, h.N.mlp.c_fc/c_proj → ff.layers.0/2, ln_f → final_norm,
//   lm_head → out_head (wte when the file has none: the head is tied).
// The attn.bias / attn.masked_bias mask buffers are ignored; names may carry a `transformer.` prefix;
// tensors may be F32, F16 or BF16.
#pragma once
#include <string>

#include "gpt2/model.hpp"

namespace xgrad::gpt2 {

/// DIR/config.json → the book's Config (qkv_bias true, drop_rate = resid_pdrop). A missing file or
/// field, or a model_type other than gpt2, is a FileError naming it.
Config read_hf_config(const std::string& dir);

/// Loads DIR/model.safetensors into `model`, whose config must be the folder's. Every tensor is checked
/// (name, dtype, shape against the config, extent within the file) before any is read; unknown, missing,
/// mis-shaped or truncated tensors are FileErrors naming the file and the tensor. Streams the file one
/// tensor at a time into the parameters, so memory peaks near the model's own size.
void load_hf_weights(GPTModel& model, const std::string& dir);

/// A model built from DIR/config.json (without the cost of a random init) with DIR's weights loaded,
/// in eval mode: the book's GPTModel(NEW_CONFIG) + load_weights_into_gpt.
nn::Ptr<GPTModel> from_pretrained(const std::string& dir);

}  // namespace xgrad::gpt2
