// The first two principal components of a table's rows, to draw K-dimensional vectors in 2-D.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

namespace plot {

struct Pca {
    std::vector<double> mean, c1, c2;  ///< (d) each: the rows' mean and the two unit components
    double explained = 1.0;            ///< the share of the rows' variance along c1 and c2
    /// (row − mean)·c1, (row − mean)·c2 for a row of d values.
    std::pair<double, double> project(const double* row) const;
};

/// PCA of n rows of d values (row-major): the covariance's two leading eigenvectors by power
/// iteration with deflation, each signed so its largest entry is positive (a fixed start, so the same
/// rows give the same picture).
Pca fit_pca(const std::vector<double>& rows, std::size_t n, std::size_t d);

}  // namespace plot
