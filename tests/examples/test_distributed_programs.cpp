// The gpt2 and gpt programs under mpiexec (built when CMake found MPI): 2 ranks x batch 1 train what one
// process trains with batch 2 (the losses to float summation order, the same bits run to run); a
// checkpoint of 2 ranks resumes on 1; SIGTERM to the ranks saves, as alone; a killed rank ends the job,
// named; ranks that differ are refused by name. With dropout the ranks drop their rows of one process's
// masks (DataParallel shares the generator's masks out), so the equalities hold with it on.
#include <chrono>
#include <filesystem>

#include "helpers.hpp"
#include "program.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;
const std::string kSmall = "--context-length 12 --emb-dim 32 --n-heads 4 --n-layers 2 --drop-rate 0 ";
const std::string kSmallDropout = "--context-length 12 --emb-dim 32 --n-heads 4 --n-layers 2 --drop-rate 0.1 ";
// Open MPI: two ranks on however many cores, as root in CI's containers, and without the single-copy
// transfers (process_vm_readv) a container's seccomp may forbid.
const std::string kEnv = "OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                         "OMPI_MCA_btl_vader_single_copy_mechanism=none ";
const std::string kTwoRanks = kEnv + XGRAD_MPIEXEC + " -n 2 " + XGRAD_GPT2;

// The bound: a step's loss and gradients are means over 2·12 tokens summed in another order (each rank
// its half, then the two halves: a rounding of float each, ~6e-8 relative), which training could grow.
// Measured over an epoch with dropout 0.1 (192 steps, 39 evaluations): 5.7e-7 at most (3.8e-7 over 2
// epochs without dropout), under one float ulp of a loss near 10 (9.5e-7); the bound leaves room for
// another machine's kernels.
constexpr double kOrderBound = 1e-5;

void expect_same_run(const nlohmann::json& got, const nlohmann::json& want, double tol, std::size_t first = 0) {
    for (const char* key : {"train_losses", "val_losses", "tokens_seen"}) {
        const auto g = got[key].get<std::vector<double>>(), w = want[key].get<std::vector<double>>();
        const std::size_t n = first ? first : w.size();
        ASSERT_GE(g.size(), n) << key;
        if (!first) ASSERT_EQ(g.size(), w.size()) << key;
        for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(g[i], w[i], tol) << key << " " << i;
    }
}

fs::path scratch(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / fmt::format("xgrad_gpt2_ddp_{}_{}.safetensors", getpid(), name);
    fs::remove(p);
    return p;
}

// With the book's dropout (0.1) in the embeddings, the attention and the shortcuts.
TEST(Gpt2Distributed, TwoRanksOfBatchOneTrainWhatOneProcessOfBatchTwoTrains) {
    auto [s1, one] = testing::run_program(XGRAD_GPT2, kSmallDropout + "--epochs 1 --batch-size 2 --json");
    ASSERT_EQ(s1, 0) << one;
    auto [s2, two] = testing::run_program(kTwoRanks, kSmallDropout + "--epochs 1 --batch-size 1 --json");
    ASSERT_EQ(s2, 0) << two;
    auto [s3, again] = testing::run_program(kTwoRanks, kSmallDropout + "--epochs 1 --batch-size 1 --json");
    ASSERT_EQ(s3, 0) << again;
    const auto j1 = testing::last_json(one), j2 = testing::last_json(two), j3 = testing::last_json(again);
    EXPECT_EQ(j2["ranks"], 2);
    EXPECT_EQ(j2["train_losses"].size(), 39u);  // 192 global batches of 2 windows, evaluated every 5
    expect_same_run(j2, j1, kOrderBound);
    for (const char* key : {"train_losses", "val_losses", "ids"}) EXPECT_EQ(j2[key], j3[key]) << key;  // the same bits
    std::size_t results = 0;  // rank 0 alone prints
    for (std::size_t at = two.find("\"ids\""); at != std::string::npos; at = two.find("\"ids\"", at + 1)) ++results;
    EXPECT_EQ(results, 1u) << two;
    EXPECT_GE(j2["allreduce_wait_seconds"].get<double>(), 0.0);
    EXPECT_LT(j2["allreduce_wait_seconds"].get<double>(), j2["train_seconds"].get<double>());
}

TEST(Gpt2Distributed, ARunSavedByTwoRanksResumesOnOne) {
    const fs::path ckpt = scratch("epoch");
    auto [s1, out1] = testing::run_program(kTwoRanks, kSmall + "--epochs 1 --batch-size 1 --json --save " + ckpt.string());
    ASSERT_EQ(s1, 0) << out1;
    auto [s2, out2] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 2 --batch-size 2 --json --resume " + ckpt.string());
    ASSERT_EQ(s2, 0) << out2;
    auto [s3, whole] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 2 --batch-size 2 --json");
    ASSERT_EQ(s3, 0) << whole;
    expect_same_run(testing::last_json(out2), testing::last_json(whole), kOrderBound);
    fs::remove(ckpt);
}

TEST(Gpt2Distributed, SigtermToTheRanksSavesOnRankZeroAndResumes) {
    const fs::path ckpt = scratch("term");
    // the ranks are mpiexec's children: SIGTERM to them after 2 s of a run too long to end by then
    const std::string cmd = fmt::format("{} {} --epochs 50 --batch-size 1 --save {} & sleep 2; pkill -TERM -P $!; wait $!",
                                        kTwoRanks, kSmall, ckpt.string());
    auto [status, out] = testing::run_program("sh -c", "'" + cmd + "'");
    EXPECT_EQ(status, 143) << out;
    EXPECT_NE(out.find("gpt2: terminated at step"), std::string::npos) << out;
    ASSERT_TRUE(fs::exists(ckpt)) << out;
    // mid-epoch, so only the same global batch of 2 may go on: 1 rank x batch 1 is refused, x 2 resumes
    auto [s2, refused] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 1 --batch-size 1 --resume " + ckpt.string());
    EXPECT_EQ(s2, 1) << refused;
    EXPECT_NE(refused.find("resume mid-epoch with the same global batch"), std::string::npos) << refused;
    auto [s3, resumed] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 1 --batch-size 2 --json --resume " + ckpt.string());
    ASSERT_EQ(s3, 0) << resumed;
    auto [s4, whole] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 1 --batch-size 2 --json");
    expect_same_run(testing::last_json(resumed), testing::last_json(whole), kOrderBound, /*first=*/39);
    fs::remove(ckpt);
}

// mpirun cannot forward SIGTERM (it kills the job after odls_base_sigkill_timeout, 1 s), but forwards
// SIGUSR1 to every rank: the run stops at one step on all of them and rank 0 saves.
TEST(Gpt2Distributed, SigusrOneToMpirunSavesOnRankZero) {
    const fs::path ckpt = scratch("usr1");
    const std::string cmd = fmt::format("{} {} --epochs 50 --batch-size 1 --save {} & sleep 2; kill -USR1 $!; wait $!",
                                        kTwoRanks, kSmall, ckpt.string());
    auto [status, out] = testing::run_program("sh -c", "'" + cmd + "'");
    EXPECT_EQ(status, 138) << out;
    EXPECT_NE(out.find("gpt2: stopped by SIGUSR1 at step"), std::string::npos) << out;
    ASSERT_TRUE(fs::exists(ckpt)) << out;
    auto [s2, resumed] = testing::run_program(XGRAD_GPT2, kSmall + "--epochs 1 --batch-size 2 --json --resume " + ckpt.string());
    EXPECT_EQ(s2, 0) << resumed;
    fs::remove(ckpt);
}

TEST(Gpt2Distributed, AKilledRankEndsTheJobNamingIt) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string rank1_dies = "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then (sleep 2; kill -9 $$) & fi; exec " +
                                   std::string(XGRAD_GPT2) + " " + kSmall + "--epochs 50 --batch-size 1'";
    auto [status, out] = testing::run_program(kEnv + XGRAD_MPIEXEC + " -n 2", rank1_dies);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_NE(status, 0) << out;
    EXPECT_LT(seconds, 30.0);
    EXPECT_NE(out.find("signal 9"), std::string::npos) << out;  // mpirun's word
    // rank 0's: which rank, and where rank 0 was when it noticed
    EXPECT_NE(out.find("xgrad: rank 1 of 2 (pid "), std::string::npos) << out;
    EXPECT_NE(out.find("on this host) has ended while rank 0 "), std::string::npos) << out;
    EXPECT_NE(out.find(" at step "), std::string::npos) << out;
}

// A rank that hangs (stopped with SIGSTOP) leaves rank 0 waiting in a collective: the watchdog ends the
// job after XGRAD_DISTRIBUTED_TIMEOUT seconds, naming the call and the step.
TEST(Gpt2Distributed, ARankThatHangsEndsTheJobAfterTheTimeout) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string rank1_stops = "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then (sleep 2; kill -STOP $$) & fi; exec " +
                                    std::string(XGRAD_GPT2) + " " + kSmall + "--epochs 50 --batch-size 1'";
    auto [status, out] = testing::run_program("XGRAD_DISTRIBUTED_TIMEOUT=3 " + kEnv + XGRAD_MPIEXEC + " -x XGRAD_DISTRIBUTED_TIMEOUT -n 2",
                                              rank1_stops);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_NE(status, 0) << out;
    EXPECT_LT(seconds, 30.0);
    EXPECT_NE(out.find("xgrad: rank 0 of 2 has waited "), std::string::npos) << out;
    EXPECT_NE(out.find(" s in MPI_"), std::string::npos) << out;
    EXPECT_NE(out.find("at step "), std::string::npos) << out;
    EXPECT_NE(out.find("one of them died, hangs or is stopped"), std::string::npos) << out;
}

TEST(Gpt2Distributed, RanksThatDifferAreRefusedByName) {
    const std::string base = std::string(XGRAD_GPT2) + " " + kSmall + "--epochs 1 --batch-size 1 ";
    auto [s1, lr] = testing::run_program(kEnv + XGRAD_MPIEXEC, "-n 1 " + base + "--lr 4e-4 : -n 1 " + base + "--lr 1e-3");
    EXPECT_NE(s1, 0) << lr;
    EXPECT_NE(lr.find("rank 1's run (its flags, its text and where it starts) differs from rank 0's"), std::string::npos) << lr;
    const std::string other = std::string(XGRAD_GPT2) + " --context-length 12 --emb-dim 16 --n-heads 4 --n-layers 2 --drop-rate 0 "
                              "--epochs 1 --batch-size 1";
    auto [s2, model] = testing::run_program(kEnv + XGRAD_MPIEXEC, "-n 1 " + base + " : -n 1 " + other);
    EXPECT_NE(s2, 0) << model;
    EXPECT_NE(model.find("rank 1's model (parameter names and shapes) differs from rank 0's"), std::string::npos) << model;
}

// The lecture's char GPT: 2 ranks x 8 rows give one process's 16-row losses, step by step. At lr 1e-3
// AdamW divides each gradient by its own running size, which amplifies a rounding difference in the
// smallest ones: measured 3e-7 at most over the first 25 steps (the JSON's 8 digits), then growing to
// 1.1e-4 by step 40 (with gpt.py's dropout 0.2); the same bits from run to run.
TEST(GptDistributed, TwoRanksOfHalfTheBatchTrainAsOneProcess) {
    const std::string args = "--max-iters 40 --eval-interval 20 --eval-iters 5 --dropout 0.2 --max-new-tokens 5 --json ";
    auto [s1, one] = testing::run_program(XGRAD_GPT, args + "--batch-size 16");
    ASSERT_EQ(s1, 0) << one;
    auto [s2, two] = testing::run_program(kEnv + XGRAD_MPIEXEC + " -n 2 " + XGRAD_GPT, args + "--batch-size 8");
    ASSERT_EQ(s2, 0) << two;
    const auto j1 = testing::last_json(one), j2 = testing::last_json(two);
    const auto l1 = j1["losses"].get<std::vector<double>>(), l2 = j2["losses"].get<std::vector<double>>();
    ASSERT_EQ(l1.size(), 40u);
    ASSERT_EQ(l2.size(), 40u);
    for (std::size_t i = 0; i < l1.size(); ++i) EXPECT_NEAR(l2[i], l1[i], i < 20 ? 1e-6 : 1e-3) << "step " << i;
    EXPECT_NEAR(j2["valid_loss"].get<double>(), j1["valid_loss"].get<double>(), 1e-3);
    auto [s3, again] = testing::run_program(kEnv + XGRAD_MPIEXEC + " -n 2 " + XGRAD_GPT, args + "--batch-size 8");
    ASSERT_EQ(s3, 0) << again;
    EXPECT_EQ(testing::last_json(again)["losses"], j2["losses"]);
}

}  // namespace
}  // namespace xgrad
