// What each fuzz target checks, shared by the libFuzzer programs (fuzz_*.cpp) and the regression test
// (tests/test_fuzz_regressions.cpp), which replays the seed corpora and every input that once failed.
//
// Each check takes arbitrary bytes. It returns normally when they were handled as promised: a result
// that keeps the invariants below, or an xgrad::Error naming what was wrong. Anything else escapes:
// an invariant broken (std::logic_error), another exception, or a sanitizer report.
#pragma once
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "corpus.hpp"
#include "nn/serialize.hpp"
#include "session.hpp"
#include "text/tokenizer.hpp"
#include "text/train.hpp"
#include "wordvec/wordvec.hpp"

namespace xgrad::fuzz {

inline void invariant(bool ok, const char* what) {
    if (!ok) throw std::logic_error(std::string("fuzz invariant broken: ") + what);
}

/// nn::parse_safetensors: tensors whose data all came from the file, or an error.
inline void check_safetensors(const std::string& bytes) {
    try {
        const auto f = nn::parse_safetensors(bytes, "fuzz.safetensors");
        std::size_t total = 0;
        for (const auto& [name, t] : f.tensors) total += t.numel() * sizeof(float);
        invariant(total <= bytes.size(), "tensors hold more bytes than the file");
    } catch (const Error&) {
    }
}

/// nn::parse_npy: an array no larger than the file's data, or an error.
inline void check_npy(const std::string& bytes) {
    try {
        const Array a = nn::parse_npy(bytes, "fuzz.npy");
        invariant(a.size() * sizeof(float) <= bytes.size(), "more elements than bytes");
    } catch (const Error&) {
    }
}

/// The corpus reader: byte 0 picks the level (bit 0: char) and min_count (1-3); the rest is the text.
/// Every token is non-empty, every pair's ids are in [0, N), and H(next|prev) is in [0, ln N].
inline void check_corpus(const std::string& bytes) {
    if (bytes.empty()) return;
    const auto level = bytes[0] & 1 ? bigram::Level::Char : bigram::Level::Word;
    const int min_count = 1 + (static_cast<unsigned char>(bytes[0]) >> 1) % 3;
    const auto toks = bigram::tokenize(bytes.substr(1), level);
    for (const auto& t : toks) invariant(!t.empty(), "an empty token");
    const auto vocab = bigram::Vocabulary::build(toks, min_count);
    const auto pairs = bigram::make_pairs(vocab.encode(toks));
    const auto N = static_cast<int64_t>(vocab.size());
    for (std::size_t i = 0; i < pairs.size(); ++i)
        invariant(pairs.prev(i) >= 0 && pairs.prev(i) < N && pairs.next(i) >= 0 && pairs.next(i) < N, "a pair's id out of range");
    invariant(pairs.size() + pairs.skipped + 1 == std::max<std::size_t>(toks.size(), 1), "pairs lost");
    for (int64_t id = 0; id < N; ++id) (void)vocab.show(id);
    if (pairs.size() == 0) return;
    const bigram::CountModel counts(vocab.size(), pairs);
    const double floor = counts.train_floor();
    invariant(floor >= -1e-9 && floor <= std::log(double(N)) + 1e-9, "H(next|prev) outside [0, ln N]");
    invariant(std::isfinite(counts.loss(pairs, 0.1)), "the add-alpha loss is not finite");
}

/// A bigram checkpoint loaded into a session: tables that match the vocabulary, or an error.
inline void check_checkpoint(const std::string& bytes) {
    try {
        const auto f = nn::parse_safetensors(bytes, "fuzz.safetensors");
        bigram::Session s;
        bigram::TrainOptions o;
        bigram::load_checkpoint(f, "fuzz.safetensors", s, o);
        invariant(s.model->V->weight.shape()[0] == s.vocab.size(), "V's rows differ from the vocabulary");
    } catch (const Error&) {
    }
}

/// wordvec::parse_vectors in every format: a table no larger than the bytes it came from (each float
/// takes at least one character of text or four bytes of binary) whose first word's query runs, or an
/// error.
inline void check_wordvec(const std::string& bytes) {
    for (const char* format : {"auto", "text", "binary", "glove"}) {
        try {
            const wordvec::KeyedVectors kv = wordvec::parse_vectors(bytes, "fuzz.vec", format);
            invariant(kv.vectors().size() == kv.size() * kv.dim(), "table size is not words × dim");
            invariant(kv.vectors().size() <= bytes.size(), "more floats than bytes");
            if (kv.size() > 0) {
                const auto near = kv.most_similar({kv.words()[0]}, {}, 3);
                invariant(near.size() <= 3 && near.size() <= kv.size() - 1, "most_similar returned too many words");
            }
        } catch (const Error&) {
        }
    }
}

/// GPT-2's tokenizer on any bytes: the pieces concatenate to the text, the two merge strategies agree
/// on every piece, encode (special tokens allowed or as text) round-trips through decode_bytes, and
/// decode gives well-formed UTF-8. Byte 0 > 250 also trains a small BPE on the text (the rest of byte
/// 0 picks its size), whose tokenizer must round-trip the text too.
inline void check_tokenizer(const std::string& bytes) {
    static const text::Tokenizer gpt2 = text::Tokenizer::gpt2();
    if (bytes.empty()) return;
    const std::string t = bytes.substr(1);
    std::string joined;
    for (const auto piece : gpt2.pieces(t)) {
        invariant(!piece.empty(), "an empty piece");
        joined += piece;
        std::vector<text::Token> scan, heap;
        gpt2.ranks().merge_by_scan(piece, scan);
        gpt2.ranks().merge_by_heap(piece, heap);
        invariant(scan == heap, "the scan and the heap merge a piece differently");
    }
    invariant(joined == t, "the pieces do not concatenate to the text");
    invariant(gpt2.decode_bytes(gpt2.encode_ordinary(t)) == t, "encode_ordinary does not round-trip");
    const auto ids = gpt2.encode(t, text::AllowedSpecial::All());
    invariant(gpt2.decode_bytes(ids) == t, "encode does not round-trip");
    const std::string shown = gpt2.decode(ids);
    invariant(text::utf8_replace_invalid(shown) == shown, "decode gave ill-formed UTF-8");
    const auto mode = static_cast<unsigned char>(bytes[0]);
    if (mode > 250) {
        try {
            const auto bpe = text::train_bpe(t, {.vocab_size = 256 + std::size_t(mode - 250) * 8});
            const auto tok = bpe.tokenizer();
            invariant(tok.decode_bytes(tok.encode_ordinary(t)) == t, "a trained tokenizer does not round-trip");
        } catch (const Error&) {  // two merges that make the same bytes: named, refused
        }
    }
}

}  // namespace xgrad::fuzz
