// The bigram example's claims: the lecture's vocabulary and floor, PyTorch's loss trajectory from the
// same weights, the count model on names, a trained model reaching it, and the program's command line.
#include <array>
#include <cstdio>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "corpus.hpp"
#include "helpers.hpp"
#include "program.hpp"
#include "session.hpp"

namespace xgrad {
namespace {

using namespace bigram;
const std::string kLecture = "the cat ate the dog! the dog ran the zoo.";

std::string slurp(const std::string& path) { return nn::read_file(path); }

TEST(Bigram, LectureVocabularyPairsAndFloor) {
    const auto toks = tokenize(kLecture, Level::Word);
    const Vocabulary v = Vocabulary::build(toks, 1);
    EXPECT_EQ(v.tokens, (std::vector<std::string>{"!", ".", "ate", "cat", "dog", "ran", "the", "zoo"}));
    const Pairs p = make_pairs(v.encode(toks));
    EXPECT_EQ(p.size(), 11u);
    EXPECT_NEAR(CountModel(v.size(), p).train_floor(), 8 * std::log(2.0) / 11, 1e-12);
}

TEST(Bigram, TokenizerRules) {
    EXPECT_EQ(tokenize("Hello, World!\nit's 42\n", Level::Word),
              (std::vector<std::string>{"<eos>", "hello", ",", "world", "!", "<eos>", "it's", "42", "<eos>"}));
    EXPECT_EQ(tokenize("ab\nc\n", Level::Char), (std::vector<std::string>{"\n", "a", "b", "\n", "c", "\n"}));
    const Vocabulary v = Vocabulary::build({"a", "b", "a", "c", "a", "b"}, 2);
    EXPECT_EQ(v.tokens, (std::vector<std::string>{"<unk>", "a", "b"}));
    EXPECT_EQ(v.encode({"c", "a"}), (std::vector<int64_t>{0, 1}));
    const Pairs p = make_pairs(Vocabulary::build({"x", "y"}, 1).encode({"x", "z", "y", "x"}));
    EXPECT_EQ(p.size(), 1u);  // (z is unknown and there is no <unk>)
    EXPECT_EQ(p.skipped, 2u);
}

TEST(Bigram, FollowsPyTorchsLossTrajectoryFromTheSameWeights) {
    std::map<std::string, double> want;
    std::ifstream f(std::string(XGRAD_TEST_DATA) + "/bigram_trajectory.txt");
    for (std::string k, v; f >> k >> v;)
        if (k[0] != '#') want[k] = std::stod(v);
        else std::getline(f, v);
    ASSERT_EQ(want.size(), 13u);
    const auto toks = tokenize(kLecture, Level::Word);
    const Vocabulary vocab = Vocabulary::build(toks, 1);
    const Pairs pairs = make_pairs(vocab.encode(toks));
    Generator g(0);
    BigramModel m(8, 2, false, g);
    nn::load(m, std::string(XGRAD_TEST_DATA) + "/bigram_init.safetensors");
    nn::SGD opt(m.parameters(), {.lr = 0.1});
    IdArray prev = IdArray::from_shape({pairs.size()}), next = IdArray::from_shape({pairs.size()});
    pairs.copy_to(0, pairs.size(), prev.data(), next.data());
    for (int epoch = 0; epoch < 10000; ++epoch) {
        Tensor loss = nn::cross_entropy(m.forward(prev), next);
        if (auto it = want.find(std::to_string(epoch)); it != want.end())
            EXPECT_NEAR(loss.item(), it->second, 1e-5) << "epoch " << epoch;
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    EXPECT_NEAR(mean_loss(m, pairs), want["final"], 1e-5);
}

TEST(Bigram, SeedZeroStartsFromTheWeightsOfPyTorchsLectureProgram) {
    // make_bigram_reference.py: torch.manual_seed(0); V = nn.Embedding(8, 2); U = nn.Linear(2, 8, bias=False).
    // V has 16 elements, torch's vectorised normal path: equal to within a few float ulps (see test_random).
    Generator g(0);
    BigramModel m(8, 2, false, g);
    const nn::SafetensorsFile f = nn::load_safetensors(std::string(XGRAD_TEST_DATA) + "/bigram_init.safetensors");
    EXPECT_TRUE(testing::all_close(m.V->weight.data(), f.tensors.at("V.weight").data(), 4e-6, 0));
    EXPECT_TRUE(testing::all_equal(m.U->weight.data(), f.tensors.at("U.weight").data()));
}

TEST(Bigram, NamesCountModelAndTrainedModelReachIt) {
    const std::string dir = std::string(XGRAD_SOURCE_DIR) + "/data/names/";
    Session s;
    const auto toks = tokenize(slurp(dir + "train.txt"), Level::Char);
    s.vocab = Vocabulary::build(toks, 1);
    ASSERT_EQ(s.vocab.size(), 27u);
    s.train_pairs = make_pairs(s.vocab.encode(toks));
    EXPECT_EQ(s.train_pairs.size(), 205380u);  // L+1 bigrams a name, as makemore counts them
    const Pairs valid = make_pairs(s.vocab.encode(tokenize(slurp(dir + "valid.txt"), Level::Char)));
    EXPECT_EQ(valid.size(), 22766u);
    const CountModel counts(27, s.train_pairs);
    EXPECT_NEAR(counts.train_floor(), 2.4537, 1e-4);
    const double count_valid = counts.loss(valid, counts.best_alpha(valid));
    EXPECT_NEAR(count_valid, 2.4580, 2e-4);
    EXPECT_NEAR(counts.loss(valid, 1.0), 2.4585, 1e-4);  // add-one smoothing

    Generator g(3);
    s.model = std::make_unique<BigramModel>(27, 27, false, g);
    TrainOptions o{.optimizer = "adam", .lr = 0.1, .batch = 2048, .steps = 600, .schedule = "cosine", .quiet = true};
    s.make_optimizer(o);
    s.batch_gen.manual_seed(4);
    s.train(o);
    const double valid_loss = mean_loss(*s.model, valid);
    EXPECT_LT(valid_loss, count_valid + 0.01) << "valid " << valid_loss << " vs count model " << count_valid;
}

std::pair<int, std::string> run(const std::string& args) { return testing::run_program(XGRAD_BIGRAM, args); }
using testing::last_json;

TEST(BigramProgram, TheLectureRunShowsWhatTheLectureShows) {
    auto [status, out] = run("--json --quiet");
    ASSERT_EQ(status, 0) << out;
    for (const char* part : {"vocabulary (8): ! . ate cat dog ran the zoo", "best possible on this text, H(next|prev) from the bigram counts: 0.504107",
                             "previous token \"the\"", "20 tokens sampled from the untrained model after \"the dog\"",
                             "20 tokens sampled from the trained model"})
        EXPECT_NE(out.find(part), std::string::npos) << part << "\n" << out;
    const auto j = last_json(out);
    EXPECT_EQ(j["vocab_size"], 8);
    EXPECT_EQ(j["steps"], 10000);
    EXPECT_NEAR(j["count_train_floor"].get<double>(), 8 * std::log(2.0) / 11, 1e-9);
    EXPECT_LT(j["train_loss"].get<double>() - j["count_train_floor"].get<double>(), 1e-3);
    EXPECT_TRUE(j["valid_loss"].is_null());
    // trained: after "the" come cat (1/4), dog (1/2), zoo (1/4), as the counts say
    for (auto [tok, p] : {std::pair{"cat", "0.250"}, std::pair{"dog", "0.500"}, std::pair{"zoo", "0.250"}}) {
        const auto line = out.find(std::string("\n  ") + tok + " ");
        ASSERT_NE(line, std::string::npos) << out;
        EXPECT_NE(out.substr(line, out.find('\n', line + 1) - line).find(p), std::string::npos) << tok;
    }
}

TEST(BigramProgram, SeedMakesRunsReproducibleAndInitMatchesTheTestAbove) {
    // the whole output but the training time
    auto untimed = [](std::pair<int, std::string> r) {
        r.second = std::regex_replace(r.second, std::regex("training took [0-9.]+ s"), "");
        return r;
    };
    auto a = untimed(run("--quiet --steps 50 --generate 30"));
    auto b = untimed(run("--quiet --steps 50 --generate 30"));
    EXPECT_EQ(a.second, b.second);
    auto c = untimed(run("--quiet --steps 50 --generate 30 --seed 7"));
    EXPECT_NE(a.second, c.second);
    auto d = run("--quiet --json --init " + std::string(XGRAD_TEST_DATA) + "/bigram_init.safetensors");
    ASSERT_EQ(d.first, 0) << d.second;
    EXPECT_NEAR(last_json(d.second)["initial_loss"].get<double>(), 2.204287052154541, 1e-6);
    EXPECT_NEAR(last_json(d.second)["train_loss"].get<double>(), 0.504911482334137, 1e-5);
    // the default seed (0) starts from the same weights as the file: the same losses without --init
    auto e = run("--quiet --json");
    ASSERT_EQ(e.first, 0) << e.second;
    EXPECT_NEAR(last_json(e.second)["initial_loss"].get<double>(), 2.204287052154541, 1e-5);
    EXPECT_NEAR(last_json(e.second)["train_loss"].get<double>(), 0.504911482334137, 1e-5);
}

}  // namespace
}  // namespace xgrad
