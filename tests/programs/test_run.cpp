// The programs' shared safety: file checks before a long run name the flag, an output that is an input
// (by any name) is refused, SIGINT/SIGTERM become a request the loop reads, non-finite losses and weights
// are named, and the error convention turns exceptions into "<program>: error: …" and status 1.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <new>

#include <unistd.h>

#include "helpers.hpp"
#include "nn/linear.hpp"
#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "programs/run.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;

struct Dir {
    fs::path path = fs::temp_directory_path() / ("xgrad_programs_" + std::to_string(::getpid()));
    Dir() { fs::remove_all(path), fs::create_directories(path); }
    ~Dir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

TEST(ProgramFiles, CheckWritableNamesTheFlagAndThePath) {
    Dir d;
    EXPECT_NO_THROW(programs::check_writable(d.file("ok.safetensors"), "--save"));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { programs::check_writable(d.file("no/such/ck"), "--save"); },
                                                {"--save", "no/such/ck", "not a directory"}));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { programs::check_writable("/dev/full", "--out"); },
                                                {"--out /dev/full", "character device"}));
    // The old spelling in nn stays for one release (deprecated) and says the same.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    EXPECT_TRUE(testing::throws_with<FileError>([&] { nn::check_writable("/dev/full", "--save"); },
                                                {"--save /dev/full", "character device"}));
#pragma GCC diagnostic pop
}

TEST(ProgramFiles, AnOutputFolderIsMadeOrNamed) {
    Dir d;
    EXPECT_EQ(programs::make_output_dir(d.file("a/b"), "--plot", "loss.svg"), d.file("a/b") + "/loss.svg");
    EXPECT_TRUE(fs::is_directory(d.file("a/b")));
    std::ofstream(d.file("f")) << "x";
    EXPECT_TRUE(testing::throws_with<FileError>([&] { programs::make_output_dir(d.file("f"), "--plot", "loss.svg"); },
                                                {"--plot", "cannot make this directory"}));
}

TEST(ProgramFiles, AnOutputThatIsTheInputByAnyNameIsRefused) {
    Dir d;
    const std::string text = d.file("c.txt");
    std::ofstream(text) << "the cat";
    fs::create_hard_link(text, d.file("hard.txt"));
    fs::create_symlink(text, d.file("link.txt"));
    for (const std::string& out : {text, d.file("hard.txt"), d.file("link.txt"), d.file("./c.txt")})
        EXPECT_TRUE(testing::throws_with<FileError>([&] { programs::check_not_input(out, "--save", text, "the training text"); },
                                                    {"--save", "is the training text", "would replace the training text"}))
            << out;
    std::ofstream(d.file("other.txt")) << "the cat";  // same bytes, another file: fine
    EXPECT_NO_THROW(programs::check_not_input(d.file("other.txt"), "--save", text, "the training text"));
    EXPECT_NO_THROW(programs::check_not_input(d.file("new.txt"), "--save", text, "the training text"));  // not there yet
    EXPECT_EQ(programs::fnv1a64(""), 0xcbf29ce484222325ULL);  // FNV-1a's offset basis
    EXPECT_EQ(programs::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);  // the published test vector
}

TEST(ProgramRun, SigintAndSigtermBecomeARequestWhileAStopSignalsLives) {
    for (int sig : {SIGINT, SIGTERM}) {
        const pid_t child = ::fork();
        if (child == 0) {  // the child reports through its exit status
            {
                programs::StopSignals stop;
                if (stop.requested()) ::_exit(10);
                ::raise(sig);  // a request, the program goes on
                if (!stop.requested() || stop.signal() != sig || stop.exit_code() != 128 + sig) ::_exit(11);
                if (std::string(stop.what()) != (sig == SIGTERM ? "terminated" : "interrupted")) ::_exit(12);
                ::raise(sig);  // again (timeout signals the process and its group): still a request
                if (!stop.requested()) ::_exit(13);
            }
            ::raise(sig);  // the handler before it is back: the default action kills
            ::_exit(14);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        EXPECT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
        if (WIFSIGNALED(status)) EXPECT_EQ(WTERMSIG(status), sig);
    }
}

TEST(ProgramRun, NonFiniteLossesAndWeightsAreNamed) {
    EXPECT_NO_THROW(programs::check_finite_loss(2.5, 3, "--lr"));
    EXPECT_TRUE(testing::throws_with<ValueError>([] { programs::check_finite_loss(NAN, 12, "--learning-rate"); },
                                                 {"nan", "step 12", "--learning-rate"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([] { programs::check_finite_loss(INFINITY, 0, "--lr"); }, {"inf", "step 0"}));
    nn::Linear lin(2, 3);
    EXPECT_NO_THROW(programs::check_finite_weights(lin, "ck.safetensors"));
    lin.bias.mutable_data()(1) = NAN;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { programs::check_finite_weights(lin, "ck.safetensors"); },
                                                 {"bias", "nan", "ck.safetensors was not written"}));
}

TEST(ProgramRun, RunMainPrintsTheErrorLineAndReturnsOne) {
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(programs::run_main("prog", [] { return 0; }), 0);
    EXPECT_EQ(programs::run_main("prog", []() -> int { throw ValueError("--dim 0: too small"); }), 1);
    EXPECT_EQ(programs::run_main("prog", []() -> int { throw std::bad_alloc(); }), 1);
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("prog: error: --dim 0: too small\n"), std::string::npos) << err;
    EXPECT_NE(err.find("prog: error: out of memory"), std::string::npos) << err;
}

}  // namespace
}  // namespace xgrad
