// The array types xgrad stores its data in: row-major xtensor containers. This is the one header
// that includes xtensor's container; the math headers are included by tensor/xt.hpp (for .cpp files).
#pragma once
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "tensor/buffer.hpp"
#include "tensor/error.hpp"

namespace xgrad {

/// float32 data, any rank, row-major; large arrays live in the buffer cache (tensor/buffer.hpp).
using Array = xt::xarray<float, xt::layout_type::row_major, BufferAllocator<float>>;
using IdArray = xt::xarray<int64_t>;  ///< token ids / class ids, any rank
using Shape = Array::shape_type;      ///< a shape, e.g. {3, 4}

/// The sizes a factory takes (PyTorch's IntArrayRef): a Shape, or integers in braces or a vector, signed
/// or not — zeros({B, T, C}) with long B, T, C, as in PyTorch. A negative size throws ValueError naming it.
class Sizes {
public:
    Sizes(const Shape& shape) : shape_(shape) {}                           // NOLINT: implicit on purpose
    Sizes(const std::vector<long>& sizes);                                 // NOLINT
    Sizes(std::initializer_list<long> sizes) : Sizes(std::vector<long>(sizes)) {}  // NOLINT: {B, 2} mixed
    template <std::integral I>
    Sizes(std::initializer_list<I> sizes) {  // NOLINT: {n, m} of one integer type
        if constexpr (std::is_signed_v<I>) *this = Sizes(std::vector<long>(sizes.begin(), sizes.end()));
        else shape_.assign(sizes.begin(), sizes.end());
    }
    operator const Shape&() const { return shape_; }  // NOLINT
    const Shape& shape() const { return shape_; }

private:
    Shape shape_;
};

/// "(3, 4)"; "()" for rank 0.
std::string shape_str(const Shape& shape);
/// Number of elements of a shape (1 for rank 0).
std::size_t shape_numel(const Shape& shape);
/// The numpy broadcast of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Sums x over `dims` (sorted, unique), accumulating in double (kernels::sum_dims); the result keeps
/// x's rank with the summed dims set to 1.
Array sum_dims(const Array& x, const std::vector<std::size_t>& dims);
/// Sums `g` down to `shape` (the reverse of broadcasting): leading dims and dims where `shape`
/// has 1 are summed. `g` must be a broadcast of `shape`.
Array sum_to(const Array& g, const Shape& shape);
/// The same, handing g itself back (no copy) when it already has the shape.
Array sum_to(Array&& g, const Shape& shape);
/// An array with no elements, shape (0), allocating nothing: the placeholder for "no data" (a default
/// Array() is a rank-0 array of one element, on the heap).
inline Array empty_array() { return Array::from_shape({0}); }
/// An uninitialised array of `shape`. A shape whose size overflows, or memory that cannot be had,
/// throws ValueError naming `op`, the shape and the bytes asked for (never a bare std::bad_alloc, never
/// a 0-element array with an overflowed shape).
Array new_array(const Shape& shape, const char* op);
/// An array of `shape` filled with `value` (checked as new_array).
Array full_array(const Shape& shape, float value, const char* op = "full");
/// Copies an id array of any integer type into int64.
IdArray to_ids(const xt::xarray<int32_t>& ids);

}  // namespace xgrad
