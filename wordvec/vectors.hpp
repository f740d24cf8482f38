// Word vectors and the lecture's queries on them, as gensim's KeyedVectors: a vocabulary (most
// frequent first, as word2vec writes it) and a table of N vectors of D floats.
//
//   KeyedVectors kv = wordvec::load_vectors("GoogleNews-vectors-negative300.bin");
//   kv.most_similar({"king", "woman"}, {"man"});   // king − man + woman → [("queen", 0.71), …]
//   kv.similarity("cat", "dog");                   // cosine
//
// Queries work on unit vectors (each row divided by its length): cosine = dot product. most_similar
// is 3CosAdd — the unit vectors of the positive words added, the negative ones subtracted, the mean
// made unit, its nearest rows by cosine, the query words left out — and most_similar_cosmul is
// 3CosMul (Levy and Goldberg 2014), both as gensim computes them.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace xgrad::wordvec {

/// A word and its score (a cosine, or 3CosMul's ratio).
struct Similar {
    std::string word;
    float score;
};

class KeyedVectors {
public:
    KeyedVectors() = default;
    /// words[i] has vectors[i·dim : (i+1)·dim]. Throws ValueError for a dim of 0, a size that does not
    /// match, or a word given twice (naming it and both positions); `source` (a file name) prefixes
    /// the messages.
    KeyedVectors(std::vector<std::string> words, std::vector<float> vectors, std::size_t dim,
                 const std::string& source = "");

    std::size_t size() const { return words_.size(); }
    std::size_t dim() const { return dim_; }
    const std::vector<std::string>& words() const { return words_; }
    /// The table, row-major (size() × dim()).
    const std::vector<float>& vectors() const { return vectors_; }
    bool contains(const std::string& word) const { return index_.count(word) != 0; }
    /// The row of `word`; throws ValueError naming the word when it is not in the vocabulary.
    std::size_t index_of(const std::string& word) const;
    std::span<const float> vector(const std::string& word) const;

    /// Cosine of the two words' vectors.
    float similarity(const std::string& a, const std::string& b) const;
    /// 3CosAdd: the topn words nearest to unit(mean(unit(p) for p in positive, -unit(n) for n in
    /// negative)), the query words excluded. restrict_vocab > 0 searches the first rows only.
    std::vector<Similar> most_similar(const std::vector<std::string>& positive,
                                      const std::vector<std::string>& negative = {}, std::size_t topn = 10,
                                      std::size_t restrict_vocab = 0) const;
    /// most_similar and similarity with rows for words (what the evaluations use).
    std::vector<Similar> most_similar_by_index(const std::vector<std::size_t>& positive,
                                               const std::vector<std::size_t>& negative, std::size_t topn = 10,
                                               std::size_t restrict_vocab = 0) const;
    float similarity_by_index(std::size_t a, std::size_t b) const;
    /// 3CosMul: score(w) = Π_p (1 + cos(w, p))/2 / (Π_n (1 + cos(w, n))/2 + 1e-6), query words excluded.
    std::vector<Similar> most_similar_cosmul(const std::vector<std::string>& positive,
                                             const std::vector<std::string>& negative = {}, std::size_t topn = 10,
                                             std::size_t restrict_vocab = 0) const;
    /// The topn words nearest to any vector (of dim() floats), by cosine; nothing excluded.
    std::vector<Similar> similar_by_vector(std::span<const float> v, std::size_t topn = 10,
                                           std::size_t restrict_vocab = 0) const;
    /// The word farthest from the mean of the words' unit vectors (words not in the vocabulary are
    /// left out; at least one must be in it).
    std::string doesnt_match(const std::vector<std::string>& words) const;

    /// The unit rows (computed once, on first use), row-major.
    const std::vector<float>& unit_vectors() const;

private:
    std::vector<Similar> nearest(std::span<const float> query, std::size_t topn, std::size_t restrict_vocab,
                                 const std::vector<std::size_t>& exclude) const;
    std::vector<std::string> words_;
    std::vector<float> vectors_;
    std::size_t dim_ = 0;
    std::unordered_map<std::string, std::size_t> index_;
    mutable std::vector<float> unit_;
};

/// cos of every unit row r < rows with the query q (dim floats): scores[r] = Σ_k unit[r, k]·q[k], one
/// SIMD dot product per row, rows split over the kernel threads (the same bits at any thread count).
void dot_rows(const float* unit, std::size_t rows, std::size_t dim, const float* q, float* scores);

}  // namespace xgrad::wordvec
