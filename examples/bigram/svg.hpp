// Tiny SVG plots for the examples: labelled 2-D vectors (the lecture's figures) and line charts.
// Written by hand (no plotting dependency); the files open in any browser.
#pragma once
#include <string>
#include <vector>

namespace plot {

struct Series {
    std::string name;
    std::vector<double> x, y;
    std::string color;
};

struct LineChart {
    std::string title, xlabel, ylabel;
    bool log_x = false, log_y = false;
    std::vector<Series> series;
    std::vector<std::pair<std::string, double>> hlines;  ///< labelled horizontal reference lines
};
/// The chart as SVG text.
std::string line_chart(const LineChart& c);

struct Arrows {
    std::string title;
    std::vector<std::string> labels;
    std::vector<double> x, y;  ///< arrow tips (from the origin)
    std::string color;
};
/// Side-by-side panels of labelled arrows from the origin, all on one scale.
std::string arrow_panels(const std::vector<Arrows>& panels, const std::string& title);

}  // namespace plot
