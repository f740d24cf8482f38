// Printing arrays the way PyTorch prints tensors: tensor([[ 0.3367,  0.1288], ...]).
// Fixed 4 decimals, scientific notation when magnitudes span more than 1e3 (or exceed 1e8 or fall
// below 1e-4), integers as "1.", and "..." past 1000 elements (first and last 3 of each dim).
#pragma once
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "tensor/array.hpp"

namespace xgrad {

/// "tensor([...]" + suffix + ")"; suffix is e.g. ", requires_grad=true".
std::string format_array(const Array& a, const std::string& suffix = "");
/// Ids print as integers: tensor([2, 3, 1]).
std::string format_ids(const IdArray& a);

}  // namespace xgrad

/// fmt::print("{}", array) prints an Array or IdArray the same way.
template <>
struct fmt::formatter<xgrad::Array> : fmt::formatter<std::string_view> {
    template <class Ctx>
    auto format(const xgrad::Array& a, Ctx& ctx) const {
        return fmt::formatter<std::string_view>::format(xgrad::format_array(a), ctx);
    }
};
template <>
struct fmt::formatter<xgrad::IdArray> : fmt::formatter<std::string_view> {
    template <class Ctx>
    auto format(const xgrad::IdArray& a, Ctx& ctx) const {
        return fmt::formatter<std::string_view>::format(xgrad::format_ids(a), ctx);
    }
};
