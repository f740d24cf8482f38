// GPT-2's pattern as Gpt2Splitter cuts text: the alternatives in order, white space's look-ahead,
// invalid UTF-8 as a character of its own, and the cut points a text may be split at for threads.
#include "text/pretokenize.hpp"

#include <gtest/gtest.h>

#include <random>

#include "text/unicode.hpp"

namespace xgrad::text {
namespace {

std::vector<std::string> split(std::string_view text) {
    std::vector<std::string> out;
    Gpt2Splitter s(text);
    for (std::string_view piece; s.next(piece);) out.emplace_back(piece);
    return out;
}
using Pieces = std::vector<std::string>;

TEST(Pretokenize, TheAlternativesOfGpt2sPatternInOrder) {
    EXPECT_EQ(split("Hello, I'm here  now"), (Pieces{"Hello", ",", " I", "'m", " here", " ", " now"}));
    EXPECT_EQ(split("they'll've 'sup 'S"), (Pieces{"they", "'ll", "'ve", " '", "sup", " '", "S"}));
    EXPECT_EQ(split("abc123 45!? ?!'s"), (Pieces{"abc", "123", " 45", "!?", " ?!'", "s"}));
}

TEST(Pretokenize, WhiteSpaceLeavesItsLastCharacterToTheNextWord) {
    EXPECT_EQ(split("a   b"), (Pieces{"a", "  ", " b"}));
    EXPECT_EQ(split("a\n\n\nb"), (Pieces{"a", "\n\n", "\n", "b"}));
    EXPECT_EQ(split("a\nb"), (Pieces{"a", "\n", "b"}));
    EXPECT_EQ(split("a  \n"), (Pieces{"a", "  \n"}));  // at the end, the whole run
    EXPECT_EQ(split("x\u3000\u3000y"), (Pieces{"x", "\u3000", "\u3000", "y"}));  // only ' ' joins a word
}

TEST(Pretokenize, UnicodeClassesOfLettersNumbersAndSpaces) {
    EXPECT_EQ(char_class(U'é'), CharClass::Letter);
    EXPECT_EQ(char_class(U'語'), CharClass::Letter);
    EXPECT_EQ(char_class(U'\u0661'), CharClass::Number);  // Arabic-Indic one
    EXPECT_EQ(char_class(U'\u2167'), CharClass::Number);  // Roman numeral eight (Nl)
    EXPECT_EQ(char_class(U'\u00b2'), CharClass::Number);  // superscript two (No)
    EXPECT_EQ(char_class(U'\u0085'), CharClass::Space);
    EXPECT_EQ(char_class(U'\u3000'), CharClass::Space);
    EXPECT_EQ(char_class(U'\u200b'), CharClass::Other);  // zero width space is not White_Space
    EXPECT_EQ(char_class(U'\u0301'), CharClass::Other);  // a combining mark is not a letter
    EXPECT_EQ(char_class(char32_t{0x1F600}), CharClass::Other);
    EXPECT_EQ(char_class(char32_t{0x110000}), CharClass::Other);
    EXPECT_EQ(split("ab\u0301c"), (Pieces{"ab", "\u0301", "c"}));
}

TEST(Pretokenize, AnInvalidByteIsACharacterOfClassOther) {
    EXPECT_EQ(split("a\xFF" "b"), (Pieces{"a", "\xFF", "b"}));
    EXPECT_EQ(split(" \xFF\xFE!x"), (Pieces{" \xFF\xFE!", "x"}));
    EXPECT_EQ(split("\xC3"), (Pieces{"\xC3"}));           // a truncated two-byte letter
    EXPECT_EQ(split("\xC3\xA9\xC3"), (Pieces{"\xC3\xA9", "\xC3"}));
    EXPECT_EQ(split("a\xE0\x80\x80" "b"), (Pieces{"a", "\xE0\x80\x80", "b"}));  // overlong: 3 invalid bytes
}

TEST(Pretokenize, PiecesConcatenateToAnyText) {
    std::mt19937 rng(7);
    const std::string alphabet[] = {"a", "Z", "7", " ", "\n", "\t", "'", "s", "!", "\xC3\xA9", "\xE3\x80\x80", "\xF0\x9F\x98\x80",
                                    "\xFF", "\x80", "\xE2\x82", "ll", "re"};
    for (int trial = 0; trial < 500; ++trial) {
        std::string text;
        for (int k = std::uniform_int_distribution<int>(0, 40)(rng); k > 0; --k) text += alphabet[rng() % std::size(alphabet)];
        std::string joined;
        for (const auto& p : split(text)) {
            EXPECT_FALSE(p.empty());
            joined += p;
        }
        ASSERT_EQ(joined, text);
        // cutting at every safe point gives the pieces of the whole
        Pieces cut;
        for (std::size_t from = 0; from < text.size();) {
            const std::size_t to = safe_cut(text, from + 1);
            for (auto& p : split(std::string_view(text).substr(from, to - from))) cut.push_back(p);
            from = to;
        }
        ASSERT_EQ(cut, split(text)) << text;
    }
}

}  // namespace
}  // namespace xgrad::text
