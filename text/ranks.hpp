// Byte-pair ranks: every token is a byte string with a rank that is both its id and its merge
// priority (tiktoken's model: a lower rank merges first). Encoding a piece of text starts from its
// single bytes and merges, again and again, the adjacent pair whose concatenation has the lowest rank
// (the leftmost on a tie), until no adjacent pair is a token.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad::text {

using Token = std::uint32_t;
constexpr Token kNoToken = UINT32_MAX;

class Ranks {
public:
    Ranks();
    /// Adds a token. Throws ValueError when the bytes or the rank are already taken or the bytes are
    /// empty, naming `where` (the file and line the token came from).
    void add(std::string_view bytes, Token rank, const std::string& where = "");
    /// The rank of a byte string, or kNoToken.
    Token find(std::string_view bytes) const;
    /// The bytes of a rank (empty for a rank no token has).
    std::string_view bytes(Token rank) const;
    bool contains(Token rank) const { return rank < spans_.size() && spans_[rank].size > 0; }
    /// How many tokens, and one past the largest rank.
    std::size_t size() const { return count_; }
    Token end_rank() const { return static_cast<Token>(spans_.size()); }
    /// True when every one of the 256 single bytes is a token (needed to encode any text).
    bool has_all_bytes() const;

    /// Appends the tokens of one piece to `out` (a piece that is a token is that token). Throws
    /// ValueError if a byte of it is not a token.
    void encode_piece(std::string_view piece, std::vector<Token>& out) const;
    /// Pieces longer than this merge with a heap (n log n) instead of rescanning the pairs (n²).
    static constexpr std::size_t kHeapAbove = 128;
    /// The two merge strategies, public so tests can hold them to the same answers.
    void merge_by_scan(std::string_view piece, std::vector<Token>& out) const;
    void merge_by_heap(std::string_view piece, std::vector<Token>& out) const;

private:
    struct Span {
        std::uint32_t offset = 0, size = 0;
    };
    struct Slot {
        Token rank = kNoToken;
        std::uint32_t tag = 0;  // the hash's high bits, to skip most byte compares
    };
    Token rank_of(const char* p, std::size_t n) const;
    void grow();
    Token single_byte(unsigned char b, std::string_view piece) const;

    std::string arena_;          // every token's bytes, back to back
    std::vector<Span> spans_;    // rank → its bytes in arena_
    std::vector<Slot> slots_;    // open addressing, linear probing, size a power of two
    std::size_t count_ = 0;
    Token byte_rank_[256];       // rank of each single byte (kNoToken if none)
};

}  // namespace xgrad::text
