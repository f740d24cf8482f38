// What the readers of safetensors and .npy files share (internal to nn/): the error of a bad file and
// the bounded reading of a shape.
#pragma once
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "tensor/array.hpp"

namespace xgrad::nn::detail {

// The error of a file that is not what it should be: "<name>: not a valid <kind> file: <what>".
struct BadFile {
    const std::string& name;
    const char* kind;
    FileError operator()(const std::string& what) const {
        return FileError(fmt::format("{}: not a valid {} file: {}", name, kind, what));
    }
};

// A shape read from a file, size by size: the product of its non-zero sizes stays below 2⁴⁰ elements,
// which bounds the strides and what a file can make the reader allocate.
struct ShapeReader {
    Shape shape;
    std::size_t numel = 1, span = 1;
    bool add(uint64_t v) {  // false: the shape would pass the bound
        if (v != 0 && span > (uint64_t(1) << 40) / v) return false;
        if (v != 0) span *= v;
        numel *= v;
        shape.push_back(v);
        return true;
    }
};

}  // namespace xgrad::nn::detail
