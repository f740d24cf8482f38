// llm.c's token files, so xgrad's data and llm.c's are interchangeable: a header of 256 little-endian
// int32 (magic 20240520, version, token count, the rest 0), then the ids — uint16 in version 1 (GPT-2),
// uint32 in version 2 (llm.c's Llama 3 files).
#pragma once
#include <string>
#include <vector>

#include "text/ranks.hpp"

namespace xgrad::text {

constexpr int kTokenFileMagic = 20240520;

/// Writes `ids` whole or not at all: version 1 (uint16) when every id fits, else FileError naming the
/// first id that does not (version 2 is read, not written: llm.c's GPT-2 programs read version 1).
void write_token_file(const std::string& path, const std::vector<Token>& ids);
/// Reads a version 1 or 2 file; FileError names the file and what is wrong (magic, version, a count
/// the file's size does not hold).
std::vector<Token> read_token_file(const std::string& path);

}  // namespace xgrad::text
