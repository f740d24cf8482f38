// SVG writers for plot::line_chart and plot::panels (see plot.hpp).
#include "programs/plot.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace plot {

namespace {

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '&') o += "&amp;";
        else if (c == '"') o += "&quot;";
        else if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\x{:02x}", c);
        else o += c;
    }
    return o;
}

// matplotlib's default colour cycle ("tab10")
const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string header(double w, double h) {
    return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="DejaVu Sans, sans-serif" font-size="12">)"
                       "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                       w, h);
}

// The data's finite range on an axis (positive values only on a log axis).
std::pair<double, double> range_of(const std::vector<const std::vector<double>*>& vs, bool log) {
    double lo = INFINITY, hi = -INFINITY;
    for (const auto* v : vs)
        for (double x : *v)
            if (std::isfinite(x) && (!log || x > 0)) lo = std::min(lo, x), hi = std::max(hi, x);
    return {lo, hi};
}

bool drawable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

}  // namespace

Axis chart_x_axis(const LineChart& c) {
    std::vector<const std::vector<double>*> xs;
    for (const auto& s : c.series) xs.push_back(&s.x);
    const auto [lo, hi] = range_of(xs, c.log_x);
    return c.log_x ? log_axis(lo, hi, std::max(c.x_margin, 0.02)) : linear_axis(lo, hi, 7, c.x_margin);
}

Axis chart_y_axis(const LineChart& c) {
    std::vector<const std::vector<double>*> ys;
    for (const auto& s : c.series) ys.push_back(&s.y);
    std::vector<double> h;
    for (const auto& [n, v] : c.hlines) h.push_back(v);
    ys.push_back(&h);
    const auto [lo, hi] = range_of(ys, c.log_y);
    return c.log_y ? log_axis(lo, hi) : linear_axis(lo, hi, 7);
}

std::string default_color(std::size_t i) { return kColors[i % 10]; }

namespace {

// The legend at (x, y): a line and the name of each series, then of each reference line.
std::string chart_legend(const LineChart& c, double x, double y) {
    std::string s;
    for (std::size_t k = 0; k < c.series.size(); ++k, y += 18) {
        const std::string col = c.series[k].color.empty() ? kColors[k % 10] : c.series[k].color;
        s += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2"{}/>)" "\n", x, x + 22, y - 4,
                         y - 4, col, c.series[k].dashed ? R"( stroke-dasharray="6,4")" : "");
        s += fmt::format(R"(<text x="{}" y="{}">{}</text>)" "\n", x + 27, y, esc(c.series[k].name));
    }
    for (const auto& [name, v] : c.hlines) {
        s += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#888" stroke-dasharray="5,4"/>)" "\n", x, x + 22, y - 4, y - 4);
        s += fmt::format(R"(<text x="{}" y="{}">{}</text>)" "\n", x + 27, y, esc(name));
        y += 18;
    }
    return s;
}

}  // namespace

std::string line_chart(const LineChart& c) {
    double legend = 0;  // the widest legend entry sets the right margin
    for (const auto& se : c.series) legend = std::max(legend, text_width(se.name));
    for (const auto& h : c.hlines) legend = std::max(legend, text_width(h.first));
    const double L = 72, R = std::max(120.0, legend + 50), T = 40, B = 52, PW = 440, PH = 328, W = L + PW + R, H = T + PH + B;
    const Axis ax = chart_x_axis(c), ay = chart_y_axis(c);
    auto px = [&](double v) { return L + ax.frac(v) * PW; };
    auto py = [&](double v) { return T + PH - ay.frac(v) * PH; };
    std::string s = header(W, H);
    s += fmt::format(R"(<text x="{}" y="24" text-anchor="middle" font-size="14">{}</text>)" "\n", L + PW / 2, esc(c.title));
    for (std::size_t k = 0; k < ax.ticks.size(); ++k) {
        const double x = px(ax.ticks[k]);
        s += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" stroke="#000"/>)" "\n", x, T + PH, T + PH + 4);
        s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)" "\n", x, T + PH + 18, ax.labels[k]);
    }
    for (double v : ax.minor) s += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" stroke="#000"/>)" "\n", px(v), T + PH, T + PH + 2);
    for (std::size_t k = 0; k < ay.ticks.size(); ++k) {
        const double y = py(ay.ticks[k]);
        s += fmt::format(R"(<line x1="{1}" x2="{2}" y1="{0:.1f}" y2="{0:.1f}" stroke="#000"/>)" "\n", y, L - 4, L);
        s += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>)" "\n", L - 7, y + 4, ay.labels[k]);
    }
    for (double v : ay.minor) s += fmt::format(R"(<line x1="{1}" x2="{2}" y1="{0:.1f}" y2="{0:.1f}" stroke="#000"/>)" "\n", py(v), L - 2, L);
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)" "\n", L + PW / 2, H - 10,
                     esc(c.xlabel + (c.log_x ? " (log scale)" : "")));
    s += fmt::format(R"svg(<text x="16" y="{0}" text-anchor="middle" transform="rotate(-90 16 {0})">{1}</text>)svg" "\n", T + PH / 2,
                     esc(c.ylabel + (c.log_y ? " (log scale)" : "")));
    s += fmt::format(R"(<svg x="{}" y="{}" width="{}" height="{}" overflow="hidden">)" "\n", L, T, PW, PH);  // clips the lines
    for (const auto& [name, v] : c.hlines)
        if (drawable(v, c.log_y))
            s += fmt::format(R"(<line x1="0" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#888" stroke-dasharray="5,4"/>)" "\n", PW, py(v) - T, py(v) - T);
    for (std::size_t k = 0; k < c.series.size(); ++k) {
        const auto& se = c.series[k];
        const std::string col = se.color.empty() ? kColors[k % 10] : se.color;
        std::string pts;
        for (std::size_t i = 0; i < se.x.size() && i < se.y.size(); ++i)
            if (drawable(se.x[i], c.log_x) && drawable(se.y[i], c.log_y))
                pts += fmt::format("{:.1f},{:.1f} ", px(se.x[i]) - L, py(se.y[i]) - T);
        s += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"{}/>)" "\n", pts, col,
                         se.dashed ? R"( stroke-dasharray="6,4")" : "");
        if (se.x.size() <= 30)
            for (std::size_t i = 0; i < se.x.size() && i < se.y.size(); ++i)
                if (drawable(se.x[i], c.log_x) && drawable(se.y[i], c.log_y))
                    s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)" "\n", px(se.x[i]) - L, py(se.y[i]) - T, col);
    }
    s += "</svg>\n";
    s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#000"/>)" "\n", L, T, PW, PH);
    s += chart_legend(c, L + PW + 10, T + 12);  // right of the axes
    return s + "</svg>\n";
}

namespace {

// Where a panel sits on the page and how its values map there (a strip: every point on the middle line).
struct Frame {
    double ox, oy, P, PH;
    bool strip;
    const Axis& axis;
    double px(double v) const { return ox + axis.frac(v) * P; }
    double py(double v) const { return strip ? oy + PH / 2 : oy + PH - axis.frac(v) * PH; }
};

// A label to place: the point it names, its box's size and its text.
struct Label {
    std::pair<double, double> anchor, size;
    std::string text;
};

// The panel's title, grid, ticks with their labels, and its box.
std::string panel_frame(const Panel& p, const Frame& f) {
    std::string s = fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" font-size="13">{}</text>)" "\n", f.ox + f.P / 2,
                                f.oy - (p.subtitle.empty() ? 8 : 24), esc(p.title));
    if (!p.subtitle.empty())
        s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" fill="#444">{}</text>)" "\n", f.ox + f.P / 2, f.oy - 8, esc(p.subtitle));
    const Axis& axis = f.axis;
    for (std::size_t t = 0; t < axis.ticks.size(); ++t) {
        const double x = f.px(axis.ticks[t]);
        s += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" stroke="{3}"/>)" "\n", x, f.oy, f.oy + f.PH, axis.ticks[t] == 0 ? "#bbb" : "#eee");
        s += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" stroke="#000"/>)" "\n", x, f.oy + f.PH, f.oy + f.PH + 4);
        s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)" "\n", x, f.oy + f.PH + 17, axis.labels[t]);
        if (f.strip) continue;
        const double y = f.py(axis.ticks[t]);
        s += fmt::format(R"(<line x1="{1}" x2="{2}" y1="{0:.1f}" y2="{0:.1f}" stroke="{3}"/>)" "\n", y, f.ox, f.ox + f.P, axis.ticks[t] == 0 ? "#bbb" : "#eee");
        s += fmt::format(R"(<line x1="{1}" x2="{2}" y1="{0:.1f}" y2="{0:.1f}" stroke="#000"/>)" "\n", y, f.ox - 4, f.ox);
        s += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>)" "\n", f.ox - 6, y + 4, axis.labels[t]);
    }
    if (f.strip) s += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#bbb"/>)" "\n", f.ox, f.ox + f.P, f.py(0), f.py(0));
    return s + fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#000"/>)" "\n", f.ox, f.oy, f.P, f.PH);
}

// The vectors (arrows from 0, their opacity by weight) or points, then the marked vector; their labels
// go to `labels`, in the same order.
std::string panel_marks(const Panel& p, const Frame& f, const std::string& col, std::vector<Label>& labels) {
    std::string s;
    for (std::size_t i = 0; i < p.x.size(); ++i) {
        const double x = f.px(p.x[i]), y = f.strip ? f.py(0) : f.py(p.y[i]);
        const double opacity = p.weight.empty() ? 1.0 : 0.12 + 0.88 * std::clamp(p.weight[i], 0.0, 1.0);
        const std::string& c = i < p.colors.size() ? p.colors[i] : col;
        if (p.points || f.strip) {
            s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{}" fill="{}" fill-opacity="{:.2f}"/>)" "\n", x, y,
                             p.colors.empty() ? 3.5 : 6.0, c, opacity);
        } else {  // an arrow: its line stops where its head (hl long, 0.8·hl wide) begins
            const double x0 = f.px(0), y0 = f.py(0), dx = x - x0, dy = y - y0, len = std::hypot(dx, dy);
            const double ux = len > 0 ? dx / len : 1, uy = len > 0 ? dy / len : 0, hl = std::min(9.0, len);
            s += fmt::format(R"(<g stroke="{0}" fill="{0}" opacity="{1:.2f}"><line x1="{2:.1f}" y1="{3:.1f}" x2="{4:.1f}" y2="{5:.1f}" stroke-width="1.6"/>)"
                             R"(<path d="M{6:.1f},{7:.1f} L{8:.1f},{9:.1f} L{10:.1f},{11:.1f} z" stroke="none"/></g>)" "\n",
                             c, opacity, x0, y0, x - ux * hl * 0.8, y - uy * hl * 0.8, x, y, x - ux * hl - uy * hl * 0.4,
                             y - uy * hl + ux * hl * 0.4, x - ux * hl + uy * hl * 0.4, y - uy * hl - ux * hl * 0.4);
        }
        std::string text = token_label(p.labels[i]);
        if (!p.weight.empty()) text += fmt::format(" {:.2f}", p.weight[i]);
        labels.push_back({{x, y}, {text_width(text), 14}, text});
    }
    if (!p.mark_label.empty()) {
        const double x = f.px(p.mark_x), y = f.py(f.strip ? 0 : p.mark_y);
        s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#000" stroke-width="2.2" stroke-dasharray="6,3"/>)"
                         R"(<circle cx="{:.1f}" cy="{:.1f}" r="4.5" fill="#000"/>)" "\n", f.px(0), f.py(0), x, y, x, y);
        labels.push_back({{x, y}, {text_width(p.mark_label, 13) + 2, 15}, p.mark_label});
    }
    return s;
}

// The labels placed apart from each other, those of heavier vectors first (they get the best places),
// each with a leader line when it ends up far from its point.
std::string panel_labels(const Panel& p, const Frame& f, const std::vector<Label>& labels) {
    std::vector<std::size_t> order(labels.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (!p.weight.empty())
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const double wa = a < p.weight.size() ? p.weight[a] : 2.0, wb = b < p.weight.size() ? p.weight[b] : 2.0;
            return wa > wb;
        });
    std::vector<std::pair<double, double>> anchors, sizes;
    for (std::size_t i : order) anchors.push_back(labels[i].anchor), sizes.push_back(labels[i].size);
    const auto boxes = place_labels(anchors, sizes, f.ox, f.oy, f.ox + f.P, f.oy + f.PH, f.strip);
    std::string s;
    for (std::size_t j = 0; j < boxes.size(); ++j) {
        const auto& b = boxes[j];
        const std::size_t i = order[j];
        const bool mark = i == p.x.size();
        const double cx = std::clamp(b.ax, b.x, b.x + b.w), cy = std::clamp(b.ay, b.y, b.y + b.h);
        if (std::hypot(cx - b.ax, cy - b.ay) > 12)
            s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#999" stroke-width="0.8"/>)" "\n", b.ax, b.ay, cx, cy);
        const double op = mark || p.weight.empty() ? 1.0 : 0.45 + 0.55 * std::clamp(p.weight[i], 0.0, 1.0);
        s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" opacity="{:.2f}"{}>{}</text>)" "\n", b.x + 1, b.y + b.h - 3, op,
                         mark ? R"( font-weight="bold" font-size="13")" : "", esc(labels[i].text));
    }
    return s;
}

// The half-width of the common square axes: the largest |coordinate| of any panel (at least 1e-9).
double panels_limit(const std::vector<Panel>& ps) {
    double lim = 1e-9;
    for (const auto& p : ps) {
        for (std::size_t i = 0; i < p.x.size(); ++i) lim = std::max({lim, std::abs(p.x[i]), p.y.empty() ? 0.0 : std::abs(p.y[i])});
        if (!p.mark_label.empty()) lim = std::max({lim, std::abs(p.mark_x), std::abs(p.mark_y)});
    }
    return lim;
}

}  // namespace

std::string panels(const std::vector<Panel>& ps, const std::string& title, const std::string& xlabel, const std::string& ylabel) {
    bool flat = true;  // every panel a 1-D strip
    for (const auto& p : ps) flat = flat && p.y.empty();
    const double lim = panels_limit(ps);
    const Axis axis = linear_axis(-lim * 1.12, lim * 1.12, 7, 0);
    std::vector<std::string> lines;  // the title's lines ('\n' breaks one)
    for (std::size_t b = 0, e; b <= title.size(); b = e + 1) {
        e = std::min(title.find('\n', b), title.size());
        lines.push_back(title.substr(b, e - b));
    }
    const double P = 380, PH = flat ? 200 : P, G = 60, L = 50, T = 44 + 18 * lines.size(), B = 48;
    const double inner = L + ps.size() * P + (ps.size() - 1) * G + 20;
    double W = inner;
    for (const auto& line : lines) W = std::max(W, text_width(line, 15) + 40);  // the title fits
    const double shift = (W - inner) / 2;  // the panels centred under it
    std::string s = header(W, T + PH + B);
    for (std::size_t i = 0; i < lines.size(); ++i)
        s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>)" "\n", W / 2, 20 + 18 * i,
                         i == 0 ? 15 : 13, esc(lines[i]));
    for (std::size_t k = 0; k < ps.size(); ++k) {
        const Panel& p = ps[k];
        const Frame f{shift + L + k * (P + G), T, P, PH, p.y.empty(), axis};
        std::vector<Label> labels;
        s += panel_frame(p, f);
        s += panel_marks(p, f, p.color.empty() ? kColors[k % 10] : p.color, labels);
        s += panel_labels(p, f, labels);
        if (!xlabel.empty())
            s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)" "\n", f.ox + P / 2, f.oy + PH + 38, esc(xlabel));
        if (!ylabel.empty() && !f.strip)
            s += fmt::format(R"svg(<text x="{0}" y="{1}" text-anchor="middle" transform="rotate(-90 {0} {1})">{2}</text>)svg" "\n",
                             f.ox - 36, f.oy + PH / 2, esc(ylabel));
    }
    return s + "</svg>\n";
}

}  // namespace plot
