#include "text/tokenizer.hpp"

#include <algorithm>
#include <atomic>
#include <exception>

#include "tensor/error.hpp"
#include "tensor/kernels/threads.hpp"
#include "text/pretokenize.hpp"
#include "text/unicode.hpp"

namespace xgrad::text {

Tokenizer::Tokenizer(std::string name, Ranks ranks, std::map<std::string, Token> special)
    : name_(std::move(name)), ranks_(std::make_shared<const Ranks>(std::move(ranks))), special_(std::move(special)) {
    if (!ranks_->has_all_bytes())
        throw ValueError("Tokenizer '" + name_ + "': not every one of the 256 bytes is a token, so some texts could not be encoded");
    n_vocab_ = ranks_->end_rank();
    for (const auto& [text, id] : special_) {
        if (text.empty()) throw ValueError("Tokenizer '" + name_ + "': a special token with no text");
        if (ranks_->contains(id) || special_by_id_.count(id))
            throw ValueError("Tokenizer '" + name_ + "': special token '" + text + "' has id " + std::to_string(id) +
                             ", which another token has");
        special_by_id_[id] = text;
        n_vocab_ = std::max<Token>(n_vocab_, id + 1);
    }
}

Token Tokenizer::eot_token() const {
    const auto it = special_.find("<|endoftext|>");
    if (it == special_.end()) throw ValueError("Tokenizer '" + name_ + "' has no <|endoftext|> token");
    return it->second;
}

void Tokenizer::encode_segment(std::string_view text, std::vector<Token>& out) const {
    Gpt2Splitter split(text);
    for (std::string_view piece; split.next(piece);) ranks_->encode_piece(piece, out);
}

std::vector<std::string_view> Tokenizer::pieces(std::string_view text) const {
    std::vector<std::string_view> out;
    Gpt2Splitter split(text);
    for (std::string_view piece; split.next(piece);) out.push_back(piece);
    return out;
}

std::vector<Token> Tokenizer::encode_ordinary(std::string_view text) const {
    return encode(text, {}, OtherSpecial::AsText);
}

// The text between special tokens is encoded as ordinary text. At each step the next special token
// is the leftmost occurrence of any that is allowed (or refused); at one offset the longest wins.
std::vector<Token> Tokenizer::encode_serial(std::string_view text, const AllowedSpecial& allowed,
                                            OtherSpecial others, std::size_t offset) const {
    struct Watch {
        const std::string* text;
        Token id;
        bool allowed;
        std::size_t at;  // next occurrence at or after the cursor
    };
    std::vector<Watch> watch;
    for (const auto& [s, id] : special_) {
        const bool ok = allowed.all || allowed.tokens.count(s);
        if (ok || others == OtherSpecial::Refuse) watch.push_back({&s, id, ok, text.find(s)});
    }
    std::vector<Token> out;
    out.reserve(text.size() / 3 + 16);  // GPT-2 averages ~4 bytes a token on English
    std::size_t pos = 0;
    for (;;) {
        const Watch* best = nullptr;
        for (Watch& w : watch) {
            if (w.at != std::string_view::npos && w.at < pos) w.at = text.find(*w.text, pos);
            if (w.at == std::string_view::npos) continue;
            if (!best || w.at < best->at || (w.at == best->at && w.text->size() > best->text->size())) best = &w;
        }
        if (!best) break;
        if (!best->allowed)
            throw ValueError("encode: the text holds the special token '" + *best->text + "' at byte " +
                             std::to_string(offset + best->at) + "; allow it (allowed_special, --allowed-special) to encode it as id " +
                             std::to_string(best->id) + ", or encode it as ordinary text");
        encode_segment(text.substr(pos, best->at - pos), out);
        out.push_back(best->id);
        pos = best->at + best->text->size();
    }
    encode_segment(text.substr(pos), out);
    return out;
}

void Tokenizer::check_allowed(const AllowedSpecial& allowed) const {
    for (const auto& name : allowed.tokens)
        if (!special_.count(name)) throw ValueError("encode: '" + name + "' is not a special token of " + name_);
}

std::vector<Token> Tokenizer::encode(std::string_view text, const AllowedSpecial& allowed, OtherSpecial others) const {
    check_allowed(allowed);
    // One thread below a megabyte: cutting the text costs more than it saves.
    const std::size_t threads = static_cast<std::size_t>(num_threads());
    const bool cuttable = std::all_of(special_.begin(), special_.end(), [](const auto& s) {
        return s.first.find(' ') == std::string::npos;  // a cut falls before a ' ', never inside a special token
    });
    if (threads < 2 || text.size() < (1u << 20) || !cuttable) return encode_serial(text, allowed, others, 0);
    // Cut where a piece surely begins (pretokenize.hpp: safe_cut) into chunks of about 256 KiB, which
    // the threads take one at a time (a thread that runs slower takes fewer); each chunk's ids go to
    // its own slot, so the result does not depend on who encoded what.
    const std::size_t parts = std::max<std::size_t>(threads * 4, text.size() >> 18);
    std::vector<std::size_t> cuts{0};
    for (std::size_t k = 1; k < parts; ++k) {
        const std::size_t c = safe_cut(text, std::max(cuts.back(), text.size() * k / parts));
        if (c < text.size()) cuts.push_back(c);
    }
    cuts.push_back(text.size());
    std::vector<std::vector<Token>> chunks(cuts.size() - 1);
    std::vector<std::exception_ptr> errors(chunks.size());
    std::atomic<std::size_t> next{0};
    parallel_for(threads, 1, 1.0, 0.0, [&](std::size_t, std::size_t) {
        for (std::size_t i; (i = next.fetch_add(1)) < chunks.size();) try {
                chunks[i] = encode_serial(text.substr(cuts[i], cuts[i + 1] - cuts[i]), allowed, others, cuts[i]);
            } catch (...) {
                errors[i] = std::current_exception();
            }
    });
    for (const auto& err : errors)  // the first in the text, as one thread would have thrown
        if (err) std::rethrow_exception(err);
    std::vector<std::size_t> at(chunks.size() + 1, 0);  // where each chunk's ids go in the result
    for (std::size_t i = 0; i < chunks.size(); ++i) at[i + 1] = at[i] + chunks[i].size();
    std::vector<Token> out(at.back());
    parallel_for(chunks.size(), 1, double(at.back()), 65536.0, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) std::copy(chunks[i].begin(), chunks[i].end(), out.begin() + at[i]);
    });
    return out;
}

std::vector<std::vector<Token>> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                                        const AllowedSpecial& allowed, OtherSpecial others) const {
    check_allowed(allowed);
    std::vector<std::vector<Token>> out(texts.size());
    double bytes = 0;
    for (const auto& t : texts) bytes += static_cast<double>(t.size());
    std::vector<std::exception_ptr> errors(texts.size());
    parallel_for(texts.size(), 1, bytes, 65536.0, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) try {
                out[i] = encode_serial(texts[i], allowed, others, 0);
            } catch (...) {
                errors[i] = std::current_exception();
            }
    });
    for (std::size_t i = 0; i < errors.size(); ++i) {
        if (!errors[i]) continue;
        try {
            std::rethrow_exception(errors[i]);
        } catch (const Error& e) {
            throw ValueError("encode_batch: text " + std::to_string(i) + ": " + e.what());
        }
    }
    return out;
}

std::string Tokenizer::decode_single_token_bytes(Token id) const {
    if (ranks_->contains(id)) return std::string(ranks_->bytes(id));
    if (const auto it = special_by_id_.find(id); it != special_by_id_.end()) return it->second;
    throw IndexError("decode: id " + std::to_string(id) + " is no token of " + name_ + " (ids are in [0, " +
                     std::to_string(n_vocab_) + ")" + (id < n_vocab_ ? ", and this one is unused)" : ")"));
}

std::string Tokenizer::decode_bytes(std::span<const Token> ids) const {
    std::string out;
    out.reserve(ids.size() * 4);
    for (const Token id : ids) {
        if (ranks_->contains(id)) out.append(ranks_->bytes(id));
        else out.append(decode_single_token_bytes(id));
    }
    return out;
}

std::string Tokenizer::decode(std::span<const Token> ids) const { return utf8_replace_invalid(decode_bytes(ids)); }

std::string utf8_replace_invalid(std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    std::string out;
    out.reserve(bytes.size());
    while (p < end) {
        const Utf8Char c = decode_utf8(p, end);
        if (c.valid()) {
            out.append(reinterpret_cast<const char*>(p), c.size);
            p += c.size;
        } else {
            out.append("\xEF\xBF\xBD");
            p += utf8_maximal_subpart(p, end);
        }
    }
    return out;
}

}  // namespace xgrad::text
