// KeyedVectors: the vocabulary's index, unit rows, and the queries (see vectors.hpp).
#include "wordvec/vectors.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tensor/error.hpp"
#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::wordvec {

namespace {

std::string prefix(const std::string& source) { return source.empty() ? "" : source + ": "; }

/// v scaled to length 1 (computed in double); a zero vector stays zero.
std::vector<float> unit(const std::vector<double>& v) {
    double n = 0;
    for (double x : v) n += x * x;
    n = std::sqrt(n);
    std::vector<float> out(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) out[k] = n > 0 ? static_cast<float>(v[k] / n) : 0.0f;
    return out;
}

}  // namespace

KeyedVectors::KeyedVectors(std::vector<std::string> words, std::vector<float> vectors, std::size_t dim,
                           const std::string& source)
    : words_(std::move(words)), vectors_(std::move(vectors)), dim_(dim) {
    if (dim_ == 0) throw ValueError(prefix(source) + "vectors of dimension 0");
    if (vectors_.size() != words_.size() * dim_)
        throw ValueError(fmt::format("{}{} words need {} floats of dimension {}, got {}", prefix(source), words_.size(),
                                     words_.size() * dim_, dim_, vectors_.size()));
    index_.reserve(words_.size());
    for (std::size_t i = 0; i < words_.size(); ++i) {
        auto [it, fresh] = index_.emplace(words_[i], i);
        if (!fresh)
            throw ValueError(fmt::format("{}the word '{}' appears twice (words {} and {}, counting from 1)", prefix(source),
                                         words_[i], it->second + 1, i + 1));
    }
}

std::size_t KeyedVectors::index_of(const std::string& word) const {
    auto it = index_.find(word);
    if (it == index_.end())
        throw ValueError(fmt::format("the word '{}' is not in the vocabulary ({} words)", word, words_.size()));
    return it->second;
}

std::span<const float> KeyedVectors::vector(const std::string& word) const {
    return {vectors_.data() + index_of(word) * dim_, dim_};
}

const std::vector<float>& KeyedVectors::unit_vectors() const {
    if (unit_.size() != vectors_.size()) {
        std::vector<float> u(vectors_.size());
        for (std::size_t r = 0; r < words_.size(); ++r) {
            const float* v = vectors_.data() + r * dim_;
            double n = 0;
            for (std::size_t k = 0; k < dim_; ++k) n += double(v[k]) * v[k];
            const float len = static_cast<float>(std::sqrt(n));
            for (std::size_t k = 0; k < dim_; ++k) u[r * dim_ + k] = len > 0 ? v[k] / len : 0.0f;
        }
        unit_ = std::move(u);
    }
    return unit_;
}

void dot_rows(const float* unit, std::size_t rows, std::size_t dim, const float* q, float* scores) {
    parallel_for(rows, 64, double(rows) * double(dim), 1e6, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) scores[r] = simd::dot(unit + r * dim, q, dim);
    });
}

std::vector<Similar> KeyedVectors::nearest(std::span<const float> query, std::size_t topn, std::size_t restrict_vocab,
                                           const std::vector<std::size_t>& exclude) const {
    const std::size_t rows = restrict_vocab > 0 ? std::min(restrict_vocab, size()) : size();
    std::vector<float> scores(rows);
    dot_rows(unit_vectors().data(), rows, dim_, query.data(), scores.data());
    for (auto i : exclude)
        if (i < rows) scores[i] = -INFINITY;
    // The topn highest scores, ties to the earlier (more frequent) word; a NaN never ranks.
    auto better = [&](std::size_t a, std::size_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
    std::vector<std::size_t> heap;  // the best so far, worst on top
    const std::size_t k = std::min(topn, rows);
    for (std::size_t r = 0; r < rows && k > 0; ++r) {
        if (std::isnan(scores[r]) || scores[r] == -INFINITY) continue;
        if (heap.size() < k) {
            heap.push_back(r);
            std::push_heap(heap.begin(), heap.end(), better);
        } else if (better(r, heap.front())) {
            std::pop_heap(heap.begin(), heap.end(), better);
            heap.back() = r;
            std::push_heap(heap.begin(), heap.end(), better);
        }
    }
    std::sort(heap.begin(), heap.end(), better);
    std::vector<Similar> out;
    for (auto r : heap) out.push_back({words_[r], scores[r]});
    return out;
}

std::vector<Similar> KeyedVectors::most_similar(const std::vector<std::string>& positive,
                                                const std::vector<std::string>& negative, std::size_t topn,
                                                std::size_t restrict_vocab) const {
    std::vector<std::size_t> p, n;
    for (const auto& w : positive) p.push_back(index_of(w));
    for (const auto& w : negative) n.push_back(index_of(w));
    return most_similar_by_index(p, n, topn, restrict_vocab);
}

std::vector<Similar> KeyedVectors::most_similar_by_index(const std::vector<std::size_t>& positive,
                                                         const std::vector<std::size_t>& negative, std::size_t topn,
                                                         std::size_t restrict_vocab) const {
    if (positive.empty() && negative.empty()) throw ValueError("most_similar: give at least one word");
    const auto& u = unit_vectors();
    std::vector<double> mean(dim_, 0.0);
    std::vector<std::size_t> used;
    for (int sign : {1, -1})
        for (std::size_t i : sign > 0 ? positive : negative) {
            if (i >= size()) throw IndexError(fmt::format("most_similar: row {} of {}", i, size()));
            used.push_back(i);
            for (std::size_t k = 0; k < dim_; ++k) mean[k] += sign * double(u[i * dim_ + k]);
        }
    const std::vector<float> q = unit(mean);  // the mean's direction: dividing by the count first changes nothing
    return nearest(q, topn, restrict_vocab, used);
}

std::vector<Similar> KeyedVectors::similar_by_vector(std::span<const float> v, std::size_t topn,
                                                     std::size_t restrict_vocab) const {
    if (v.size() != dim_)
        throw ValueError(fmt::format("similar_by_vector: a vector of {} floats for vectors of dimension {}", v.size(), dim_));
    return nearest(unit(std::vector<double>(v.begin(), v.end())), topn, restrict_vocab, {});
}

std::vector<Similar> KeyedVectors::most_similar_cosmul(const std::vector<std::string>& positive,
                                                       const std::vector<std::string>& negative, std::size_t topn,
                                                       std::size_t restrict_vocab) const {
    if (positive.empty() && negative.empty()) throw ValueError("most_similar_cosmul: give at least one word");
    const auto& u = unit_vectors();
    const std::size_t rows = restrict_vocab > 0 ? std::min(restrict_vocab, size()) : size();
    std::vector<float> pos(rows, 1.0f), neg(rows, 1.0f), cos(rows);
    std::vector<std::size_t> used;
    bool any_negative = false;
    for (int sign : {1, -1})
        for (const auto& w : sign > 0 ? positive : negative) {
            const std::size_t i = index_of(w);
            used.push_back(i);
            dot_rows(u.data(), rows, dim_, u.data() + i * dim_, cos.data());
            auto& prod = sign > 0 ? pos : neg;
            for (std::size_t r = 0; r < rows; ++r) prod[r] *= (1.0f + cos[r]) / 2.0f;
            any_negative |= sign < 0;
        }
    // score = Π pos / (Π neg + 1e-6): with no negative word, Π over nothing is 1, as numpy's prod of []
    std::vector<float> score(rows);
    for (std::size_t r = 0; r < rows; ++r) score[r] = pos[r] / ((any_negative ? neg[r] : 1.0f) + 1e-6f);
    for (auto i : used)
        if (i < rows) score[i] = -INFINITY;
    std::vector<std::size_t> order(rows);
    for (std::size_t r = 0; r < rows; ++r) order[r] = r;
    const std::size_t k = std::min(topn, rows);
    std::partial_sort(order.begin(), order.begin() + long(k), order.end(), [&](std::size_t a, std::size_t b) {
        return score[a] > score[b] || (score[a] == score[b] && a < b);
    });
    std::vector<Similar> out;
    for (std::size_t j = 0; j < k; ++j)
        if (score[order[j]] != -INFINITY) out.push_back({words_[order[j]], score[order[j]]});
    return out;
}

float KeyedVectors::similarity(const std::string& a, const std::string& b) const {
    return similarity_by_index(index_of(a), index_of(b));
}

float KeyedVectors::similarity_by_index(std::size_t a, std::size_t b) const {
    if (a >= size() || b >= size()) throw IndexError(fmt::format("similarity: rows {} and {} of {}", a, b, size()));
    const auto& u = unit_vectors();
    float s = 0;
    dot_rows(u.data() + a * dim_, 1, dim_, u.data() + b * dim_, &s);
    return s;
}

std::string KeyedVectors::doesnt_match(const std::vector<std::string>& words) const {
    const auto& u = unit_vectors();
    std::vector<std::size_t> used;
    for (const auto& w : words)
        if (contains(w)) used.push_back(index_of(w));
    if (used.empty()) throw ValueError("doesnt_match: none of the words is in the vocabulary");
    std::vector<double> mean(dim_, 0.0);
    for (auto i : used)
        for (std::size_t k = 0; k < dim_; ++k) mean[k] += u[i * dim_ + k];
    const std::vector<float> q = unit(mean);
    std::size_t worst = used[0];
    float worst_cos = INFINITY;
    for (auto i : used) {  // the lowest cosine to the mean; ties to the word first in sorted order, as gensim
        float c = 0;
        dot_rows(u.data() + i * dim_, 1, dim_, q.data(), &c);
        if (c < worst_cos || (c == worst_cos && words_[i] < words_[worst])) worst_cos = c, worst = i;
    }
    return words_[worst];
}

}  // namespace xgrad::wordvec
