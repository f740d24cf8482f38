// Tokenizer: byte-level BPE as tiktoken does it — the text cut into pieces by GPT-2's pattern, each
// piece merged by rank, special tokens such as <|endoftext|> taken only where allowed.
//
//     auto tok = xgrad::text::Tokenizer::gpt2();
//     std::vector<Token> ids = tok.encode("Hello, I am");   // {15496, 11, 314, 716}
//     std::string back = tok.decode(ids);                     // "Hello, I am"
//
// Any bytes encode (invalid UTF-8 included: the pattern reads an invalid byte as a character that is
// neither letter, number nor space) and decode_bytes gives them back exactly.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/ranks.hpp"

namespace xgrad::text {

/// The special tokens encode() takes as themselves (tiktoken's allowed_special): none by default,
/// a set by name, or all of them.
struct AllowedSpecial {
    std::set<std::string> tokens;
    bool all = false;
    static AllowedSpecial All() { return {{}, true}; }
    static AllowedSpecial None() { return {}; }
};
/// What encode() does with a special token it finds in the text that was not allowed.
enum class OtherSpecial {
    Refuse,  // throw ValueError naming the token and its byte offset (tiktoken's disallowed_special="all")
    AsText,  // encode its characters as ordinary text (disallowed_special=())
};

class Tokenizer {
public:
    Tokenizer(std::string name, Ranks ranks, std::map<std::string, Token> special);

    /// GPT-2's tokenizer (tiktoken's "gpt2"): data/gpt2's encoder.json and vocab.bpe, built into the
    /// library, so no file is read at run time. Loaded once (~30 ms); copies share it.
    static Tokenizer gpt2();
    /// From GPT-2's two files (OpenAI's encoder.json and vocab.bpe), checked against each other.
    static Tokenizer from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe);
    /// The same from the files' contents; the names are for error messages.
    static Tokenizer from_gpt2_text(std::string_view encoder_json, std::string_view vocab_bpe,
                                    const std::string& encoder_name, const std::string& vocab_name);
    /// From a tiktoken rank file ("<base64 bytes> <rank>" a line) with the given special tokens.
    static Tokenizer from_tiktoken_file(const std::string& path, std::map<std::string, Token> special);
    /// From merges, minbpe's way: ids 0-255 are the bytes, merge i makes id 256 + i from its pair.
    static Tokenizer from_merges(std::string name, const std::vector<std::pair<Token, Token>>& merges,
                                 std::map<std::string, Token> special);
    /// From a minbpe model file ("minbpe v1", the pattern, the special tokens, a merge a line), as
    /// train_bpe's save and minbpe's RegexTokenizer.save write it. The pattern must be GPT-2's.
    static Tokenizer load(const std::string& path);

    /// The ids of `text`, special tokens as text (tiktoken's encode_ordinary).
    std::vector<Token> encode_ordinary(std::string_view text) const;
    /// The ids of `text`; allowed special tokens become their ids; others as `others` says.
    std::vector<Token> encode(std::string_view text, const AllowedSpecial& allowed = {},
                              OtherSpecial others = OtherSpecial::Refuse) const;
    /// Many documents at once, split over the thread pool (xgrad::num_threads()).
    std::vector<std::vector<Token>> encode_batch(const std::vector<std::string>& texts,
                                                 const AllowedSpecial& allowed = {},
                                                 OtherSpecial others = OtherSpecial::Refuse) const;
    /// The pieces GPT-2's pattern cuts `text` into (what merging starts from).
    std::vector<std::string_view> pieces(std::string_view text) const;

    /// The bytes of `ids`, concatenated. An id that is no token throws IndexError naming it.
    std::string decode_bytes(std::span<const Token> ids) const;
    /// The same as UTF-8 text: each ill-formed part becomes U+FFFD (tiktoken's errors="replace").
    std::string decode(std::span<const Token> ids) const;
    std::string decode_single_token_bytes(Token id) const;

    /// One past the largest id (50,257 for GPT-2).
    Token n_vocab() const { return n_vocab_; }
    /// <|endoftext|>'s id; ValueError if this tokenizer has none.
    Token eot_token() const;
    const std::map<std::string, Token>& special_tokens() const { return special_; }
    const std::string& name() const { return name_; }
    const Ranks& ranks() const { return *ranks_; }

private:
    void check_allowed(const AllowedSpecial& allowed) const;
    void encode_segment(std::string_view text, std::vector<Token>& out) const;  // no specials
    std::vector<Token> encode_serial(std::string_view text, const AllowedSpecial& allowed,
                                     OtherSpecial others, std::size_t offset) const;

    std::string name_;
    std::shared_ptr<const Ranks> ranks_;  // shared: copies of a tokenizer are cheap
    std::map<std::string, Token> special_;
    std::map<Token, std::string> special_by_id_;
    Token n_vocab_ = 0;
};

/// UTF-8 text with every ill-formed part of `bytes` replaced by U+FFFD (Python's errors="replace").
std::string utf8_replace_invalid(std::string_view bytes);

}  // namespace xgrad::text
