// The makemore MLP's data and helpers (see data.hpp).
#include "data.hpp"

#include "programs/pca.hpp"

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
    IdArray context = full_ids({1L, block}, 0);  // [[0] * block_size]
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
    std::vector<double> rows(table.begin(), table.end());
    if (d == 2) {
        for (std::size_t i = 0; i < n; ++i) p.x.push_back(rows[2 * i]), p.y.push_back(rows[2 * i + 1]);
        return p;
    }
    const plot::Pca pca = plot::fit_pca(rows, n, d);
    for (std::size_t i = 0; i < n; ++i) {
        const auto [x, y] = pca.project(&rows[i * d]);
        p.x.push_back(x), p.y.push_back(y);
    }
    p.explained = pca.explained;
    return p;
}

}  // namespace mlp
