// The gpt2 program (the book's ch. 4–5) at the size of the book's own ch. 5 test (context 12, emb 32,
// 4 heads, 2 layers): two epochs of the ch. 5 recipe follow the book's code in PyTorch from seed 123
// (tests/reference/gpt2/ch5_small.json, written by benchmarks/gpt2_ch5_reference.py); a run stopped by
// SIGINT or SIGTERM saves and its resumption lands on the same numbers; a NaN loss stops the run before
// any save; bad input (an output that is the text included) is named before any work.
#include <filesystem>
#include <fstream>

#include "helpers.hpp"
#include "program.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;
const std::string kSmall = "--context-length 12 --emb-dim 32 --n-heads 4 --n-layers 2 ";

nlohmann::json reference() { return nlohmann::json::parse(std::ifstream(std::string(XGRAD_TEST_DATA) + "/gpt2/ch5_small.json")); }

// Every evaluated loss within `tol` of PyTorch's, and the same tokens seen; with `first`, only the first
// `first` evaluations (of a run at least that long).
void expect_losses(const nlohmann::json& got, const nlohmann::json& want, double tol, std::size_t first = 0) {
    for (const char* key : {"train_losses", "val_losses", "tokens_seen"}) {
        const auto g = got[key].get<std::vector<double>>(), w = want[key].get<std::vector<double>>();
        if (first) ASSERT_GE(g.size(), first) << key;
        else ASSERT_EQ(g.size(), w.size()) << key;
        for (std::size_t i = 0; i < (first ? first : w.size()); ++i) EXPECT_NEAR(g[i], w[i], tol) << key << " " << i;
    }
}

TEST(Gpt2Program, TwoEpochsFollowTheBooksPyTorchRun) {
    const nlohmann::json want = reference();
    auto [status, out] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 2 --json");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("Ep 1 (Step 000000): Train loss "), std::string::npos) << out.substr(0, 300);
    const auto got = testing::last_json(out);
    EXPECT_EQ(got["train_losses"].size(), 77u);  // the book's test: 39 after one epoch, 77 after two
    expect_losses(got, want, 1e-4);              // measured: 3.7e-6
    EXPECT_EQ(got["ids"], want["samples"][1]);   // greedy 50 tokens after "Every effort moves you"
}

TEST(Gpt2Program, AnInterruptedOrTerminatedRunSavesAndResumesToTheSameNumbers) {
    for (const auto& [signal, status_want, said] : {std::tuple{"INT", 130, "interrupted at step"}, std::tuple{"TERM", 143, "terminated at step"}}) {
        SCOPED_TRACE(signal);
        const fs::path ckpt = fs::temp_directory_path() / fmt::format("xgrad_gpt2_{}_{}.safetensors", getpid(), signal);
        fs::remove(ckpt);
        // the signal after 1 s of a run too long to finish by then: it completes its step, saves, exits 128 + signal
        const std::string run = kSmall + "--epochs 50 --json --save " + ckpt.string();
        auto [status, out] = testing::run_program(fmt::format("timeout --preserve-status -s {} 1", signal), std::string(XGRAD_GPT2) + " " + run);
        ASSERT_EQ(status, status_want) << out;
        EXPECT_NE(out.find(said), std::string::npos) << out;
        ASSERT_TRUE(fs::exists(ckpt));
        // resumed to the end of epoch 1 (or past it on a fast machine): the uninterrupted run's 39 evaluations
        auto [status2, out2] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 1 --json --resume " + ckpt.string());
        ASSERT_EQ(status2, 0) << out2;
        expect_losses(testing::last_json(out2), reference(), 1e-4, /*first=*/39);
        // a checkpoint of another size is refused
        auto [status3, out3] = testing::run_program(XGRAD_GPT2, "--context-length 12 --emb-dim 16 --n-heads 4 --n-layers 2 --resume " + ckpt.string());
        EXPECT_EQ(status3, 1);
        EXPECT_NE(out3.find("not of this run's"), std::string::npos) << out3;
        fs::remove(ckpt);
    }
}

TEST(Gpt2Program, ANonFiniteLossStopsWithoutSaving) {
    const fs::path ckpt = fs::temp_directory_path() / fmt::format("xgrad_gpt2_{}_nan.safetensors", getpid());
    auto [status, out] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 1 --lr 1e10 --save " + ckpt.string());
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("training: the batch loss became"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(ckpt));
}

TEST(Gpt2Program, GeneratesFromAHuggingFaceFolder) {
    const std::string tiny = std::string(XGRAD_TEST_DATA) + "/gpt2/tiny";
    auto [status, out] = testing::run_program(XGRAD_GPT2, "--from-pretrained " + tiny + " --prompt 'a b' --max-new-tokens 20 --json");
    ASSERT_EQ(status, 0) << out;
    const auto j = testing::last_json(out);
    ASSERT_EQ(j["ids"].size(), 2u + 20u);  // "a", " b", then 20: the window of 16 slides
    EXPECT_EQ(j["ids"][0], 64);
    EXPECT_EQ(j["ids"][1], 275);
    auto [s2, uncached] = testing::run_program(XGRAD_GPT2, "--from-pretrained " + tiny + " --prompt 'a b' --max-new-tokens 20 --json --no-cache");
    EXPECT_EQ(testing::last_json(uncached)["ids"], j["ids"]);
}

TEST(Gpt2Program, BadInputIsNamedBeforeAnyWork) {
    const fs::path short_text = fs::temp_directory_path() / fmt::format("xgrad_gpt2_{}_short.txt", getpid());
    std::ofstream(short_text) << "Twelve tokens are more than this text has left for validation, a sentence or two.";
    const std::string tiny = std::string(XGRAD_TEST_DATA) + "/gpt2/tiny";
    const std::pair<std::string, std::string> cases[] = {
        {"--top-k 0", "--top-k: must be a positive number, got 0"},
        {kSmall + "--prompt 'one two three four five six seven eight nine ten eleven twelve thirteen'",
         "--prompt is 13 tokens, longer than the context length 12"},
        {"--from-pretrained /nonexistent", "/nonexistent: not a folder"},
        {"--from-pretrained " + tiny, "--prompt has token id 6109, outside the model's vocabulary of 300"},
        {"--from-pretrained " + tiny + " --context-length 8", "--context-length 8 with --from-pretrained"},
        {"--model 2B", "--model 2B: gpt2::Config: unknown model \"2B\""},
        {kSmall + "--epochs 1 --text " + short_text.string(), "short.txt: the training part: GptDataLoader: 16 tokens make 1 windows of 12: too few for a batch of 2"},
        {kSmall + "--save /nonexistent-dir/x.safetensors", "--save"},
        {kSmall + "--epochs 1 --text " + short_text.string() + " --save " + short_text.string(), "is the training text"},
    };
    for (const auto& [args, message] : cases) {
        auto [status, out] = testing::run_program(XGRAD_GPT2, args);
        EXPECT_NE(status, 0) << args;
        EXPECT_NE(out.find(message), std::string::npos) << args << "\n" << out;
        EXPECT_EQ(out.find("Ep 1"), std::string::npos) << args;
    }
    fs::remove(short_text);
}

#if !XGRAD_WITH_MPI
// Built without MPI, a program mpirun started as one of several ranks would train alone, N times over:
// it is refused by name (the launcher's variables stand in for mpirun here).
TEST(Gpt2Program, StartedAsOneOfSeveralRanksWithoutMpiItIsRefused) {
    auto [status, out] = testing::run_program("OMPI_COMM_WORLD_SIZE=2 " + std::string(XGRAD_GPT2), kSmall + "--epochs 1");
    EXPECT_EQ(status, 2) << out;
    EXPECT_NE(out.find("gpt2: started by mpirun as one of 2 ranks, but this xgrad was built without MPI"), std::string::npos)
        << out;
}
#endif

}  // namespace
}  // namespace xgrad
