// The mlp example (makemore's MLP on names): from the same seed its loss follows PyTorch's run of the
// same program step by step (tests/reference/mlp_trajectory.txt, make_mlp_reference.py), the full run
// ends within 0.01 of PyTorch's valid loss, and the program names bad input before it trains.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "program.hpp"
#include "train.hpp"

namespace xgrad {
namespace {

struct Reference {
    long steps = 0;
    double train_loss = 0, valid_loss = 0;
    std::vector<double> first_losses;
};

Reference reference() {
    Reference r;
    std::ifstream f(std::string(XGRAD_TEST_DATA) + "/mlp_trajectory.txt");
    EXPECT_TRUE(f.good());
    for (std::string line; std::getline(f, line);) {
        std::istringstream s(line);
        std::string key;
        s >> key;
        if (key == "steps") s >> r.steps;
        else if (key == "train_loss") s >> r.train_loss;
        else if (key == "valid_loss") s >> r.valid_loss;
        else if (key == "first_losses")
            for (double v; s >> v;) r.first_losses.push_back(v);
    }
    return r;
}

const std::string kNames = std::string(XGRAD_SOURCE_DIR) + "/data/names";

TEST(Mlp, FollowsPyTorchsLossStepByStepForAThousandSteps) {
    // Tolerance 1e-4: the embedding table starts within 2e-6 of PyTorch's (its 270 normals take torch's
    // vectorised path) and the GEMMs sum in another order; measured, the largest gap is 4.8e-7.
    const Reference ref = reference();
    ASSERT_EQ(ref.first_losses.size(), 1000u);
    const mlp::Dataset train = mlp::build_dataset(mlp::read_words(kNames + "/train.txt"), 3);
    manual_seed(2147483647);
    mlp::Mlp model(mlp::kVocab, 3, 10, 200);
    double worst = 0;
    for (std::size_t i = 0; i < 1000; ++i) {
        const float loss = mlp::sgd_step(model, train, 32, 0.1f);
        worst = std::max(worst, std::abs(loss - ref.first_losses[i]));
        ASSERT_NEAR(loss, ref.first_losses[i], 1e-4) << "step " << i;
    }
    std::printf("largest gap to PyTorch's minibatch loss over 1000 steps: %.2g\n", worst);
}

TEST(Mlp, TheFullRunEndsWithinAHundredthOfPyTorchsValidLoss) {
    const Reference ref = reference();
    auto [status, out] = testing::run_program(XGRAD_MLP, "--json --steps " + std::to_string(ref.steps));
    ASSERT_EQ(status, 0) << out;
    const auto j = testing::last_json(out);
    EXPECT_NEAR(j["valid_loss"].get<double>(), ref.valid_loss, 0.01);
    EXPECT_NEAR(j["train_loss"].get<double>(), ref.train_loss, 0.01);
}

TEST(MlpProgram, PrintsTheLecturesOutputAndNamesBadInputBeforeTraining) {
    auto [status, out] = testing::run_program(XGRAD_MLP, "--steps 300 --samples 5 --plot " + ::testing::TempDir() + "/mlp_plots");
    ASSERT_EQ(status, 0) << out;
    for (const char* part : {"205380 examples for training", "(C): Embedding(27, 10)", "parameters: 11897",
                             "train loss", "valid loss", "samples:", "embeddings plotted"})
        EXPECT_NE(out.find(part), std::string::npos) << part << " missing from:\n" << out;
    EXPECT_TRUE(std::filesystem::exists(::testing::TempDir() + "/mlp_plots/loss.svg"));
    std::ifstream svg(::testing::TempDir() + "/mlp_plots/embeddings.svg");
    std::stringstream s;
    s << svg.rdbuf();
    EXPECT_NE(s.str().find("first two principal components"), std::string::npos);
    for (const auto& [args, part] : std::vector<std::pair<std::string, std::string>>{
             {"--data /nonexistent", "/nonexistent/train.txt: cannot open it"},
             {"--plot /dev/null/x --steps 100000000", "--plot /dev/null/x: cannot make this directory: Not a directory"},
             {"--steps 0", "--steps"},
             {"--batch -3", "--batch"},
             {"--lr 1e38 --steps 1000", "mlp: error: training: the batch loss became"}}) {
        auto [st, o] = testing::run_program(XGRAD_MLP, args);
        EXPECT_NE(st, 0) << args;
        EXPECT_LT(st, 128) << args << " crashed";
        EXPECT_NE(o.find(part), std::string::npos) << args << " gave:\n" << o;
    }
}

// SIGINT/SIGTERM: the step in progress finishes, the figures of the steps done are drawn, the program
// says where it stopped and exits 128 + the signal (mlp has no checkpoint to save).
TEST(MlpProgram, AnInterruptedRunDrawsItsFiguresAndSaysWhereItStopped) {
    for (const auto& [signal, status_want, said] : {std::tuple{"INT", 130, "mlp: interrupted at step "}, std::tuple{"TERM", 143, "mlp: terminated at step "}}) {
        const std::string dir = ::testing::TempDir() + "/mlp_stop_" + signal;
        std::filesystem::remove_all(dir);
        auto [st, out] = testing::run_program(std::string("timeout --preserve-status -s ") + signal + " 1",
                                              std::string(XGRAD_MLP) + " --steps 100000000 --plot " + dir);
        EXPECT_EQ(st, status_want) << out;
        EXPECT_NE(out.find(said), std::string::npos) << out;
        EXPECT_TRUE(std::filesystem::exists(dir + "/loss.svg")) << out;
        std::filesystem::remove_all(dir);
    }
}

}  // namespace
}  // namespace xgrad
