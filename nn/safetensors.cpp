// safetensors, the format of Hugging Face's weights and of PyTorch's safetensors.torch:
//   bytes 0..8     n, the header's length (little-endian)
//   bytes 8..8+n   a JSON object {name: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
//                  "__metadata__": {key: string}}, padded with spaces so the data start 8-byte aligned
//   then the data  tensor `name` at bytes [8+n+b, 8+n+e): float32, little-endian, row-major.
// A save streams each tensor's bytes from its array to the file (no copy of the model is built in
// memory); a load reads and checks the header first, then each tensor's bytes straight into its array.
#include "nn/serialize.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nn/file_checks.hpp"

namespace xgrad::nn {

using detail::BadFile;
using detail::ShapeReader;

static_assert(std::endian::native == std::endian::little, "xgrad's file formats assume a little-endian host");

void save_safetensors(const std::string& path, const StateDict& tensors, const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    std::size_t offset = 0;
    for (const auto& [name, t] : tensors) {
        const Array& a = t.data();
        if (name == "__metadata__") throw ValueError(fmt::format("{}: \"__metadata__\" cannot be a tensor name", path));
        std::vector<std::size_t> shape(a.shape().begin(), a.shape().end());
        header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + a.size() * 4}}};
        offset += a.size() * 4;
    }
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::string head(8, '\0');
    try {
        head += header.dump();
    } catch (const nlohmann::json::type_error& e) {  // 316: bytes that are not UTF-8
        throw ValueError(fmt::format("{}: a tensor name or metadata value is not UTF-8 text, which a safetensors header "
                                     "(JSON) cannot hold; nothing was written ({})", path, e.what()));
    }
    head.append((8 - head.size() % 8) % 8, ' ');  // data starts 8-byte aligned
    const uint64_t n = head.size() - 8;
    std::memcpy(head.data(), &n, 8);
    std::vector<std::string_view> pieces{head};  // the header, then each tensor's bytes where they are
    for (const auto& [name, t] : tensors)
        pieces.emplace_back(reinterpret_cast<const char*>(t.data().data()), t.data().size() * 4);
    write_file_atomic(path, pieces);
}

namespace {

// One tensor's header entry {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, checked against
// the data_size bytes after the header.
struct TensorEntry {
    Shape shape;
    std::size_t numel = 0, begin = 0, end = 0;
};
TensorEntry tensor_entry(const std::string& key, const nlohmann::json& info, std::size_t data_size, const BadFile& fail) {
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
        throw fail(fmt::format("tensor \"{}\" lacks dtype, shape or data_offsets", key));
    const auto& dt = info["dtype"];
    if (!dt.is_string() || dt.get<std::string>() != "F32")
        throw fail(fmt::format("tensor \"{}\" has dtype {}; xgrad reads F32 only", key, dt.dump()));
    const auto& dims = info["shape"];
    if (!dims.is_array()) throw fail(fmt::format("tensor \"{}\": shape is not an array", key));
    ShapeReader shape;
    for (const auto& d : dims) {
        if (!d.is_number_unsigned()) throw fail(fmt::format("tensor \"{}\": shape {} is not a list of sizes", key, dims.dump()));
        if (!shape.add(d.get<uint64_t>())) throw fail(fmt::format("tensor \"{}\": shape {} is too large", key, dims.dump()));
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
        throw fail(fmt::format("tensor \"{}\": data_offsets {} is not [begin, end]", key, off.dump()));
    const auto b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (b > e || e > data_size)
        throw fail(fmt::format("tensor \"{}\": data_offsets [{}, {}] fall outside the {} data bytes", key, b, e, data_size));
    if (e - b != shape.numel * 4)
        throw fail(fmt::format("tensor \"{}\": shape {} needs {} bytes but data_offsets [{}, {}] hold {}", key,
                               shape_str(shape.shape), shape.numel * 4, b, e, e - b));
    return {shape.shape, shape.numel, b, e};
}

// n, the header's length, from the first bytes of a file of `size` bytes (`first` holds min(8, size)).
uint64_t header_length(const char* first, std::size_t size, const BadFile& fail) {
    if (size < 8) throw fail(fmt::format("it has {} bytes, fewer than the 8 of the header length", size));
    uint64_t n = 0;
    std::memcpy(&n, first, 8);
    if (n > size - 8) throw fail(fmt::format("the header length at byte 0 says {} bytes, but only {} follow", n, size - 8));
    return n;
}

// What a file holds and where: its metadata and each tensor's entry, all checked (every entry inside the
// data, no two overlapping) before any data is read.
struct Layout {
    std::map<std::string, std::string> metadata;
    std::vector<std::pair<std::string, TensorEntry>> tensors;
    std::size_t data_start = 0;  // 8 + n
};

Layout read_layout(std::string_view json, std::size_t file_size, const BadFile& fail) {
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(json.begin(), json.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw fail(fmt::format("the JSON header is malformed near byte {}", 8 + e.byte));
    } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for any type
        throw fail(fmt::format("the JSON header cannot be read: {}", e.what()));
    }
    if (!header.is_object()) throw fail("the header is not a JSON object");
    Layout out;
    out.data_start = 8 + json.size();
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (const auto& [key, info] : header.items()) {
        if (key == "__metadata__") {
            if (!info.is_object()) throw fail("__metadata__ is not an object");
            for (const auto& [k, v] : info.items()) {
                if (!v.is_string()) throw fail(fmt::format("__metadata__[\"{}\"] is not a string", k));
                out.metadata[k] = v.get<std::string>();
            }
            continue;
        }
        out.tensors.emplace_back(key, tensor_entry(key, info, file_size - out.data_start, fail));
        ranges.emplace_back(out.tensors.back().second.begin, out.tensors.back().second.end);
    }
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].first < ranges[i - 1].second)
            throw fail(fmt::format("two tensors overlap at data byte {}", ranges[i].first));
    return out;
}

// A regular file open for reading at any offset; errors name the file (and the byte).
class InputFile {
public:
    explicit InputFile(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) throw FileError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
        struct stat st {};
        ::fstat(fd_, &st);
        regular_ = S_ISREG(st.st_mode);
        if (S_ISDIR(st.st_mode)) {
            ::close(fd_);
            throw FileError(fmt::format("{}: is a directory, not a file", path));
        }
        size_ = static_cast<std::size_t>(st.st_size);
    }
    ~InputFile() { ::close(fd_); }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    bool regular() const { return regular_; }
    // Everything from here to the end: how a pipe, which has no offsets, is read.
    std::string read_stream() const {
        std::string out;
        char buf[1 << 16];
        for (;;) {
            const ssize_t got = ::read(fd_, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throw FileError(fmt::format("{}: read error at byte {}: {}", path_, out.size(), std::strerror(errno)));
            if (got == 0) return out;
            out.append(buf, static_cast<std::size_t>(got));
        }
    }
    std::size_t size() const { return size_; }
    // Reads bytes [at, at + n) into `to`.
    void read_at(std::size_t at, char* to, std::size_t n) const {
        for (std::size_t done = 0; done < n;) {
            const ssize_t got = ::pread(fd_, to + done, n - done, static_cast<off_t>(at + done));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throw FileError(fmt::format("{}: read error at byte {}: {}", path_, at + done, std::strerror(errno)));
            if (got == 0)
                throw FileError(fmt::format("{}: the file ended at byte {} while it was read (another program changed it?)",
                                            path_, at + done));
            done += static_cast<std::size_t>(got);
        }
    }

private:
    std::string path_;
    int fd_;
    bool regular_ = false;
    std::size_t size_ = 0;
};

// The layout of the file `f`, read from its header alone.
Layout file_layout(const InputFile& f, const BadFile& fail) {
    char first[8];
    f.read_at(0, first, std::min<std::size_t>(8, f.size()));
    std::string json(header_length(first, f.size(), fail), '\0');
    f.read_at(8, json.data(), json.size());
    return read_layout(json, f.size(), fail);
}

}  // namespace

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& name) {
    const BadFile fail{name, "safetensors"};
    const uint64_t n = header_length(bytes.data(), bytes.size(), fail);
    Layout layout = read_layout(std::string_view(bytes).substr(8, n), bytes.size(), fail);
    SafetensorsFile out{{}, std::move(layout.metadata)};
    for (const auto& [key, t] : layout.tensors) {
        Array a = new_array(t.shape, "parse_safetensors");
        if (t.numel) std::memcpy(a.data(), bytes.data() + layout.data_start + t.begin, t.numel * 4);
        out.tensors[key] = Tensor(std::move(a));
    }
    return out;
}

SafetensorsFile load_safetensors(const std::string& path) {
    const InputFile f(path);
    if (!f.regular()) return parse_safetensors(f.read_stream(), path);  // a pipe: read as a stream
    Layout layout = file_layout(f, BadFile{path, "safetensors"});
    SafetensorsFile out{{}, std::move(layout.metadata)};
    for (const auto& [key, t] : layout.tensors) {
        Array a = new_array(t.shape, "load_safetensors");
        f.read_at(layout.data_start + t.begin, reinterpret_cast<char*>(a.data()), t.numel * 4);
        out.tensors[key] = Tensor(std::move(a));
    }
    return out;
}

std::map<std::string, std::string> load_safetensors_metadata(const std::string& path) {
    const InputFile f(path);
    if (!f.regular()) return parse_safetensors(f.read_stream(), path).metadata;
    return file_layout(f, BadFile{path, "safetensors"}).metadata;
}

}  // namespace xgrad::nn
