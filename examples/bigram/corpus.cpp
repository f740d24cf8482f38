// Tokeniser, vocabulary, pairs and the count model (see corpus.hpp).
#include "corpus.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

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
        if (ids[i] > INT32_MAX || ids[i + 1] > INT32_MAX)
            throw std::invalid_argument(fmt::format("make_pairs: token id {} does not fit the pair table's int32",
                                                    std::max(ids[i], ids[i + 1])));
        p.items.push_back({static_cast<int32_t>(ids[i]), static_cast<int32_t>(ids[i + 1])});
    }
    return p;
}

CountModel::CountModel(std::size_t vocab, const Pairs& train) : n(vocab), row_total(vocab, 0.0) {
    std::vector<uint64_t> all(train.size());
    for (std::size_t i = 0; i < train.size(); ++i) {
        all[i] = static_cast<uint64_t>(train.prev(i)) * n + static_cast<uint64_t>(train.next(i));
        row_total[static_cast<std::size_t>(train.prev(i))] += 1;
    }
    std::sort(all.begin(), all.end());
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (keys.empty() || keys.back() != all[i]) keys.push_back(all[i]), counts.push_back(0);
        counts.back() += 1;
    }
}

double CountModel::count(int64_t prev, int64_t next) const {
    const uint64_t k = static_cast<uint64_t>(prev) * n + static_cast<uint64_t>(next);
    const auto it = std::lower_bound(keys.begin(), keys.end(), k);
    return it != keys.end() && *it == k ? counts[static_cast<std::size_t>(it - keys.begin())] : 0.0;
}

// H(next | prev) = −Σ c(p, q)/T · ln(c(p, q)/c(p)), in the pairs' sorted order.
double CountModel::train_floor() const {
    double total = 0, h = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) h -= counts[i] * std::log(counts[i] / row_total[keys[i] / n]);
    for (double r : row_total) total += r;
    return total > 0 ? h / total : 0.0;
}

std::vector<double> CountModel::probs(int64_t prev, double alpha) const {
    std::vector<double> p(n);
    const double row = row_total[static_cast<std::size_t>(prev)] + alpha * double(n);
    for (std::size_t c = 0; c < n; ++c) p[c] = (count(prev, static_cast<int64_t>(c)) + alpha) / row;
    return p;
}

double CountModel::loss(const Pairs& pairs, double alpha) const {
    double total = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const double row = row_total[static_cast<std::size_t>(pairs.prev(i))] + alpha * double(n);
        total -= std::log((count(pairs.prev(i), pairs.next(i)) + alpha) / row);
    }
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
