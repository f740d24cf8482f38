// Label placement for the panels (see plot.hpp): greedy, each label beside its anchor where it
// overlaps least what is already there.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "programs/plot.hpp"

namespace plot {

namespace {

double overlap(const LabelBox& a, double x, double y, double w, double h) {
    const double ox = std::min(a.x + a.w, x + w) - std::max(a.x, x), oy = std::min(a.y + a.h, y + h) - std::max(a.y, y);
    return ox > 0 && oy > 0 ? ox * oy : 0.0;
}

}  // namespace

double text_width(const std::string& s, double font_px) {
    double chars = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) chars += 1;  // count code points, not UTF-8 bytes
    return chars * font_px * 0.6 + 2;
}

std::string token_label(const std::string& token) {
    const bool punct = !token.empty() && token.size() <= 2 &&
                       std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::ispunct(c); });
    return punct ? "‘" + token + "’" : token;
}

std::vector<LabelBox> place_labels(const std::vector<std::pair<double, double>>& anchors,
                                   const std::vector<std::pair<double, double>>& sizes, double x0, double y0,
                                   double x1, double y1, bool strip) {
    std::vector<LabelBox> placed;
    // Each anchor is an obstacle too: a small box around the point.
    std::vector<LabelBox> dots;
    for (const auto& [ax, ay] : anchors) dots.push_back({ax - 3, ay - 3, 6, 6, ax, ay});
    for (std::size_t i = 0; i < anchors.size(); ++i) {
        const auto [ax, ay] = anchors[i];
        const auto [w, h] = sizes[i];
        double best = INFINITY;
        LabelBox choice{ax + 5, ay - h - 2, w, h, ax, ay};
        const int rings = strip ? 8 : 4;
        for (int r = 1; r <= rings; ++r) {
            const double d = strip ? 4.0 + (r - 1) * (h + 2) : 4.0 * r * r;  // distance from the anchor
            std::vector<std::pair<double, double>> cand;  // top-left corners
            if (strip) {
                cand = {{ax - w / 2, ay - d - h}, {ax - w / 2, ay + d}};
            } else {
                cand = {{ax + d, ay - d - h + 4}, {ax + d + 1, ay - h / 2}, {ax + d, ay + d - 4},  {ax - w / 2, ay + d + 2},
                        {ax - d - w, ay + d - 4}, {ax - d - w - 1, ay - h / 2}, {ax - d - w, ay - d - h + 4}, {ax - w / 2, ay - d - h - 2}};
            }
            for (const auto& [x, y] : cand) {
                double cost = 0.5 * d;  // prefer near
                for (const auto& b : placed) cost += overlap(b, x, y, w, h);
                for (std::size_t j = 0; j < dots.size(); ++j) cost += overlap(dots[j], x, y, w, h) * (j == i ? 0.0 : 2.0);
                const double out = w * h - std::max(0.0, std::min(x1, x + w) - std::max(x0, x)) * std::max(0.0, std::min(y1, y + h) - std::max(y0, y));
                cost += 4 * out;
                if (cost < best) best = cost, choice = {x, y, w, h, ax, ay};
            }
        }
        placed.push_back(choice);
    }
    return placed;
}

double overlap_area(const std::vector<LabelBox>& boxes) {
    double a = 0;
    for (std::size_t i = 0; i < boxes.size(); ++i)
        for (std::size_t j = i + 1; j < boxes.size(); ++j) a += overlap(boxes[i], boxes[j].x, boxes[j].y, boxes[j].w, boxes[j].h);
    return a;
}

}  // namespace plot
