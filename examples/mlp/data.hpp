// The makemore MLP's data and helpers: names → (context, next) examples, the loss over a whole split,
// sampling names, and the 2-D picture of the character embeddings.
#pragma once
#include <string>
#include <vector>

#include "model.hpp"

namespace mlp {

/// '.' (id 0, the start and end of a name) and a…z (ids 1…26), as the lecture's stoi.
constexpr int kVocab = 27;
char itos(int64_t id);

/// One name a line, lower-case a–z only; throws FileError naming the file and line otherwise.
std::vector<std::string> read_words(const std::string& path);

/// The lecture's build_dataset: for each name, every (last `block` ids, next id), the context starting
/// as `block` dots.  X (n, block), Y (n).
struct Dataset {
    xgrad::IdArray X, Y;
};
Dataset build_dataset(const std::vector<std::string>& words, long block);

/// Mean cross-entropy of the model over a whole split (no graph; in chunks, summed in double).
double split_loss(const Mlp& model, const Dataset& d);

/// One name sampled from the model: start with `block` dots, draw the next id from softmax(logits)
/// with multinomial until a dot.
std::string sample_name(const Mlp& model, long block, xgrad::Generator& gen);

/// The embedding table's rows projected on its first two principal components (for a 2-D table, the
/// table itself): (x, y) per row, and the share of the variance the two components explain.
struct Projection {
    std::vector<double> x, y;
    double explained = 1.0;
};
Projection project_2d(const xgrad::Array& table);

}  // namespace mlp
