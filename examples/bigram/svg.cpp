// SVG writers for plot::line_chart and plot::arrow_panels.
#include "svg.hpp"

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

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

}  // namespace

std::string line_chart(const LineChart& c) {
    const double W = 640, H = 400, L = 70, R = 160, T = 40, B = 50;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    auto tx = [&](double v) { return c.log_x ? std::log10(v) : v; };
    auto ty = [&](double v) { return c.log_y ? std::log10(v) : v; };
    for (const auto& s : c.series)
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!std::isfinite(ty(s.y[i])) || !std::isfinite(tx(s.x[i]))) continue;
            x0 = std::min(x0, tx(s.x[i])), x1 = std::max(x1, tx(s.x[i]));
            y0 = std::min(y0, ty(s.y[i])), y1 = std::max(y1, ty(s.y[i]));
        }
    for (const auto& [n, v] : c.hlines) y0 = std::min(y0, ty(v)), y1 = std::max(y1, ty(v));
    if (!(x1 > x0)) x1 = x0 + 1;
    if (!(y1 > y0)) y1 = y0 + 1;
    const double pad = (y1 - y0) * 0.05;
    y0 -= pad, y1 += pad;
    auto px = [&](double v) { return L + (tx(v) - x0) / (x1 - x0) * (W - L - R); };
    auto py = [&](double v) { return H - B - (ty(v) - y0) / (y1 - y0) * (H - T - B); };
    std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">)"
                                "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                                W, H);
    s += fmt::format(R"(<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>)" "\n", W / 2, esc(c.title));
    s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444"/>)" "\n", L, T, W - L - R, H - T - B);
    for (int k = 0; k <= 4; ++k) {  // ticks
        const double fx = x0 + (x1 - x0) * k / 4, fy = y0 + (y1 - y0) * k / 4;
        const double vx = c.log_x ? std::pow(10, fx) : fx, vy = c.log_y ? std::pow(10, fy) : fy;
        s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{:.4g}</text>)" "\n", px(vx), H - B + 16, vx);
        s += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{:.4g}</text>)" "\n", L - 5, py(vy) + 4, vy);
    }
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)" "\n", L + (W - L - R) / 2, H - 12, esc(c.xlabel));
    s += fmt::format(R"svg(<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">{}</text>)svg" "\n",
                     T + (H - T - B) / 2, T + (H - T - B) / 2, esc(c.ylabel));
    for (std::size_t k = 0; k < c.hlines.size(); ++k) {
        const double y = py(c.hlines[k].second);
        s += fmt::format(R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#888" stroke-dasharray="5,4"/>)" "\n", L, W - R, y, y);
        s += fmt::format(R"(<text x="{}" y="{:.1f}" fill="#555">{}</text>)" "\n", W - R + 5, y + 4, esc(c.hlines[k].first));
    }
    for (std::size_t k = 0; k < c.series.size(); ++k) {
        const auto& se = c.series[k];
        const std::string col = se.color.empty() ? kColors[k % 5] : se.color;
        std::string pts;
        for (std::size_t i = 0; i < se.x.size(); ++i)
            if (std::isfinite(ty(se.y[i]))) pts += fmt::format("{:.1f},{:.1f} ", px(se.x[i]), py(se.y[i]));
        s += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>)" "\n", pts, col);
        if (se.x.size() <= 30)
            for (std::size_t i = 0; i < se.x.size(); ++i)
                s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)" "\n", px(se.x[i]), py(se.y[i]), col);
        s += fmt::format(R"(<text x="{}" y="{}" fill="{}">{}</text>)" "\n", W - R + 5, T + 14 + 16 * k, col, esc(se.name));
    }
    return s + "</svg>\n";
}

std::string arrow_panels(const std::vector<Arrows>& panels, const std::string& title) {
    const double P = 360, M = 30, T = 40;
    double lim = 1e-9;
    for (const auto& p : panels)
        for (std::size_t i = 0; i < p.x.size(); ++i) lim = std::max({lim, std::abs(p.x[i]), std::abs(p.y[i])});
    lim *= 1.15;
    const double W = panels.size() * (P + M) + M, H = P + T + M;
    std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">)"
                                "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                                R"(<defs><marker id="tip" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>)" "\n",
                                W, H);
    s += fmt::format(R"(<text x="{}" y="20" text-anchor="middle" font-size="15">{}</text>)" "\n", W / 2, esc(title));
    for (std::size_t k = 0; k < panels.size(); ++k) {
        const auto& p = panels[k];
        const double ox = M + k * (P + M), oy = T;
        auto px = [&](double v) { return ox + P / 2 + v / lim * P / 2; };
        auto py = [&](double v) { return oy + P / 2 - v / lim * P / 2; };
        const std::string col = p.color.empty() ? kColors[k % 5] : p.color;
        s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444"/>)" "\n", ox, oy, P, P);
        s += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc"/><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc"/>)" "\n",
                         ox, ox + P, oy + P / 2, oy + P / 2, ox + P / 2, ox + P / 2, oy, oy + P);
        s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" font-size="14">{}</text>)" "\n", ox + P / 2, oy + 16, esc(p.title));
        s += fmt::format(R"(<text x="{}" y="{}" fill="#777">±{:.3g}</text>)" "\n", ox + 4, oy + P - 6, lim);
        for (std::size_t i = 0; i < p.x.size(); ++i) {
            s += fmt::format(R"svg(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="1.5" marker-end="url(#tip)"/>)svg" "\n",
                             px(0), py(0), px(p.x[i]), py(p.y[i]), col);
            s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{}</text>)" "\n", px(p.x[i]) + 4, py(p.y[i]) - 4, esc(p.labels[i]));
        }
    }
    return s + "</svg>\n";
}

}  // namespace plot
