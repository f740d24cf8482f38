// The programs' file checks (see files.hpp).
#include "programs/files.hpp"

#include <cstdio>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "nn/serialize.hpp"

namespace xgrad::programs {

namespace fs = std::filesystem;

void check_writable(const std::string& path, const std::string& flag) {
    try {
        nn::check_writable(path);
    } catch (const FileError& e) {
        throw FileError(fmt::format("{} {}", flag, e.what()));
    }
}

std::string make_output_dir(const std::string& dir, const std::string& flag, const std::string& file) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw FileError(fmt::format("{} {}: cannot make this directory: {}", flag, dir, ec ? ec.message() : "a file is in the way"));
    const std::string path = dir + "/" + file;
    check_writable(path, flag);
    return path;
}

void check_not_input(const std::string& output, const std::string& flag, const std::string& input, const std::string& what) {
    struct stat out {}, in {};
    if (output.empty() || input.empty() || ::stat(output.c_str(), &out) != 0 || ::stat(input.c_str(), &in) != 0) return;
    if (out.st_dev == in.st_dev && out.st_ino == in.st_ino)
        throw FileError(fmt::format("{} {} is {} {} itself: writing it would replace the {}", flag, output, what, input,
                                    what.substr(what.find(' ') + 1)));
}

double rss_mb() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    long pages = 0, resident = 0;
    const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
    std::fclose(f);
    return n == 2 ? double(resident) * double(::sysconf(_SC_PAGESIZE)) / 1048576.0 : 0;
}

double physical_memory_bytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? double(pages) * double(size) : 0;
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

uint64_t fnv1a64(std::string_view bytes) {
    uint64_t h = 14695981039346656037ULL;  // the offset basis
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
    return h;
}

}  // namespace xgrad::programs
