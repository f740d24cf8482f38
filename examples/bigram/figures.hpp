// The bigram program's figures (--plot DIR): the lecture's vectors before and after training, the
// vectors seen from one previous token, and the loss curve.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "corpus.hpp"
#include "tensor/array.hpp"

namespace bigram {

/// Panels of V's and U's rows (the first 40 tokens) as arrows: the tables themselves when K = 2, a 1-D
/// strip when K = 1, and for K > 2 both projected on the first two principal components of their rows
/// together (said in the title, with the share of the variance they hold).
std::string vectors_figure(const xgrad::Array& V, const xgrad::Array& U, const Vocabulary& vocab, const std::string& title);

/// One model seen from previous token `prev` (the lecture's figure): U's rows as arrows weighted by
/// p(next | prev) = softmax(U v_prev), each labelled with it, and v_prev marked in black.
struct PrevPanel {
    xgrad::Array V, U;
    std::string title;
    double loss;  ///< shown under the title (NaN: not shown)
};
std::string prev_figure(const std::vector<PrevPanel>& models, const Vocabulary& vocab, int64_t prev);

/// The batch losses against the step, the validation loss when measured, and the floor.
std::string loss_figure(const std::vector<std::pair<long, double>>& batch, const std::vector<std::pair<long, double>>& valid,
                        double floor);

}  // namespace bigram
