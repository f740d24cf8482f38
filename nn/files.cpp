// Files written whole or not at all, and the checks a program runs before a long job writes one.
//
// A save goes to `<target>.tmp.<pid>` beside its target, is flushed to disk and renamed over it, so a
// crash at any moment leaves the old file or the new one, never half of one. The target is where the
// path leads: a symbolic link is followed (the link stays, its file is replaced); a FIFO, a device, a
// socket or a directory is refused, never replaced by a regular file. A temporary file left by a save
// that was killed is removed by the next save to the same target (only when its process is gone and it
// holds no lock: a writer holds one while it writes). A write past `ulimit -f` is an error, not SIGXFSZ.
#include "nn/serialize.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace xgrad::nn {

namespace fs = std::filesystem;

namespace {

// The file a write to `path` replaces: symbolic links followed (at most 40, as the kernel's limit).
fs::path write_target(const std::string& path, const std::string& shown) {
    fs::path p = path;
    for (int links = 0;; ++links) {
        std::error_code ec;
        const auto st = fs::symlink_status(p, ec);
        if (ec || st.type() != fs::file_type::symlink) return p;
        if (links == 40) throw FileError(fmt::format("{}: too many levels of symbolic links", shown));
        const fs::path to = fs::read_symlink(p, ec);
        if (ec) throw FileError(fmt::format("{}: cannot read the symbolic link: {}", shown, ec.message()));
        p = to.is_absolute() ? to : p.parent_path() / to;
    }
}

const char* kind_name(fs::file_type t) {
    switch (t) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::fifo: return "a FIFO (named pipe)";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
    }
}

// Throws unless `target` is a regular file or nothing yet.
void check_kind(const fs::path& target, const std::string& shown) {
    std::error_code ec;
    const auto st = fs::status(target, ec);
    if (st.type() == fs::file_type::not_found || st.type() == fs::file_type::regular) return;
    const std::string via = target.string() == shown ? "" : fmt::format(" (the link leads to {})", target.string());
    throw FileError(fmt::format("{}: is {}{}; only a regular file or a new path can be saved to", shown,
                                kind_name(st.type()), via));
}

// Throws unless the target's file name fits the 255 bytes a name may have.
void check_name(const fs::path& target, const std::string& shown) {
    const std::size_t n = target.filename().string().size();
    if (n > 255) throw FileError(fmt::format("{}: the file name is {} bytes long; a file name holds at most 255", shown, n));
}

fs::path parent_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

// The start of the name of a temporary file for `target`: "<name>.tmp." (then the writer's pid). A name
// too long to take the suffix within the 255 bytes a file name may have is cut to 200 bytes and told
// apart from other long names by a hash of the whole name.
std::string temp_prefix(const fs::path& target) {
    const std::string name = target.filename().string();
    if (name.size() + 5 + 10 <= 255) return name + ".tmp.";
    uint64_t h = 14695981039346656037ULL;  // FNV-1a
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
    return fmt::format("{}.{:016x}.tmp.", name.substr(0, 200), h);
}

// Removes the temporary files of earlier saves to `target` whose writer is gone: regular files named
// temp_prefix + a pid, that pid not a running process of ours, and no lock on the file. The writer holds
// an flock while it writes, so a live save of a process this one cannot see (another pid namespace: a
// container on a shared volume) is left alone.
void remove_stale_temporaries(const fs::path& target) {
    const std::string prefix = temp_prefix(target);
    std::error_code ec;
    for (fs::directory_iterator it(parent_of(target), ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string digits = name.substr(prefix.size());
        if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(digits));
        std::error_code e2;
        if (pid == ::getpid() || !fs::is_regular_file(fs::symlink_status(it->path(), e2))) continue;
        if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // its process still runs (or is not ours to see)
        const int fd = ::open(it->path().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) fs::remove(it->path(), e2);  // no writer holds it: stale
        ::close(fd);
    }
}

// While one lives, SIGXFSZ (a write past `ulimit -f`) is ignored, so the write fails with EFBIG and the
// save is reported and cleaned up instead of the process being killed.
struct IgnoreFileSizeSignal {
    struct sigaction old {};
    IgnoreFileSizeSignal() {
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        ::sigaction(SIGXFSZ, &ign, &old);
    }
    ~IgnoreFileSizeSignal() { ::sigaction(SIGXFSZ, &old, nullptr); }
};

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
    write_file_atomic(path, std::vector<std::string_view>{bytes});
}

namespace {

// Writes every piece to fd in order; false (errno set) when a write fails, `done` counting what was written.
bool write_pieces(int fd, const std::vector<std::string_view>& pieces, std::size_t& done) {
    for (std::string_view p : pieces) {
        for (std::size_t at = 0; at < p.size();) {
            errno = 0;  // a write of 0 bytes sets none: the caller reports EIO then
            const ssize_t n = ::write(fd, p.data() + at, p.size() - at);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            at += static_cast<std::size_t>(n);
            done += static_cast<std::size_t>(n);
        }
    }
    return true;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::vector<std::string_view>& pieces) {
    const fs::path target = write_target(path, path);
    check_name(target, path);
    check_kind(target, path);
    remove_stale_temporaries(target);
    const std::string tmp = (parent_of(target) / fmt::format("{}{}", temp_prefix(target), ::getpid())).string();
    const IgnoreFileSizeSignal no_sigxfsz;
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) throw FileError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    ::flock(fd, LOCK_EX);  // held until close: a save in progress, to any process that looks (see above)
    struct stat old {};
    if (::stat(target.c_str(), &old) == 0) ::fchmod(fd, old.st_mode & 07777);  // the replaced file's permissions
    std::size_t done = 0, total = 0;
    for (std::string_view p : pieces) total += p.size();
    if (!write_pieces(fd, pieces, done)) {
        const int e = errno == 0 ? EIO : errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw FileError(fmt::format("{}: write failed after {} of {} bytes: {}", path, done, total, std::strerror(e)));
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw FileError(fmt::format("{}: cannot flush to disk: {}", path, std::strerror(e)));
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw FileError(fmt::format("{}: cannot rename the finished temporary file into place: {}", path, std::strerror(e)));
    }
}

bool is_utf8(std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p < end) {
        const unsigned char c = *p;
        const int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || end - p <= n) return false;  // not a lead byte, or the sequence is cut off
        char32_t cp = n == 0 ? c : c & (0x3F >> n);
        for (int k = 1; k <= n; ++k) {
            if ((p[k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += n + 1;
    }
    return true;
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw FileError(fmt::format("{}: is a directory, not a file", path));
    std::ifstream f(path, std::ios::binary);
    if (!f) throw FileError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    std::ostringstream s;
    s << f.rdbuf();
    if (f.bad()) throw FileError(fmt::format("{}: read error", path));
    return s.str();
}

void check_writable(const std::string& path, const std::string& flag) {
    try {
        check_writable(path);
    } catch (const FileError& e) {
        throw FileError(fmt::format("{} {}", flag, e.what()));
    }
}

void check_writable(const std::string& path) {
    const std::string& shown = path;
    const fs::path target = write_target(path, shown);
    check_name(target, shown);
    check_kind(target, shown);
    const fs::path dir = parent_of(target);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw FileError(fmt::format("{}: cannot write there: {} is not a directory", shown, dir.string()));
    if (::access(dir.c_str(), W_OK) != 0)
        throw FileError(fmt::format("{}: cannot write there: no write permission in {}", shown, dir.string()));
    remove_stale_temporaries(target);
}

}  // namespace xgrad::nn
