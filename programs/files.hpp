// The checks a program runs on its command line's files before a long job, so that nothing it trains
// is lost to a typo: outputs that cannot be written, outputs that are an input, figure folders.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace xgrad::programs {

/// Fails early when `path` cannot be written (nn::check_writable), the FileError naming the flag:
/// "--save out/ck.safetensors: cannot write there: out is not a directory".
void check_writable(const std::string& path, const std::string& flag);

/// Makes the folder `dir` (with its parents) for a program's figures and checks that `file` can be
/// written in it; FileError "--plot DIR: cannot make this directory: …" otherwise. Returns dir + "/" + file.
std::string make_output_dir(const std::string& dir, const std::string& flag, const std::string& file);

/// Refuses an output that is the same file as an input, by any name (hard link, symbolic link, "./x"):
/// the device and inode are compared, not the strings. FileError "--save c.txt is the training text
/// c.txt itself: writing it would replace the text". Nothing happens while `output` does not exist.
void check_not_input(const std::string& output, const std::string& flag, const std::string& input,
                     const std::string& what);

/// Resident set size of this process in MB (Linux /proc/self/statm; 0 where it is missing).
double rss_mb();

/// Bytes of physical memory of this machine (0 where unknown).
double physical_memory_bytes();

/// FNV-1a, 64 bits: a file's fingerprint that a checkpoint records and a resume compares.
uint64_t fnv1a64(std::string_view bytes);

}  // namespace xgrad::programs
