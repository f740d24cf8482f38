// .npy reading and writing, token lists as JSON, and modules and training runs saved as safetensors
// (the safetensors format itself: nn/safetensors.cpp).
#include "nn/serialize.hpp"

#include <bit>
#include <cstring>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nn/file_checks.hpp"

namespace xgrad::nn {

using detail::BadFile;
using detail::ShapeReader;

static_assert(std::endian::native == std::endian::little, "xgrad's file formats assume a little-endian host");


// --- token lists -----------------------------------------------------------------------------------

std::string tokens_to_json(const std::vector<std::string>& tokens) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : tokens)
        list.push_back(is_utf8(t) ? nlohmann::json(t) : nlohmann::json{{"bytes", std::vector<unsigned char>(t.begin(), t.end())}});
    return list.dump();
}

std::vector<std::string> tokens_from_json(const std::string& json) {
    std::vector<std::string> tokens;
    try {
        for (const auto& t : nlohmann::json::parse(json)) {
            if (t.is_string()) {
                tokens.push_back(t.get<std::string>());
            } else {
                const auto bytes = t.at("bytes").get<std::vector<unsigned char>>();
                tokens.emplace_back(bytes.begin(), bytes.end());
            }
        }
    } catch (const nlohmann::json::exception& e) {
        throw ValueError(fmt::format("not a JSON list of tokens (strings, or {{\"bytes\": [...]}}): {}", e.what()));
    }
    return tokens;
}

// --- npy ----------------------------------------------------------------------------------------------

void save_npy(const std::string& path, const Array& a) {
    std::string shape;
    for (std::size_t i = 0; i < a.dimension(); ++i) shape += fmt::format("{}, ", a.shape()[i]);
    if (a.dimension() > 1) shape.resize(shape.size() - 2);
    else if (a.dimension() == 1) shape.resize(shape.size() - 1);
    std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", shape);
    const std::size_t total = 10 + dict.size() + 1;
    dict.append((64 - total % 64) % 64, ' ');
    dict += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    const uint16_t hl = static_cast<uint16_t>(dict.size());
    out.append(reinterpret_cast<const char*>(&hl), 2);
    out += dict;
    out.append(reinterpret_cast<const char*>(a.data()), a.size() * 4);
    write_file_atomic(path, out);
}

namespace {

// The header dict of a .npy file (version 1: a 2-byte length at byte 8; 2 and 3: 4 bytes) and where
// its data start.
std::string npy_dict(const std::string& bytes, std::size_t& data_start, const BadFile& fail) {
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw fail("the magic string \\x93NUMPY is missing at byte 0");
    const int major = static_cast<unsigned char>(bytes[6]);
    std::size_t hl = 0, start = 0;
    if (major == 1) {
        hl = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
        start = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw fail("the header is truncated");
        uint32_t v;
        std::memcpy(&v, bytes.data() + 8, 4);
        hl = v;
        start = 12;
    } else {
        throw fail(fmt::format("unknown format version {} at byte 6", major));
    }
    if (hl > bytes.size() - start) throw fail(fmt::format("the header length {} runs past the end of the file", hl));
    data_start = start + hl;
    return bytes.substr(start, hl);
}

// The dict's {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }: the dtype and the shape.
std::pair<std::string, ShapeReader> npy_header(const std::string& dict, const BadFile& fail) {
    auto value_of = [&](const std::string& key) {
        const auto k = dict.find("'" + key + "'");
        if (k == std::string::npos) throw fail(fmt::format("the header has no '{}'", key));
        const auto colon = dict.find(':', k);
        if (colon == std::string::npos) throw fail(fmt::format("the header's '{}' has no value", key));
        return colon + 1;
    };
    std::size_t p = value_of("descr");
    const auto q1 = dict.find('\'', p), q2 = q1 == std::string::npos ? q1 : dict.find('\'', q1 + 1);
    if (q2 == std::string::npos) throw fail("the header's 'descr' is not a string");
    const std::string descr = dict.substr(q1 + 1, q2 - q1 - 1);
    if (descr != "<f4" && descr != "<f8") throw fail(fmt::format("dtype '{}' is not supported (xgrad reads '<f4' and '<f8')", descr));
    const auto fo = dict.find_first_not_of(' ', value_of("fortran_order"));
    if (fo == std::string::npos || dict.compare(fo, 5, "False") != 0) throw fail("fortran_order is not False (save the array in C order)");
    p = value_of("shape");
    const auto open = dict.find('(', p), close = dict.find(')', p);
    if (open == std::string::npos || close == std::string::npos || close < open) throw fail("the header's 'shape' is not a tuple");
    ShapeReader shape;
    std::istringstream ss(dict.substr(open + 1, close - open - 1));
    for (std::string tok; std::getline(ss, tok, ',');) {
        if (tok.find_first_not_of(' ') == std::string::npos) continue;
        // a size is digits between optional spaces (std::stoull alone would take "-1" and "3x")
        const auto b = tok.find_first_not_of(' '), e = tok.find_last_not_of(' ');
        const std::string digits = tok.substr(b, e - b + 1);
        if (digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos)
            throw fail(fmt::format("the shape entry '{}' is not a size", tok));
        if (!shape.add(std::stoull(digits))) throw fail("the shape is too large");
    }
    return {descr, shape};
}

}  // namespace

Array parse_npy(const std::string& bytes, const std::string& name) {
    const BadFile fail{name, ".npy"};
    std::size_t data = 0;
    const auto [descr, shape] = npy_header(npy_dict(bytes, data, fail), fail);
    const std::size_t elem = descr == "<f4" ? 4 : 8, numel = shape.numel;
    if (bytes.size() - data != numel * elem)
        throw fail(fmt::format("shape {} needs {} data bytes after byte {}, the file has {}", shape_str(shape.shape), numel * elem,
                               data, bytes.size() - data));
    Array a = new_array(shape.shape, "parse_npy");
    if (elem == 4) {
        if (numel) std::memcpy(a.data(), bytes.data() + data, numel * 4);
    } else {
        for (std::size_t i = 0; i < numel; ++i) {
            double d;
            std::memcpy(&d, bytes.data() + data + i * 8, 8);
            a.data()[i] = static_cast<float>(d);
        }
    }
    return a;
}

Array load_npy(const std::string& path) { return parse_npy(read_file(path), path); }

void save(const Module& module, const std::string& path) { save_safetensors(path, module.state_dict()); }

void load(Module& module, const std::string& path, bool strict) {
    SafetensorsFile f = load_safetensors(path);
    try {
        module.load_state_dict(f.tensors, strict);
    } catch (const ValueError& e) {
        throw FileError(fmt::format("{}: {}", path, e.what()));
    }
}

void save_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                     const std::map<std::string, std::string>& metadata) {
    StateDict tensors;
    for (auto& [k, v] : model.state_dict()) tensors["model." + k] = v;
    const OptimizerState opt = optimizer.state_dict();
    for (auto& [k, v] : opt.tensors) tensors["optimizer." + k] = v;
    std::map<std::string, std::string> meta = metadata;
    for (auto& [k, v] : opt.scalars) meta["optimizer." + k] = v;
    meta["format"] = "xgrad checkpoint";
    save_safetensors(path, tensors, meta);
}

std::map<std::string, std::string> load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer) {
    SafetensorsFile f = load_safetensors(path);
    if (f.metadata["format"] != "xgrad checkpoint")
        throw FileError(fmt::format("{}: not a checkpoint of save_checkpoint (no \"format\": \"xgrad checkpoint\" in its metadata)", path));
    StateDict weights;
    OptimizerState opt;
    std::map<std::string, std::string> rest;
    auto under = [](const std::string& k, const char* prefix) { return k.rfind(prefix, 0) == 0; };
    for (auto& [k, v] : f.tensors) {
        if (under(k, "model.")) weights[k.substr(6)] = std::move(v);
        else if (under(k, "optimizer.")) opt.tensors[k.substr(10)] = std::move(v);
        else throw FileError(fmt::format("{}: tensor {} is neither model. nor optimizer.", path, k));
    }
    for (auto& [k, v] : f.metadata) {
        if (under(k, "optimizer.")) opt.scalars[k.substr(10)] = v;
        else if (k != "format") rest[k] = v;
    }
    try {
        model.load_state_dict(weights, true);
        optimizer.load_state_dict(std::move(opt));  // the file's tensors become the state, no copy
    } catch (const Error& e) {
        throw FileError(fmt::format("{}: {}", path, e.what()));
    }
    return rest;
}

}  // namespace xgrad::nn
