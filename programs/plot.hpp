// Small SVG charts for the examples, written by hand (no plotting dependency; the files open in any
// browser), laid out as matplotlib's defaults: line charts with round ticks and log axes that say so,
// and panels of labelled 2-D vectors (the lectures' figures) or 1-D strips, labels kept apart.
#pragma once
#include <string>
#include <vector>

#include "programs/ticks.hpp"

namespace plot {

struct Series {
    std::string name;
    std::vector<double> x, y;
    std::string color;  ///< empty: the next of matplotlib's default colours
    bool dashed = false;
};

struct LineChart {
    std::string title, xlabel, ylabel;
    bool log_x = false, log_y = false;
    std::vector<Series> series;
    std::vector<std::pair<std::string, double>> hlines;  ///< labelled horizontal reference lines
    double x_margin = 0;  ///< the x axis ends where the data end (a step axis) unless this widens it
};
/// The chart as SVG text.
std::string line_chart(const LineChart& c);
/// The axes line_chart draws for `c` (for tests: the tick values).
Axis chart_x_axis(const LineChart& c);
Axis chart_y_axis(const LineChart& c);

/// One panel of labelled vectors from the origin (arrows), or of labelled points.
struct Panel {
    std::string title, subtitle;  ///< subtitle: a second, smaller line (e.g. the loss)
    std::vector<std::string> labels;
    std::vector<double> x, y;     ///< y empty: a 1-D strip along x
    std::string color;
    std::vector<std::string> colors;  ///< optional: one colour per vector (else `color`)
    bool points = false;          ///< dots instead of arrows
    std::vector<double> weight;   ///< optional, in [0, 1]: an arrow's opacity, shown after its label
    std::string mark_label;       ///< optional: one more vector drawn in black (e.g. "prev: the")
    double mark_x = 0, mark_y = 0;
};
/// Side-by-side panels, all on one scale, with ticks on their axes ('\n' in the title starts a line).
std::string panels(const std::vector<Panel>& ps, const std::string& title, const std::string& xlabel = "",
                   const std::string& ylabel = "");

/// The i-th of matplotlib's default colours ("tab10").
std::string default_color(std::size_t i);

/// A token as a label: punctuation alone ("." "!") in quotes, so it reads as a token, not a speck.
std::string token_label(const std::string& token);

/// A label box (pixels: top-left x, y, width, height) and the point it names.
struct LabelBox {
    double x, y, w, h;
    double ax, ay;  ///< the anchor
};
/// Places one label of `w`×`h` pixels per anchor, each beside its anchor where it overlaps the fewest
/// labels placed before it and the anchors, inside [x0, x1]×[y0, y1]. `strip`: above or below only.
std::vector<LabelBox> place_labels(const std::vector<std::pair<double, double>>& anchors,
                                   const std::vector<std::pair<double, double>>& sizes, double x0, double y0,
                                   double x1, double y1, bool strip = false);
/// The summed overlap area of the boxes (0 when no two labels overprint).
double overlap_area(const std::vector<LabelBox>& boxes);
/// An estimate of a label's width in pixels at `font_px`.
double text_width(const std::string& s, double font_px = 12);

}  // namespace plot
