// The bigram program's figures (see figures.hpp), drawn with examples/plot.
#include "figures.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "programs/pca.hpp"
#include "programs/plot.hpp"

namespace bigram {

using xgrad::Array;

namespace {

constexpr std::size_t kShown = 40;   // tokens drawn: more would be a blot
constexpr std::size_t kLikely = 12;  // next tokens drawn from one previous token

std::vector<double> rows_of(const Array& t) { return std::vector<double>(t.begin(), t.end()); }

// Each table's rows in 2-D: (x, y) per row, y empty for K = 1. K > 2: the PCA fitted on all tables' rows.
struct Flat {
    std::vector<std::vector<double>> x, y;
    std::string note;  ///< what the axes are, for the title
};

Flat flatten(const std::vector<const Array*>& tables) {
    Flat f;
    const std::size_t K = tables[0]->shape()[1];
    if (K <= 2) {
        for (const Array* t : tables) {
            std::vector<double> x, y;
            for (std::size_t i = 0; i < t->shape()[0]; ++i) {
                x.push_back((*t)(i, 0));
                if (K == 2) y.push_back((*t)(i, 1));
            }
            f.x.push_back(x), f.y.push_back(y);
        }
        return f;
    }
    std::vector<double> all;
    std::size_t n = 0;
    for (const Array* t : tables) {
        const auto r = rows_of(*t);
        all.insert(all.end(), r.begin(), r.end());
        n += t->shape()[0];
    }
    const plot::Pca pca = plot::fit_pca(all, n, K);
    for (const Array* t : tables) {
        std::vector<double> x, y;
        const auto r = rows_of(*t);
        for (std::size_t i = 0; i < t->shape()[0]; ++i) {
            const auto [a, b] = pca.project(&r[i * K]);
            x.push_back(a), y.push_back(b);
        }
        f.x.push_back(x), f.y.push_back(y);
    }
    f.note = fmt::format("first two principal components of K = {} dims ({:.0f}% of the variance)", K, 100 * pca.explained);
    return f;
}

plot::Panel panel(const std::string& title, const std::vector<double>& x, const std::vector<double>& y, const Vocabulary& v,
                  std::size_t n, const char* color) {
    plot::Panel p;
    p.title = title, p.color = color;
    for (std::size_t i = 0; i < n; ++i) {
        p.labels.push_back(v.show(static_cast<int64_t>(i)));
        p.x.push_back(x[i]);
        if (!y.empty()) p.y.push_back(y[i]);
    }
    return p;
}

std::string axis_name(const Flat& f, int which, bool strip) {
    if (strip) return which == 0 ? "the one dimension (K = 1)" : "";
    if (f.note.empty()) return which == 0 ? "dim 0" : "dim 1";
    return which == 0 ? "PC 1" : "PC 2";
}

}  // namespace

std::string vectors_figure(const Array& V, const Array& U, const Vocabulary& vocab, const std::string& title) {
    const Flat f = flatten({&V, &U});
    const std::size_t n = std::min(vocab.size(), kShown);
    const bool strip = V.shape()[1] == 1;
    std::string t = title;
    if (!f.note.empty()) t += "\n" + f.note;
    if (vocab.size() > kShown) t += fmt::format("\nthe first {} of {} tokens", kShown, vocab.size());
    return plot::panels({panel("V (previous token)", f.x[0], f.y[0], vocab, n, "#1f77b4"),
                         panel("U (next token)", f.x[1], f.y[1], vocab, n, "#d62728")},
                        t, axis_name(f, 0, strip), axis_name(f, 1, strip));
}

std::string prev_figure(const std::vector<PrevPanel>& models, const Vocabulary& vocab, int64_t prev) {
    std::vector<plot::Panel> ps;
    std::string note;
    bool strip = false;
    for (const auto& m : models) {
        const std::size_t N = m.U.shape()[0], K = m.U.shape()[1];
        std::vector<double> logit(N);  // U v_prev, then softmax
        double top = -INFINITY, z = 0;
        for (std::size_t i = 0; i < N; ++i) {
            double d = 0;
            for (std::size_t k = 0; k < K; ++k) d += double(m.U(i, k)) * m.V(prev, k);
            logit[i] = d, top = std::max(top, d);
        }
        for (double& l : logit) z += (l = std::exp(l - top));
        // the tokens drawn: all of a small vocabulary, else the most likely next tokens
        std::vector<std::size_t> shown(N);
        for (std::size_t i = 0; i < N; ++i) shown[i] = i;
        if (N > kLikely) {
            std::stable_sort(shown.begin(), shown.end(), [&](std::size_t a, std::size_t b) { return logit[a] > logit[b]; });
            shown.resize(kLikely);
        }
        Array vrow = Array::from_shape({1, K});
        for (std::size_t k = 0; k < K; ++k) vrow(0, k) = m.V(prev, k);
        const Flat f = flatten({&m.U, &vrow, &m.V});
        note = f.note, strip = K == 1;
        plot::Panel p;
        p.title = m.title, p.color = "#d62728";
        if (std::isfinite(m.loss)) p.subtitle = fmt::format("loss {:.4f}", m.loss);
        for (std::size_t i : shown) {
            p.labels.push_back(vocab.show(static_cast<int64_t>(i)));
            p.x.push_back(f.x[0][i]);
            if (!strip) p.y.push_back(f.y[0][i]);
            p.weight.push_back(logit[i] / z);
        }
        p.mark_label = "prev: " + plot::token_label(vocab.show(prev));
        p.mark_x = f.x[1][0], p.mark_y = strip ? 0 : f.y[1][0];
        ps.push_back(p);
    }
    const std::string tok = "\"" + vocab.show(prev) + "\"";
    std::string t = fmt::format("U weighted by p(next | prev = {}), and the V vector of {}", tok, tok);
    if (vocab.size() > kLikely) t += fmt::format("\nthe {} most likely next tokens of {}", kLikely, vocab.size());
    if (!note.empty()) t += "\n" + note;
    return plot::panels(ps, t, strip ? "the one dimension (K = 1)" : note.empty() ? "dim 0" : "PC 1",
                        strip ? "" : note.empty() ? "dim 1" : "PC 2");
}

std::string loss_figure(const std::vector<std::pair<long, double>>& batch, const std::vector<std::pair<long, double>>& valid,
                        double floor) {
    plot::LineChart c{"bigram model: training loss", "step", "cross-entropy loss (nats)", false, false, {}, {}};
    plot::Series b{"batch loss", {}, {}, "#1f77b4"};
    const std::size_t every = std::max<std::size_t>(1, batch.size() / 2000);  // at most ~2000 points
    for (std::size_t i = 0; i < batch.size(); i += every) b.x.push_back(double(batch[i].first + 1)), b.y.push_back(batch[i].second);
    if (!batch.empty() && b.x.back() != double(batch.back().first + 1))  // the line runs to the last step
        b.x.push_back(double(batch.back().first + 1)), b.y.push_back(batch.back().second);
    c.series.push_back(b);
    if (!valid.empty()) {
        plot::Series v{"validation loss", {}, {}, "#ff7f0e"};
        for (const auto& [s, l] : valid) v.x.push_back(double(s)), v.y.push_back(l);
        c.series.push_back(v);
    }
    if (std::isfinite(floor)) c.hlines.push_back({"floor H(next|prev)", floor});
    return plot::line_chart(c);
}

}  // namespace bigram
