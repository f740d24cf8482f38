// Learning a byte-level BPE from a text, minbpe's RegexTokenizer algorithm (lecture 8's algorithm as
// a tool): cut the text into GPT-2's pieces, start from their bytes (ids 0-255), and again and again
// merge the most frequent adjacent pair of ids into a new id, never across pieces.
//
// Ties between equally frequent pairs go to the pair that occurs first in the text (minbpe takes the
// first of its dictionary's insertion order, which is that order), so a run gives minbpe's merges.
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/tokenizer.hpp"

namespace xgrad::text {

struct BpeTrainOptions {
    std::size_t vocab_size = 512;        // 256 bytes + merges + special tokens
    std::vector<std::string> special;    // reserved: the last ids, never learned from (the text is cut at them)
    std::function<void(std::size_t merge, std::pair<Token, Token> pair, long long count)> on_merge;  // progress
};

struct TrainedBpe {
    std::vector<std::pair<Token, Token>> merges;  // merge i makes id 256 + i
    std::map<std::string, Token> special;
    std::vector<long long> counts;                // how often each merge's pair occurred when it was made

    Tokenizer tokenizer(std::string name = "trained") const { return Tokenizer::from_merges(std::move(name), merges, special); }
    /// minbpe's model file ("minbpe v1", the pattern, the special tokens, a merge a line), which
    /// Tokenizer::load and minbpe's RegexTokenizer.load read. Written whole or not at all.
    void save(const std::string& path) const;
};

/// Learns merges until vocab_size ids (fewer if the text runs out of pairs). ValueError if vocab_size
/// cannot hold the 256 bytes and the special tokens.
TrainedBpe train_bpe(std::string_view text, const BpeTrainOptions& options);

}  // namespace xgrad::text
