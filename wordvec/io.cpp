// Reading and writing word-vector files (see io.hpp).
#include "wordvec/io.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <sys/stat.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nn/serialize.hpp"
#include "tensor/error.hpp"

namespace xgrad::wordvec {

namespace {

/// Where the bytes come from: the file `name`, or `bytes` in memory (named `name` in messages).
struct Source {
    std::string name;
    const std::string* bytes = nullptr;
};

std::FILE* open_source(const Source& src) {
    if (src.bytes) {
        if (src.bytes->empty()) return std::fopen("/dev/null", "rb");  // fmemopen refuses a size of 0
        return ::fmemopen(const_cast<char*>(src.bytes->data()), src.bytes->size(), "rb");
    }
    std::error_code ec;
    if (std::filesystem::is_directory(src.name, ec)) throw FileError(fmt::format("{}: is a directory, not a file", src.name));
    return std::fopen(src.name.c_str(), "rb");
}

/// A file read a line (or a byte) at a time through stdio's buffer.
class Reader {
public:
    explicit Reader(const Source& src) : path_(src.name), f_(open_source(src), &std::fclose) {
        if (!f_) throw FileError(fmt::format("{}: cannot open it ({})", path_, std::strerror(errno)));
        struct stat st {};
        size_ = src.bytes ? src.bytes->size() : ::fstat(::fileno(f_.get()), &st) == 0 ? std::size_t(st.st_size) : 0;
    }
    /// The file's size in bytes (what a header's promise is checked against).
    std::size_t size() const { return size_; }
    ~Reader() { std::free(buf_); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    /// The next line without its "\n" or "\r\n"; false at the end of the file.
    bool line(std::string_view& out) {
        const ssize_t n = ::getline(&buf_, &cap_, f_.get());
        if (n < 0) return false;
        std::size_t len = std::size_t(n);
        while (len > 0 && (buf_[len - 1] == '\n' || buf_[len - 1] == '\r')) --len;
        out = std::string_view(buf_, len);
        ++line_no_;
        return true;
    }
    int byte() { return std::getc(f_.get()); }
    std::size_t read(void* p, std::size_t n) { return std::fread(p, 1, n, f_.get()); }
    long offset() { return std::ftell(f_.get()); }
    std::size_t line_no() const { return line_no_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f_;
    char* buf_ = nullptr;
    std::size_t cap_ = 0;
    std::size_t line_no_ = 0;
    std::size_t size_ = 0;
};

/// Splits on runs of spaces and tabs.
void split(std::string_view s, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        const std::size_t j = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
        if (i > j) out.push_back(s.substr(j, i - j));
    }
}

bool parse_float(std::string_view s, float& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_size(std::string_view s, std::size_t& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

/// A word2vec header "N D", or false.
bool header(std::string_view line, std::size_t& n, std::size_t& d) {
    std::vector<std::string_view> t;
    split(line, t);
    return t.size() == 2 && parse_size(t[0], n) && parse_size(t[1], d);
}

/// The numbers of a text row (tokens after the word) appended to `out`; names the line on error.
void parse_row(const Reader& r, const std::vector<std::string_view>& t, std::size_t dim, std::vector<float>& out) {
    if (t.size() != dim + 1)
        throw FileError(fmt::format("{}: line {}: expected {} numbers after the word '{}', found {}", r.path(), r.line_no(),
                                    dim, t.empty() ? "" : std::string(t[0]), t.empty() ? 0 : t.size() - 1));
    for (std::size_t k = 1; k <= dim; ++k) {
        float v;
        if (!parse_float(t[k], v))
            throw FileError(fmt::format("{}: line {}: '{}' (number {} of the word '{}') is not a number", r.path(),
                                        r.line_no(), std::string(t[k]), k, std::string(t[0])));
        out.push_back(v);
    }
}

KeyedVectors make(std::vector<std::string> words, std::vector<float> vectors, std::size_t dim, const std::string& path) {
    for (std::size_t i = 0; i < vectors.size(); ++i)  // "nan" and "inf" parse as numbers; they are not vectors
        if (!std::isfinite(vectors[i]))
            throw FileError(fmt::format("{}: the vector of the word '{}' holds {} at position {}", path, words[i / dim],
                                        vectors[i], i % dim));
    try {
        return KeyedVectors(std::move(words), std::move(vectors), dim, path);
    } catch (const ValueError& e) {
        throw FileError(e.what());
    }
}

/// A header's promise against the file's size, before anything is allocated for it: each row takes at
/// least `row_bytes(d)` bytes (binary: a 1-byte word, a space, 4·d; text: a word and d numbers, each
/// of at least one character after a separator, and the line break).
void check_header(const Reader& r, std::size_t n, std::size_t d, bool binary) {
    if (d == 0) throw FileError(fmt::format("{}: the header says the vectors have dimension 0", r.path()));
    const double row = binary ? 4.0 * double(d) + 2.0 : 2.0 * double(d) + 2.0;
    if (double(n) * row > double(r.size()))
        throw FileError(fmt::format("{}: the header promises {} words of dimension {}, at least {:.0f} bytes in the {} "
                                    "format; the file has {}", r.path(), n, d, double(n) * row, binary ? "binary" : "text",
                                    r.size()));
}

KeyedVectors load_text(const Source& src, bool has_header) {
    Reader r(src);
    const std::string& path = src.name;
    std::string_view line;
    std::size_t n = 0, dim = 0;
    std::vector<std::string_view> t;
    std::vector<std::string> words;
    std::vector<float> vectors;
    if (has_header) {
        if (!r.line(line) || !header(line, n, dim))
            throw FileError(fmt::format("{}: line 1 is not a word2vec header \"N D\"", path));
        check_header(r, n, dim, false);
        words.reserve(n);
        vectors.reserve(n * dim);
    }
    while (r.line(line)) {
        split(line, t);
        if (t.empty()) continue;  // a blank line (a trailing one, typically)
        if (dim == 0) dim = t.size() - 1;  // GloVe: the first row sets the dimension
        if (dim == 0) throw FileError(fmt::format("{}: line {}: a word with no numbers (dimension 0)", path, r.line_no()));
        if (has_header && words.size() == n)
            throw FileError(fmt::format("{}: the header promises {} words, line {} holds another", path, n, r.line_no()));
        parse_row(r, t, dim, vectors);
        words.emplace_back(t[0]);
    }
    if (has_header && words.size() != n)
        throw FileError(fmt::format("{}: the header promises {} words, the file ends after {}", path, n, words.size()));
    if (words.empty()) throw FileError(fmt::format("{}: no vectors in it", path));
    return make(std::move(words), std::move(vectors), dim, path);
}

KeyedVectors load_binary(const Source& src) {
    Reader r(src);
    const std::string& path = src.name;
    std::string_view line;
    std::size_t n = 0, dim = 0;
    if (!r.line(line) || !header(line, n, dim)) throw FileError(fmt::format("{}: line 1 is not a word2vec header \"N D\"", path));
    check_header(r, n, dim, true);
    std::vector<std::string> words;
    std::vector<float> vectors(n * dim);
    words.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::string w;
        int c;
        while ((c = r.byte()) == '\n' || c == '\r') {}  // word2vec.c ends each vector with '\n'
        for (; c != EOF && c != ' '; c = r.byte()) w.push_back(char(c));
        if (c == EOF)
            throw FileError(fmt::format("{}: ends at byte {} after {} of the {} words the header promises{}", path,
                                        r.offset(), i, n, w.empty() ? "" : " (inside the word '" + w + "')"));
        if (r.read(vectors.data() + i * dim, dim * sizeof(float)) != dim * sizeof(float))
            throw FileError(fmt::format("{}: ends at byte {} inside the vector of the word '{}' (word {} of {}, {} bytes "
                                        "of floats expected)", path, r.offset(), w, i + 1, n, dim * sizeof(float)));
        words.push_back(std::move(w));
    }
    return make(std::move(words), std::move(vectors), dim, path);
}

// The word2vec formats and the projector's TSV end a word at a space, tab or line break: a word holding
// one (a character model's " " or "\n") or an empty word would not read back. Refused, naming it.
void check_words(const KeyedVectors& kv, const std::string& path, const char* format) {
    for (std::size_t i = 0; i < kv.size(); ++i) {
        const std::string& w = kv.words()[i];
        if (!w.empty() && w.find_first_of(" \t\n\r") == std::string::npos) continue;
        std::string shown;
        for (char c : w) shown += c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : std::string(1, c);
        throw ValueError(fmt::format("{}: word {} is '{}': the {} format ends a word at whitespace, so it would not read "
                                     "back; nothing was written (a word-level model's vectors export)", path, i, shown, format));
    }
}

void write_rows(const KeyedVectors& kv, std::string& out, char sep) {
    const float* v = kv.vectors().data();
    for (std::size_t i = 0; i < kv.size(); ++i) {
        out += kv.words()[i];
        for (std::size_t k = 0; k < kv.dim(); ++k) fmt::format_to(std::back_inserter(out), "{}{}", sep, v[i * kv.dim() + k]);
        out += '\n';
    }
}

KeyedVectors checkpoint_table(const nn::SafetensorsFile& f, const std::string& path, const std::string& table) {
    auto meta = f.metadata.find("vocab");
    if (meta == f.metadata.end())
        throw FileError(fmt::format("{}: no \"vocab\" in its metadata (not a bigram checkpoint: save one with bigram --save)", path));
    std::vector<std::string> words;
    try {
        words = nn::tokens_from_json(meta->second);
    } catch (const ValueError& e) {
        throw FileError(fmt::format("{}: its \"vocab\" metadata is {}", path, e.what()));
    }
    auto t = f.tensors.find(table);
    if (t == f.tensors.end()) throw FileError(fmt::format("{}: no tensor \"{}\" in it", path, table));
    const Array& a = t->second.data();
    const Shape& s = a.shape();
    if (s.size() != 2 || s[0] != words.size())
        throw FileError(fmt::format("{}: {} has shape {}, expected ({}, dim) for its {} words", path, table, shape_str(s),
                                    words.size(), words.size()));
    return make(std::move(words), std::vector<float>(a.data(), a.data() + a.size()), s[1], path);
}

std::string detect(const Source& src) {
    const std::string& path = src.name;
    {
        Reader head(src);
        char b[10] = {};
        if (head.read(b, 10) == 10 && b[8] == '{' && b[9] == '"') return "xgrad";  // safetensors: 8-byte size, JSON
    }
    Reader r(src);
    std::string_view line;
    if (!r.line(line)) throw FileError(fmt::format("{}: the file is empty", path));
    std::size_t n = 0, dim = 0;
    if (!header(line, n, dim)) return "glove";
    // word2vec: text when what follows the header reads as text (UTF-8, no control bytes but tabs and line
    // breaks) — a blank line or a short row is then the text reader's to name; binary otherwise (4·dim
    // bytes of floats a row hold bytes that are not text almost at once)
    std::string rest(4096, '\0');
    rest.resize(r.read(rest.data(), rest.size()));
    if (rest.size() == 4096 && rest.find('\n') != std::string::npos) rest.resize(rest.rfind('\n'));  // whole lines
    for (unsigned char c : rest)
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return "binary";
    return nn::is_utf8(rest) ? "text" : "binary";
}

KeyedVectors load(const Source& src, const std::string& format) {
    const std::string f = format == "auto" ? detect(src) : format;
    if (f == "text") return load_text(src, true);
    if (f == "glove") return load_text(src, false);
    if (f == "binary") return load_binary(src);
    if (f == "xgrad")
        return checkpoint_table(src.bytes ? nn::parse_safetensors(*src.bytes, src.name) : nn::load_safetensors(src.name),
                                src.name, "V.weight");
    throw ValueError(fmt::format("load_vectors: unknown format '{}' (expected auto, text, binary, glove or xgrad)", format));
}

}  // namespace

KeyedVectors load_xgrad_checkpoint(const std::string& path, const std::string& table) {
    return checkpoint_table(nn::load_safetensors(path), path, table);
}

std::string detect_format(const std::string& path) { return detect({path}); }

KeyedVectors load_vectors(const std::string& path, const std::string& format) { return load({path}, format); }

KeyedVectors parse_vectors(const std::string& bytes, const std::string& name, const std::string& format) {
    return load({name, &bytes}, format);
}

void save_word2vec_text(const KeyedVectors& kv, const std::string& path) {
    check_words(kv, path, "word2vec text");
    std::string out = fmt::format("{} {}\n", kv.size(), kv.dim());
    write_rows(kv, out, ' ');
    nn::write_file_atomic(path, out);
}

void save_glove(const KeyedVectors& kv, const std::string& path) {
    check_words(kv, path, "GloVe");
    std::string out;
    write_rows(kv, out, ' ');
    nn::write_file_atomic(path, out);
}

void save_word2vec_binary(const KeyedVectors& kv, const std::string& path) {
    check_words(kv, path, "word2vec binary");
    std::string out = fmt::format("{} {}\n", kv.size(), kv.dim());
    for (std::size_t i = 0; i < kv.size(); ++i) {  // as gensim writes it: no '\n' after a vector
        out += kv.words()[i];
        out += ' ';
        out.append(reinterpret_cast<const char*>(kv.vectors().data() + i * kv.dim()), kv.dim() * sizeof(float));
    }
    nn::write_file_atomic(path, out);
}

void save_projector_tsv(const KeyedVectors& kv, const std::string& vectors_path, const std::string& metadata_path) {
    check_words(kv, metadata_path, "projector TSV");
    std::string vec, meta;
    const float* v = kv.vectors().data();
    for (std::size_t i = 0; i < kv.size(); ++i) {
        for (std::size_t k = 0; k < kv.dim(); ++k) fmt::format_to(std::back_inserter(vec), "{}{}", k ? "\t" : "", v[i * kv.dim() + k]);
        vec += '\n';
        meta += kv.words()[i] + '\n';
    }
    nn::write_file_atomic(vectors_path, vec);
    nn::write_file_atomic(metadata_path, meta);
}

}  // namespace xgrad::wordvec
