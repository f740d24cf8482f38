// A matrix kept in bfloat16 (kernels/bf16.hpp): a float32 weight rounded once, for products that only
// read it — inference, where half the bytes means nearly twice the matrix-vector products a second.
#pragma once
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "tensor/array.hpp"
#include "tensor/error.hpp"
#include "tensor/kernels/bf16.hpp"

namespace xgrad {

struct Bf16Matrix {
    std::size_t rows = 0, cols = 0;
    std::vector<uint16_t> values;  ///< rows × cols, row-major

    Bf16Matrix() = default;
    /// m (rows, cols), each value rounded to the nearest bfloat16, ties to even (PyTorch's
    /// m.to(torch.bfloat16)). ShapeError unless m is 2-D.
    explicit Bf16Matrix(const Array& m) {
        if (m.dimension() != 2) throw ShapeError(fmt::format("Bf16Matrix: {} is not a matrix", shape_str(m.shape())));
        rows = m.shape()[0], cols = m.shape()[1];
        values.resize(m.size());
        kernels::to_bf16(m.data(), values.data(), m.size());
    }
    /// The floats the values stand for, (rows, cols).
    Array to_float() const {
        Array m = new_array({rows, cols}, "Bf16Matrix::to_float");
        kernels::from_bf16(values.data(), m.data(), values.size());
        return m;
    }
};

}  // namespace xgrad
