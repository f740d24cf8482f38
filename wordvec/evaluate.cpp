// Analogy and word-pair evaluations (see evaluate.hpp).
#include "wordvec/evaluate.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "tensor/error.hpp"

namespace xgrad::wordvec {

namespace {

std::string upper(std::string s) {
    for (auto& c : s)
        if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    return s;
}

/// The restricted vocabulary: key (upper-cased if case_insensitive) → row; the more frequent of two
/// words with the same key wins.
std::unordered_map<std::string, std::size_t> ok_vocab(const KeyedVectors& kv, std::size_t restrict_vocab, bool ci) {
    const std::size_t n = std::min(restrict_vocab, kv.size());
    std::unordered_map<std::string, std::size_t> ok;
    for (std::size_t i = n; i-- > 0;) ok[ci ? upper(kv.words()[i]) : kv.words()[i]] = i;
    return ok;
}

std::ifstream open(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw FileError(fmt::format("{}: cannot open it", path));
    return f;
}

// A line "a b c d" (the four words of a question), or false: a line of another shape is skipped, as gensim does.
bool question_line(const std::string& line, std::string (&w)[4]) {
    std::istringstream s(line);
    std::string extra;
    return (s >> w[0] >> w[1] >> w[2] >> w[3]) && !(s >> extra);
}

// A line "a<TAB>b<TAB>score", or false (another shape, a comment: skipped, as gensim does). A score that
// is not a finite number is an error naming the line.
bool pair_line(std::string line, std::size_t line_no, const std::string& path, std::string& a, std::string& b, double& score) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.empty() || line[0] == '#') return false;
    const auto t1 = line.find('\t'), t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos || line.find('\t', t2 + 1) != std::string::npos) return false;
    const std::string num = line.substr(t2 + 1);
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), score);
    if (ec != std::errc() || p != num.data() + num.size()) return false;
    if (!std::isfinite(score))
        throw FileError(fmt::format("{}: line {}: the score '{}' is not a finite number", path, line_no, num));
    a = line.substr(0, t1), b = line.substr(t1 + 1, t2 - t1 - 1);
    return true;
}

std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        for (std::size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * double(i + j) + 1.0;  // the average rank of a tie
        i = j + 1;
    }
    return r;
}

}  // namespace

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    const double n = double(a.size());
    if (a.size() != b.size() || a.size() < 2) return NAN;
    const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) { return pearson(ranks(a), ranks(b)); }

AnalogyResult evaluate_word_analogies(const KeyedVectors& kv, const std::string& path, std::size_t restrict_vocab,
                                      bool case_insensitive) {
    const auto ok = ok_vocab(kv, restrict_vocab, case_insensitive);
    auto key = [&](const std::string& w) { return case_insensitive ? upper(w) : w; };
    std::ifstream f = open(path);
    AnalogyResult res;
    std::string line;
    for (std::size_t line_no = 1; std::getline(f, line); ++line_no) {
        if (line.rfind(": ", 0) == 0) {
            std::string name = line.substr(2);
            while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
            res.sections.push_back({name});
            continue;
        }
        std::string w[4];
        if (!question_line(line, w)) continue;
        if (res.sections.empty())
            throw FileError(fmt::format("{}: line {}: a question before the first \": section\" line", path, line_no));
        ++res.questions;
        std::size_t idx[4];
        bool known = true;
        for (int i = 0; i < 4; ++i) {
            auto it = ok.find(key(w[i]));
            known = known && it != ok.end();
            if (known) idx[i] = it->second;
        }
        if (!known) continue;
        // a : b :: c : ?   →   b − a + c
        const auto sims = kv.most_similar_by_index({idx[1], idx[2]}, {idx[0]}, 5, restrict_vocab);
        std::string predicted;
        for (const auto& s : sims) {
            predicted = key(s.word);
            if (ok.count(predicted) && predicted != key(w[0]) && predicted != key(w[1]) && predicted != key(w[2])) break;
        }
        auto& section = res.sections.back();
        if (predicted == key(w[3])) ++section.correct, ++res.correct;
        else ++section.incorrect;
        ++res.covered;
    }
    if (res.questions == 0) throw FileError(fmt::format("{}: no analogy questions in it (\": section\" lines, then \"a b c d\")", path));
    res.accuracy = res.covered ? double(res.correct) / double(res.covered) : 0.0;
    return res;
}

PairsResult evaluate_word_pairs(const KeyedVectors& kv, const std::string& path, std::size_t restrict_vocab,
                                bool case_insensitive) {
    const auto ok = ok_vocab(kv, restrict_vocab, case_insensitive);
    std::ifstream f = open(path);
    std::vector<double> gold, model;
    PairsResult res;
    std::string line, a, b;
    double score = 0;
    for (std::size_t line_no = 1; std::getline(f, line); ++line_no) {
        if (!pair_line(line, line_no, path, a, b, score)) continue;
        ++res.pairs;
        if (case_insensitive) a = upper(a), b = upper(b);
        auto ia = ok.find(a), ib = ok.find(b);
        if (ia == ok.end() || ib == ok.end()) continue;
        gold.push_back(score);
        model.push_back(kv.similarity_by_index(ia->second, ib->second));
    }
    if (res.pairs == 0) throw FileError(fmt::format("{}: no word pairs in it (lines \"word<TAB>word<TAB>score\")", path));
    res.covered = gold.size();
    res.pearson = pearson(gold, model);
    res.spearman = spearman(gold, model);
    res.oov_ratio = res.pairs ? 100.0 * double(res.pairs - res.covered) / double(res.pairs) : 0.0;
    return res;
}

std::size_t count_analogy_questions(const std::string& path) {
    std::ifstream f = open(path);
    std::size_t n = 0;
    std::string line, w[4];
    while (std::getline(f, line)) n += line.rfind(": ", 0) != 0 && question_line(line, w);
    if (n == 0) throw FileError(fmt::format("{}: no analogy questions in it (\": section\" lines, then \"a b c d\")", path));
    return n;
}

std::size_t count_word_pairs(const std::string& path) {
    std::ifstream f = open(path);
    std::size_t n = 0;
    std::string line, a, b;
    double score = 0;
    for (std::size_t line_no = 1; std::getline(f, line); ++line_no) n += pair_line(line, line_no, path, a, b, score);
    if (n == 0) throw FileError(fmt::format("{}: no word pairs in it (lines \"word<TAB>word<TAB>score\")", path));
    return n;
}

}  // namespace xgrad::wordvec
