// positional: the input pipeline of the GPT lectures (Raschka, "LLMs from scratch", ch. 2) as a program.
//   text → token ids (the bigram's word tokenizer) → sliding windows (max_length 4, stride 4, batch 8)
//   → token Embedding(V, 256) of the ids + positional Embedding(4, 256) of arange(4) → (8, 4, 256).
// Prints the shapes and first rows as the lecture does; with the same seed its numbers are PyTorch's
// (tests/reference/make_positional_reference.py writes the same program in PyTorch).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "corpus.hpp"
#include "xgrad.hpp"

using namespace xgrad;

namespace {

struct Args {
    std::string text = XGRAD_DATA_DIR "/tinyshakespeare/input.txt";
    long batch_size = 8, max_length = 4, stride = 4, output_dim = 256;
    uint64_t seed = 123;
    bool json = false;
};

// The lecture's GPTDatasetV1: input_ids[i] = ids[s : s + max_length], target_ids[i] = ids[s + 1 : s + max_length + 1],
// s = 0, stride, 2·stride, … ; the first batch of an unshuffled DataLoader is the first batch_size of them.
// NOTE: iterating a torch DataLoader draws a 64-bit base seed (for its workers) from the default
// generator, even unshuffled; so does this, so the layers made after it get PyTorch's numbers too.
std::pair<IdArray, IdArray> first_batch(const IdArray& ids, long batch_size, long max_length, long stride) {
    default_generator().random64();
    std::vector<IdArray> inputs, targets;
    for (long s = 0; s + max_length < long(ids.size()) && long(inputs.size()) < batch_size; s += stride) {
        inputs.push_back(slice(ids, 0, s, s + max_length));
        targets.push_back(slice(ids, 0, s + 1, s + max_length + 1));
    }
    if (long(inputs.size()) < batch_size)
        throw ValueError(fmt::format("the text has {} tokens: too few for {} windows of {} with stride {}", ids.size(),
                                     batch_size, max_length, stride));
    return {stack(inputs), stack(targets)};
}

std::string shape_of(const Tensor& t) { return shape_str(t.shape()); }

int run(const Args& a) {
    const auto tokens = bigram::tokenize(nn::read_file(a.text), bigram::Level::Word);
    const auto vocab = bigram::Vocabulary::build(tokens, 2);
    const std::vector<int64_t> encoded = vocab.encode(tokens);
    IdArray ids = IdArray::from_shape({encoded.size()});
    std::copy(encoded.begin(), encoded.end(), ids.begin());

    manual_seed(a.seed);
    const long vocab_size = long(vocab.size());
    auto token_embedding_layer = nn::make<nn::Embedding>(vocab_size, a.output_dim);
    const auto batch = first_batch(ids, a.batch_size, a.max_length, a.stride);
    const IdArray &inputs = batch.first, &targets = batch.second;
    Tensor token_embeddings = token_embedding_layer(inputs);

    const long context_length = a.max_length;
    auto pos_embedding_layer = nn::make<nn::Embedding>(context_length, a.output_dim);
    Tensor pos_embeddings = pos_embedding_layer(arange_ids(a.max_length));
    Tensor input_embeddings = token_embeddings + pos_embeddings;

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
                   vocab_size, tokens.size(), fmt::join(inputs, ", "), fmt::join(targets, ", "),
                   rows(token_embeddings, 8), rows(pos_embeddings, 8), rows(input_embeddings, 8));
        return 0;
    }
    fmt::print("{} tokens, vocabulary of {}\n\n", tokens.size(), vocab_size);
    fmt::print("Token IDs:\n{}\n\nInputs shape:\n{}\n\n", format_ids(inputs), shape_str(Shape(inputs.shape().begin(), inputs.shape().end())));
    fmt::print("Targets:\n{}\n\n", format_ids(targets));
    fmt::print("first window as text: {}\n\n", [&] {
        std::string s;
        for (long j = 0; j < a.max_length; ++j) s += (j ? " " : "") + vocab.show(inputs(0, j));
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
    app.add_option("--text", a.text, "the text to tokenize")->capture_default_str();
    app.add_option("--batch-size", a.batch_size, "windows in the batch")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--max-length", a.max_length, "tokens a window (the context length)")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--stride", a.stride, "tokens between window starts")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--output-dim", a.output_dim, "embedding dimensions")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--seed", a.seed, "seed (torch.manual_seed's)")->capture_default_str();
    app.add_flag("--json", a.json, "print the numbers as one JSON line (for tests)");
    CLI11_PARSE(app, argc, argv);
    try {
        return run(a);
    } catch (const std::exception& e) {
        fmt::print(stderr, "positional: error: {}\n", e.what());
        return 1;
    }
}
