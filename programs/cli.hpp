// The programs' command line and exit statuses, the convention of docs/errors.md: a bad command line prints
// "<program>: error: " and CLI11's message and exits with 2; --help prints the help and exits with 0; an
// error while running prints "<program>: error: " and what went wrong and exits with 1.
#pragma once
#include <cmath>
#include <exception>
#include <new>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tensor/error.hpp"

namespace xgrad::programs {

/// Checks a number: finite, and above 0 (or at least 0 when zero_ok). CLI11's PositiveNumber and
/// NonNegativeNumber name the largest double in their messages instead: "--size: must be a positive
/// number, got 0".
inline CLI::Validator number_check(bool zero_ok) {
    return CLI::Validator(
        [zero_ok](std::string& s) -> std::string {
            std::size_t used = 0;
            double v = 0;
            try {
                v = std::stod(s, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != s.size() || !std::isfinite(v) || v < 0 || (v == 0 && !zero_ok))
                return std::string(zero_ok ? "must be a number, 0 or more" : "must be a positive number") + ", got " + s;
            return {};
        },
        zero_ok ? "NONNEGATIVE" : "POSITIVE");
}
inline const CLI::Validator positive = number_check(false);
inline const CLI::Validator non_negative = number_check(true);

/// Parses argv into `app`'s options. Returns the exit status when the program should stop (help shown,
/// or an error printed), nothing when it should run.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv, const char* program) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() != 0) fmt::print(stderr, "{}: error: ", program);  // then CLI11's message
        const int status = app.exit(e);  // prints help or the error
        return status == 0 ? 0 : 2;
    }
    return std::nullopt;
}

/// Runs a program's body and turns what it throws into the error line and exit status 1. Running out
/// of memory is named as such (std::bad_alloc's own text is only "std::bad_alloc").
template <class Body>
int run_main(const char* program, Body&& body) {
    try {
        return body();
    } catch (const OutOfMemory& e) {
        fmt::print(stderr, "{}: error: {}: this machine could not give the memory the run asked for (smaller sizes "
                           "or batches need less)\n", program, e.what());
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "{}: error: out of memory: this machine could not give the memory the run asked for "
                           "(smaller sizes or batches need less)\n", program);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: error: {}\n", program, e.what());
    }
    return 1;
}

}  // namespace xgrad::programs
