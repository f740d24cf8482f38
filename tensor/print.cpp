// PyTorch-like printing of float and id arrays. See tensor/print.hpp for the rules.
#include "tensor/print.hpp"

#include <cmath>
#include <functional>
#include <vector>

#include <fmt/format.h>

namespace xgrad {

namespace {

constexpr std::size_t kSummarizeAbove = 1000;
constexpr std::size_t kEdgeItems = 3;

constexpr std::size_t kLineWidth = 80;

// Recursively writes nested brackets, as torch's _tensor_str: `elem(i)` formats flat element i, all
// `width` wide; a summarized dim shows its first and last kEdgeItems entries around "...". The last dim
// wraps at kLineWidth, (kLineWidth - indent) / (width + 2) elements a line.
void write_block(std::string& out, const Shape& shape, std::size_t dim, std::size_t offset, bool summarize,
                 std::size_t indent, std::size_t width, const std::function<std::string(std::size_t)>& elem) {
    const std::size_t n = shape[dim];
    std::size_t stride = 1;
    for (std::size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
    const bool cut = summarize && n > 2 * kEdgeItems;
    const std::size_t ind = indent + dim;  // columns before this dim's '['
    out += '[';
    if (dim + 1 == shape.size()) {
        std::vector<std::string> items;
        for (std::size_t i = 0; i < n; ++i) {
            if (cut && i == kEdgeItems) {
                items.push_back(" ...");
                i = n - kEdgeItems;
            }
            items.push_back(elem(offset + i));
        }
        const std::size_t per_line = std::max<std::size_t>(1, (kLineWidth - ind) / (width + 2));
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i > 0) out += i % per_line == 0 ? ",\n" + std::string(ind + 1, ' ') : ", ";
            out += items[i];
        }
    } else {
        const std::string sep = "," + std::string(shape.size() - dim - 1, '\n') + std::string(ind + 1, ' ');
        for (std::size_t i = 0; i < n; ++i) {
            if (cut && i == kEdgeItems) {
                out += "..." + sep;
                i = n - kEdgeItems;
            }
            write_block(out, shape, dim + 1, offset + i * stride, summarize, indent, width, elem);
            if (i + 1 < n) out += sep;
        }
    }
    out += ']';
}

// Whether flat element i is printed when the array is summarized: along every dim longer than
// 2·kEdgeItems, its index is among the first or last kEdgeItems (torch's get_summarized_data).
bool shown(const Shape& shape, std::size_t i) {
    for (std::size_t d = shape.size(); d-- > 0;) {
        const std::size_t n = shape[d], k = i % n;
        if (n > 2 * kEdgeItems && k >= kEdgeItems && k < n - kEdgeItems) return false;
        i /= n;
    }
    return true;
}

}  // namespace

std::string format_array(const Array& a, const std::string& suffix) {
    const bool summarize = a.size() > kSummarizeAbove;
    // One format for all values, chosen as torch's _Formatter does from the nonzero finite values it
    // prints (only the summary's, for a summarized array): integers print "3.", others "0.3613", and
    // scientific "3.6126e-01" when max |v| / min |v| > 1000 or max |v| > 1e8 (or, not integers, min |v| < 1e-4).
    bool ints = true;
    double amax = 0.0, amin = INFINITY;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const float v = a.data()[i];
        if (!std::isfinite(v) || v == 0.0f || (summarize && !shown(a.shape(), i))) continue;
        if (v != std::ceil(v)) ints = false;
        const double m = std::fabs(double(v));
        amax = std::max(amax, m);
        amin = std::min(amin, m);
    }
    const bool sci = amax > 0 && (amax / amin > 1e3 || amax > 1e8 || (!ints && amin < 1e-4));
    auto raw = [&](float v) -> std::string {
        if (std::isnan(v)) return "nan";
        if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
        if (sci) return fmt::format("{:.4e}", v);
        if (ints) return fmt::format("{:.0f}.", v);  // (0 and non-finite values keep the format chosen)
        return fmt::format("{:.4f}", v);
    };
    std::size_t width = 0;
    for (float v : a) width = std::max(width, raw(v).size());
    auto elem = [&](std::size_t i) { return fmt::format("{:>{}}", raw(a.data()[i]), width); };
    std::string out = "tensor(";
    if (a.dimension() == 0) out += raw(a());
    else if (a.size() == 0) out += "[]";
    else write_block(out, a.shape(), 0, 0, summarize, 7, width, elem);
    if (a.size() == 0 && a.dimension() > 1) out += ", size=" + shape_str(a.shape());
    return out + suffix + ")";
}

std::string format_ids(const IdArray& a) {
    std::size_t width = 0;
    for (auto v : a) width = std::max(width, std::to_string(v).size());
    auto elem = [&](std::size_t i) { return fmt::format("{:>{}}", a.data()[i], width); };
    std::string out = "tensor(";
    if (a.dimension() == 0) out += std::to_string(a());
    else if (a.size() == 0) out += "[]";
    else write_block(out, a.shape(), 0, 0, a.size() > kSummarizeAbove, 7, width, elem);
    return out + ")";
}

}  // namespace xgrad
