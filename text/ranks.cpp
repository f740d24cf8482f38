#include "text/ranks.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

#include "tensor/error.hpp"

namespace xgrad::text {
namespace {

// A multiply-xorshift hash over 8-byte words: pieces are short, so few rounds.
inline std::uint64_t hash_bytes(const char* p, std::size_t n) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
}

}  // namespace

Ranks::Ranks() { std::fill(std::begin(byte_rank_), std::end(byte_rank_), kNoToken); }

Token Ranks::rank_of(const char* p, std::size_t n) const {
    if (slots_.empty()) return kNoToken;
    const std::uint64_t h = hash_bytes(p, n);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.rank == kNoToken) return kNoToken;
        if (s.tag == tag) {
            const Span sp = spans_[s.rank];
            if (sp.size == n && std::memcmp(arena_.data() + sp.offset, p, n) == 0) return s.rank;
        }
    }
}

Token Ranks::find(std::string_view bytes) const {
    if (bytes.size() == 1) return byte_rank_[static_cast<unsigned char>(bytes[0])];
    return rank_of(bytes.data(), bytes.size());
}

std::string_view Ranks::bytes(Token rank) const {
    if (rank >= spans_.size()) return {};
    return {arena_.data() + spans_[rank].offset, spans_[rank].size};
}

bool Ranks::has_all_bytes() const {
    return std::none_of(std::begin(byte_rank_), std::end(byte_rank_), [](Token t) { return t == kNoToken; });
}

void Ranks::grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<std::size_t>(64, old.size() * 2), Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.rank == kNoToken) continue;
        const std::string_view b = bytes(s.rank);
        std::size_t i = hash_bytes(b.data(), b.size()) & mask;
        while (slots_[i].rank != kNoToken) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

void Ranks::add(std::string_view bytes, Token rank, const std::string& where) {
    const std::string at = where.empty() ? "" : where + ": ";
    if (bytes.empty()) throw ValueError(at + "a token with no bytes");
    if (rank == kNoToken) throw ValueError(at + "rank " + std::to_string(rank) + " is too large");
    if (contains(rank))
        throw ValueError(at + "rank " + std::to_string(rank) + " is given twice");
    if (find(bytes) != kNoToken)
        throw ValueError(at + "the bytes of rank " + std::to_string(rank) + " are those of rank " +
                         std::to_string(find(bytes)) + " too");
    if ((count_ + 1) * 2 > slots_.size()) grow();
    if (rank >= spans_.size()) spans_.resize(rank + 1);
    spans_[rank] = {static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(bytes.size())};
    arena_.append(bytes);
    const std::uint64_t h = hash_bytes(bytes.data(), bytes.size());
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i].rank != kNoToken) i = (i + 1) & mask;
    slots_[i] = {rank, static_cast<std::uint32_t>(h >> 32)};
    if (bytes.size() == 1) byte_rank_[static_cast<unsigned char>(bytes[0])] = rank;
    ++count_;
}

Token Ranks::single_byte(unsigned char b, std::string_view piece) const {
    const Token t = byte_rank_[b];
    if (t == kNoToken)
        throw ValueError("encode: byte " + std::to_string(b) + " of the piece \"" + std::string(piece) +
                         "\" is not a token, so this vocabulary cannot encode it");
    return t;
}

void Ranks::encode_piece(std::string_view piece, std::vector<Token>& out) const {
    if (piece.empty()) return;
    if (piece.size() == 1) {
        out.push_back(single_byte(static_cast<unsigned char>(piece[0]), piece));
        return;
    }
    if (const Token t = rank_of(piece.data(), piece.size()); t != kNoToken) {
        out.push_back(t);
        return;
    }
    if (piece.size() > kHeapAbove) merge_by_heap(piece, out);
    else merge_by_scan(piece, out);
}

// tiktoken's loop: parts[i] starts at start[i]; pair[i] is the rank of parts i and i + 1 joined.
// Each round merges the lowest pair (the leftmost of equals) and recomputes its two neighbours'.
void Ranks::merge_by_scan(std::string_view piece, std::vector<Token>& out) const {
    const std::size_t n = piece.size();
    std::vector<std::uint32_t> start(n + 1);
    std::vector<Token> pair(n + 1, kNoToken);
    for (std::size_t i = 0; i <= n; ++i) start[i] = static_cast<std::uint32_t>(i);
    for (std::size_t i = 0; i + 1 < n; ++i) pair[i] = rank_of(piece.data() + i, 2);
    std::size_t parts = n;  // parts live in start[0, parts), start[parts] = n
    auto joined = [&](std::size_t i) {  // rank of parts i and i + 1 as one token
        if (i + 2 > parts) return kNoToken;
        return rank_of(piece.data() + start[i], start[i + 2] - start[i]);
    };
    for (;;) {
        std::size_t best = 0;
        for (std::size_t i = 1; i + 1 < parts; ++i)
            if (pair[i] < pair[best]) best = i;
        if (parts < 2 || pair[best] == kNoToken) break;
        std::copy(start.begin() + best + 2, start.begin() + parts + 1, start.begin() + best + 1);
        std::copy(pair.begin() + best + 2, pair.begin() + parts + 1, pair.begin() + best + 1);
        --parts;
        pair[best] = joined(best);
        if (best > 0) pair[best - 1] = joined(best - 1);
    }
    for (std::size_t i = 0; i < parts; ++i) {
        const std::size_t len = start[i + 1] - start[i];
        out.push_back(len == 1 ? single_byte(static_cast<unsigned char>(piece[start[i]]), piece)
                               : rank_of(piece.data() + start[i], len));
    }
}

// The same merges in n log n: the parts form a linked list (a part is named by its start), and a
// min-heap holds the key rank << 32 | start for every adjacent pair. A key is acted on only if its
// part is alive and still has that pair rank; stale keys are skipped. Ties go to the lower start, i.e.
// the leftmost pair, as above.
void Ranks::merge_by_heap(std::string_view piece, std::vector<Token>& out) const {
    const std::size_t n = piece.size();
    std::vector<std::uint32_t> next(n), prev(n);
    std::vector<Token> pair(n, kNoToken);
    std::vector<char> alive(n, 1);
    for (std::size_t i = 0; i < n; ++i) {
        next[i] = static_cast<std::uint32_t>(i + 1);  // n = no next part
        prev[i] = static_cast<std::uint32_t>(i == 0 ? n : i - 1);
    }
    auto joined = [&](std::size_t i) {  // the rank of part i and the part after it as one token
        if (next[i] >= n) return kNoToken;
        const std::size_t e = next[next[i]] < n ? next[next[i]] : n;
        return rank_of(piece.data() + i, e - i);
    };
    std::vector<std::uint64_t> heap;
    heap.reserve(n);
    auto push = [&](std::size_t i) {
        pair[i] = joined(i);
        if (pair[i] == kNoToken) return;
        heap.push_back((std::uint64_t{pair[i]} << 32) | i);
        std::push_heap(heap.begin(), heap.end(), std::greater<>{});
    };
    for (std::size_t i = 0; i + 1 < n; ++i) push(i);
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
        const std::uint64_t key = heap.back();
        heap.pop_back();
        const auto i = static_cast<std::uint32_t>(key);
        if (!alive[i] || pair[i] != static_cast<Token>(key >> 32)) continue;
        const std::uint32_t j = next[i];  // part j joins part i
        alive[j] = 0;
        next[i] = next[j];
        if (next[j] < n) prev[next[j]] = i;
        push(i);
        if (prev[i] < n) push(prev[i]);
    }
    for (std::size_t i = 0; i < n; i = next[i]) {
        const std::size_t len = (next[i] < n ? next[i] : n) - i;
        out.push_back(len == 1 ? single_byte(static_cast<unsigned char>(piece[i]), piece)
                               : rank_of(piece.data() + i, len));
    }
}

}  // namespace xgrad::text
