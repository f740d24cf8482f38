// The bigram program under bad input and interruption: every bad flag, file and checkpoint gets a
// message naming what was wrong and a non-zero exit status; a resumed run is bit-identical to an
// unbroken one; NaN losses are reported with their step; a million steps run in steady memory.
#include <filesystem>
#include <fstream>
#include <regex>

#include <sys/stat.h>

#include <fmt/format.h>

#include "helpers.hpp"
#include "program.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;
using testing::last_json;

std::pair<int, std::string> run(const std::string& args) { return testing::run_program(XGRAD_BIGRAM, args); }

struct Scratch {
    fs::path dir = fs::path(::testing::TempDir()) / ("bigram_cli_" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(dir); }
    ~Scratch() { fs::remove_all(dir); }
    std::string file(const std::string& name, const std::string& bytes) const {
        const std::string p = (dir / name).string();
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
    std::string path(const std::string& name) const { return (dir / name).string(); }
};

// Each case: arguments, and the words the error message must contain.
void expect_errors(const std::vector<std::pair<std::string, std::vector<std::string>>>& cases) {
    for (const auto& [args, parts] : cases) {
        auto [status, out] = run(args);
        EXPECT_NE(status, 0) << args << " gave:\n" << out;
        EXPECT_LT(status, 128) << args << " crashed:\n" << out;  // an error exit, not a signal
        for (const auto& part : parts) EXPECT_NE(out.find(part), std::string::npos) << args << " gave:\n" << out;
    }
}

TEST(BigramCli, ABadBufferCacheSettingIsNamedAndTheRunGoesOn) {
    for (const std::string bad : {"abc", "-5", "12x"}) {
        auto [status, out] = testing::run_program("XGRAD_BUFFER_CACHE_MB=" + bad + " " + XGRAD_BIGRAM,
                                                  "--steps 5 --generate 0 --quiet");
        EXPECT_EQ(status, 0) << out;
        EXPECT_NE(out.find("XGRAD_BUFFER_CACHE_MB=\"" + bad + "\" is not a number of megabytes"), std::string::npos) << out;
    }
    auto [status, out] = testing::run_program(std::string("XGRAD_BUFFER_CACHE_MB=0 ") + XGRAD_BIGRAM, "--steps 5 --generate 0 --quiet");
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out.find("XGRAD_BUFFER_CACHE_MB"), std::string::npos) << out;
}

TEST(BigramCli, ABadThreadCountInTheEnvironmentIsNamedAndTheRunGoesOn) {
    for (const std::string bad : {"abc", "0", "-2", "4x", "100000"}) {
        auto [status, out] = testing::run_program("XGRAD_NUM_THREADS=" + bad + " " + XGRAD_BIGRAM, "--steps 5 --generate 0 --quiet");
        EXPECT_EQ(status, 0) << out;
        EXPECT_NE(out.find("XGRAD_NUM_THREADS=\"" + bad + "\" is not a number of threads"), std::string::npos) << out;
    }
    auto [status, out] = testing::run_program(std::string("XGRAD_NUM_THREADS=2 ") + XGRAD_BIGRAM, "--steps 5 --generate 0 --quiet");
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out.find("XGRAD_NUM_THREADS"), std::string::npos) << out;
}

TEST(BigramCli, BadFlagsAndSizes) {
    expect_errors({
        {"--no-such-flag", {"no-such-flag"}},
        {"--dim 0", {"--dim"}},
        {"--dim -3", {"--dim"}},
        {"--batch -1", {"--batch"}},
        {"--steps -5", {"--steps"}},
        {"--epochs -1", {"--epochs"}},
        {"--epochs 3 --steps 5", {"bigram: error: ", "--epochs excludes --steps"}},
        {"--seed -1", {"bigram: error: ", "--seed: -1 is not a seed (a whole number from 0 to 18446744073709551615)"}},
        {"--seed 18446744073709551616", {"--seed: 18446744073709551616 is not a seed"}},
        {"--dim abc", {"bigram: error: ", "--dim"}},
        {"--dim 4611686018427387904", {"--dim 4611686018427387904: the tables V and U (8 × 4611686018427387904)", "too many elements"}},
        {"--generate -1", {"--generate"}},
        {"--lr 0", {"--lr"}},
        {"--lr -0.5", {"--lr"}},
        {"--temperature 0", {"--temperature"}},
        {"--threads 0", {"--threads"}},
        {"--top-k -2", {"--top-k"}},
        {"--level bytes", {"--level"}},
        {"--optimizer rmsprop", {"--optimizer"}},
        {"--on-nonfinite ignore", {"--on-nonfinite"}},
        {"--prompt \"the elephant\"", {"--prompt: token \"elephant\" is not in the vocabulary"}},
        {"--neighbors elephant --steps 1", {"\"elephant\" is not in the vocabulary"}},
    });
}

TEST(BigramCli, SamplesNeverWriteControlBytesAndPipesGetProgressLines) {
    Scratch s;
    // a corpus of ESC and BEL: the samples show them as \x1b and \x07, never the raw bytes
    auto [status, out] = run("--corpus " + s.file("ctrl.txt", "a\x1b" "b\x07" "c a\x1b" "b\x07" "c\n") +
                             " --level char --min-count 1 --steps 20 --quiet --generate 30");
    ASSERT_EQ(status, 0) << out;
    const std::string samples = out.substr(out.find("tokens sampled"));
    EXPECT_EQ(samples.find('\x1b'), std::string::npos) << samples;
    EXPECT_EQ(samples.find('\x07'), std::string::npos) << samples;
    EXPECT_NE(samples.find("\\x1b"), std::string::npos) << samples;
    // in a pipe: no line rewritten in place; a line per --progress interval (here every step)
    std::tie(status, out) = run("--steps 5 --generate 0 --progress 0");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("step 3/5  loss"), std::string::npos) << out;
    EXPECT_EQ(out.find('\r'), std::string::npos) << out;
    std::tie(status, out) = run("--steps 5 --generate 0");  // a short piped run: its summary only
    EXPECT_EQ(out.find("step 3/5"), std::string::npos) << out;
}

TEST(BigramCli, HelpShowsDefaultsAndTheBatchDefaultIgnoresSteps) {
    auto [status, out] = run("--help");
    ASSERT_EQ(status, 0) << out;
    for (const char* d : {"--dim UINT:NUMBER > 0=2", "--optimizer TEXT:{sgd,adam,adamw}=sgd", "--threads INT:INT in [1 - 256]=1",
                          "--generate UINT:INT in [0 - 1000000]=20", "Default: all, or 4096 on a corpus of", "=stop"})
        EXPECT_NE(out.find(d), std::string::npos) << d << "\n" << out;
    // a corpus of more than 100,000 pairs trains in batches of 4096 with or without --steps
    const std::string names = std::string(XGRAD_SOURCE_DIR) + "/data/names/train.txt --level char --quiet --no-eval --generate 0";
    std::tie(status, out) = run("--corpus " + names + " --steps 2");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("batch 4096, steps 0 → 2"), std::string::npos) << out;
    // a full batch whose logits would not fit is refused before anything is allocated
    std::tie(status, out) = run("--corpus " + std::string(XGRAD_SOURCE_DIR) +
                                "/data/tinyshakespeare/input.txt --level word --min-count 1 --batch 0 --steps 1");
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("bigram: error: --batch 0: a full batch of 292299 pairs over 12642 tokens needs about 44.3 GB"),
              std::string::npos) << out;
}

TEST(BigramCli, AResumeUsesTheCheckpointsTextAndOptionsOrSaysWhyNot) {
    Scratch s;
    const std::string names = std::string(XGRAD_SOURCE_DIR) + "/data/names/train.txt";
    const std::string ck = s.path("ck.safetensors");
    ASSERT_EQ(run("--corpus " + names + " --level char --dim 8 --batch 64 --optimizer adam --steps 20 --quiet --generate 0 "
                  "--save " + ck).first, 0);
    // no --corpus: the checkpoint's own text, named
    auto [status, out] = run("--resume " + ck + " --steps 25 --quiet --generate 0");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("corpus: " + names + " (205381 tokens"), std::string::npos) << out;
    expect_errors({
        {"--resume " + ck + " --corpus " + s.file("other.txt", "a b c a b c") + " --steps 25",
         {"was trained on " + names + ", 205380 bytes, fnv1a64", "other.txt, 11 bytes", "resume on the same text"}},
        {"--resume " + ck + " --dim 4 --steps 25", {"--dim 4: the checkpoint", "was trained with dim 8"}},
        {"--resume " + ck + " --tie --steps 25", {"--tie true:", "was trained with tie false"}},
        {"--resume " + ck + " --level word --steps 25", {"--level word:", "was trained with level char"}},
        {"--resume " + ck + " --steps 10", {"--steps 10: the checkpoint", "is already at step 20"}},
    });
    std::tie(status, out) = run("--resume " + ck + " --optimizer sgd --lr 0.5 --steps 25 --quiet --generate 0");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("resuming with optimizer sgd instead of the checkpoint's adam"), std::string::npos) << out;
    EXPECT_NE(out.find("resuming with lr 0.5 instead of the checkpoint's 0.01"), std::string::npos) << out;
    EXPECT_NE(out.find("optimizer sgd lr 0.5"), std::string::npos) << out;
    // a checkpoint that lost one of Adam's moments: named, unless the optimizer is reset on purpose
    nn::SafetensorsFile f = nn::load_safetensors(ck);
    ASSERT_EQ(f.tensors.erase("optimizer.0.exp_avg"), 1u);
    const std::string lost = s.path("lost.safetensors");
    nn::save_safetensors(lost, f.tensors, f.metadata);
    expect_errors({{"--resume " + lost + " --steps 25", {"\"0.exp_avg\" is missing", "--reset-optimizer"}}});
    std::tie(status, out) = run("--resume " + lost + " --steps 25 --quiet --generate 0 --reset-optimizer");
    EXPECT_EQ(status, 0) << out;
}

TEST(BigramCli, BadCorpora) {
    Scratch s;
    expect_errors({
        {"--corpus /no/such/file.txt", {"/no/such/file.txt"}},
        {"--corpus " + s.dir.string(), {"--corpus"}},
        {"--corpus " + s.file("empty.txt", ""), {"empty.txt", "0 tokens", "needs at least 2"}},
        {"--corpus " + s.file("one.txt", "hello"), {"one.txt", "1 token;", "needs at least 2"}},
        {"--corpus " + s.file("a.txt", "a b a") + " --valid " + s.file("v.txt", "zzz"), {"--valid", "v.txt", "no pairs"}},
    });
    // Bytes that are not UTF-8, NUL bytes and a 2 MB line with no break are text like any other.
    std::string odd = "ab\xff\xfe cd\0ef\x80 ab\n";
    odd += std::string("\0\0ab", 4);
    for (const char* level : {"char", "word"}) {
        auto [status, out] = run("--corpus " + s.file("odd.txt", odd) + " --level " + level + " --min-count 1 --steps 20 --quiet --json");
        EXPECT_EQ(status, 0) << level << ":\n" << out;
        EXPECT_TRUE(std::isfinite(last_json(out)["train_loss"].get<double>())) << level;
    }
    std::string line;
    for (int i = 0; line.size() < (2u << 20); ++i) line += "w" + std::to_string(i % 5000) + " ";
    auto [status, out] = run("--corpus " + s.file("long.txt", line) + " --steps 3 --batch 256 --dim 4 --quiet --json --generate 0 --no-eval");
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(last_json(out)["vocab_size"], 5000);
    EXPECT_TRUE(last_json(out)["train_loss"].is_null());  // not evaluated: null, not a number
    EXPECT_NE(out.find("not computed (--no-eval"), std::string::npos) << out;
    EXPECT_EQ(out.find("nan"), std::string::npos) << out;  // never printed as a loss of nan
}

TEST(BigramCli, BadCheckpointsAndUnwritablePaths) {
    Scratch s;
    const std::string good = s.path("good.safetensors");
    ASSERT_EQ(run("--steps 5 --quiet --save " + good).first, 0);
    const std::string bytes = nn::read_file(good);
    std::string corrupt = bytes;
    corrupt[8] = '#';  // the JSON header's opening brace
    // wrong shape: the same metadata (dim 2) with a V.weight of 3 columns
    nn::SafetensorsFile f = nn::load_safetensors(good);
    f.tensors["V.weight"] = Tensor(full_array({8, 3}, 0.5f));
    nn::save_safetensors(s.path("shape.safetensors"), f.tensors, f.metadata);
    nn::save_safetensors(s.path("weights_only.safetensors"), {{"V.weight", Tensor(full_array({8, 2}, 0))}});
    // numbers in the metadata with bytes after them, or none: named, not half-read
    auto bad_meta = [&](const std::string& key, const std::string& value) {
        nn::SafetensorsFile g = nn::load_safetensors(good);
        g.metadata[key] = value;
        const std::string p = s.path("meta_" + key + ".safetensors");
        nn::save_safetensors(p, g.tensors, g.metadata);
        return "--resume " + p;
    };
    expect_errors({
        {bad_meta("step", "12abc"), {"step \"12abc\" is not a whole number"}},
        {bad_meta("dim", "2x"), {"dim \"2x\" is not a whole number"}},
        {bad_meta("lr", "0.1.5"), {"lr \"0.1.5\" is not a number"}},
        {bad_meta("batch", ""), {"batch \"\" is not a whole number"}},
        {bad_meta("t_max", "-4"), {"t_max -4 is negative"}},
        {bad_meta("level", "byte"), {"meta_level.safetensors", "the level \"byte\"", "word or char"}},
    });
    expect_errors({
        {"--resume " + s.path("missing.safetensors"), {"missing.safetensors"}},
        {"--resume " + s.file("empty.safetensors", ""), {"empty.safetensors", "fewer than the 8"}},
        {"--resume " + s.file("trunc.safetensors", bytes.substr(0, bytes.size() / 2)), {"trunc.safetensors"}},
        {"--resume " + s.file("corrupt.safetensors", corrupt), {"corrupt.safetensors", "malformed"}},
        {"--resume " + s.path("shape.safetensors"), {"shape.safetensors", "V.weight", "(8, 3)", "(8, 2)"}},
        {"--resume " + s.path("weights_only.safetensors"), {"weights_only.safetensors", "not a bigram checkpoint"}},
        {"--init " + s.file("init.safetensors", "not safetensors at all"), {"init.safetensors"}},
        // unwritable: checked before training starts, so no work is lost
        {"--save /no/such/dir/ck.safetensors", {"/no/such/dir/ck.safetensors", "not a directory"}},
        {"--save " + s.dir.string(), {"is a directory"}},
        {"--plot " + s.file("plotfile", "x") + "/sub", {"plotfile"}},
    });
    // a FIFO or a link to a device: refused before training, never replaced by a regular file
    ASSERT_EQ(::mkfifo(s.path("pipe").c_str(), 0644), 0);
    fs::create_symlink("/dev/null", s.path("null"));
    expect_errors({
        {"--steps 100000000 --save " + s.path("pipe"), {"--save", "pipe", "FIFO"}},
        {"--steps 100000000 --save " + s.path("null"), {"--save", "character device", "/dev/null"}},
    });
    EXPECT_TRUE(fs::is_fifo(s.path("pipe")));
    EXPECT_TRUE(fs::is_symlink(s.path("null")));
    // the good checkpoint was not harmed by any of that
    EXPECT_EQ(nn::read_file(good), bytes);
}

TEST(BigramCli, NonFiniteLossNamesTheStep) {
    Scratch s;
    // a NaN in the initial weights: the first step's loss is NaN
    nn::StateDict w = {{"V.weight", Tensor(full_array({8, 2}, 0.1f))}, {"U.weight", Tensor(full_array({8, 2}, 0.1f))}};
    w["V.weight"].mutable_data()(3, 1) = std::numeric_limits<float>::quiet_NaN();
    nn::save_safetensors(s.path("nan.safetensors"), w);
    expect_errors({
        {"--init " + s.path("nan.safetensors") + " --quiet", {"loss", "nan", "at step 0"}},
        {"--lr 1e30 --steps 100 --quiet", {"loss", "at step"}},
    });
    auto [status, out] = run("--lr 1e30 --steps 100 --quiet --json --on-nonfinite warn --generate 0");
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("warning: the batch loss was not finite at"), std::string::npos) << out;
    EXPECT_GT(last_json(out)["nonfinite_steps"].get<long>(), 0);
}

TEST(BigramCli, ResumedRunIsBitIdenticalToAnUnbrokenOne) {
    Scratch s;
    const std::string corpus = std::string(XGRAD_SOURCE_DIR) + "/data/names/train.txt";
    // random mini-batches, Adam, a cosine schedule: everything a resume must restore
    const std::string common = "--corpus " + corpus + " --quiet --json --generate 0 --steps 40";
    const std::string opts = " --level char --dim 8 --batch 64 --optimizer adam --schedule cosine --lr 0.05";
    auto full = run(common + opts + " --save " + s.path("full.safetensors"));
    ASSERT_EQ(full.first, 0) << full.second;
    // the first half of the same run: 20 of its 40 steps, the cosine schedule's horizon still at 40
    ASSERT_EQ(run("--corpus " + corpus + " --quiet --generate 0 --steps 20 --t-max 40" + opts + " --save " + s.path("half.safetensors")).first, 0);
    // the resumed run names no options: level, batch, schedule, horizon, optimizer and lr come from the checkpoint
    auto resumed = run(common + " --resume " + s.path("half.safetensors") + " --save " + s.path("resumed.safetensors"));
    ASSERT_EQ(resumed.first, 0) << resumed.second;
    EXPECT_EQ(last_json(full.second)["train_loss"], last_json(resumed.second)["train_loss"]);
    const auto a = nn::load_safetensors(s.path("full.safetensors")), b = nn::load_safetensors(s.path("resumed.safetensors"));
    ASSERT_EQ(a.tensors.size(), b.tensors.size());
    for (const auto& [name, t] : a.tensors) {
        ASSERT_TRUE(b.tensors.count(name)) << name;
        EXPECT_TRUE(testing::all_equal(t.data(), b.tensors.at(name).data())) << name;  // weights and Adam's moments
    }
    EXPECT_EQ(a.metadata.at("step"), "40");
    EXPECT_EQ(a.metadata.at("rng"), b.metadata.at("rng"));
    EXPECT_EQ(a.metadata.at("optimizer.0.step"), b.metadata.at("optimizer.0.step"));
    EXPECT_EQ(a.metadata.at("optimizer.group.0.lr"), b.metadata.at("optimizer.group.0.lr"));
}

TEST(BigramCli, AMillionStepsInSteadyMemory) {
    // The lecture model for 1,000,000 full-batch steps: the resident size must not grow with the steps
    // (a leak of 8 bytes a step would add 8 MB).
    auto [status, out] = run("--steps 1000000 --quiet --json --generate 0");
    ASSERT_EQ(status, 0) << out;
    const auto j = last_json(out);
    EXPECT_LT(j["rss_mb_end"].get<double>() - j["rss_mb_start"].get<double>(), 2.0) << j.dump();
    EXPECT_LT(j["train_loss"].get<double>() - j["count_train_floor"].get<double>(), 1e-4);
}

// embedding_vs_linear: sizes that cannot be allocated and a plot path that cannot be written are named
// errors (exit 1), the plot's checked before any timing; never an abort.
TEST(EmbeddingVsLinearCli, NamesWhatItCannotDo) {
    const std::pair<std::string, std::string> cases[] = {
        {"--dim 100000000 --vocabs 1000", "randn: cannot allocate 400000000000 bytes for shape (1000, 100000000)"},
        {"--batch 100000000000 --vocabs 1000", "out of memory for --batch 100000000000"},
        {"--plot /proc/x", "--plot /proc/x: cannot make this directory"},
        {"--vocabs 60000,1000", "--vocabs: 60000 is above --max-vocab 50257 (raise --max-vocab to time it)"},
    };
    for (const auto& c : cases) {
        auto [status, out] = testing::run_program(XGRAD_EMBEDDING_VS_LINEAR, c.first);
        EXPECT_EQ(status, 1) << c.first << "\n" << out;
        EXPECT_NE(out.find("embedding_vs_linear: error: " + c.second), std::string::npos) << c.first << "\n" << out;
    }
    auto [status, out] = testing::run_program(XGRAD_EMBEDDING_VS_LINEAR, "--plot /proc/x");
    EXPECT_EQ(out.find("forward + backward"), std::string::npos) << "timed before checking --plot:\n" << out;
}


// SIGINT/SIGTERM: the step in progress finishes, the checkpoint is saved (to --save), the program says how to
// go on and exits 128 + the signal; resumed to k + 500 steps it equals an unbroken run of k + 500 steps.
TEST(BigramCli, AnInterruptedOrTerminatedRunSavesAndResumesToTheSameNumbers) {
    for (const auto& [signal, status_want, said] : {std::tuple{"INT", 130, "interrupted"}, std::tuple{"TERM", 143, "terminated"}}) {
        SCOPED_TRACE(signal);
        const std::string ckpt = ::testing::TempDir() + "/bigram_stop_" + std::to_string(::getpid()) + signal + ".safetensors";
        auto [st, out] = testing::run_program(std::string("timeout --preserve-status -s ") + signal + " 1",
                                              std::string(XGRAD_BIGRAM) + " --quiet --generate 0 --steps 100000000 --save " + ckpt);
        ASSERT_EQ(st, status_want) << out;
        std::smatch m;
        ASSERT_TRUE(std::regex_search(out, m, std::regex(std::string("bigram: ") + said + " at step ([0-9]+) of 100000000; saved to " +
                                                         ckpt + " \\(go on with --resume " + ckpt + " --steps 100000000\\)")))
            << out;
        const std::string steps = std::to_string(std::stol(m[1]) + 500);
        auto [st2, resumed] = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --json --resume " + ckpt + " --steps " + steps);
        ASSERT_EQ(st2, 0) << resumed;
        auto [st3, whole] = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --json --steps " + steps);
        ASSERT_EQ(st3, 0) << whole;
        EXPECT_EQ(testing::last_json(resumed)["train_loss"], testing::last_json(whole)["train_loss"]);
        EXPECT_EQ(testing::last_json(resumed)["steps"], testing::last_json(whole)["steps"]);
        fs::remove(ckpt);
    }
}

// An output that is an input, by any name, is refused before training; the text is left as it was.
TEST(BigramCli, ASaveThatIsTheCorpusOrTheValidationTextIsRefused) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("bigram_same_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string text = (dir / "c.txt").string(), valid = (dir / "v.txt").string();
    std::ofstream(text) << "the cat ate the dog . the dog ran .\n";
    std::ofstream(valid) << "the dog ate the cat .\n";
    fs::create_symlink(text, dir / "link.txt");
    for (const auto& [save, what] : {std::pair{text, "the training text " + text}, {(dir / "link.txt").string(), "the training text " + text},
                                     {valid, "the validation text " + valid}}) {
        auto [st, out] = testing::run_program(XGRAD_BIGRAM, "--corpus " + text + " --valid " + valid + " --min-count 1 --save " + save);
        EXPECT_EQ(st, 1) << out;
        EXPECT_NE(out.find("--save " + save + " is " + what + " itself"), std::string::npos) << out;
        EXPECT_EQ(out.find("loss after"), std::string::npos) << "trained before refusing:\n" << out;
    }
    EXPECT_EQ(nn::read_file(text), "the cat ate the dog . the dog ran .\n");
    fs::remove_all(dir);
}

// Checkpoints written before the corpus hash's offset basis was corrected (FNV-1a's is 14695981039346656037;
// they used 1469598103934665603) still resume on their text; another text is still refused.
TEST(BigramCli, ACheckpointWithTheOlderCorpusHashResumes) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("bigram_hash_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string text = (dir / "c.txt").string(), ckpt = (dir / "c.safetensors").string();
    const std::string words = "the cat ate the dog . the dog ran .\n";
    std::ofstream(text) << words;
    auto [st, out] = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --corpus " + text + " --min-count 1 --steps 10 --save " + ckpt);
    ASSERT_EQ(st, 0) << out;
    nn::SafetensorsFile f = nn::load_safetensors(ckpt);
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : words) h = (h ^ c) * 1099511628211ULL;
    f.metadata["corpus"] = fmt::format("{}, {} bytes, fnv1a64 {:016x}", text, words.size(), h);
    nn::save_safetensors(ckpt, f.tensors, f.metadata);
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --resume " + ckpt + " --steps 20");
    EXPECT_EQ(st, 0) << out;
    std::ofstream(text) << "the dog ate the cat . the cat ran .\n";  // same size, another text
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --resume " + ckpt + " --steps 30");
    EXPECT_EQ(st, 1) << out;
    EXPECT_NE(out.find("resume on the same text"), std::string::npos) << out;
    fs::remove_all(dir);
}

// Tokens are bytes: a Latin-1 text's vocabulary ("caf\xe9") is saved and resumed exactly (tokens that are not
// UTF-8 go into the checkpoint's JSON as byte lists); a corpus path that is not UTF-8 is refused before
// training when --save would record it.
TEST(BigramCli, ALatin1TextSavesAndResumesItsVocabularyExactly) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("bigram_latin1_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string text = (dir / "l.txt").string(), ckpt = (dir / "l.safetensors").string();
    std::ofstream(text) << "caf\xe9 au lait caf\xe9 noir th\xe9 au lait\n";
    auto [st, out] = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --corpus " + text + " --min-count 1 --steps 50 --save " + ckpt);
    ASSERT_EQ(st, 0) << out;
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --resume " + ckpt + " --steps 60 --neighbors 'caf\xe9'");
    EXPECT_EQ(st, 0) << out;
    EXPECT_NE(out.find("nearest tokens to \"caf\xe9\""), std::string::npos) << out;
    EXPECT_NE(out.find("th\xe9"), std::string::npos) << out;
    const std::string odd = (dir / "l\xff.txt").string();
    fs::copy_file(text, odd);
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --corpus '" + odd + "' --min-count 1 --save " +
                                                               (dir / "x.safetensors").string());
    EXPECT_EQ(st, 1) << out;
    EXPECT_NE(out.find("the path is not UTF-8 text"), std::string::npos) << out;
    EXPECT_EQ(out.find("loss after"), std::string::npos) << "trained before refusing:\n" << out;
    fs::remove_all(dir);
}

// What a resume cannot honour is said, not ignored: --seed (the checkpoint's generator goes on), a --steps
// total below the checkpoint's step (naming the default when --steps was not given), a schedule the
// checkpoint's metadata garbles; and --epochs too large to count in steps.
TEST(BigramCli, ResumeAndStepFlagsSayWhatTheyCannotDo) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("bigram_flags_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string ckpt = (dir / "c.safetensors").string();
    auto [st, out] = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --steps 10 --save " + ckpt);
    ASSERT_EQ(st, 0) << out;
    for (const auto& [args, part] : std::vector<std::pair<std::string, std::string>>{
             {"--resume " + ckpt + " --seed 5 --steps 20", "--seed: a resumed run goes on with the checkpoint's generator"},
             {"--resume " + ckpt, "the default of 5 steps: the checkpoint " + ckpt + " is already at step 10"},
             {"--corpus " XGRAD_SOURCE_DIR "/data/names/train.txt --level char --batch 64 --epochs 4611686018427387904",
              "--epochs 4611686018427387904: 4611686018427387904 epochs of 3210 steps is more steps than a run can count"}}) {
        std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 " + args);
        EXPECT_EQ(st, 1) << args << ":\n" << out;
        EXPECT_NE(out.find(part), std::string::npos) << args << ":\n" << out;
    }
    nn::SafetensorsFile f = nn::load_safetensors(ckpt);
    f.metadata["schedule"] = "cosinus";
    nn::save_safetensors(ckpt, f.tensors, f.metadata);
    std::tie(st, out) = testing::run_program(XGRAD_BIGRAM, "--quiet --generate 0 --resume " + ckpt + " --steps 20");
    EXPECT_EQ(st, 1) << out;
    EXPECT_NE(out.find("corrupt checkpoint metadata: schedule \"cosinus\""), std::string::npos) << out;
    fs::remove_all(dir);
}

}  // namespace
}  // namespace xgrad
