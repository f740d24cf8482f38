// The row-major walk over a multi-index (the last dim fastest) that the strided kernels share, with the
// offsets the index gives in up to two strided arrays: after each step a == Σ_d idx[d]·sa[d] and
// b == Σ_d idx[d]·sb[d]. The offsets are carried as the index is (one add per dim that moves), so a
// step costs O(1) on average, not O(rank).
#pragma once
#include <cstddef>
#include <limits>

#include <xtensor/xstorage.hpp>

namespace xgrad::kernels {

class IndexWalk {
public:
    static constexpr std::size_t kNoDim = std::numeric_limits<std::size_t>::max();

    /// At index 0 over dims [0, rank) of `shape`. sa, sb: strides per dim (nullptr: that offset is not
    /// kept). skip: a dim the walk leaves out (its index stays 0; the caller walks it itself).
    IndexWalk(const std::size_t* shape, std::size_t rank, const std::size_t* sa = nullptr, const std::size_t* sb = nullptr,
              std::size_t skip = kNoDim)
        : shape_(shape), sa_(sa), sb_(sb), skip_(skip), idx_(rank, 0) {}

    /// Moves to the i-th index in row-major order (the skipped dim, if any, taken as size 1).
    void seek(std::size_t i) {
        a = b = 0;
        for (std::size_t d = idx_.size(); d-- > 0;) {
            if (d == skip_) continue;
            idx_[d] = i % shape_[d], i /= shape_[d];
            if (sa_) a += idx_[d] * sa_[d];
            if (sb_) b += idx_[d] * sb_[d];
        }
    }

    /// The next index: the last dim moves, and when it wraps to 0 the one before it moves, and so on.
    void next() {
        for (std::size_t d = idx_.size(); d-- > 0;) {
            if (d == skip_) continue;
            if (sa_) a += sa_[d];
            if (sb_) b += sb_[d];
            if (++idx_[d] < shape_[d]) return;
            if (sa_) a -= sa_[d] * shape_[d];
            if (sb_) b -= sb_[d] * shape_[d];
            idx_[d] = 0;
        }
    }

    std::size_t operator[](std::size_t d) const { return idx_[d]; }

    std::size_t a = 0, b = 0;  ///< the offsets of the current index

private:
    const std::size_t* shape_;
    const std::size_t *sa_, *sb_;
    std::size_t skip_;
    xt::svector<std::size_t, 8> idx_;
};

}  // namespace xgrad::kernels
