// Turning text into token ids for the bigram model, and the count model beside it.
//
// Tokenisation (documented in docs/lectures/bigram.md):
//   char level: every byte is a token (names: a-z and '\n').
//   word level: lower-cased; a token is a run of letters, digits and apostrophes (bytes >= 0x80
//               count as letters, so UTF-8 words stay whole) or one punctuation character; spaces
//               and tabs separate; a line break becomes the token "<eos>". Tokens seen fewer than
//               min_count times in the training text become "<unk>".
//   When the text has line breaks, a break is assumed before the first line too, so every line has
//   a start transition (the makemore convention: names give L+1 bigrams each).
// The vocabulary is sorted (byte order), as in the lecture: "! . ate cat dog ran the zoo".
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bigram {

enum class Level { Char, Word };

/// Splits text into token strings (no vocabulary yet).
std::vector<std::string> tokenize(const std::string& text, Level level);

struct Vocabulary {
    std::vector<std::string> tokens;     ///< id → token, sorted
    std::map<std::string, int64_t> ids;  ///< token → id
    int64_t unk = -1;                    ///< id of "<unk>", or -1 when there is none

    /// Builds a sorted vocabulary of the tokens seen at least min_count times (+ "<unk>" if any were dropped).
    static Vocabulary build(const std::vector<std::string>& tokens, int min_count);
    /// A vocabulary from a saved token list (a checkpoint).
    static Vocabulary from_tokens(std::vector<std::string> tokens);
    std::size_t size() const { return tokens.size(); }
    /// Ids of tokens; unknown ones become <unk> (or -1 when the vocabulary has no <unk>).
    std::vector<int64_t> encode(const std::vector<std::string>& toks) const;
    /// A printable form of token `id` ("\n" shown as "\\n").
    std::string show(int64_t id) const;
};

/// (prev, next) pairs of consecutive ids; pairs with an id of -1 (unknown) are left out. The two ids of
/// a pair sit side by side as int32 (8 bytes a pair): a training batch drawn at random from a million
/// pairs costs one cache miss a pair, not two.
struct Pairs {
    std::vector<std::array<int32_t, 2>> items;
    std::size_t skipped = 0;  ///< pairs left out because a token was not in the vocabulary
    std::size_t size() const { return items.size(); }
    int64_t prev(std::size_t i) const { return items[i][0]; }
    int64_t next(std::size_t i) const { return items[i][1]; }
    /// Writes pairs [b, e) into prev[0, e-b) and next[0, e-b).
    void copy_to(std::size_t b, std::size_t e, int64_t* prev, int64_t* next) const {
        for (std::size_t i = b; i < e; ++i) prev[i - b] = items[i][0], next[i - b] = items[i][1];
    }
};
Pairs make_pairs(const std::vector<int64_t>& ids);

/// The counting bigram of the makemore lecture: count(prev, next). Stored sparse (the pairs seen, sorted),
/// so a 50,000-token vocabulary costs the distinct pairs of the text, not 50,000² doubles.
struct CountModel {
    std::size_t n = 0;
    std::vector<uint64_t> keys;      ///< prev·n + next of each distinct pair seen, ascending
    std::vector<double> counts;      ///< how often keys[i] was seen
    std::vector<double> row_total;   ///< pairs seen after each prev

    explicit CountModel(std::size_t vocab, const Pairs& train);
    /// H(next | prev) on the training pairs: the lowest mean loss any bigram model can reach on them.
    double train_floor() const;
    /// Mean -log p(next | prev) of pairs under the add-alpha model (counts + α, normalised by row).
    double loss(const Pairs& pairs, double alpha) const;
    /// The α in a log grid 1e-3…10 that gives the lowest loss on `pairs`.
    double best_alpha(const Pairs& pairs) const;
    /// p(next | prev) of the add-alpha model, row prev.
    std::vector<double> probs(int64_t prev, double alpha) const;
    /// How often (prev, next) was seen.
    double count(int64_t prev, int64_t next) const;
};

}  // namespace bigram
