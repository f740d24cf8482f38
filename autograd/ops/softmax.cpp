// softmax and log_softmax over one dim, on the vectorised row kernels (tensor/kernels/softmax.hpp).
// The kernels work on contiguous rows (the last dim); another dim is moved last with transpose.
#include "autograd/ops.hpp"
#include "tensor/kernels/softmax.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {

// rows of the last dim; an empty last dim has no row to normalise (0 rows, not 0 / 0)
std::size_t rows_of(const Array& a) {
    return a.dimension() == 0 ? 1 : a.shape().back() == 0 ? 0 : a.size() / a.shape().back();
}
std::size_t cols_of(const Array& a) { return a.dimension() == 0 ? 1 : a.shape().back(); }

}  // namespace

// softmax over the last dim: y_j = exp(x_j - m) / Σ_k exp(x_k - m), m = max_k x_k
//   dx_j = y_j · (dy_j - Σ_k dy_k y_k)
Tensor softmax(const Tensor& x, int dim) {
    const std::size_t last = x.dim() == 0 ? 0 : x.dim() - 1;
    const std::size_t d = normalize_dim(dim, std::max<std::size_t>(x.dim(), 1), "softmax");  // rank 0: dims 0 and -1, as PyTorch
    if (d != last) return transpose(softmax(transpose(x, static_cast<int>(d), -1), -1), static_cast<int>(d), -1);
    Array y = new_array(x.shape(), "softmax");
    const std::size_t rows = rows_of(y), n = cols_of(y);
    if (n > 0) kernels::softmax_rows(x.data().data(), y.data(), rows, n);
    return record("softmax", std::move(y), {x}, [rows, n](const Array& dy, const Array& y, Inputs in) {
        Array g = new_array(y.shape(), "softmax backward");
        for (std::size_t r = 0; r < rows; ++r) {
            const float* yr = y.data() + r * n;
            const float* dr = dy.data() + r * n;
            double dot = 0.0;
            for (std::size_t j = 0; j < n; ++j) dot += double(dr[j]) * yr[j];
            for (std::size_t j = 0; j < n; ++j) g.data()[r * n + j] = yr[j] * (dr[j] - static_cast<float>(dot));
        }
        in[0].accumulate_grad(std::move(g));
    }, BackwardReads::InputsAndOutput);
}

// log_softmax over the last dim: y_j = x_j - m - log Σ_k exp(x_k - m)
//   dx_j = dy_j - exp(y_j) · Σ_k dy_k
Tensor log_softmax(const Tensor& x, int dim) {
    const std::size_t last = x.dim() == 0 ? 0 : x.dim() - 1;
    const std::size_t d = normalize_dim(dim, std::max<std::size_t>(x.dim(), 1), "log_softmax");
    if (d != last)
        return transpose(log_softmax(transpose(x, static_cast<int>(d), -1), -1), static_cast<int>(d), -1);
    Array y = new_array(x.shape(), "log_softmax");
    const std::size_t rows = rows_of(y), n = cols_of(y);
    if (n > 0) kernels::log_softmax_rows(x.data().data(), y.data(), rows, n);
    return record("log_softmax", std::move(y), {x}, [rows, n](const Array& dy, const Array& y, Inputs in) {
        Array g = new_array(y.shape(), "log_softmax backward");
        for (std::size_t r = 0; r < rows; ++r) {
            const float* yr = y.data() + r * n;
            const float* dr = dy.data() + r * n;
            double s = 0.0;
            for (std::size_t j = 0; j < n; ++j) s += dr[j];
            for (std::size_t j = 0; j < n; ++j)
                g.data()[r * n + j] = dr[j] - std::exp(yr[j]) * static_cast<float>(s);
        }
        in[0].accumulate_grad(std::move(g));
    }, BackwardReads::InputsAndOutput);
}

}  // namespace xgrad
