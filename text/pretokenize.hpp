// Pre-tokenization: the text cut into pieces before byte-pair merging, exactly as GPT-2's pattern
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// cuts it (leftmost alternative first, each quantifier greedy). Written by hand over the class tables
// of unicode.hpp rather than with a regex engine: one pass, no backtracking beyond one character, and
// defined on any bytes (an invalid UTF-8 byte is a character of class Other).
#pragma once
#include <cstddef>
#include <string_view>

namespace xgrad::text {

/// Walks the pieces of a text under GPT-2's pattern:
///     Gpt2Splitter s(text);  for (std::string_view piece; s.next(piece);) ...
/// The pieces are views into `text`, in order, and concatenate to it.
class Gpt2Splitter {
public:
    explicit Gpt2Splitter(std::string_view text) : text_(text) {}
    /// The next piece, or false at the end of the text.
    bool next(std::string_view& piece);
    /// Offset of the next piece in the text.
    std::size_t position() const { return pos_; }

private:
    std::size_t match_at(std::size_t i) const;  // end of the piece that starts at i
    std::string_view text_;
    std::size_t pos_ = 0;
};

/// A byte offset at or after `from` where the text can be cut in two and each half split alone gives
/// the pieces of the whole: a ' ' just after an ASCII character that is not white space. That
/// character ends its piece (a run of letters, numbers or other characters, or a contraction) whether
/// the text goes on or not, no alternative of the pattern reaches back over the cut, and the ' ' begins
/// the next piece. text.size() if there is none.
std::size_t safe_cut(std::string_view text, std::size_t from);

}  // namespace xgrad::text

namespace xgrad::text {
/// GPT-2's pattern as written in OpenAI's encoder.py (what the splitter above implements).
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
}  // namespace xgrad::text
