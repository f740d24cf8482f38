// Axes for the examples' SVG charts, laid out as matplotlib lays out its defaults: ticks on round
// numbers (steps of 1, 2 or 5 × 10^k), labels with just the digits the step needs, log axes with their
// ticks at powers of ten labelled 10^k.
#pragma once
#include <string>
#include <vector>

namespace plot {

struct Axis {
    double lo = 0, hi = 1;              ///< the span drawn (in log10 units on a log axis)
    bool log = false;
    std::vector<double> ticks;          ///< labelled tick positions (data units, inside [lo, hi])
    std::vector<std::string> labels;    ///< one per tick, as SVG text (a log axis's 10^k uses a <tspan>)
    std::vector<double> minor;          ///< unlabelled ticks (data units): 2..9 × 10^k on a log axis
    /// v's place on the axis in [0, 1] (log10 first on a log axis).
    double frac(double v) const;
};

/// The round step (1, 2 or 5 × 10^k) that puts at most `max_ticks` ticks on [lo, hi].
double nice_step(double lo, double hi, int max_ticks);
/// A linear axis over the data [lo, hi] widened by `margin` × their range at each end (matplotlib's
/// 0.05 by default; 0 ends the axis where the data end), ticks every nice_step.
Axis linear_axis(double lo, double hi, int max_ticks = 7, double margin = 0.05);
/// A log axis over positive data [lo, hi] (margin in decades): ticks at the powers of ten
/// (every 2nd, 3rd, … when they would crowd), labelled 10^k; under two decades also at 2 and 5 × 10^k,
/// labelled as decimals. Minor ticks at the other integer multiples.
Axis log_axis(double lo, double hi, double margin = 0.05);
/// `v` with as many decimals as `step` needs ("0.25", "2000", "-1.5"); "0", never "-0".
std::string tick_label(double v, double step);

}  // namespace plot
