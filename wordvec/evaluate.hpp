// The standard evaluations of word vectors, as gensim's KeyedVectors.evaluate_word_analogies and
// evaluate_word_pairs compute them.
//
// Both restrict the vocabulary to its first `restrict_vocab` words (the most frequent) and, by default,
// compare words case-insensitively (ASCII letters upper-cased; of two words that differ only in case,
// the more frequent one stands for both).
#pragma once
#include <string>
#include <vector>

#include "wordvec/vectors.hpp"

namespace xgrad::wordvec {

struct AnalogySection {
    std::string name;  ///< ": capital-common-countries" without the ": "
    std::size_t correct = 0, incorrect = 0;
};

struct AnalogyResult {
    double accuracy = 0;          ///< correct / covered (0 when nothing is covered)
    std::size_t correct = 0;      ///< questions answered right
    std::size_t covered = 0;      ///< questions whose four words are all in the restricted vocabulary
    std::size_t questions = 0;    ///< all questions in the file
    std::vector<AnalogySection> sections;
};

/// Questions "a b c d" (a is to b as c is to d) in sections ": name": the answer is the first word of
/// most_similar({b, c}, {a}, 5, restrict_vocab) that is not a, b or c; right when it is d. A file with no
/// question is a FileError.
AnalogyResult evaluate_word_analogies(const KeyedVectors& kv, const std::string& path,
                                      std::size_t restrict_vocab = 300000, bool case_insensitive = true);

struct PairsResult {
    double pearson = 0, spearman = 0;  ///< of the cosines against the human scores, over the covered pairs
    std::size_t covered = 0, pairs = 0;
    double oov_ratio = 0;  ///< % of the pairs left out for a word not in the vocabulary
};

/// Pairs "a<TAB>b<TAB>score" ('#' lines are comments; other lines are skipped, a score that is not a finite
/// number is a FileError naming its line, a file with no pair too): Pearson's and Spearman's correlation (ranks with
/// ties averaged) between the pairs' cosines and the scores.
PairsResult evaluate_word_pairs(const KeyedVectors& kv, const std::string& path, std::size_t restrict_vocab = 300000,
                                bool case_insensitive = true);

/// The questions / pairs of an evaluation file, read as the evaluations read them, without vectors: a
/// program checks its files with these before it trains. FileError when the file cannot be read, holds
/// none, or (pairs) has a score that is not a finite number.
std::size_t count_analogy_questions(const std::string& path);
std::size_t count_word_pairs(const std::string& path);

/// Spearman's rank correlation of two equally long lists (ties get their average rank).
double spearman(const std::vector<double>& a, const std::vector<double>& b);
double pearson(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace xgrad::wordvec
