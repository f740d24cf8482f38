// Reading tokenizers from files: GPT-2's encoder.json + vocab.bpe, tiktoken's rank files, minbpe's
// model files. Every error names the file and the line (or byte) at fault.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tensor/error.hpp"
#include "text/gpt2_data.hpp"
#include "text/pretokenize.hpp"
#include "text/unicode.hpp"
#include "text/tokenizer.hpp"

namespace xgrad::text {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileError(path + ": cannot open it");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw FileError(path + ": cannot read it");
    return ss.str();
}

// The lines of a file (without "\n"), the last one dropped if empty.
std::vector<std::string_view> lines_of(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        const std::size_t nl = s.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? s.size() : nl;
        out.push_back(s.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// GPT-2 writes each byte of a token as a printable character (OpenAI's bytes_to_unicode): the
// printable Latin-1 bytes as themselves, the other 68 as U+0100 onwards in byte order.
// `order` lists the bytes printable ones first — the order of the 256 single-byte ranks.
struct ByteChars {
    char32_t of_byte[256];
    int byte_of[324];  // code point → byte, -1 if none
    unsigned char order[256];
    ByteChars() {
        std::fill(std::begin(byte_of), std::end(byte_of), -1);
        int k = 0, extra = 0;
        auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
        for (int b = 0; b < 256; ++b)
            if (printable(b)) { of_byte[b] = static_cast<char32_t>(b); order[k++] = static_cast<unsigned char>(b); }
        for (int b = 0; b < 256; ++b)
            if (!printable(b)) { of_byte[b] = static_cast<char32_t>(256 + extra++); order[k++] = static_cast<unsigned char>(b); }
        for (int b = 0; b < 256; ++b) byte_of[of_byte[b]] = b;
    }
    // GPT-2's characters (UTF-8) back to bytes; false if one is not a byte's character.
    bool to_bytes(std::string_view chars, std::string& bytes) const {
        bytes.clear();
        const auto* p = reinterpret_cast<const unsigned char*>(chars.data());
        const auto* end = p + chars.size();
        while (p < end) {
            const Utf8Char c = decode_utf8(p, end);
            if (!c.valid() || c.cp >= 324 || byte_of[c.cp] < 0) return false;
            bytes += static_cast<char>(byte_of[c.cp]);
            p += c.size;
        }
        return true;
    }
};
const ByteChars kByteChars;

// encoder.json: one flat JSON object of token (GPT-2's characters) → id. Parsed by hand so an error
// can name its byte; \uXXXX escapes (with surrogate pairs) are the only ones beyond \" \\ \/ \b \f \n \r \t.
struct JsonReader {
    const std::string& path;
    std::string_view s;
    std::size_t i = 0;
    [[noreturn]] void fail(const std::string& what) const {
        throw FileError(path + ": byte " + std::to_string(i) + ": " + what + " (expected a JSON object of token strings to ids, as GPT-2's encoder.json)");
    }
    void space() { while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i; }
    bool take(char c) { space(); if (i < s.size() && s[i] == c) { ++i; return true; } return false; }
    unsigned hex4() {
        if (i + 4 > s.size()) fail("a \\u escape is cut short");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k, ++i) {
            const char c = s[i];
            v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : (fail("a \\u escape with a non-hex digit"), 0));
        }
        return v;
    }
    std::string string() {
        if (!take('"')) fail("a string should start here");
        std::string out;
        for (;;) {
            if (i >= s.size()) fail("a string is not closed");
            const char c = s[i++];
            if (c == '"') return out;
            if (c != '\\') { out += c; continue; }
            if (i >= s.size()) fail("a string is not closed");
            const char e = s[i++];
            switch (e) {
                case '"': case '\\': case '/': out += e; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    char32_t cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {
                        i += 2;
                        const unsigned lo = hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) fail("a lone surrogate in a \\u escape");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xD800 && cp <= 0xDFFF) fail("a lone surrogate in a \\u escape");
                    append_utf8(out, cp);
                    break;
                }
                default: --i; fail(std::string("an unknown escape \\") + e);
            }
        }
    }
    long long integer() {
        space();
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 10) ++i;
        if (i == start) fail("an id (a non-negative integer) should be here");
        return std::stoll(std::string(s.substr(start, i - start)));
    }
};

}  // namespace

Tokenizer Tokenizer::from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe) {
    return from_gpt2_text(read_file(encoder_json), read_file(vocab_bpe), encoder_json, vocab_bpe);
}

Tokenizer Tokenizer::from_gpt2_text(std::string_view json, std::string_view bpe, const std::string& encoder_json,
                                    const std::string& vocab_bpe) {
    // The ranks as tiktoken builds them: the 256 bytes, then one token a merge of vocab.bpe.
    Ranks ranks;
    for (int k = 0; k < 256; ++k) ranks.add(std::string(1, static_cast<char>(kByteChars.order[k])), static_cast<Token>(k));
    const auto lines = lines_of(bpe);
    if (lines.empty() || lines[0].rfind("#version", 0) != 0)
        throw FileError(vocab_bpe + ": line 1: expected '#version: 0.2', the header of GPT-2's vocab.bpe");
    std::string a, b;
    for (std::size_t n = 1; n < lines.size(); ++n) {
        const std::string where = vocab_bpe + ": line " + std::to_string(n + 1);
        const std::string_view line = lines[n];
        const std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos || sp == 0 || sp + 1 == line.size() || line.find(' ', sp + 1) != std::string_view::npos)
            throw FileError(where + ": expected two tokens and one space between them, got '" + std::string(line) + "'");
        if (!kByteChars.to_bytes(line.substr(0, sp), a) || !kByteChars.to_bytes(line.substr(sp + 1), b))
            throw FileError(where + ": '" + std::string(line) + "' has a character that is not one of GPT-2's 256 byte characters");
        try {
            ranks.add(a + b, static_cast<Token>(ranks.size()));
        } catch (const ValueError& e) {
            throw FileError(where + ": merging '" + std::string(line) + "' makes a token an earlier line made");
        }
    }
    // encoder.json must give every one of those tokens the same id; what else it has are special tokens.
    JsonReader r{encoder_json, json};
    std::map<std::string, Token> special;
    std::size_t matched = 0;
    if (!r.take('{')) r.fail("the file should start with '{'");
    if (!r.take('}')) {
        do {
            const std::size_t at = r.i;
            const std::string key = r.string();
            if (!r.take(':')) r.fail("expected ':' after a token");
            const long long id = r.integer();
            std::string bytes;
            const bool is_bytes = kByteChars.to_bytes(key, bytes);
            const Token rank = is_bytes ? ranks.find(bytes) : kNoToken;
            if (rank != kNoToken && rank == id) { ++matched; continue; }
            if (key.size() > 4 && key.rfind("<|", 0) == 0 && key.compare(key.size() - 2, 2, "|>") == 0 && rank == kNoToken) {
                special[key] = static_cast<Token>(id);
                continue;
            }
            r.i = at;
            r.fail("token '" + key + "' has id " + std::to_string(id) + ", but " + vocab_bpe + " gives it " +
                   (rank == kNoToken ? std::string("no id") : "id " + std::to_string(rank)));
        } while (r.take(','));
        if (!r.take('}')) r.fail("expected ',' or '}'");
    }
    if (matched != ranks.size())
        throw FileError(encoder_json + ": has " + std::to_string(matched) + " of the " + std::to_string(ranks.size()) +
                        " tokens " + vocab_bpe + " makes (is it that file's encoder.json?)");
    return Tokenizer("gpt2", std::move(ranks), std::move(special));
}

namespace {

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool base64_decode(std::string_view in, std::string& out) {
    out.clear();
    if (in.empty() || in.size() % 4 != 0) return false;
    for (std::size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = in[i + k];
            if (c == '=' && i + 4 == in.size() && k >= 2) { v[k] = 0; ++pad; continue; }
            if (pad || (v[k] = base64_value(c)) < 0) return false;
        }
        const unsigned w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
        out += static_cast<char>(w >> 16);
        if (pad < 2) out += static_cast<char>((w >> 8) & 0xFF);
        if (pad < 1) out += static_cast<char>(w & 0xFF);
    }
    return true;
}

}  // namespace

Tokenizer Tokenizer::from_tiktoken_file(const std::string& path, std::map<std::string, Token> special) {
    const std::string text = read_file(path);
    Ranks ranks;
    std::string bytes;
    std::size_t n = 0;
    for (const std::string_view line : lines_of(text)) {
        ++n;
        if (line.empty()) continue;
        const std::string where = path + ": line " + std::to_string(n);
        const std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos)
            throw FileError(where + ": expected '<base64 bytes> <rank>', got '" + std::string(line.substr(0, 80)) + "'");
        if (!base64_decode(line.substr(0, sp), bytes))
            throw FileError(where + ": '" + std::string(line.substr(0, sp)) + "' is not base64");
        const std::string_view num = line.substr(sp + 1);
        if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string_view::npos)
            throw FileError(where + ": the rank '" + std::string(num) + "' is not a non-negative integer below 10^9");
        try {
            ranks.add(bytes, static_cast<Token>(std::stoul(std::string(num))), where);
        } catch (const ValueError& e) {
            throw FileError(e.what());
        }
    }
    if (!ranks.has_all_bytes()) throw FileError(path + ": not every one of the 256 single bytes is a token");
    return Tokenizer(std::filesystem::path(path).stem().string(), std::move(ranks), std::move(special));
}

Tokenizer Tokenizer::from_merges(std::string name, const std::vector<std::pair<Token, Token>>& merges,
                                 std::map<std::string, Token> special) {
    Ranks ranks;
    for (int b = 0; b < 256; ++b) ranks.add(std::string(1, static_cast<char>(b)), static_cast<Token>(b));
    for (std::size_t i = 0; i < merges.size(); ++i) {
        const auto [a, b] = merges[i];
        const Token id = static_cast<Token>(256 + i);
        if (a >= id || b >= id)
            throw ValueError("merge " + std::to_string(i) + " (" + std::to_string(a) + ", " + std::to_string(b) +
                             ") names an id not made before it");
        ranks.add(std::string(ranks.bytes(a)) + std::string(ranks.bytes(b)), id, "merge " + std::to_string(i));
    }
    return Tokenizer(std::move(name), std::move(ranks), std::move(special));
}

Tokenizer Tokenizer::load(const std::string& path) {
    const std::string text = read_file(path);
    const auto lines = lines_of(text);
    auto where = [&](std::size_t n) { return path + ": line " + std::to_string(n + 1); };
    if (lines.size() < 3 || lines[0] != "minbpe v1")
        throw FileError(where(0) + ": expected 'minbpe v1', the first line of a minbpe model (written by train_bpe or minbpe's save)");
    if (lines[1] != kGpt2Pattern)
        throw FileError(where(1) + ": the pattern '" + std::string(lines[1]) + "' is not GPT-2's, the one xgrad's splitter implements");
    std::size_t n = 2;
    auto parse_id = [&](std::string_view s, std::size_t line) {
        if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string_view::npos)
            throw FileError(where(line) + ": '" + std::string(s) + "' is not an id");
        return static_cast<Token>(std::stoul(std::string(s)));
    };
    const Token n_special = parse_id(lines[n], n);
    ++n;
    std::map<std::string, Token> special;
    for (Token k = 0; k < n_special; ++k, ++n) {
        if (n >= lines.size()) throw FileError(where(n) + ": the file ends before its " + std::to_string(n_special) + " special tokens");
        const std::size_t sp = lines[n].rfind(' ');
        if (sp == std::string_view::npos || sp == 0) throw FileError(where(n) + ": expected '<special token> <id>'");
        special[std::string(lines[n].substr(0, sp))] = parse_id(lines[n].substr(sp + 1), n);
    }
    std::vector<std::pair<Token, Token>> merges;
    for (; n < lines.size(); ++n) {
        const std::size_t sp = lines[n].find(' ');
        if (sp == std::string_view::npos) throw FileError(where(n) + ": expected a merge '<id> <id>'");
        merges.push_back({parse_id(lines[n].substr(0, sp), n), parse_id(lines[n].substr(sp + 1), n)});
        if (merges.back().first >= 256 + merges.size() - 1 || merges.back().second >= 256 + merges.size() - 1)
            throw FileError(where(n) + ": the merge names an id no earlier line made");
    }
    try {
        return from_merges(std::filesystem::path(path).stem().string(), merges, std::move(special));
    } catch (const ValueError& e) {
        throw FileError(path + ": " + e.what());
    }
}

Tokenizer Tokenizer::gpt2() {
    static const Tokenizer tok = from_gpt2_text(gpt2_encoder_json(), gpt2_vocab_bpe(), "encoder.json (built into xgrad)",
                                                "vocab.bpe (built into xgrad)");
    return tok;
}

}  // namespace xgrad::text
