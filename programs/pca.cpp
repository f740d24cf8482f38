// plot::fit_pca (see pca.hpp).
#include "programs/pca.hpp"

#include <algorithm>
#include <cmath>

namespace plot {

std::pair<double, double> Pca::project(const double* row) const {
    double x = 0, y = 0;
    for (std::size_t j = 0; j < mean.size(); ++j) x += (row[j] - mean[j]) * c1[j], y += (row[j] - mean[j]) * c2[j];
    return {x, y};
}

Pca fit_pca(const std::vector<double>& rows, std::size_t n, std::size_t d) {
    Pca p;
    p.mean.assign(d, 0.0);
    std::vector<double> cov(d * d, 0.0);  // Σ (row − mean)(row − mean)ᵀ
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) p.mean[j] += rows[i * d + j] / static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t a = 0; a < d; ++a)
            for (std::size_t b = 0; b < d; ++b) cov[a * d + b] += (rows[i * d + a] - p.mean[a]) * (rows[i * d + b] - p.mean[b]);
    double trace = 0, captured = 0;
    for (std::size_t a = 0; a < d; ++a) trace += cov[a * d + a];
    for (std::vector<double>* comp : {&p.c1, &p.c2}) {
        std::vector<double> v(d), w(d);
        for (std::size_t a = 0; a < d; ++a) v[a] = 1.0 + 0.01 * double(a);  // not orthogonal to a component by symmetry
        double lambda = 0;
        for (int it = 0; it < 1000; ++it) {
            double norm = 0, change = 0;
            for (std::size_t a = 0; a < d; ++a) {
                w[a] = 0;
                for (std::size_t b = 0; b < d; ++b) w[a] += cov[a * d + b] * v[b];
                norm += w[a] * w[a];
            }
            norm = std::sqrt(norm);
            if (norm == 0) break;
            lambda = norm;
            for (std::size_t a = 0; a < d; ++a) change += std::abs(w[a] / norm - v[a]), v[a] = w[a] / norm;
            if (change < 1e-13 * double(d)) break;
        }
        if (lambda == 0) {  // no variance left: any unit vector orthogonal to the first will do
            std::fill(v.begin(), v.end(), 0.0);
            if (d) v[comp == &p.c1 || d == 1 ? 0 : (std::abs(p.c1[0]) < std::abs(p.c1[1]) ? 0 : 1)] = 1.0;
            if (comp == &p.c2 && d > 1) {  // Gram-Schmidt against c1
                double dot = 0, norm = 0;
                for (std::size_t a = 0; a < d; ++a) dot += v[a] * p.c1[a];
                for (std::size_t a = 0; a < d; ++a) v[a] -= dot * p.c1[a], norm += v[a] * v[a];
                for (double& x : v) x /= std::sqrt(norm);
            }
        }
        std::size_t big = 0;  // sign: the largest entry positive
        for (std::size_t a = 0; a < d; ++a)
            if (std::abs(v[a]) > std::abs(v[big])) big = a;
        if (d && v[big] < 0)
            for (double& x : v) x = -x;
        for (std::size_t a = 0; a < d; ++a)  // deflate: cov −= λ v vᵀ
            for (std::size_t b = 0; b < d; ++b) cov[a * d + b] -= lambda * v[a] * v[b];
        captured += lambda;
        *comp = v;
    }
    p.explained = trace > 0 ? captured / trace : 1.0;
    return p;
}

}  // namespace plot
