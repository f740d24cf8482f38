// The GPT-2 reference cases of tests/reference/text/gpt2_cases.json (made by
// scripts/make_tokenizer_reference.js from tiktoken): each case's text and tiktoken's ids.
#pragma once
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "text/ranks.hpp"

namespace xgrad::text::testing {

inline std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// FNV-1a 64 over each id's four little-endian bytes, as the script hashes long id lists.
inline std::string fnv1a64(const std::vector<Token>& ids) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const Token id : ids)
        for (int k = 0; k < 4; ++k) h = (h ^ ((id >> (8 * k)) & 0xFF)) * 0x100000001b3ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

struct Case {
    std::string name, text;
    std::vector<Token> ids, ordinary;  // ids empty when only the hash is stored
    std::size_t n_ids = 0;
    std::string hash;  // fnv1a64 of the ids
    long refused = -1;  // byte offset of the special token a default encode refuses, or -1
};

inline std::vector<Case> load_cases() {
    const auto json = nlohmann::json::parse(read_all(std::string(XGRAD_TEST_DATA) + "/text/gpt2_cases.json"));
    std::vector<Case> out;
    for (const auto& j : json) {
        Case c;
        c.name = j.at("name");
        if (j.contains("text")) c.text = j.at("text");
        else if (const auto& m = j.at("make"); m.contains("repeat"))
            for (int i = 0; i < m.at("times").get<int>(); ++i) c.text += m.at("repeat").get<std::string>();
        else if (m.contains("file")) c.text = read_all(std::string(XGRAD_SOURCE_DIR) + "/" + m.at("file").get<std::string>());
        else {
            std::uint64_t seed = m.at("seed");
            for (int i = 0; i < m.at("letters").get<int>(); ++i) {
                seed = (seed * 1103515245 + 12345) % 2147483648ull;
                c.text += static_cast<char>('a' + (seed >> 16) % 26);
            }
        }
        if (j.contains("ids")) {
            c.ids = j.at("ids").get<std::vector<Token>>();
            c.n_ids = c.ids.size();
            c.hash = fnv1a64(c.ids);
        } else {
            c.n_ids = j.at("n_ids");
            c.hash = j.at("fnv1a64");
        }
        c.ordinary = j.contains("ordinary") ? j.at("ordinary").get<std::vector<Token>>() : c.ids;
        if (j.contains("refused")) c.refused = j.at("refused");
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace xgrad::text::testing
