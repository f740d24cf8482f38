// The programs' command-line parsing, with the README's error convention: a bad command line prints
// "<program>: error: " and CLI11's message and exits with 2; --help prints the help and exits with 0.
#pragma once
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace examples {

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

}  // namespace examples
