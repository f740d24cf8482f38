// Test helpers: element-wise closeness of arrays with a message that names the first bad element.
#pragma once
#include <cmath>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "xgrad.hpp"

namespace xgrad::testing {

/// |a - b| <= atol + rtol·|b| everywhere, shapes equal.
inline ::testing::AssertionResult all_close(const Array& a, const Array& b, double atol = 1e-5, double rtol = 1e-5) {
    if (a.shape() != b.shape())
        return ::testing::AssertionFailure() << "shapes differ: " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a.data()[i], y = b.data()[i];
        if (std::isnan(x) && std::isnan(y)) continue;
        if (!(std::abs(x - y) <= atol + rtol * std::abs(y)))
            return ::testing::AssertionFailure() << "element " << i << ": " << x << " vs " << y << " (|diff| "
                                                 << std::abs(x - y) << ")";
    }
    return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult all_close(const Tensor& a, const Array& b, double atol = 1e-5, double rtol = 1e-5) {
    return all_close(a.data(), b, atol, rtol);
}

/// Bit-for-bit equality.
inline ::testing::AssertionResult all_equal(const Array& a, const Array& b) {
    if (a.shape() != b.shape())
        return ::testing::AssertionFailure() << "shapes differ: " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(a.data() + i, b.data() + i, sizeof(float)) != 0)
            return ::testing::AssertionFailure() << "element " << i << ": " << a.data()[i] << " vs " << b.data()[i];
    return ::testing::AssertionSuccess();
}

/// Expects `fn` to throw E with a message containing every one of `parts`.
template <class E, class Fn>
::testing::AssertionResult throws_with(Fn&& fn, std::initializer_list<std::string> parts) {
    try {
        fn();
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const auto& p : parts)
            if (msg.find(p) == std::string::npos)
                return ::testing::AssertionFailure() << "message \"" << msg << "\" lacks \"" << p << "\"";
        return ::testing::AssertionSuccess();
    } catch (const std::exception& e) {
        return ::testing::AssertionFailure() << "threw another type: " << e.what();
    }
    return ::testing::AssertionFailure() << "did not throw";
}

/// Sets the thread count for a scope and restores the previous one at its end (also on a failure).
class ThreadCount {
public:
    explicit ThreadCount(int n) : old_(num_threads()) { set_num_threads(n); }
    ~ThreadCount() { set_num_threads(old_); }
    ThreadCount(const ThreadCount&) = delete;
    ThreadCount& operator=(const ThreadCount&) = delete;

private:
    int old_;
};

}  // namespace xgrad::testing
