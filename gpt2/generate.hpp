// Text generation from a GPTModel, as the book's generate() (ch. 5) with its KV cache bonus: the last
// position's logits → top-k filter → temperature → (top-p) → a multinomial draw, or argmax when the
// temperature is 0. The draws are torch.multinomial's, so a seed gives the book's samples.
#pragma once
#include <functional>
#include <optional>

#include "gpt2/model.hpp"

namespace xgrad::gpt2 {

struct GenerateOptions {
    long max_new_tokens = 0;
    double temperature = 0.0;         ///< 0: greedy (argmax); > 0: logits / temperature, then sampled
    std::optional<long> top_k = std::nullopt;    ///< keep the k largest logits (k ≥ 1); none: all
    std::optional<double> top_p = std::nullopt;  ///< keep the smallest set of tokens whose probability reaches p, in (0, 1]
    std::optional<int64_t> eos_id = std::nullopt;  ///< stop when every row draws it (it is not appended), as the book
    bool use_cache = true;            ///< a KV cache: each new token costs one position, not the whole window
    /// Called with each new column of ids (B) as it is chosen (to stream text); may be empty.
    std::function<void(const IdArray& next)> on_token = nullptr;
};

/// idx (B, T) → (B, T + n), n ≤ max_new_tokens. Runs in the mode the model is in (call eval() first, as
/// the book does), records no graph. The window is the last context_length ids; with the cache, a full
/// window is re-fed when it slides, so cached and uncached paths choose the same ids. Bad options
/// (top_k < 1, temperature < 0, top_p outside (0, 1], eos_id outside the vocabulary) throw ValueError
/// before any work.
IdArray generate(const GPTModel& model, const IdArray& idx, const GenerateOptions& options,
                 Generator& gen = default_generator());

/// The book's generate_text_simple: greedy, uncached.
inline IdArray generate_text_simple(const GPTModel& model, const IdArray& idx, long max_new_tokens) {
    GenerateOptions o;
    o.max_new_tokens = max_new_tokens;
    o.use_cache = false;
    return generate(model, idx, o);
}

}  // namespace xgrad::gpt2
