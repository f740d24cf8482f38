// The bigram program's figures: the lecture's view from "the", PCA for K > 2, a strip for K = 1, the
// validation loss on the loss plot; the checkpoint written before any figure.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "helpers.hpp"
#include "program.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;

std::string read(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

TEST(BigramFigures, TheLecturesFigureAndEveryDimension) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("figures_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string d2 = (dir / "k2").string(), d8 = (dir / "k8").string(), d1 = (dir / "k1").string();
    auto [st, out] = testing::run_program(XGRAD_BIGRAM, "--quiet --steps 3000 --plot " + d2 + " --save " + (dir / "c.safetensors").string());
    ASSERT_EQ(st, 0) << out;
    EXPECT_LT(out.find("saved"), out.find("vectors_before.svg")) << "figures drawn before the checkpoint was saved:\n" << out;
    const std::string prev = read(d2 + "/vectors_prev.svg");
    EXPECT_NE(prev.find("prev: the"), std::string::npos);
    EXPECT_NE(prev.find("random initialization"), std::string::npos);
    EXPECT_NE(prev.find("after 3000 steps"), std::string::npos);
    EXPECT_TRUE(std::regex_search(prev, std::regex("dog 0\\.[0-9][0-9]")));  // U's arrows weighted by p(next | the)
    const std::string after = read(d2 + "/vectors_after.svg");
    EXPECT_EQ(after.find("±"), std::string::npos);  // ticks, not a corner note
    EXPECT_NE(after.find("‘.’"), std::string::npos);
    EXPECT_NE(after.find("‘!’"), std::string::npos);

    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --steps 200 --dim 8 --plot " + d8);
    ASSERT_EQ(st, 0) << out;
    const std::string k8 = read(d8 + "/vectors_after.svg");
    EXPECT_NE(k8.find("first two principal components of K = 8 dims"), std::string::npos);
    EXPECT_NE(k8.find("PC 1"), std::string::npos);
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --steps 200 --dim 1 --plot " + d1);
    ASSERT_EQ(st, 0) << out;
    const std::string k1 = read(d1 + "/vectors_after.svg");
    EXPECT_NE(k1.find("the one dimension (K = 1)"), std::string::npos);
    EXPECT_EQ(k1.find("<path"), std::string::npos);  // dots on a strip, not arrows along the x axis
    fs::remove_all(dir);
}

TEST(BigramFigures, ValidationLossAndPlotPrev) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("figures_v_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string text = XGRAD_SOURCE_DIR "/data/names/train.txt", valid = XGRAD_SOURCE_DIR "/data/names/valid.txt";
    auto [st, out] = testing::run_program(XGRAD_BIGRAM, "--quiet --level char --corpus " + text + " --valid " + valid +
                                                            " --steps 400 --batch 256 --dim 4 --plot " + dir.string() + " --plot-prev a");
    ASSERT_EQ(st, 0) << out;
    const std::string loss = read((dir / "loss.svg").string());
    EXPECT_NE(loss.find("validation loss"), std::string::npos);
    EXPECT_NE(read((dir / "vectors_prev.svg").string()).find("prev: a"), std::string::npos);
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --steps 400000 --plot " + dir.string() + " --plot-prev unicorn");
    EXPECT_EQ(st, 1) << out;
    EXPECT_NE(out.find("--plot-prev: token \"unicorn\" is not in the vocabulary"), std::string::npos) << out;
    EXPECT_EQ(out.find("loss after"), std::string::npos) << "trained before refusing:\n" << out;
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--plot-prev the");
    EXPECT_NE(st, 0);
    EXPECT_NE(out.find("--plot"), std::string::npos) << out;
    fs::remove_all(dir);
}

}  // namespace
}  // namespace xgrad
