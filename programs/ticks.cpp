// Tick placement for plot::Axis (see ticks.hpp).
#include "programs/ticks.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace plot {

double Axis::frac(double v) const {
    const double t = log ? std::log10(v) : v;
    return hi > lo ? (t - lo) / (hi - lo) : 0.5;
}

double nice_step(double lo, double hi, int max_ticks) {
    const double span = hi - lo;
    if (!(span > 0) || !std::isfinite(span)) return 1.0;
    const double raw = span / std::max(1, max_ticks - 1);
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (;; mag *= 10)
        for (double m : {1.0, 2.0, 5.0}) {
            const double step = m * mag;
            // ticks at the multiples of step inside [lo, hi]
            const double n = std::floor(hi / step + 1e-9) - std::ceil(lo / step - 1e-9) + 1;
            if (n <= max_ticks) return step;
        }
}

std::string tick_label(double v, double step) {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    if (std::abs(v) < step * 1e-6) v = 0;  // 1e-17 from the arithmetic is 0
    if (std::abs(v) >= 1e7 && decimals == 0) return fmt::format("{:.6g}", v);
    return fmt::format("{:.{}f}", v, decimals);
}

namespace {

void add_ticks(Axis& a, double step) {
    // at most a few dozen (a span below the values' precision could otherwise never step past hi)
    double k = std::ceil(a.lo / step - 1e-9);
    for (int n = 0; n < 50 && k * step <= a.hi + step * 1e-9; ++n, k += 1) {
        a.ticks.push_back(k * step);
        a.labels.push_back(tick_label(k * step, step));
    }
}

}  // namespace

Axis linear_axis(double lo, double hi, int max_ticks, double margin) {
    Axis a;
    if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
    if (hi < lo) std::swap(lo, hi);
    if (hi == lo) {  // one value: a unit around it (matplotlib widens so too)
        const double w = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
        lo -= w, hi += w;
        margin = 0;
    }
    const double pad = (hi - lo) * margin;
    a.lo = lo - pad, a.hi = hi + pad;
    add_ticks(a, nice_step(a.lo, a.hi, max_ticks));
    return a;
}

Axis log_axis(double lo, double hi, double margin) {
    Axis a;
    a.log = true;
    if (!(lo > 0) || !std::isfinite(lo)) lo = 1;
    if (!(hi > 0) || !std::isfinite(hi)) hi = lo;
    if (hi < lo) std::swap(lo, hi);
    double l0 = std::log10(lo), l1 = std::log10(hi);
    if (l1 - l0 < 0.3) l0 -= 0.15, l1 += 0.15;  // under a factor of 2: show at least one
    const double pad = (l1 - l0) * margin;
    a.lo = l0 - pad, a.hi = l1 + pad;
    const int e0 = static_cast<int>(std::floor(a.lo)), e1 = static_cast<int>(std::ceil(a.hi));
    const bool decades_only = a.hi - a.lo >= 2;
    const int every = std::max(1, (e1 - e0 + 7) / 8);  // at most ~8 labelled decades
    auto inside = [&](double v) { return std::log10(v) >= a.lo - 1e-9 && std::log10(v) <= a.hi + 1e-9; };
    for (int e = e0; e <= e1; ++e)
        for (int m = 1; m <= 9; ++m) {
            const double v = m * std::pow(10.0, e);
            if (!inside(v)) continue;
            const bool major = m == 1 ? (e % every == 0) : (!decades_only && (m == 2 || m == 5));
            if (!major) {
                a.minor.push_back(v);
                continue;
            }
            a.ticks.push_back(v);
            if (decades_only)
                a.labels.push_back(fmt::format(R"(10<tspan dy="-6" font-size="9">{}</tspan>)", e < 0 ? fmt::format("−{}", -e) : std::to_string(e)));
            else
                a.labels.push_back(tick_label(v, std::pow(10.0, e)));
        }
    return a;
}

}  // namespace plot
