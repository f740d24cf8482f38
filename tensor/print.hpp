// Printing arrays the way PyTorch prints tensors: tensor([[ 0.3367,  0.1288], ...]).
// Fixed 4 decimals, scientific notation when magnitudes span more than 1e3 (or exceed 1e8 or fall
// below 1e-4), integers as "1.", and "..." past 1000 elements (first and last 3 of each dim).
#pragma once
#include <string>

#include "tensor/array.hpp"

namespace xgrad {

/// "tensor([...]" + suffix + ")"; suffix is e.g. ", requires_grad=true".
std::string format_array(const Array& a, const std::string& suffix = "");
/// Ids print as integers: tensor([2, 3, 1]).
std::string format_ids(const IdArray& a);

}  // namespace xgrad
