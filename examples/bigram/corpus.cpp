// Tokeniser, vocabulary, pairs and the count model (see corpus.hpp).
#include "corpus.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "tensor/error.hpp"

namespace bigram {

namespace {
bool word_byte(unsigned char c) { return std::isalnum(c) || c == '\'' || c >= 0x80; }
}  // namespace

std::vector<std::string> tokenize(const std::string& text, Level level) {
    std::vector<std::string> out;
    const bool framed = text.find('\n') != std::string::npos && (text.empty() || text[0] != '\n');
    if (level == Level::Char) {
        if (framed) out.emplace_back("\n");
        for (char c : text) out.emplace_back(1, c);
        return out;
    }
    if (framed) out.emplace_back("<eos>");
    std::string word;
    auto flush = [&] {
        if (!word.empty()) out.push_back(word), word.clear();
    };
    for (unsigned char c : text) {
        if (word_byte(c)) {
            word += static_cast<char>(std::tolower(c));
        } else {
            flush();
            if (c == '\n') out.emplace_back("<eos>");
            else if (c == '\r' || std::isspace(c) || c == '\0') continue;
            else out.emplace_back(1, static_cast<char>(c));
        }
    }
    flush();
    return out;
}

Vocabulary Vocabulary::build(const std::vector<std::string>& toks, int min_count) {
    std::map<std::string, int> count;
    for (const auto& t : toks) ++count[t];
    std::vector<std::string> kept;
    bool dropped = false;
    for (const auto& [t, c] : count) {
        if (c >= min_count) kept.push_back(t);
        else dropped = true;
    }
    if (dropped) kept.emplace_back("<unk>");
    return from_tokens(std::move(kept));
}

Vocabulary Vocabulary::from_tokens(std::vector<std::string> tokens) {
    Vocabulary v;
    std::sort(tokens.begin(), tokens.end());
    v.tokens = std::move(tokens);
    for (std::size_t i = 0; i < v.tokens.size(); ++i) {
        if (!v.ids.emplace(v.tokens[i], static_cast<int64_t>(i)).second)
            throw xgrad::ValueError("vocabulary: token \"" + v.tokens[i] + "\" appears twice");
        if (v.tokens[i] == "<unk>") v.unk = static_cast<int64_t>(i);
    }
    return v;
}

std::vector<int64_t> Vocabulary::encode(const std::vector<std::string>& toks) const {
    std::vector<int64_t> out;
    out.reserve(toks.size());
    for (const auto& t : toks) {
        auto it = ids.find(t);
        out.push_back(it != ids.end() ? it->second : unk);
    }
    return out;
}

std::string Vocabulary::show(int64_t id) const {
    const std::string& t = tokens.at(static_cast<std::size_t>(id));
    if (t == "\n") return "\\n";
    if (t == " ") return "' '";
    if (t.size() == 1 && !std::isprint(static_cast<unsigned char>(t[0]))) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(t[0]));
        return buf;
    }
    return t;
}

Pairs make_pairs(const std::vector<int64_t>& ids) {
    Pairs p;
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
        if (ids[i] < 0 || ids[i + 1] < 0) {
            ++p.skipped;
            continue;
        }
        p.prev.push_back(ids[i]);
        p.next.push_back(ids[i + 1]);
    }
    return p;
}

CountModel::CountModel(std::size_t vocab, const Pairs& train) : n(vocab), counts(vocab * vocab, 0.0) {
    for (std::size_t i = 0; i < train.size(); ++i) counts[train.prev[i] * n + train.next[i]] += 1;
}

double CountModel::train_floor() const {
    double total = 0, h = 0;
    for (std::size_t r = 0; r < n; ++r) {
        double row = 0;
        for (std::size_t c = 0; c < n; ++c) row += counts[r * n + c];
        for (std::size_t c = 0; c < n; ++c)
            if (counts[r * n + c] > 0) h -= counts[r * n + c] * std::log(counts[r * n + c] / row);
        total += row;
    }
    return total > 0 ? h / total : 0.0;
}

std::vector<double> CountModel::probs(int64_t prev, double alpha) const {
    std::vector<double> p(n);
    double row = 0;
    for (std::size_t c = 0; c < n; ++c) row += p[c] = counts[prev * n + c] + alpha;
    for (auto& v : p) v /= row;
    return p;
}

double CountModel::loss(const Pairs& pairs, double alpha) const {
    std::vector<double> rowsum(n, 0.0);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < n; ++c) rowsum[r] += counts[r * n + c] + alpha;
    double total = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i)
        total -= std::log((counts[pairs.prev[i] * n + pairs.next[i]] + alpha) / rowsum[pairs.prev[i]]);
    return pairs.size() ? total / pairs.size() : NAN;
}

double CountModel::best_alpha(const Pairs& pairs) const {
    double best = 1, best_loss = INFINITY;
    for (int k = 0; k <= 40; ++k) {
        const double a = std::pow(10.0, -3.0 + k * 0.1);
        const double l = loss(pairs, a);
        if (l < best_loss) best_loss = l, best = a;
    }
    return best;
}

}  // namespace bigram
