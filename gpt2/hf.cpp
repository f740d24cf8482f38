// Hugging Face GPT-2 folders (see hf.hpp): config.json, then model.safetensors streamed tensor by tensor.
#include "gpt2/hf.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tensor/kernels/bf16.hpp"

namespace xgrad::gpt2 {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json(const fs::path& path) {
    std::ifstream f(path);
    if (!f) throw FileError(fmt::format("{}: cannot open (a Hugging Face GPT-2 folder holds config.json and model.safetensors)", path.string()));
    try {
        return json::parse(f);
    } catch (const json::exception& e) {
        throw FileError(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
    }
}

// One tensor of the file: where its bytes are and what they hold.
struct Entry {
    std::string dtype;
    Shape shape;
    std::size_t begin = 0, end = 0;  // offsets after the header
};

std::size_t dtype_size(const std::string& dtype) { return dtype == "F32" ? 4 : 2; }

// 2-byte values of `dtype` (BF16 or F16) → floats
void to_float(const std::string& dtype, const char* src, float* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        if (dtype == "BF16") {
            dst[i] = kernels::from_bf16(h);
            continue;
        }
        // F16: sign, 5-bit exponent, 10-bit mantissa
        uint32_t bits;
        const uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
        if (exp == 0x1f) bits = sign | 0x7f800000 | (man << 13);
        else if (exp != 0) bits = sign | ((exp + 112) << 23) | (man << 13);
        else {
            float v = std::ldexp(float(man), -24);
            std::memcpy(&bits, &v, 4);
            bits |= sign;
        }
        std::memcpy(dst + i, &bits, 4);
    }
}

// The header of a safetensors file: name (prefix `transformer.` removed) → entry, each checked.
std::map<std::string, Entry> read_header(std::ifstream& f, const std::string& path, std::size_t& data_start) {
    const std::size_t size = fs::file_size(path);
    uint64_t n = 0;
    if (size < 8 || !f.read(reinterpret_cast<char*>(&n), 8) || n > size - 8)
        throw FileError(fmt::format("{}: not a safetensors file: its {} bytes cannot hold the header length it gives", path, size));
    std::string text(n, '\0');
    f.read(text.data(), std::streamsize(n));
    data_start = 8 + n;
    json header;
    try {
        header = json::parse(text);
    } catch (const json::exception& e) {
        throw FileError(fmt::format("{}: the safetensors header is not JSON: {}", path, e.what()));
    }
    std::map<std::string, Entry> out;
    for (auto& [name, v] : header.items()) {
        if (name == "__metadata__") continue;
        Entry e;
        e.dtype = v.value("dtype", "");
        if (e.dtype != "F32" && e.dtype != "F16" && e.dtype != "BF16")
            throw FileError(fmt::format("{}: tensor {} has dtype {}; F32, F16 and BF16 can be loaded", path, name, e.dtype));
        for (auto d : v.at("shape")) e.shape.push_back(d.get<std::size_t>());
        e.begin = v.at("data_offsets")[0], e.end = v.at("data_offsets")[1];
        if (e.end < e.begin || e.end - e.begin != shape_numel(e.shape) * dtype_size(e.dtype))
            throw FileError(fmt::format("{}: tensor {} {} {} spans bytes {}…{}, not its size", path, name, e.dtype,
                                        shape_str(e.shape), e.begin, e.end));
        if (data_start + e.end > size)
            throw FileError(fmt::format("{}: truncated: tensor {} ends at byte {}, the file has {}", path, name,
                                        data_start + e.end, size));
        out[name.rfind("transformer.", 0) == 0 ? name.substr(12) : name] = e;
    }
    return out;
}

}  // namespace

Config read_hf_config(const std::string& dir) {
    const fs::path path = fs::path(dir) / "config.json";
    if (!fs::is_directory(dir)) throw FileError(fmt::format("{}: not a folder (--from-pretrained takes a Hugging Face GPT-2 folder)", dir));
    const json j = read_json(path);
    if (j.contains("model_type") && j["model_type"] != "gpt2")
        throw FileError(fmt::format("{}: model_type is {}, not gpt2", path.string(), j["model_type"].dump()));
    auto field = [&](const char* name, const char* alt = nullptr) -> long {
        if (j.contains(name)) return j[name].get<long>();
        if (alt && j.contains(alt)) return j[alt].get<long>();
        throw FileError(fmt::format("{}: no \"{}\"", path.string(), name));
    };
    Config c;
    c.vocab_size = field("vocab_size");
    c.context_length = field("n_positions", "n_ctx");
    c.emb_dim = field("n_embd");
    c.n_heads = field("n_head");
    c.n_layers = field("n_layer");
    c.layer_norm_eps = j.value("layer_norm_epsilon", 1e-5);
    c.drop_rate = j.value("resid_pdrop", 0.1);
    c.qkv_bias = true;
    try {
        c.check();
    } catch (const ValueError& e) {
        throw FileError(fmt::format("{}: {}", path.string(), e.what()));
    }
    return c;
}

namespace {

// dst (c × r) = the transpose of src's r × c block whose rows are ld floats apart, in 16 × 16 tiles so
// that both sides stay in cache, each tile written a row of dst at a time (contiguous stores).
void transpose_into(const float* src, std::size_t r, std::size_t c, std::size_t ld, float* dst) {
    constexpr std::size_t B = 16;
    for (std::size_t i0 = 0; i0 < r; i0 += B)
        for (std::size_t j0 = 0; j0 < c; j0 += B)
            for (std::size_t j = j0; j < std::min(c, j0 + B); ++j)
                for (std::size_t i = i0; i < std::min(r, i0 + B); ++i) dst[j * r + i] = src[i * ld + j];
}

// One tensor to load: its name in the file, the shape the config implies, and where its values go —
// straight into a parameter (`direct`, when they are copied as they are) or through `put`.
struct Target {
    std::string name;
    Shape shape;
    float* direct = nullptr;
    std::function<void(const float* src)> put;
};

// The book's parameters each Hugging Face tensor fills (see hf.hpp), for a model of config c.
std::vector<Target> targets(GPTModel& model, bool has_head) {
    std::map<std::string, float*> p;
    for (auto& [name, t] : model.named_parameters()) p[name] = t.mutable_data().data();
    const std::size_t C = model.cfg.emb_dim, V = model.cfg.vocab_size, P = model.cfg.context_length;
    std::vector<Target> out;
    auto copy = [&](std::string name, Shape s, const std::string& to) { out.push_back({std::move(name), std::move(s), p.at(to), {}}); };
    // src [r, c] (Conv1D, [in, out]) → dst [c, r]
    auto transposed = [&](std::string name, std::size_t r, std::size_t c, const std::string& to) {
        float* dst = p.at(to);
        out.push_back({std::move(name), {r, c}, nullptr, [=](const float* src) { transpose_into(src, r, c, c, dst); }});
    };
    copy("wte.weight", {V, C}, "tok_emb.weight");
    copy("wpe.weight", {P, C}, "pos_emb.weight");
    for (long l = 0; l < model.cfg.n_layers; ++l) {
        const std::string h = fmt::format("h.{}.", l), b = fmt::format("trf_blocks.{}.", l);
        copy(h + "ln_1.weight", {C}, b + "norm1.scale");
        copy(h + "ln_1.bias", {C}, b + "norm1.shift");
        float* q[3] = {p.at(b + "att.W_query.weight"), p.at(b + "att.W_key.weight"), p.at(b + "att.W_value.weight")};
        out.push_back({h + "attn.c_attn.weight", {C, 3 * C}, nullptr, [=](const float* src) {  // [C, 3C] → 3 × [C, C]ᵀ
            for (std::size_t part = 0; part < 3; ++part) transpose_into(src + part * C, C, C, 3 * C, q[part]);
        }});
        float* qb[3] = {p.at(b + "att.W_query.bias"), p.at(b + "att.W_key.bias"), p.at(b + "att.W_value.bias")};
        out.push_back({h + "attn.c_attn.bias", {3 * C}, nullptr, [=](const float* src) {
            for (std::size_t part = 0; part < 3; ++part) std::copy(src + part * C, src + (part + 1) * C, qb[part]);
        }});
        transposed(h + "attn.c_proj.weight", C, C, b + "att.out_proj.weight");
        copy(h + "attn.c_proj.bias", {C}, b + "att.out_proj.bias");
        copy(h + "ln_2.weight", {C}, b + "norm2.scale");
        copy(h + "ln_2.bias", {C}, b + "norm2.shift");
        transposed(h + "mlp.c_fc.weight", C, 4 * C, b + "ff.layers.0.weight");
        copy(h + "mlp.c_fc.bias", {4 * C}, b + "ff.layers.0.bias");
        transposed(h + "mlp.c_proj.weight", 4 * C, C, b + "ff.layers.2.weight");
        copy(h + "mlp.c_proj.bias", {C}, b + "ff.layers.2.bias");
    }
    copy("ln_f.weight", {C}, "final_norm.scale");
    copy("ln_f.bias", {C}, "final_norm.shift");
    copy(has_head ? "lm_head.weight" : "wte.weight", {V, C}, "out_head.weight");  // tied when the file has no head
    return out;
}

bool is_mask_buffer(const std::string& name) {
    auto ends = [&](const std::string& s) { return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0; };
    return ends(".attn.bias") || ends(".attn.masked_bias");
}

// Every name known, present and of the config's shape, or a FileError naming the first that is not.
void check_entries(const std::map<std::string, Entry>& entries, const std::vector<Target>& want, const Config& c,
                   const std::string& path) {
    std::map<std::string, const Target*> by_name;
    for (auto& t : want) by_name[t.name] = &t;
    for (auto& [name, e] : entries)
        if (!by_name.count(name) && !is_mask_buffer(name))
            throw FileError(fmt::format("{}: unknown tensor {} {} (not a GPT-2 of {} layers)", path, name, shape_str(e.shape), c.n_layers));
    for (auto& t : want) {
        auto it = entries.find(t.name);
        if (it == entries.end()) throw FileError(fmt::format("{}: no tensor {}", path, t.name));
        if (it->second.shape != t.shape)
            throw FileError(fmt::format("{}: tensor {} has shape {}; config.json (vocab_size {}, n_positions {}, n_embd {}) "
                                        "implies {}: the checkpoint is of another size", path, t.name,
                                        shape_str(it->second.shape), c.vocab_size, c.context_length, c.emb_dim,
                                        shape_str(t.shape)));
    }
}

}  // namespace

void load_hf_weights(GPTModel& model, const std::string& dir) {
    const Config c = read_hf_config(dir);
    const Config& m = model.cfg;
    if (c.vocab_size != m.vocab_size || c.context_length != m.context_length || c.emb_dim != m.emb_dim ||
        c.n_layers != m.n_layers || c.n_heads != m.n_heads || !m.qkv_bias)
        throw ValueError(fmt::format("load_hf_weights: the model (vocab {}, context {}, emb {}, {} layers, {} heads, qkv_bias {}) "
                                     "is not {}'s (vocab {}, context {}, emb {}, {} layers, {} heads, qkv_bias true)",
                                     m.vocab_size, m.context_length, m.emb_dim, m.n_layers, m.n_heads, m.qkv_bias, dir,
                                     c.vocab_size, c.context_length, c.emb_dim, c.n_layers, c.n_heads));
    const std::string path = (fs::path(dir) / "model.safetensors").string();
    std::ifstream f(path, std::ios::binary);
    if (!f) throw FileError(fmt::format("{}: cannot open", path));
    std::size_t data_start = 0;
    const std::map<std::string, Entry> entries = read_header(f, path, data_start);
    const std::vector<Target> want = targets(model, entries.count("lm_head.weight") > 0);
    check_entries(entries, want, c, path);
    std::vector<char> bytes;
    std::vector<float> values;
    for (const Target& t : want) {  // stream: one tensor at a time, F32 copies straight into the parameter
        const Entry& e = entries.at(t.name);
        const std::size_t n = shape_numel(e.shape);
        f.seekg(std::streamoff(data_start + e.begin));
        if (t.direct && e.dtype == "F32") {
            f.read(reinterpret_cast<char*>(t.direct), std::streamsize(n * 4));
        } else {  // through `values`: F32 read straight into it, BF16 and F16 widened
            values.resize(n);
            if (e.dtype == "F32") {
                f.read(reinterpret_cast<char*>(values.data()), std::streamsize(n * 4));
            } else {
                bytes.resize(e.end - e.begin);
                f.read(bytes.data(), std::streamsize(bytes.size()));
                to_float(e.dtype, bytes.data(), values.data(), n);
            }
            if (t.direct) std::copy(values.begin(), values.end(), t.direct);
            else t.put(values.data());
        }
        if (!f) throw FileError(fmt::format("{}: reading tensor {} (bytes {}…{}) failed", path, t.name, data_start + e.begin, data_start + e.end));
    }
}

nn::Ptr<GPTModel> from_pretrained(const std::string& dir) {
    const Config c = read_hf_config(dir);
    nn::Ptr<GPTModel> model;
    {
        SkipInitGuard skip;  // every parameter is loaded below
        model = nn::make<GPTModel>(c);
    }
    load_hf_weights(*model, dir);
    model->eval();
    return model;
}

}  // namespace xgrad::gpt2
