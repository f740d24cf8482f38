#include "text/pretokenize.hpp"

#include <algorithm>
#include <array>

#include "text/unicode.hpp"

namespace xgrad::text {
namespace {

// Classes of the 128 ASCII characters, read from the Unicode tables once.
const std::array<CharClass, 128> kAscii = [] {
    std::array<CharClass, 128> t{};
    for (char32_t c = 0; c < 128; ++c) t[c] = char_class(c);
    return t;
}();

struct Char {
    CharClass cls;
    std::size_t size;
};

inline Char char_at(const unsigned char* p, const unsigned char* end) {
    if (*p < 0x80) return {kAscii[*p], 1};
    const Utf8Char c = decode_utf8(p, end);
    return {char_class(c), c.size};
}

// The end of the run of characters of class `cls` that starts at i.
inline std::size_t run_end(const unsigned char* s, std::size_t i, std::size_t n, CharClass cls) {
    while (i < n) {
        const Char c = char_at(s + i, s + n);
        if (c.cls != cls) break;
        i += c.size;
    }
    return i;
}

// The length of the contraction 's 't 're 've 'm 'll 'd at s[i] (which is '\''), or 0.
inline std::size_t contraction(const unsigned char* s, std::size_t i, std::size_t n) {
    if (i + 1 >= n) return 0;
    const unsigned char a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= n) return 0;
    const unsigned char b = s[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

}  // namespace

std::size_t Gpt2Splitter::match_at(std::size_t i) const {
    const auto* s = reinterpret_cast<const unsigned char*>(text_.data());
    const std::size_t n = text_.size();
    if (s[i] == '\'') {
        if (std::size_t k = contraction(s, i, n)) return i + k;
    }
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
    std::size_t start = i;
    if (s[i] == ' ' && i + 1 < n) start = i + 1;
    const Char first = char_at(s + start, s + n);
    if (first.cls != CharClass::Space) return run_end(s, start + first.size, n, first.cls);
    // '\s+(?!\S)': the run of white space, less its last character when a non-space follows;
    // '\s+' when that would leave nothing (a lone white-space character before a non-space).
    std::size_t last = i, j = i;
    while (j < n) {
        const Char c = char_at(s + j, s + n);
        if (c.cls != CharClass::Space) break;
        last = j;
        j += c.size;
    }
    if (j == n || last == i) return j;
    return last;
}

bool Gpt2Splitter::next(std::string_view& piece) {
    if (pos_ >= text_.size()) return false;
    const std::size_t end = match_at(pos_);
    piece = text_.substr(pos_, end - pos_);
    pos_ = end;
    return true;
}

std::size_t safe_cut(std::string_view text, std::size_t from) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    for (std::size_t i = std::max<std::size_t>(from, 1); i < n; ++i) {
        // "x " with x ASCII and not white space: x ends its piece (a run of its class, or a contraction),
        // whether the text goes on or not, and ' ' starts the next
        if (s[i] == ' ' && s[i - 1] < 0x80 && kAscii[s[i - 1]] != CharClass::Space) return i;
    }
    return n;
}

}  // namespace xgrad::text
