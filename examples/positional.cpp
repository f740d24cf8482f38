// positional: the input pipeline of the GPT lectures (Raschka, "LLMs from scratch", ch. 2) as a program.
//   text → token ids (GPT-2's BPE, V = 50257; or --tokenizer words: the bigram's word tokenizer)
//   → sliding windows (max_length 4, stride 4, batch 8)
//   → token Embedding(V, 256) of the ids + positional Embedding(4, 256) of arange(4) → (8, 4, 256).
// Prints the shapes and first rows as the lecture does; with the same seed its numbers are PyTorch's
// (tests/reference/make_positional_reference.py writes the same program in PyTorch). --plot DIR draws
// the first window's token, positional and input embeddings in 2-D (DIR/embeddings.svg).
#include <filesystem>
#include <functional>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "programs/cli.hpp"
#include "programs/files.hpp"
#include "corpus.hpp"
#include "programs/pca.hpp"
#include "programs/plot.hpp"
#include "text/data_loader.hpp"
#include "text/tokenizer.hpp"
#include "xgrad.hpp"

using namespace xgrad;

namespace {

struct Args {
    std::string tokenizer = "gpt2", text, plot;  // text: the-verdict for gpt2, tinyshakespeare for words
    long batch_size = 8, max_length = 4, stride = 4, output_dim = 256;
    uint64_t seed = 123;
    bool json = false;
};

std::string shape_of(const Tensor& t) { return shape_str(t.shape()); }

// The first window's vectors as arrows in 2-D: its tokens' embeddings, the positions', and their sums,
// all on the first two principal components of those 3 × max_length vectors. The projection is taken
// without removing their mean, so it stays linear: each input arrow is its token's plus its position's.
std::string draw(const Tensor& tok, const Tensor& pos, const Tensor& input, const std::vector<std::string>& words) {
    const std::size_t T = pos.shape()[0], D = pos.shape()[1];
    std::vector<double> rows;
    for (const Tensor* t : {&tok, &pos, &input})
        for (std::size_t i = 0; i < T; ++i)
            for (std::size_t j = 0; j < D; ++j) rows.push_back(t->data().data()[i * D + j]);
    const plot::Pca pca = plot::fit_pca(rows, 3 * T, D);
    auto arrows = [&](std::size_t which, const std::string& title, auto label) {
        plot::Panel p;
        p.title = title;
        for (std::size_t i = 0; i < T; ++i) {
            const double* r = &rows[(which * T + i) * D];
            double x = 0, y = 0;
            for (std::size_t j = 0; j < D; ++j) x += r[j] * pca.c1[j], y += r[j] * pca.c2[j];
            p.x.push_back(x), p.y.push_back(y), p.labels.push_back(label(i));
        }
        return p;
    };
    auto word = [&](std::size_t i) { return words[i]; };
    return plot::panels({arrows(0, "token embeddings", word),
                         arrows(1, "positional embeddings", [](std::size_t i) { return fmt::format("pos {}", i); }),
                         arrows(2, "input = token + positional", [&](std::size_t i) { return fmt::format("{} @{}", words[i], i); })},
                        fmt::format("the first window: its {} tokens' embeddings, their positions', and the sums ({} dims)\n"
                                    "on the first two principal components of the {} vectors ({:.0f}% of their variance)",
                                    T, D, 3 * T, 100 * pca.explained),
                        "PC 1", "PC 2");
}

// The text as token ids, the vocabulary's size, and how to show a token.
struct Tokens {
    IdArray ids;
    long vocab_size;
    std::function<std::string(int64_t)> show;
};

Tokens tokenize(const std::string& path, const std::string& tokenizer) {
    const std::string text = nn::read_file(path);
    if (tokenizer == "gpt2") {  // the book's: tiktoken.get_encoding("gpt2").encode(raw_text)
        const auto tok = std::make_shared<text::Tokenizer>(text::Tokenizer::gpt2());
        const auto encoded = tok->encode(text, text::AllowedSpecial::All());
        IdArray ids = IdArray::from_shape({encoded.size()});
        std::copy(encoded.begin(), encoded.end(), ids.begin());
        return {ids, long(tok->n_vocab()), [tok](int64_t id) { return tok->decode({{text::Token(id)}}); }};
    }
    const auto words = bigram::tokenize(text, bigram::Level::Word);
    const auto vocab = std::make_shared<bigram::Vocabulary>(bigram::Vocabulary::build(words, 2));
    const std::vector<int64_t> encoded = vocab->encode(words);
    IdArray ids = IdArray::from_shape({encoded.size()});
    std::copy(encoded.begin(), encoded.end(), ids.begin());
    return {ids, long(vocab->size()), [vocab](int64_t id) { return vocab->show(id); }};
}

int run(const Args& a) {
    if (!a.plot.empty()) programs::make_output_dir(a.plot, "--plot", "embeddings.svg");  // checked before the work
    const Tokens tokens = tokenize(a.text, a.tokenizer);
    const IdArray& ids = tokens.ids;

    manual_seed(a.seed);
    const long vocab_size = tokens.vocab_size;
    auto token_embedding_layer = nn::make<nn::Embedding>(vocab_size, a.output_dim);
    // The book's create_dataloader_v1(raw_text, batch_size=8, max_length=4, stride=4, shuffle=False):
    // iterating it draws a seed from the default generator, as a torch DataLoader does.
    text::GptDataLoader loader(text::GptDataset({ids.begin(), ids.end()}, a.max_length, a.stride),
                               {.batch_size = a.batch_size, .shuffle = false});
    const text::Batch batch = *loader.epoch().next();
    const IdArray &inputs = batch.inputs, &targets = batch.targets;
    Tensor token_embeddings = token_embedding_layer(inputs);

    const long context_length = a.max_length;
    auto pos_embedding_layer = nn::make<nn::Embedding>(context_length, a.output_dim);
    Tensor pos_embeddings = pos_embedding_layer(arange_ids(a.max_length));
    Tensor input_embeddings = token_embeddings + pos_embeddings;

    if (!a.plot.empty()) {
        std::vector<std::string> words;
        for (long j = 0; j < a.max_length; ++j) words.push_back(tokens.show(inputs(0, j)));
        nn::write_file_atomic(a.plot + "/embeddings.svg",
                              draw(index(token_embeddings, {0}), pos_embeddings, index(input_embeddings, {0}), words));
        if (!a.json) fmt::print("plotted to {}/embeddings.svg\n\n", a.plot);
    }
    if (a.json) {
        auto rows = [](const Tensor& t, long n) {  // the first n values of each of the first 2 rows of the last dim
            std::vector<float> v;
            const Tensor flat = t.reshape({-1, long(t.shape().back())});
            for (long r = 0; r < 2; ++r)
                for (long c = 0; c < n; ++c) v.push_back(flat(r, c));
            return fmt::format("[{}]", fmt::join(v, ", "));
        };
        fmt::print("{{\"vocab_size\": {}, \"tokens\": {}, \"inputs\": [{}], \"targets\": [{}], \"token_embeddings\": {}, "
                   "\"pos_embeddings\": {}, \"input_embeddings\": {}}}\n",
                   vocab_size, ids.size(), fmt::join(inputs, ", "), fmt::join(targets, ", "),
                   rows(token_embeddings, 8), rows(pos_embeddings, 8), rows(input_embeddings, 8));
        return 0;
    }
    fmt::print("{} tokens, vocabulary of {}\n\n", ids.size(), vocab_size);
    fmt::print("Token IDs:\n{}\n\nInputs shape:\n{}\n\n", format_ids(inputs), shape_str(Shape(inputs.shape().begin(), inputs.shape().end())));
    fmt::print("Targets:\n{}\n\n", format_ids(targets));
    fmt::print("first window as text: {}\n\n", [&] {
        std::string s;
        for (long j = 0; j < a.max_length; ++j) s += (a.tokenizer == "gpt2" ? "" : j ? " " : "") + tokens.show(inputs(0, j));
        return s;
    }());
    fmt::print("token_embeddings.shape: {}\n", shape_of(token_embeddings));
    fmt::print("pos_embeddings.shape: {}\n", shape_of(pos_embeddings));
    fmt::print("input_embeddings.shape: {}\n\n", shape_of(input_embeddings));
    fmt::print("pos_embeddings[:, :5]:\n{}\n\n", index(pos_embeddings, {Slice(), Slice(None, 5)}));
    fmt::print("input_embeddings[0, :, :5] = token_embeddings[0, :, :5] + pos_embeddings[:, :5]:\n{}\n",
               index(input_embeddings, {0, Slice(), Slice(None, 5)}));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"the GPT lectures' input pipeline: token and positional embeddings"};
    app.add_option("--tokenizer", a.tokenizer, "gpt2 (the book's: GPT-2's BPE) or words (the bigram's word tokenizer)")
        ->capture_default_str()->check(CLI::IsMember({"gpt2", "words"}));
    app.add_option("--text", a.text, "the text to tokenize (default: the book's the-verdict.txt; with --tokenizer words, tinyshakespeare)");
    app.add_option("--batch-size", a.batch_size, "windows in the batch")->capture_default_str()->check(programs::positive);
    app.add_option("--max-length", a.max_length, "tokens a window (the context length)")->capture_default_str()->check(programs::positive);
    app.add_option("--stride", a.stride, "tokens between window starts")->capture_default_str()->check(programs::positive);
    app.add_option("--output-dim", a.output_dim, "embedding dimensions")->capture_default_str()->check(programs::positive);
    app.add_option("--seed", a.seed, "seed (torch.manual_seed's)")->capture_default_str();
    app.add_option("--plot", a.plot, "write embeddings.svg (the first window's token, positional and input embeddings in "
                                     "2-D) into this directory");
    app.add_flag("--json", a.json, "print the numbers as one JSON line (for tests)");
    if (const auto status = programs::parse(app, argc, argv, "positional")) return *status;
    if (a.text.empty()) a.text = a.tokenizer == "gpt2" ? XGRAD_DATA_DIR "/gpt2/the-verdict.txt" : XGRAD_DATA_DIR "/tinyshakespeare/input.txt";
    return programs::run_main("positional", [&] {
        return run(a);
    });
}
