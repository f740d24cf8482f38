// The programs' figures read like matplotlib's defaults: ticks on round numbers, axes that end where
// the data end, log axes that say so, labels that do not overprint, K > 2 drawn by its principal
// components and K = 1 as a strip.
#include <cmath>

#include "helpers.hpp"
#include "programs/pca.hpp"
#include "programs/plot.hpp"

namespace xgrad {
namespace {

void expect_ticks(const plot::Axis& a, const std::vector<double>& want, const std::vector<std::string>& labels) {
    ASSERT_EQ(a.ticks.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(a.ticks[i], want[i], 1e-9 * std::max(1.0, std::abs(want[i])));
        if (!labels.empty()) EXPECT_EQ(a.labels[i], labels[i]);
    }
}

TEST(Plot, TicksFallOnRoundNumbers) {
    // the loss axis that was labelled 2.218/1.769/1.32/0.8713/0.4225
    expect_ticks(plot::linear_axis(0.4225, 2.218), {0.5, 1.0, 1.5, 2.0}, {"0.5", "1.0", "1.5", "2.0"});
    // the step axis that was labelled 2498/4995/7492/9990: it ends where the steps end
    const plot::Axis steps = plot::linear_axis(1, 10000, 7, 0);
    expect_ticks(steps, {2000, 4000, 6000, 8000, 10000}, {"2000", "4000", "6000", "8000", "10000"});
    EXPECT_EQ(steps.hi, 10000);
    EXPECT_EQ(steps.lo, 1);
    // a few steps: whole numbers only, never 0.5 steps
    expect_ticks(plot::linear_axis(0, 5, 7, 0), {0, 1, 2, 3, 4, 5}, {"0", "1", "2", "3", "4", "5"});
    // symmetric panels; "0", not "-0"; decimals that the step needs and no more
    expect_ticks(plot::linear_axis(-0.3, 0.3, 7, 0), {-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3}, {"-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"});
    expect_ticks(plot::linear_axis(0.01, 0.07, 7, 0), {0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07}, {"0.01", "0.02", "0.03", "0.04", "0.05", "0.06", "0.07"});
    for (double lo : {-7.3, 0.0, 3.1, 1e-4})
        for (double span : {0.013, 0.9, 7.0, 123.0, 98765.0}) {
            const plot::Axis a = plot::linear_axis(lo, lo + span);
            ASSERT_GE(a.ticks.size(), 2u) << lo << " " << span;
            EXPECT_LE(a.ticks.size(), 7u);
            const double step = a.ticks[1] - a.ticks[0], mant = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
            EXPECT_TRUE(std::abs(mant - 1) < 1e-6 || std::abs(mant - 2) < 1e-6 || std::abs(mant - 5) < 1e-6) << step;
            for (double t : a.ticks) EXPECT_NEAR(std::remainder(t, step), 0.0, step * 1e-6);
        }
    // one value: an axis around it, not a division by zero; a span below the values' precision or
    // beyond any range: a few ticks or none, never a hang
    EXPECT_GE(plot::linear_axis(3, 3).ticks.size(), 2u);
    EXPECT_LE(plot::linear_axis(1e18, 1e18 + 1024).ticks.size(), 50u);
    EXPECT_LE(plot::linear_axis(-1e308, 1e308).ticks.size(), 50u);
}

TEST(Plot, LogAxesTickAtPowersOfTenAndSaySo) {
    // the axis that was labelled 0.03334/0.3419/3.507: decades, written 10^k
    const plot::Axis a = plot::log_axis(0.03334, 3.507);
    expect_ticks(a, {0.1, 1.0}, {});
    EXPECT_NE(a.labels[0].find("10<tspan"), std::string::npos);
    EXPECT_NE(a.labels[0].find("−1"), std::string::npos);
    EXPECT_FALSE(a.minor.empty());  // 0.04 … 0.09, 0.2 … 0.9, 2 … 3
    // under two decades: 1, 2 and 5 × 10^k as decimals
    expect_ticks(plot::log_axis(1000, 50257), {1000, 2000, 5000, 10000, 20000, 50000}, {"1000", "2000", "5000", "10000", "20000", "50000"});
    expect_ticks(plot::log_axis(0.02, 0.6), {0.02, 0.05, 0.1, 0.2, 0.5}, {"0.02", "0.05", "0.1", "0.2", "0.5"});
    // many decades: at most ~8 labelled
    EXPECT_LE(plot::log_axis(1e-12, 1e12).ticks.size(), 9u);
    plot::LineChart c{"t", "vocabulary size", "ms", true, true, {{"a", {1000, 50000}, {0.1, 300}, ""}}, {}};
    const std::string svg = plot::line_chart(c);
    EXPECT_NE(svg.find("vocabulary size (log scale)"), std::string::npos);
    EXPECT_NE(svg.find("ms (log scale)"), std::string::npos);
}

TEST(Plot, TheStepAxisEndsAtTheLastStep) {
    plot::LineChart c{"loss", "step", "loss", false, false, {{"batch loss", {}, {}, ""}}, {{"floor", 0.5}}};
    for (int s = 1; s <= 10000; s += 10) c.series[0].x.push_back(s), c.series[0].y.push_back(3.0 / s + 0.5);
    c.series[0].x.push_back(10000), c.series[0].y.push_back(0.5003);
    const plot::Axis x = plot::chart_x_axis(c), y = plot::chart_y_axis(c);
    EXPECT_EQ(x.hi, 10000);
    EXPECT_EQ(x.ticks.back(), 10000);
    EXPECT_LE(y.lo, 0.5);  // the floor line is inside
    EXPECT_GE(y.hi, 3.5);
}

TEST(Plot, LabelsOfNearbyVectorsDoNotOverprint) {
    // "cat", "zoo" and "dog" a few pixels apart, "ate"/"ran" on one spot: today's lecture figure
    const std::vector<std::pair<double, double>> at = {{200, 100}, {203, 104}, {206, 98}, {300, 300}, {300, 301}, {120, 250}};
    std::vector<std::pair<double, double>> sizes;
    for (const char* t : {"cat", "zoo", "dog", "ate", "ran", "‘.’"}) sizes.push_back({plot::text_width(t), 14});
    const auto boxes = plot::place_labels(at, sizes, 0, 0, 400, 400);
    EXPECT_EQ(plot::overlap_area(boxes), 0.0);
    for (const auto& b : boxes) {  // inside the panel, and near the point it names
        EXPECT_GE(b.x, 0);
        EXPECT_LE(b.x + b.w, 400);
        EXPECT_GE(b.y, 0);
        EXPECT_LE(b.y + b.h, 400);
        EXPECT_LT(std::hypot(b.x + b.w / 2 - b.ax, b.y + b.h / 2 - b.ay), 80);
    }
    // a 1-D strip: labels above or below, stacked apart
    const std::vector<std::pair<double, double>> line = {{100, 50}, {102, 50}, {104, 50}, {106, 50}};
    std::vector<std::pair<double, double>> s4(4, {30, 14});
    const auto strip = plot::place_labels(line, s4, 0, 0, 400, 100, true);
    EXPECT_EQ(plot::overlap_area(strip), 0.0);
    for (const auto& b : strip) EXPECT_NEAR(b.x + b.w / 2, b.ax, 1e-9);  // centred over its point
    EXPECT_EQ(plot::token_label("."), "‘.’");
    EXPECT_EQ(plot::token_label("!"), "‘!’");
    EXPECT_EQ(plot::token_label("the"), "the");
}

TEST(Plot, PcaFindsThePlaneTheRowsLieIn) {
    // rows a·e + b·f in 5-D (e, f orthonormal), var(a) > var(b) > 0, plus a constant offset
    const double e[5] = {0.6, 0.8, 0, 0, 0}, f[5] = {0, 0, 0, 1, 0};
    std::vector<double> rows;
    Generator g(3);
    for (int i = 0; i < 50; ++i) {
        const double a = 3 * g.normal(), b = g.normal();
        for (int j = 0; j < 5; ++j) rows.push_back(a * e[j] + b * f[j] + 10.0 * j);
    }
    const plot::Pca p = plot::fit_pca(rows, 50, 5);
    EXPECT_NEAR(p.explained, 1.0, 1e-9);
    double dot = 0, n1 = 0, n2 = 0;
    for (int j = 0; j < 5; ++j) dot += p.c1[j] * p.c2[j], n1 += p.c1[j] * p.c1[j], n2 += p.c2[j] * p.c2[j];
    EXPECT_NEAR(dot, 0, 1e-9);  // orthonormal ...
    EXPECT_NEAR(n1, 1, 1e-9);
    EXPECT_NEAR(n2, 1, 1e-9);
    for (int j : {2, 4}) {  // ... in the rows' plane
        EXPECT_NEAR(p.c1[j], 0, 1e-9);
        EXPECT_NEAR(p.c2[j], 0, 1e-9);
    }
    EXPECT_NEAR(p.c1[0] * 0.8 - p.c1[1] * 0.6, 0, 0.2);  // and mostly along e, the wider direction
    double vx = 0, vy = 0;
    for (int i = 0; i < 50; ++i) {  // the projection keeps every row's distance from the mean
        const auto [x, y] = p.project(&rows[i * 5]);
        double r2 = 0;
        for (int j = 0; j < 5; ++j) r2 += (rows[i * 5 + j] - p.mean[j]) * (rows[i * 5 + j] - p.mean[j]);
        EXPECT_NEAR(x * x + y * y, r2, 1e-8 * (1 + r2));
        vx += x * x, vy += y * y;
    }
    EXPECT_GT(vx, vy);
    EXPECT_GT(p.c1[1], 0);  // signed: the largest entry positive
    // rows without variance (one row; the same row twice): unit components all the same, no NaN
    for (std::size_t n : {1, 2}) {
        const std::vector<double> same = {1, 2, 3, 1, 2, 3};
        const plot::Pca q = plot::fit_pca(std::vector<double>(same.begin(), same.begin() + 3 * n), n, 3);
        double n1 = 0, n2 = 0, dot = 0;
        for (int j = 0; j < 3; ++j) n1 += q.c1[j] * q.c1[j], n2 += q.c2[j] * q.c2[j], dot += q.c1[j] * q.c2[j];
        EXPECT_NEAR(n1, 1, 1e-12);
        EXPECT_NEAR(n2, 1, 1e-12);
        EXPECT_NEAR(dot, 0, 1e-12);
        EXPECT_EQ(q.project(same.data()), std::make_pair(0.0, 0.0));
    }
}

}  // namespace
}  // namespace xgrad
