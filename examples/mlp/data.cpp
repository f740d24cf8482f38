// The makemore MLP's data and helpers (see data.hpp).
#include "data.hpp"

#include <cmath>
#include <fstream>

#include <fmt/format.h>

namespace mlp {

using namespace xgrad;

char itos(int64_t id) { return id == 0 ? '.' : static_cast<char>('a' + id - 1); }

std::vector<std::string> read_words(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw FileError(fmt::format("{}: cannot open it", path));
    std::vector<std::string> words;
    std::string line;
    for (long n = 1; std::getline(f, line); ++n) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        for (char c : line)
            if (c < 'a' || c > 'z')
                throw FileError(fmt::format("{}, line {}: \"{}\" has a character outside a-z (byte {})", path, n, line,
                                            static_cast<int>(static_cast<unsigned char>(c))));
        words.push_back(line);
    }
    if (words.empty()) throw FileError(fmt::format("{}: no names in it", path));
    return words;
}

Dataset build_dataset(const std::vector<std::string>& words, long block) {
    std::vector<int64_t> xs, ys;
    for (const auto& w : words) {
        std::vector<int64_t> context(static_cast<std::size_t>(block), 0);
        for (char ch : w + ".") {
            const int64_t ix = ch == '.' ? 0 : ch - 'a' + 1;
            xs.insert(xs.end(), context.begin(), context.end());
            ys.push_back(ix);
            context.erase(context.begin());  // context = context[1:] + [ix]
            context.push_back(ix);
        }
    }
    Dataset d{IdArray::from_shape({ys.size(), static_cast<std::size_t>(block)}), IdArray::from_shape({ys.size()})};
    std::copy(xs.begin(), xs.end(), d.X.begin());
    std::copy(ys.begin(), ys.end(), d.Y.begin());
    return d;
}

double split_loss(const Mlp& model, const Dataset& d) {
    NoGradGuard no_grad;
    const long n = static_cast<long>(d.Y.size()), chunk = 8192;
    double total = 0;
    for (long at = 0; at < n; at += chunk) {
        const long len = std::min(chunk, n - at);
        const Tensor l = nn::cross_entropy(model.forward(slice(d.X, 0, at, at + len)), slice(d.Y, 0, at, at + len),
                                           {.reduction = nn::Reduction::Sum});
        total += l.item();
    }
    return total / static_cast<double>(n);
}

std::string sample_name(const Mlp& model, long block, Generator& gen) {
    NoGradGuard no_grad;
    IdArray context = full_ids({1, static_cast<std::size_t>(block)}, 0);  // [[0] * block_size]
    std::string out;
    for (int len = 0; len < 100; ++len) {  // a name longer than 100 letters is cut there
        const Tensor probs = softmax(model.forward(context), 1);
        const int64_t ix = multinomial(probs, 1, false, gen)(0, 0);
        if (ix == 0) break;
        out += itos(ix);
        context = cat({index(context, {Slice(), Slice(1, None)}), full_ids({1, 1}, ix)}, 1);  // context[1:] + [ix]
    }
    return out;
}

Projection project_2d(const Array& table) {
    const std::size_t n = table.shape()[0], d = table.shape()[1];
    Projection p;
    if (d == 2) {
        for (std::size_t i = 0; i < n; ++i) p.x.push_back(table(i, 0)), p.y.push_back(table(i, 1));
        return p;
    }
    // covariance of the centred rows, then its top two eigenvectors by power iteration with deflation
    std::vector<double> mean(d, 0.0), cov(d * d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) mean[j] += table(i, j) / static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t a = 0; a < d; ++a)
            for (std::size_t b = 0; b < d; ++b) cov[a * d + b] += (table(i, a) - mean[a]) * (table(i, b) - mean[b]);
    double trace = 0;
    for (std::size_t a = 0; a < d; ++a) trace += cov[a * d + a];
    std::vector<std::vector<double>> comps;
    double captured = 0;
    for (int k = 0; k < 2; ++k) {
        std::vector<double> v(d, 1.0 / std::sqrt(static_cast<double>(d))), w(d);
        double lambda = 0;
        for (int it = 0; it < 500; ++it) {
            for (std::size_t a = 0; a < d; ++a) {
                w[a] = 0;
                for (std::size_t b = 0; b < d; ++b) w[a] += cov[a * d + b] * v[b];
            }
            double norm = 0;
            for (double x : w) norm += x * x;
            norm = std::sqrt(norm);
            if (norm == 0) break;
            lambda = norm;
            for (std::size_t a = 0; a < d; ++a) v[a] = w[a] / norm;
        }
        for (std::size_t a = 0; a < d; ++a)  // deflate: cov -= λ v vᵀ
            for (std::size_t b = 0; b < d; ++b) cov[a * d + b] -= lambda * v[a] * v[b];
        captured += lambda;
        comps.push_back(v);
    }
    for (std::size_t i = 0; i < n; ++i) {
        double x = 0, y = 0;
        for (std::size_t j = 0; j < d; ++j) x += (table(i, j) - mean[j]) * comps[0][j], y += (table(i, j) - mean[j]) * comps[1][j];
        p.x.push_back(x);
        p.y.push_back(y);
    }
    p.explained = trace > 0 ? captured / trace : 1.0;
    return p;
}

}  // namespace mlp
