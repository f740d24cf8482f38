// safetensors and .npy: round trips, a file laid out by hand, bad files named with what is wrong,
// and atomic writes that never leave a half-written file.
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.hpp"

namespace xgrad {
namespace {

using namespace nn;
namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() : path_(fs::temp_directory_path() / fs::path("xgrad_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))) {
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
    static inline int counter_ = 0;
};

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
}

std::string with_header(const std::string& json, const std::string& data) {
    std::string out(8, '\0');
    const uint64_t n = json.size();
    std::memcpy(out.data(), &n, 8);
    return out + json + data;
}

TEST(Safetensors, StateDictRoundTripReproducesOutputsExactly) {
    TempDir dir;
    manual_seed(3);
    Sequential a(make<Embedding>(10, 4), make<Linear>(4, 6));
    save(a, dir.file("model.safetensors"));
    manual_seed(4);
    Sequential b(make<Embedding>(10, 4), make<Linear>(4, 6));
    load(b, dir.file("model.safetensors"));
    const IdArray ids = {3, 1, 9};
    EXPECT_TRUE(testing::all_equal(a.forward(ids).data(), b.forward(ids).data()));
    const SafetensorsFile f = load_safetensors(dir.file("model.safetensors"));
    EXPECT_EQ(f.tensors.size(), 3u);
    EXPECT_EQ(f.tensors.count("1.bias"), 1u);
}

TEST(Safetensors, ReadsAFileLaidOutByHand) {
    // Two tensors in the layout of the safetensors spec, written byte by byte; header padded with spaces.
    TempDir dir;
    const float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {-1, 0.5f};
    std::string data(reinterpret_cast<const char*>(b), 8);
    data.append(reinterpret_cast<const char*>(w), 24);
    const std::string json =
        R"({"__metadata__":{"format":"pt"},"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}    )";
    write_bytes(dir.file("hand.safetensors"), with_header(json, data));
    const SafetensorsFile f = load_safetensors(dir.file("hand.safetensors"));
    EXPECT_EQ(f.metadata.at("format"), "pt");
    EXPECT_TRUE(testing::all_equal(f.tensors.at("fc.weight").data(), Array{{1, 2, 3}, {4, 5, 6}}));
    EXPECT_TRUE(testing::all_equal(f.tensors.at("fc.bias").data(), Array{-1, 0.5f}));
    struct Net : Module {
        Ptr<Linear> fc = register_module("fc", make<Linear>(3, 2));
    } s;
    load(s, dir.file("hand.safetensors"));
    EXPECT_TRUE(testing::all_close(s.fc(tensor({{1, 0, 0}})), Array{{0, 4.5f}}));
}

TEST(Safetensors, BadFilesNameTheFileAndTheProblem) {
    TempDir dir;
    EXPECT_TRUE(testing::throws_with<FileError>([&] { load_safetensors(dir.file("")); }, {"is a directory"}));
    const std::string p = dir.file("bad.safetensors");
    const std::string good_json = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string data(8, '\0');
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"", {"bad.safetensors", "fewer than the 8"}},
        {std::string("\xff\xff\xff\xff\0\0\0\0", 8) + "{}", {"header length", "only 2 follow"}},
        {with_header("{\"w\": [", data), {"JSON header is malformed near byte"}},
        {with_header("[1, 2]", ""), {"not a JSON object"}},
        {with_header(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", data), {"\"w\"", "F16"}},
        {with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data), {"\"w\"", "needs 12 bytes"}},
        {with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data), {"\"w\"", "outside the 8 data bytes"}},
        {with_header(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", data), {"\"w\"", "not a list of sizes"}},
        {with_header(R"({"w":{"dtype":"F32","shape":[2]}})", data), {"lacks"}},
        {with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data), {"overlap"}},
        {with_header(good_json, data).substr(0, 66), {"bad.safetensors"}},  // truncated data
    };
    for (const auto& [bytes, parts] : cases) {
        write_bytes(p, bytes);
        EXPECT_TRUE(testing::throws_with<FileError>([&] { load_safetensors(p); }, std::initializer_list<std::string>{}))
            << "bytes: " << bytes.size();
        try {
            load_safetensors(p);
        } catch (const FileError& e) {
            for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    }
    EXPECT_TRUE(testing::throws_with<FileError>([&] { load_safetensors(dir.file("missing.safetensors")); },
                                                {"missing.safetensors", "cannot open"}));
}

TEST(Safetensors, LoadIntoAModelNamesMismatchedKeys) {
    TempDir dir;
    save_safetensors(dir.file("w.safetensors"), {{"weight", Tensor(full_array({3, 2}, 1))}});
    Embedding emb(4, 2);
    EXPECT_TRUE(testing::throws_with<FileError>([&] { load(emb, dir.file("w.safetensors")); },
                                                {"w.safetensors", "weight", "(3, 2)", "(4, 2)"}));
}

TEST(Safetensors, ASaveIsTheHeaderThenEachTensorAndTheMetadataReadsAlone) {
    // The file is byte for byte what the format says (streamed from the tensors, in name order), and
    // load_safetensors_metadata reads the header only, checking it as a load does.
    TempDir dir;
    const std::string p = dir.file("s.safetensors");
    save_safetensors(p, {{"b", Tensor(Array{1, 2})}, {"a", Tensor(Array{3, 4, 5}).reshape({3, 1})}}, {{"note", "hi"}});
    const std::string json = R"({"__metadata__":{"note":"hi"},"a":{"data_offsets":[0,12],"dtype":"F32","shape":[3,1]},)"
                             R"("b":{"data_offsets":[12,20],"dtype":"F32","shape":[2]}})";
    const float data[5] = {3, 4, 5, 1, 2};
    const std::string padded = json + std::string((8 - json.size() % 8) % 8, ' ');
    EXPECT_EQ(read_file(p), with_header(padded, std::string(reinterpret_cast<const char*>(data), 20)));
    EXPECT_EQ(load_safetensors_metadata(p), (std::map<std::string, std::string>{{"note", "hi"}}));
    write_bytes(p, read_file(p).substr(0, 8 + padded.size() + 16));  // the last tensor cut short
    EXPECT_TRUE(testing::throws_with<FileError>([&] { load_safetensors_metadata(p); }, {"s.safetensors", "\"b\"", "outside the 16 data bytes"}));
}

TEST(Safetensors, LoadsFromAPipe) {
    // A FIFO cannot be read at offsets: it is read as a stream, as before.
    TempDir dir;
    save_safetensors(dir.file("w.safetensors"), {{"w", Tensor(Array{7, 8, 9})}});
    const std::string fifo = dir.file("pipe");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        const std::string bytes = read_file(dir.file("w.safetensors"));
        std::ofstream(fifo, std::ios::binary) << bytes;
        ::_exit(0);
    }
    const SafetensorsFile f = load_safetensors(fifo);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(testing::all_equal(f.tensors.at("w").data(), Array{7, 8, 9}));
}

TEST(AtomicWrite, PiecesAreWrittenInOrderAndAFailureCountsAllOfThem) {
    TempDir dir;
    const std::string p = dir.file("pieces");
    const std::string a = "head", b(5000, 'x');
    write_file_atomic(p, std::vector<std::string_view>{a, {}, b, "tail"});
    EXPECT_EQ(read_file(p), a + b + "tail");
    const pid_t child = ::fork();
    if (child == 0) {  // a 4 KB file size limit: the second piece fails, the message counts every byte
        struct rlimit lim {4096, 4096};
        ::setrlimit(RLIMIT_FSIZE, &lim);
        try {
            write_file_atomic(p, std::vector<std::string_view>{a, b, "tail"});
        } catch (const FileError& e) {
            ::_exit(std::string(e.what()).find("after 4096 of 5008 bytes") != std::string::npos ? 0 : 3);
        }
        ::_exit(4);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(read_file(p), a + b + "tail") << "the old file stays whole";
}

TEST(Npy, RoundTripAndHeader) {
    TempDir dir;
    const Array a = {{1.5f, -2, 3}, {4, 5, 6.25f}};
    save_npy(dir.file("a.npy"), a);
    EXPECT_TRUE(testing::all_equal(load_npy(dir.file("a.npy")), a));
    const std::string bytes = read_file(dir.file("a.npy"));
    EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
    EXPECT_NE(bytes.find("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), std::string::npos);
    EXPECT_EQ((bytes.size() - 24) % 64, 0u);  // header padded to 64 bytes
    save_npy(dir.file("v.npy"), Array{7});
    EXPECT_NE(read_file(dir.file("v.npy")).find("'shape': (1,)"), std::string::npos);
    save_npy(dir.file("s.npy"), Array(3.0f));
    EXPECT_EQ(load_npy(dir.file("s.npy")).dimension(), 0u);
    write_bytes(dir.file("bad.npy"), bytes.substr(0, bytes.size() - 4));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { load_npy(dir.file("bad.npy")); }, {"bad.npy", "data bytes"}));
    write_bytes(dir.file("bad.npy"), "hello");
    EXPECT_TRUE(testing::throws_with<FileError>([&] { load_npy(dir.file("bad.npy")); }, {"bad.npy", "magic"}));
}

TEST(AtomicWrite, AFailedSaveLeavesThePreviousFileIntact) {
    TempDir dir;
    const std::string p = dir.file("ckpt.safetensors");
    save_safetensors(p, {{"w", Tensor(Array{1, 2})}});
    // A directory stands where the temporary file would go: the write fails before touching p.
    fs::create_directory(p + ".tmp." + std::to_string(::getpid()));
    EXPECT_THROW(save_safetensors(p, {{"w", Tensor(Array{3, 4})}}), FileError);
    EXPECT_TRUE(testing::all_equal(load_safetensors(p).tensors.at("w").data(), Array{1, 2}));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { save_npy(dir.file("no/such/dir/a.npy"), Array{1}); },
                                                {"no/such/dir/a.npy", "cannot write"}));
}

// A header is JSON: bytes that are not UTF-8 in a metadata value or a tensor name are a named ValueError,
// and the file already there stays as it was.
TEST(AtomicWrite, MetadataThatIsNotUtf8IsNamedAndNothingIsWritten) {
    TempDir dir;
    const std::string p = dir.file("ckpt.safetensors");
    save_safetensors(p, {{"w", Tensor(Array{1, 2})}});
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { save_safetensors(p, {{"w", Tensor(Array{3, 4})}}, {{"vocab", "caf\xe9"}}); },
                                                 {"ckpt.safetensors", "not UTF-8", "nothing was written"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { save_safetensors(p, {{"w\xff", Tensor(Array{3, 4})}}); }, {"not UTF-8"}));
    EXPECT_TRUE(testing::all_equal(load_safetensors(p).tensors.at("w").data(), Array{1, 2}));
    for (const char* good : {"", "the cat", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"})
        EXPECT_TRUE(is_utf8(good)) << good;
    // Latin-1, a cut sequence, a stray continuation, overlong, a surrogate, past U+10FFFF, 0xff
    for (const char* bad : {"caf\xe9", "\xe2\x82", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"})
        EXPECT_FALSE(is_utf8(bad)) << bad;
}

// A file name of 252 bytes saves (its temporary file's name is cut and hashed to fit 255 bytes); one of
// 256 is named by the early check. A write past `ulimit -f` is a FileError (no SIGXFSZ), the old file kept.
TEST(SaveTarget, LongNamesAndAFileSizeLimit) {
    TempDir dir;
    const std::string p = dir.file(std::string(248, 'a') + ".npy");
    save_npy(p, Array{1, 2, 3});
    EXPECT_TRUE(testing::all_equal(load_npy(p), Array{1, 2, 3}));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { check_writable(dir.file(std::string(256, 'b'))); },
                                                {"the file name is 256 bytes long"}));
    const std::string big = dir.file("big.npy");
    save_npy(big, Array{1});
    const pid_t child = ::fork();
    if (child == 0) {  // the limit in a child: 4 KB
        struct rlimit lim {4096, 4096};
        ::setrlimit(RLIMIT_FSIZE, &lim);
        try {
            save_npy(big, full_array({10000}, 1.0f));
        } catch (const FileError& e) {
            ::_exit(std::string(e.what()).find("File too large") != std::string::npos ? 0 : 3);
        }
        ::_exit(4);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_TRUE(testing::all_equal(load_npy(big), Array{1}));
    for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

// A save in progress in a process this one cannot see (another pid namespace) holds a lock on its
// temporary file: the next run's cleanup leaves it; once the writer is gone, it is removed.
TEST(SaveTarget, ALockedTemporaryIsAliveWhateverItsPid) {
    TempDir dir;
    const std::string p = dir.file("ck.safetensors");
    const pid_t gone = ::fork();
    if (gone == 0) ::_exit(0);
    ::waitpid(gone, nullptr, 0);
    const std::string tmp = p + ".tmp." + std::to_string(gone);  // a pid no process of ours has
    std::ofstream(tmp) << "half a checkpoint";
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t writer = ::fork();
    if (writer == 0) {  // holds the lock as a writer in another namespace would
        const int fd = ::open(tmp.c_str(), O_RDONLY);
        ::flock(fd, LOCK_EX);
        char c = 1;
        (void)!::write(ready[1], &c, 1);
        ::pause();
        ::_exit(0);
    }
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    check_writable(p);
    EXPECT_TRUE(fs::exists(tmp)) << "a locked temporary was taken as stale";
    ::kill(writer, SIGKILL);
    ::waitpid(writer, nullptr, 0);
    check_writable(p);
    EXPECT_FALSE(fs::exists(tmp)) << "a stale temporary was left";
    ::close(ready[0]), ::close(ready[1]);
}

TEST(SaveTarget, ASymbolicLinkIsFollowedToItsFile) {
    TempDir dir;
    const std::string real = dir.file("real.safetensors"), link = dir.file("link.safetensors");
    save_safetensors(real, {{"w", Tensor(Array{1, 2})}});
    fs::create_symlink("real.safetensors", link);  // relative, as `ln -s` makes them
    save_safetensors(link, {{"w", Tensor(Array{3, 4})}});
    EXPECT_TRUE(fs::is_symlink(link));  // the link stays a link ...
    EXPECT_TRUE(testing::all_equal(load_safetensors(real).tensors.at("w").data(), Array{3, 4}));  // ... its file is new
    // A dangling link: the save creates the file it names.
    fs::create_symlink(dir.file("new.npy"), dir.file("dangling.npy"));
    save_npy(dir.file("dangling.npy"), Array{5});
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.file("new.npy"))));
    EXPECT_TRUE(fs::is_symlink(dir.file("dangling.npy")));
}

TEST(SaveTarget, AFifoADeviceOrADirectoryIsRefusedNotReplaced) {
    TempDir dir;
    const std::string fifo = dir.file("pipe");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
    EXPECT_TRUE(testing::throws_with<FileError>([&] { save_npy(fifo, Array{1}); }, {"pipe", "FIFO", "regular file"}));
    EXPECT_TRUE(fs::is_fifo(fifo));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { check_writable(fifo); }, {"pipe", "FIFO"}));
    // A link to a device: refused, naming where it leads; the link and the device stay.
    fs::create_symlink("/dev/null", dir.file("null"));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { check_writable(dir.file("null")); },
                                                {"null", "character device", "/dev/null"}));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { write_file_atomic(dir.file("null"), "x"); }, {"character device"}));
    EXPECT_TRUE(fs::is_symlink(dir.file("null")));
    EXPECT_TRUE(fs::is_character_file("/dev/null"));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { check_writable("/dev/full"); }, {"/dev/full", "character device"}));
    fs::create_directory(dir.file("d"));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { write_file_atomic(dir.file("d"), "x"); }, {"is a directory"}));
    // Links that loop.
    fs::create_symlink("b", dir.file("a"));
    fs::create_symlink("a", dir.file("b"));
    EXPECT_TRUE(testing::throws_with<FileError>([&] { check_writable(dir.file("a")); }, {"symbolic links"}));
}

TEST(SaveTarget, TemporariesOfKilledSavesAreRemovedOthersKept) {
    TempDir dir;
    const std::string p = dir.file("ckpt.safetensors");
    const pid_t child = ::fork();  // a process id that is certainly gone
    if (child == 0) ::_exit(0);
    ASSERT_GT(child, 0);
    ::waitpid(child, nullptr, 0);
    const std::string stale = p + ".tmp." + std::to_string(child), live = p + ".tmp." + std::to_string(::getppid()),
                      other = p + ".tmp.notapid", elsewhere = dir.file("other.safetensors.tmp." + std::to_string(child));
    for (const auto& f : {stale, live, other, elsewhere}) std::ofstream(f) << "half a checkpoint";
    check_writable(p);  // a program's start: the stale one goes
    EXPECT_FALSE(fs::exists(stale));
    std::ofstream(stale) << "half a checkpoint";
    save_safetensors(p, {{"w", Tensor(Array{1})}});  // and a save
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(live));       // its process runs: perhaps a save in progress
    EXPECT_TRUE(fs::exists(other));      // not a name of ours
    EXPECT_TRUE(fs::exists(elsewhere));  // another file's
}

}  // namespace
}  // namespace xgrad
