// Shape helpers shared by all ops: printing shapes, numpy broadcasting and its reverse (sum_to).
#include "tensor/array.hpp"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tensor/xt.hpp"

namespace xgrad {

namespace {
// Large tensors come and go every training step (W-word's logits and their gradient: 40 MB each).
// glibc serves blocks above its mmap threshold (at most 32 MB) with fresh mmaps that are unmapped on
// free, so every step would page-fault 20,000 new pages (W-word: 230 ms a step instead of 135). xgrad
// asks glibc to keep freed memory for reuse instead, once, when the library loads: the process keeps
// its peak heap (as PyTorch's caching allocators do). XGRAD_MALLOC_DEFAULTS=1 leaves glibc as it is.
[[maybe_unused]] const bool kMallocKeepsFreedMemory = [] {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    const char* env = std::getenv("XGRAD_MALLOC_DEFAULTS");
    if (env && std::strcmp(env, "1") == 0) return false;
    mallopt(M_MMAP_MAX, 0);                     // no mmap per block: big blocks come from the heap
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // give the heap's top back to the system only above 1 GB free
    return true;
#else
    return false;
#endif
}();
}  // namespace

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
    const Shape& xs = x.shape();
    const std::size_t rank = xs.size();
    Shape out_shape = xs;
    for (auto d : dims) out_shape[d] = 1;
    // Output stride of each input dim (0 along the summed dims).
    std::vector<std::size_t> ostride(rank, 0);
    for (std::size_t d = rank, st = 1; d-- > 0;) {
        ostride[d] = out_shape[d] == 1 ? 0 : st;
        st *= out_shape[d];
    }
    std::vector<double> acc(shape_numel(out_shape), 0.0);
    std::vector<std::size_t> idx(rank, 0);
    const float* p = x.data();
    std::size_t o = 0;  // output offset of idx
    for (std::size_t i = 0, n = x.size(); i < n; ++i) {
        acc[o] += p[i];
        for (std::size_t d = rank; d-- > 0;) {  // next multi-index, row-major
            o += ostride[d];
            if (++idx[d] < xs[d]) break;
            o -= ostride[d] * xs[d];
            idx[d] = 0;
        }
    }
    Array r = Array::from_shape(out_shape);
    std::copy(acc.begin(), acc.end(), r.begin());
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

Array full_array(const Shape& shape, float value) {
    Array a = Array::from_shape(shape);
    std::fill(a.begin(), a.end(), value);
    return a;
}

IdArray to_ids(const xt::xarray<int32_t>& ids) {
    IdArray out = IdArray::from_shape(ids.shape());
    std::copy(ids.begin(), ids.end(), out.begin());
    return out;
}

}  // namespace xgrad
