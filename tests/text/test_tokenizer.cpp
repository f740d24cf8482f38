// Tokenizer::gpt2() against tiktoken's ids (tests/reference/text/gpt2_cases.json), special tokens,
// decoding, and encoding on several threads.
#include "text/tokenizer.hpp"

#include <gtest/gtest.h>

#include "tensor/error.hpp"
#include "tensor/kernels/threads.hpp"
#include "tests/text/reference_cases.hpp"

namespace xgrad::text {
namespace {

using testing::load_cases;

const Tokenizer& gpt2() {
    static const Tokenizer tok = Tokenizer::gpt2();
    return tok;
}

TEST(Tokenizer, Gpt2HasTiktokensVocabulary) {
    EXPECT_EQ(gpt2().n_vocab(), 50257u);
    EXPECT_EQ(gpt2().eot_token(), 50256u);
    EXPECT_EQ(gpt2().decode_single_token_bytes(50256), "<|endoftext|>");
    EXPECT_EQ(gpt2().decode_single_token_bytes(0), "!");
    EXPECT_EQ(gpt2().decode_single_token_bytes(220), " ");
    EXPECT_EQ(gpt2().decode_single_token_bytes(198), "\n");
}

TEST(Tokenizer, TheBooksIdsForTheVerdict) {
    const std::string text = testing::read_all(std::string(XGRAD_SOURCE_DIR) + "/data/gpt2/the-verdict.txt");
    const auto ids = gpt2().encode(text);
    ASSERT_EQ(ids.size(), 5145u);
    EXPECT_EQ(std::vector<Token>(ids.begin(), ids.begin() + 8),
              (std::vector<Token>{40, 367, 2885, 1464, 1807, 3619, 402, 271}));
}

TEST(Tokenizer, EveryReferenceCaseGivesTiktokensIds) {
    for (const auto& c : load_cases()) {
        SCOPED_TRACE(c.name);
        const auto ids = gpt2().encode(c.text, AllowedSpecial::All());
        EXPECT_EQ(ids.size(), c.n_ids);
        EXPECT_EQ(testing::fnv1a64(ids), c.hash);
        if (!c.ids.empty()) EXPECT_EQ(ids, c.ids);
        if (!c.ids.empty()) EXPECT_EQ(gpt2().encode_ordinary(c.text), c.ordinary);
        EXPECT_EQ(gpt2().decode_bytes(ids), c.text);
    }
}

TEST(Tokenizer, ARefusedSpecialTokenIsNamedWithItsByteOffset) {
    int refused = 0;
    for (const auto& c : load_cases()) {
        if (c.refused < 0) continue;
        SCOPED_TRACE(c.name);
        ++refused;
        try {
            gpt2().encode(c.text);
            ADD_FAILURE() << "encode took a special token it was not allowed";
        } catch (const ValueError& e) {
            EXPECT_NE(std::string(e.what()).find("'<|endoftext|>' at byte " + std::to_string(c.refused) + ";"), std::string::npos)
                << e.what();
        }
    }
    EXPECT_GE(refused, 4);
    // allowed by name, and a name that is no special token
    EXPECT_EQ(gpt2().encode("a<|endoftext|>", {{"<|endoftext|>"}}), (std::vector<Token>{64, 50256}));
    EXPECT_THROW(gpt2().encode("a", {{"<|fim|>"}}), ValueError);
}

TEST(Tokenizer, DecodeReplacesIllFormedUtf8AsPythonDoes) {
    // "é" is one token of two bytes; "😀" is four bytes over several tokens.
    const auto smile = gpt2().encode("😀");
    ASSERT_GT(smile.size(), 1u);
    const std::vector<Token> cut(smile.begin(), smile.end() - 1);
    EXPECT_EQ(gpt2().decode(cut), "\xEF\xBF\xBD");  // one U+FFFD for the maximal subpart F0 9F 98
    EXPECT_EQ(utf8_replace_invalid("a\xF0\x80\x80z"), "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");  // F0 80: not a prefix
    EXPECT_EQ(utf8_replace_invalid("\xE2\x82"), "\xEF\xBF\xBD");
    EXPECT_EQ(utf8_replace_invalid("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
    EXPECT_EQ(utf8_replace_invalid("ok \xC3\xA9"), "ok \xC3\xA9");
}

TEST(Tokenizer, AnIdOutOfRangeIsNamedOnDecode) {
    try {
        gpt2().decode(std::vector<Token>{15496, 50257});
        ADD_FAILURE() << "decoded an id past the vocabulary";
    } catch (const IndexError& e) {
        EXPECT_NE(std::string(e.what()).find("id 50257 is no token of gpt2 (ids are in [0, 50257))"), std::string::npos) << e.what();
    }
}

TEST(Tokenizer, AnyBytesEncodeAndRoundTrip) {
    std::string bytes;
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
    bytes += "\xF0\x9F\x98 cut \xE2\x82 \xC0\xAF overlong \xED\xA0\x80 surrogate \xF4\x90\x80\x80 \xFF\xFE";
    for (int k = 0; k < 3; ++k) bytes += bytes;
    const auto ids = gpt2().encode_ordinary(bytes);
    EXPECT_EQ(gpt2().decode_bytes(ids), bytes);
}

TEST(Tokenizer, ThreadsGiveTheSameIdsAsOneThread) {
    std::string text;
    for (const auto& c : load_cases()) text += c.text + "\n";
    while (text.size() < (3u << 20)) text += text;  // past the size where encode cuts the text
    const auto one = gpt2().encode(text, AllowedSpecial::All());
    const int before = num_threads();
    for (int n : {2, 3}) {
        set_num_threads(n);
        EXPECT_EQ(gpt2().encode(text, AllowedSpecial::All()), one) << n << " threads";
        std::vector<std::string> docs{text.substr(0, 1000), text.substr(1000, 70000), "", text.substr(5, 3)};
        const auto batch = gpt2().encode_batch(docs, AllowedSpecial::All());
        for (std::size_t i = 0; i < docs.size(); ++i)
            EXPECT_EQ(batch[i], gpt2().encode(docs[i], AllowedSpecial::All())) << "document " << i;
        // the error of a refused special token names the offset in the whole text
        EXPECT_THROW(gpt2().encode(text), ValueError);
    }
    set_num_threads(before);
}

}  // namespace
}  // namespace xgrad::text
