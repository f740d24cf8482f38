// tokenize: GPT-2's tokenizer (lectures 7-9; tiktoken's "gpt2" ids) as a command-line tool.
//   tokenize FILE            the ids of FILE (or - for standard input), on one line
//   tokenize FILE --show     the text cut into its tokens, as the lecture's tokenizer figure draws it
//   tokenize FILE --out F.bin   llm.c's token file;  tokenize --decode F.bin   its text back
//   tokenize FILE --train --vocab-size 4096 --out F.model   learn a byte-level BPE (minbpe's algorithm)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "nn/serialize.hpp"
#include "tensor/error.hpp"
#include "tensor/kernels/threads.hpp"
#include "text/text.hpp"

using namespace xgrad::text;

namespace {

struct Args {
    std::string input, out, decode, allowed_special, tokenizer, special = "<|endoftext|>";
    bool count = false, show = false, train = false;
    std::size_t vocab_size = 0;
    int threads = 1;
};

std::string read_input(const std::string& path) {
    if (path != "-") return xgrad::nn::read_file(path);
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
}

std::vector<std::string> comma_list(const std::string& s) {
    std::vector<std::string> out;
    for (std::size_t pos = 0; pos <= s.size();) {
        const std::size_t c = std::min(s.find(',', pos), s.size());
        if (c > pos) out.push_back(s.substr(pos, c - pos));
        pos = c + 1;
    }
    return out;
}

// A token as the --show figure prints it: white space as \n \t \r, bytes that are not whole UTF-8
// characters (a character cut between tokens) as \xNN.
std::string shown(std::string_view bytes) {
    std::string out;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p < end) {
        const Utf8Char c = decode_utf8(p, end);
        if (!c.valid() || c.cp < 0x20 || c.cp == '|' || c.cp == '\\') {
            out += c.cp == '\n' ? "\\n" : c.cp == '\t' ? "\\t" : c.cp == '\r' ? "\\r" : c.cp == '|' ? "\\|" : c.cp == '\\' ? "\\\\" : fmt::format("\\x{:02x}", *p);
            p += 1;
        } else {
            out.append(reinterpret_cast<const char*>(p), c.size);
            p += c.size;
        }
    }
    return out;
}

// The output file must not be the input (an encode would replace the text it read).
void check_output(const Args& a) {
    if (a.out.empty()) return;
    xgrad::programs::check_writable(a.out, "--out");
    if (a.input != "-") xgrad::programs::check_not_input(a.out, "--out", a.input, "the input file");
}

int train(const Args& a) {
    if (a.vocab_size == 0) throw xgrad::ValueError("--train needs --vocab-size N (256 bytes + merges + special tokens)");
    if (a.out.empty()) throw xgrad::ValueError("--train needs --out F.model, the file to save the tokenizer in");
    check_output(a);
    const std::string text = read_input(a.input);
    const auto t0 = std::chrono::steady_clock::now();
    const TrainedBpe bpe = train_bpe(text, {.vocab_size = a.vocab_size, .special = comma_list(a.special)});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bpe.save(a.out);
    const auto ids = bpe.tokenizer().encode(text, AllowedSpecial::All());
    fmt::print("learned {} merges from {} bytes in {:.2f} s; the text is {} tokens ({:.2f} bytes a token); wrote {}\n",
               bpe.merges.size(), text.size(), s, ids.size(), double(text.size()) / std::max<std::size_t>(ids.size(), 1), a.out);
    return 0;
}

Tokenizer pick_tokenizer(const Args& a) {
    if (a.tokenizer.empty()) return Tokenizer::gpt2();
    if (a.tokenizer.size() > 9 && a.tokenizer.ends_with(".tiktoken")) return Tokenizer::from_tiktoken_file(a.tokenizer, {});
    return Tokenizer::load(a.tokenizer);
}

int run(const Args& a) {
    xgrad::set_num_threads(a.threads);
    if (a.train) return train(a);
    const Tokenizer tok = pick_tokenizer(a);
    if (!a.decode.empty()) {
        const std::string bytes = tok.decode_bytes(read_token_file(a.decode));
        std::fwrite(bytes.data(), 1, bytes.size(), stdout);
        return 0;
    }
    if (a.input.empty()) throw xgrad::ValueError("give a FILE to tokenize (or - for standard input), or --decode F.bin");
    check_output(a);
    AllowedSpecial allowed;
    if (a.allowed_special == "all") allowed = AllowedSpecial::All();
    else for (const auto& s : comma_list(a.allowed_special)) allowed.tokens.insert(s);
    const std::string text = read_input(a.input);
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Token> ids = tok.encode(text, allowed);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!a.out.empty()) {
        write_token_file(a.out, ids);
        fmt::print(stderr, "tokenize: {} tokens of {} bytes in {:.3f} s ({:.1f} MB/s, {} thread{}); wrote {}\n", ids.size(),
                   text.size(), s, text.size() / 1e6 / std::max(s, 1e-9), a.threads, a.threads > 1 ? "s" : "", a.out);
    }
    if (a.count) fmt::print("{}\n", ids.size());
    if (a.show) {
        std::string line;
        for (const Token id : ids) line += (line.empty() ? "" : "|") + shown(tok.decode_single_token_bytes(id));
        fmt::print("{}\n", line);
    }
    if (!a.count && !a.show && a.out.empty()) {
        std::string line;
        for (const Token id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
        fmt::print("{}\n", line);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"tokenize: GPT-2's byte-pair encoding (tiktoken's gpt2 ids), llm.c's token files, BPE training"};
    app.add_option("FILE", a.input, "the text to tokenize (- for standard input)");
    app.add_flag("--count", a.count, "print the number of tokens");
    app.add_flag("--show", a.show, "print the text cut into its tokens, '|' between them");
    app.add_option("--out", a.out, "write llm.c's token file (256 int32 header, uint16 ids); with --train, the tokenizer");
    app.add_option("--decode", a.decode, "print the text of an llm.c token file");
    app.add_option("--allowed-special", a.allowed_special,
                   "special tokens encoded as themselves: 'all' or a comma list (default none: one in the text is an error)");
    app.add_option("--threads", a.threads, "threads (the same ids at any count)")->capture_default_str()->check(CLI::Range(1, 256));
    app.add_option("--tokenizer", a.tokenizer, "a tokenizer --train saved (.model) or a tiktoken rank file (.tiktoken) instead of GPT-2's");
    app.add_flag("--train", a.train, "learn a byte-level BPE from FILE with GPT-2's pattern (minbpe's algorithm)");
    app.add_option("--vocab-size", a.vocab_size, "with --train: ids in all (256 bytes + merges + special tokens)")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
    app.add_option("--special", a.special, "with --train: special tokens to reserve, comma-separated")->capture_default_str();
    if (auto status = xgrad::programs::parse(app, argc, argv, "tokenize")) return *status;
    return xgrad::programs::run_main("tokenize", [&] { return run(a); });
}
