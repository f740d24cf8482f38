#include "text/train.hpp"

#include <algorithm>
#include <queue>
#include <unordered_map>

#include "nn/serialize.hpp"
#include "tensor/error.hpp"
#include "text/pretokenize.hpp"

namespace xgrad::text {
namespace {

using Pair = std::uint64_t;  // (first << 32) | second
inline Pair pair_of(Token a, Token b) { return (Pair{a} << 32) | b; }
inline Token first_of(Pair p) { return static_cast<Token>(p >> 32); }
inline Token second_of(Pair p) { return static_cast<Token>(p); }

// The text's distinct pieces, in the order they first occur, each with how often it occurs.
struct Words {
    std::vector<std::vector<Token>> ids;
    std::vector<long long> count;
};

Words distinct_pieces(std::string_view text, const std::vector<std::string>& special) {
    Words w;
    std::unordered_map<std::string_view, std::size_t> index;
    auto add_segment = [&](std::string_view seg) {
        Gpt2Splitter split(seg);
        for (std::string_view piece; split.next(piece);) {
            const auto [it, fresh] = index.try_emplace(piece, w.ids.size());
            if (fresh) {
                w.ids.emplace_back(piece.begin(), piece.end());
                for (Token& t : w.ids.back()) t &= 0xFF;  // bytes as ids 0-255
                w.count.push_back(0);
            }
            ++w.count[it->second];
        }
    };
    std::size_t pos = 0;
    for (;;) {  // special tokens cut the text and are left out
        std::size_t at = std::string_view::npos, len = 0;
        for (const auto& s : special)
            if (const std::size_t f = text.find(s, pos); f < at) { at = f; len = s.size(); }
        if (at == std::string_view::npos) break;
        add_segment(text.substr(pos, at - pos));
        pos = at + len;
    }
    add_segment(text.substr(pos));
    return w;
}

// Pair counts over all words, and where each pair may occur (a word listed may have lost it since).
class PairStats {
public:
    explicit PairStats(const Words& w) : words_(w) {
        for (std::size_t i = 0; i < w.ids.size(); ++i) add_word(i, +1);
        for (const auto& [p, c] : count_) heap_.push({c, p});
    }
    // The most frequent pair (on a tie, the one that occurs first in the text), or false if none is left.
    bool best(Pair& out) {
        std::vector<Pair> ties;
        long long top = 0;
        while (!heap_.empty()) {
            const auto [c, p] = heap_.top();
            if (!ties.empty() && c < top) break;
            heap_.pop();
            if (c <= 0 || count_[p] != c || std::find(ties.begin(), ties.end(), p) != ties.end()) continue;
            top = c;
            ties.push_back(p);
        }
        if (ties.empty()) return false;
        out = ties.size() == 1 ? ties[0] : first_in_text(ties);
        for (Pair p : ties)
            if (p != out) heap_.push({top, p});
        return true;
    }
    const std::vector<std::size_t>& where(Pair p) { return where_[p]; }
    long long count(Pair p) const { return count_.at(p); }
    // Counts a word's pairs in (+1) or out (-1), `changed` collecting the pairs whose count moved.
    void add_word(std::size_t i, int sign, std::vector<Pair>* changed = nullptr) {
        const auto& ids = words_.ids[i];
        for (std::size_t k = 0; k + 1 < ids.size(); ++k) {
            const Pair p = pair_of(ids[k], ids[k + 1]);
            count_[p] += sign * words_.count[i];
            if (changed) changed->push_back(p);
            auto& list = where_[p];
            if (sign > 0 && (list.empty() || list.back() != i)) list.push_back(i);
        }
    }
    void requeue(std::vector<Pair>& changed) {
        std::sort(changed.begin(), changed.end());
        changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        for (Pair p : changed)
            if (count_[p] > 0) heap_.push({count_[p], p});
    }

private:
    // Of pairs with equal counts, the one met first scanning the words in order, each left to right.
    Pair first_in_text(const std::vector<Pair>& ties) {
        std::pair<std::size_t, std::size_t> first{SIZE_MAX, SIZE_MAX};
        Pair out = ties[0];
        for (Pair p : ties) {
            for (std::size_t i : where_[p]) {  // not in word order once merges have added to it
                if (i > first.first) continue;
                const auto& ids = words_.ids[i];
                std::size_t k = 0;
                while (k + 1 < ids.size() && pair_of(ids[k], ids[k + 1]) != p) ++k;
                if (k + 1 >= ids.size()) continue;  // the word lost this pair
                if (std::make_pair(i, k) < first) { first = {i, k}; out = p; }
            }
        }
        return out;
    }
    const Words& words_;
    std::unordered_map<Pair, long long> count_;
    std::unordered_map<Pair, std::vector<std::size_t>> where_;
    std::priority_queue<std::pair<long long, Pair>> heap_;
};

}  // namespace

TrainedBpe train_bpe(std::string_view text, const BpeTrainOptions& options) {
    const std::size_t reserved = 256 + options.special.size();
    if (options.vocab_size < reserved)
        throw ValueError("train_bpe: vocab_size " + std::to_string(options.vocab_size) + " cannot hold the 256 bytes and " +
                         std::to_string(options.special.size()) + " special tokens (at least " + std::to_string(reserved) + ")");
    Words words = distinct_pieces(text, options.special);
    PairStats stats(words);
    TrainedBpe out;
    std::vector<Pair> changed;
    std::vector<char> done(words.ids.size(), 0);
    for (std::size_t m = 0; m + reserved < options.vocab_size; ++m) {
        Pair best;
        if (!stats.best(best)) break;
        const Token id = static_cast<Token>(256 + m), a = first_of(best), b = second_of(best);
        out.merges.push_back({a, b});
        out.counts.push_back(stats.count(best));
        if (options.on_merge) options.on_merge(m, {a, b}, stats.count(best));
        changed.clear();
        const std::vector<std::size_t> affected = stats.where(best);  // a copy: add_word appends to lists
        for (std::size_t i : affected) {
            if (done[i]) continue;
            done[i] = 1;
            auto& ids = words.ids[i];
            stats.add_word(i, -1, &changed);
            std::size_t w = 0;  // merge left to right, without overlap
            for (std::size_t k = 0; k < ids.size(); ++k) {
                if (k + 1 < ids.size() && ids[k] == a && ids[k + 1] == b) { ids[w++] = id; ++k; }
                else ids[w++] = ids[k];
            }
            ids.resize(w);
            stats.add_word(i, +1, &changed);
        }
        for (std::size_t i : affected) done[i] = 0;
        stats.requeue(changed);
    }
    for (std::size_t k = 0; k < options.special.size(); ++k)
        out.special[options.special[k]] = static_cast<Token>(256 + out.merges.size() + k);
    return out;
}

void TrainedBpe::save(const std::string& path) const {
    std::string out = "minbpe v1\n" + std::string(kGpt2Pattern) + "\n" + std::to_string(special.size()) + "\n";
    for (const auto& [s, id] : special) out += s + " " + std::to_string(id) + "\n";
    for (const auto& [a, b] : merges) out += std::to_string(a) + " " + std::to_string(b) + "\n";
    nn::write_file_atomic(path, out);
}

}  // namespace xgrad::text
