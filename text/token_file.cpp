#include "text/token_file.hpp"

#include <cstdint>
#include <cstring>

#include "nn/serialize.hpp"
#include "tensor/error.hpp"

namespace xgrad::text {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) out += static_cast<char>((v >> (8 * k)) & 0xFF);
}
std::uint32_t get_u32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v |= std::uint32_t{static_cast<unsigned char>(s[at + k])} << (8 * k);
    return v;
}

}  // namespace

void write_token_file(const std::string& path, const std::vector<Token>& ids) {
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] > 0xFFFF)
            throw FileError(path + ": id " + std::to_string(ids[i]) + " (token " + std::to_string(i) +
                            ") does not fit the uint16 of llm.c's version 1 token files");
    if (ids.size() > 0x7FFFFFFF) throw FileError(path + ": " + std::to_string(ids.size()) + " tokens are more than a token file's int32 count holds");
    std::string out;
    out.reserve(1024 + 2 * ids.size());
    put_u32(out, kTokenFileMagic);
    put_u32(out, 1);
    put_u32(out, static_cast<std::uint32_t>(ids.size()));
    out.resize(1024, '\0');
    for (const Token id : ids) {
        out += static_cast<char>(id & 0xFF);
        out += static_cast<char>(id >> 8);
    }
    nn::write_file_atomic(path, out);
}

std::vector<Token> read_token_file(const std::string& path) {
    const std::string s = nn::read_file(path);
    if (s.size() < 1024)
        throw FileError(path + ": " + std::to_string(s.size()) + " bytes, shorter than a token file's 1024-byte header");
    if (get_u32(s, 0) != static_cast<std::uint32_t>(kTokenFileMagic))
        throw FileError(path + ": byte 0: magic " + std::to_string(static_cast<std::int32_t>(get_u32(s, 0))) +
                        ", not llm.c's token file magic 20240520");
    const std::uint32_t version = get_u32(s, 4);
    if (version != 1 && version != 2)
        throw FileError(path + ": byte 4: version " + std::to_string(version) + " (llm.c's token files are version 1, uint16 ids, or 2, uint32)");
    const std::size_t width = version == 1 ? 2 : 4;
    const std::size_t count = get_u32(s, 8);
    if (s.size() != 1024 + count * width)
        throw FileError(path + ": byte 8: the header says " + std::to_string(count) + " tokens (" +
                        std::to_string(1024 + count * width) + " bytes in all) but the file has " + std::to_string(s.size()) + " bytes");
    std::vector<Token> ids(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t at = 1024 + i * width;
        ids[i] = width == 2 ? Token(static_cast<unsigned char>(s[at])) | Token(static_cast<unsigned char>(s[at + 1])) << 8 : get_u32(s, at);
    }
    return ids;
}

}  // namespace xgrad::text
