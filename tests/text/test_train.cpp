// BPE training: minbpe's merges (a Python rendering of its algorithm made the reference file; a naive
// C++ loop checks tie-heavy texts), special tokens reserved, and the model file read back.
#include "text/train.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "tensor/error.hpp"
#include "tests/text/reference_cases.hpp"
#include "text/pretokenize.hpp"

namespace xgrad::text {
namespace {

using Merges = std::vector<std::pair<Token, Token>>;

// minbpe's loop as plainly as it can be written: recount every pair of every piece each round.
Merges naive_train(std::string_view text, std::size_t vocab_size) {
    std::vector<std::vector<Token>> pieces;
    Gpt2Splitter split(text);
    for (std::string_view p; split.next(p);) {
        pieces.emplace_back();
        for (unsigned char c : p) pieces.back().push_back(c);
    }
    Merges merges;
    for (std::size_t m = 0; m + 256 < vocab_size; ++m) {
        std::vector<std::pair<std::pair<Token, Token>, long long>> counts;  // in first-seen order
        for (const auto& ids : pieces)
            for (std::size_t k = 0; k + 1 < ids.size(); ++k) {
                const std::pair<Token, Token> p{ids[k], ids[k + 1]};
                auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& e) { return e.first == p; });
                if (it == counts.end()) counts.push_back({p, 1});
                else ++it->second;
            }
        if (counts.empty()) break;
        auto best = counts.begin();
        for (auto it = counts.begin(); it != counts.end(); ++it)
            if (it->second > best->second) best = it;
        const Token id = static_cast<Token>(256 + m);
        for (auto& ids : pieces) {
            std::vector<Token> out;
            for (std::size_t k = 0; k < ids.size(); ++k) {
                if (k + 1 < ids.size() && std::make_pair(ids[k], ids[k + 1]) == best->first) { out.push_back(id); ++k; }
                else out.push_back(ids[k]);
            }
            ids = out;
        }
        merges.push_back(best->first);
    }
    return merges;
}

TEST(BpeTrain, TheVerdictGivesMinbpesMerges) {
    const std::string verdict = testing::read_all(std::string(XGRAD_SOURCE_DIR) + "/data/gpt2/the-verdict.txt");
    const TrainedBpe bpe = train_bpe(verdict, {.vocab_size = 512});
    const Tokenizer reference = Tokenizer::load(std::string(XGRAD_TEST_DATA) + "/text/minbpe_verdict_512.model");
    ASSERT_EQ(bpe.merges.size(), 256u);
    ASSERT_EQ(reference.n_vocab(), 512u);
    for (Token id = 0; id < 512; ++id) EXPECT_EQ(bpe.tokenizer().decode_single_token_bytes(id), reference.decode_single_token_bytes(id)) << id;
    EXPECT_EQ(bpe.merges[0], (std::pair<Token, Token>{32, 116}));  // " t", the most frequent pair
}

TEST(BpeTrain, TieHeavyTextsGiveTheNaiveLoopsMerges) {
    std::mt19937 rng(3);
    const char* words[] = {"ab", "ba", "aab", "abab", " ab", " ba", "bb", "a", "b ", "\n"};
    for (int trial = 0; trial < 40; ++trial) {
        std::string text;
        for (int k = 0; k < 200; ++k) text += words[rng() % std::size(words)];
        const std::size_t vocab = 256 + 1 + rng() % 40;
        ASSERT_EQ(train_bpe(text, {.vocab_size = vocab}).merges, naive_train(text, vocab)) << text;
    }
}

TEST(BpeTrain, SpecialTokensTakeTheLastIdsAndCutTheText) {
    const std::string text = "hello<|endoftext|>hello<|endoftext|>world";
    const TrainedBpe bpe = train_bpe(text, {.vocab_size = 270, .special = {"<|endoftext|>"}});
    ASSERT_EQ(bpe.merges.size(), 8u);  // "hello" and "world" run out of pairs after 4 merges each
    EXPECT_EQ(bpe.special.at("<|endoftext|>"), 264u);
    const Tokenizer tok = bpe.tokenizer();
    for (const auto& [a, b] : bpe.merges)  // nothing learned from the special token's characters
        EXPECT_EQ(tok.decode_single_token_bytes(a).find('|'), std::string::npos);
    EXPECT_EQ(tok.eot_token(), 264u);
    EXPECT_EQ(tok.decode(tok.encode(text, AllowedSpecial::All())), text);
    EXPECT_THROW(train_bpe(text, {.vocab_size = 256, .special = {"<|endoftext|>"}}), ValueError);
}

TEST(BpeTrain, AModelFileSavedIsReadBackAsTheSameTokenizer) {
    const std::string text = testing::read_all(std::string(XGRAD_SOURCE_DIR) + "/data/tinyshakespeare/input.txt").substr(0, 200000);
    const TrainedBpe bpe = train_bpe(text, {.vocab_size = 600, .special = {"<|endoftext|>"}});
    const auto path = (std::filesystem::temp_directory_path() / ("xgrad_bpe_" + std::to_string(::getpid()) + ".model")).string();
    bpe.save(path);
    const Tokenizer loaded = Tokenizer::load(path);
    std::filesystem::remove(path);
    const auto ids = bpe.tokenizer().encode(text);
    EXPECT_EQ(loaded.encode(text), ids);
    EXPECT_LT(ids.size(), text.size() / 2);  // 344 merges more than halve the bytes
    EXPECT_EQ(loaded.decode_bytes(ids), text);
    EXPECT_EQ(loaded.eot_token(), 599u);
}

}  // namespace
}  // namespace xgrad::text
