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

uint64_t fnv1a64(std::string_view bytes) {
    uint64_t h = 14695981039346656037ULL;  // the offset basis
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
    return h;
}

}  // namespace xgrad::programs
