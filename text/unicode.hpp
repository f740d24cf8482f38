// Unicode as GPT-2's pre-tokenizer sees it: a code point's class (letter \p{L}, number \p{N}, white
// space \p{White_Space}, or other) and UTF-8 decoding that never fails. A byte that does not start a
// well-formed UTF-8 sequence (a stray continuation byte, a truncated, overlong or surrogate sequence,
// or one past U+10FFFF) is read as one character of class Other, so every byte string has a split.
#pragma once
#include <cstddef>
#include <cstdint>

namespace xgrad::text {

enum class CharClass : std::uint8_t { Other = 0, Letter = 1, Number = 2, Space = 3 };

/// The class of code point `cp` (Other past U+10FFFF and for surrogates).
CharClass char_class(char32_t cp);
/// The Unicode version the class tables were generated from (scripts/make_unicode_classes.js).
const char* unicode_version();

/// One character read from UTF-8: its code point (for an invalid byte, the byte's value with bit 31
/// set, which no code point has) and how many bytes it took (1 for an invalid byte).
struct Utf8Char {
    char32_t cp;
    std::size_t size;
    bool valid() const { return (cp & 0x80000000u) == 0; }
};

/// Decodes the character at p (p < end). Well-formed means: the shortest form, no surrogates, at most
/// U+10FFFF, every continuation byte present.
inline Utf8Char decode_utf8(const unsigned char* p, const unsigned char* end) {
    const unsigned b0 = p[0];
    const Utf8Char invalid{0x80000000u | b0, 1};
    if (b0 < 0x80) return {b0, 1};
    std::size_t n;
    char32_t cp, min;
    if (b0 >= 0xC2 && b0 <= 0xDF) { n = 2; cp = b0 & 0x1F; min = 0x80; }
    else if (b0 >= 0xE0 && b0 <= 0xEF) { n = 3; cp = b0 & 0x0F; min = 0x800; }
    else if (b0 >= 0xF0 && b0 <= 0xF4) { n = 4; cp = b0 & 0x07; min = 0x10000; }
    else return invalid;
    if (static_cast<std::size_t>(end - p) < n) return invalid;
    for (std::size_t k = 1; k < n; ++k) {
        if ((p[k] & 0xC0) != 0x80) return invalid;
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid;
    return {cp, n};
}

/// The length of the longest prefix of a well-formed sequence at p (p < end) that is not a whole one:
/// the "maximal subpart" that one U+FFFD replaces when decoding with errors="replace" (Unicode 3.9,
/// Python's and tiktoken's behaviour). At least 1.
inline std::size_t utf8_maximal_subpart(const unsigned char* p, const unsigned char* end) {
    const unsigned b0 = p[0];
    std::size_t n;
    unsigned lo = 0x80, hi = 0xBF;  // the second byte's range (Unicode's Table 3-7)
    if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) { n = 3; if (b0 == 0xE0) lo = 0xA0; if (b0 == 0xED) hi = 0x9F; }
    else if (b0 >= 0xF0 && b0 <= 0xF4) { n = 4; if (b0 == 0xF0) lo = 0x90; if (b0 == 0xF4) hi = 0x8F; }
    else return 1;
    std::size_t k = 1;
    for (; k < n && p + k < end; ++k) {
        const unsigned b = p[k];
        if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
    }
    return k;
}

/// The class of a decoded character (an invalid byte is Other).
inline CharClass char_class(Utf8Char c) { return c.valid() ? char_class(c.cp) : CharClass::Other; }

}  // namespace xgrad::text
