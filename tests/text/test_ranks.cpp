// Merging by rank: the scan (tiktoken's loop) and the heap (for long pieces) agree, ties go left,
// and long pieces cost about linear time (no quadratic cliff: these would time out otherwise).
#include "text/ranks.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tensor/error.hpp"
#include "text/tokenizer.hpp"

namespace xgrad::text {
namespace {

TEST(Ranks, TiesGoToTheLeftmostPair) {
    Ranks r;
    r.add("a", 0);
    r.add("b", 1);
    r.add("aa", 2);
    r.add("aaa", 3);
    for (auto merge : {&Ranks::merge_by_scan, &Ranks::merge_by_heap}) {
        std::vector<Token> out;
        (r.*merge)("aaaa", out);  // three equal pairs: the left one, then the right (aa+a is aaa: rank 3 > 2)
        EXPECT_EQ(out, (std::vector<Token>{2, 2}));
        out.clear();
        (r.*merge)("aaab", out);  // aa first at the left, then aa+a = aaa
        EXPECT_EQ(out, (std::vector<Token>{3, 1}));
    }
}

TEST(Ranks, ScanAndHeapMergeAlike) {
    const Tokenizer tok = Tokenizer::gpt2();
    std::mt19937 rng(11);
    const std::string parts[] = {"a", "b", "e", "th", "in", "er", " ", "\xC3\xA9", "0", "1", "\xE2\x80", "\x99", "ing", "!"};
    for (int trial = 0; trial < 300; ++trial) {
        std::string piece;
        for (int k = std::uniform_int_distribution<int>(2, 300)(rng); k > 0; --k) piece += parts[rng() % std::size(parts)];
        std::vector<Token> scan, heap;
        tok.ranks().merge_by_scan(piece, scan);
        tok.ranks().merge_by_heap(piece, heap);
        ASSERT_EQ(scan, heap) << piece;
    }
}

TEST(Ranks, LongPiecesEncodeAndRoundTrip) {
    const Tokenizer tok = Tokenizer::gpt2();
    const std::string million(1000000, 'a');
    const auto ids = tok.encode(million);
    EXPECT_EQ(ids.size(), 250000u);  // "aaaa" is one token (aaaa = 24794)
    EXPECT_EQ(tok.decode_bytes(ids), million);
    for (const std::string s : {"^", "0", "'s", " ", "\n", "a"}) {
        std::string text;
        for (int i = 0; i < 100000; ++i) text += s;
        EXPECT_EQ(tok.decode_bytes(tok.encode(text)), text) << s;
    }
}

TEST(Ranks, ADuplicateTokenIsNamed) {
    Ranks r;
    r.add("a", 0);
    EXPECT_THROW(r.add("a", 1, "file: line 2"), ValueError);
    EXPECT_THROW(r.add("b", 0), ValueError);
    EXPECT_THROW(r.add("", 5), ValueError);
    std::vector<Token> out;
    EXPECT_THROW(r.encode_piece("ab", out), ValueError);  // 'b' is no token here
}

}  // namespace
}  // namespace xgrad::text
