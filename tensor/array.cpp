// Shape helpers shared by all ops: printing shapes, numpy broadcasting and its reverse (sum_to).
#include "tensor/array.hpp"

#include <fmt/format.h>

#include "tensor/kernels/broadcast.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

Sizes::Sizes(const std::vector<long>& sizes) {
    for (std::size_t i = 0; i < sizes.size(); ++i)
        if (sizes[i] < 0)
            throw ValueError(fmt::format("size {} at dim {} of ({}) is negative", sizes[i], i, fmt::join(sizes, ", ")));
    shape_.assign(sizes.begin(), sizes.end());
}

std::string shape_str(const Shape& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + ")";
}

std::size_t shape_numel(const Shape& shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        // align from the right
        std::size_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        std::size_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(fmt::format("{}: shapes {} and {} cannot be broadcast together (dim {}: {} vs {})",
                                         op, shape_str(a), shape_str(b), i, da, db));
        out[i] = da == 1 ? db : da;
    }
    return out;
}

Array sum_dims(const Array& x, const std::vector<std::size_t>& dims) {
    std::vector<bool> reduced(x.dimension(), false);
    Shape out_shape = x.shape();
    for (auto d : dims) reduced[d] = true, out_shape[d] = 1;
    Array r = Array::from_shape(out_shape);
    kernels::sum_dims(x.data(), x.shape(), reduced, r.data());
    return r;
}

Array sum_to(const Array& g, const Shape& shape) {
    if (g.shape() == shape) return g;
    const std::size_t lead = g.dimension() - shape.size();
    std::vector<std::size_t> axes;
    for (std::size_t i = 0; i < g.dimension(); ++i)
        if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) axes.push_back(i);
    Array r = sum_dims(g, axes);
    r.reshape(shape);
    return r;
}

Array sum_to(Array&& g, const Shape& shape) {
    if (g.shape() == shape) return std::move(g);
    return sum_to(static_cast<const Array&>(g), shape);
}

// No machine this runs on has a terabyte for one array; asking for more is a mistake to name, not an
// allocation to attempt (AddressSanitizer aborts on one that large instead of failing it).
constexpr std::size_t kMaxArrayBytes = std::size_t(1) << 40;

Array new_array(const Shape& shape, const char* op) {
    std::size_t n = 1, bytes = 0;
    bool overflow = false, empty = false;
    for (auto d : shape) overflow |= __builtin_mul_overflow(n, d, &n), empty |= d == 0;
    overflow |= __builtin_mul_overflow(n, sizeof(float), &bytes);
    if (overflow && !empty)
        throw ValueError(fmt::format("{}: shape {} has too many elements to allocate", op, shape_str(shape)));
    if (bytes > kMaxArrayBytes)
        throw ValueError(fmt::format("{}: cannot allocate {} bytes for shape {} (more than the 1 TiB an array may take)",
                                     op, bytes, shape_str(shape)));
    for (auto d : shape)  // even with no element: the strides of the others would overflow
        if (d > (std::size_t(1) << 48))
            throw ValueError(fmt::format("{}: shape {} has a size too large to index", op, shape_str(shape)));
    try {
        return Array::from_shape(shape);
    } catch (const std::bad_alloc&) {
        throw ValueError(fmt::format("{}: cannot allocate {} bytes for shape {}", op, bytes, shape_str(shape)));
    }
}

Array full_array(const Shape& shape, float value, const char* op) {
    Array a = new_array(shape, op);
    std::fill(a.begin(), a.end(), value);
    return a;
}

IdArray to_ids(const xt::xarray<int32_t>& ids) {
    IdArray out = IdArray::from_shape(ids.shape());
    std::copy(ids.begin(), ids.end(), out.begin());
    return out;
}

}  // namespace xgrad
