// Runs an example program from a test: its exit status and its output (stdout and stderr).
#pragma once
#include <array>
#include <cstdio>
#include <string>
#include <utility>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace xgrad::testing {

/// Runs `binary args` through the shell; returns (exit status, stdout + stderr).
inline std::pair<int, std::string> run_program(const std::string& binary, const std::string& args) {
    const std::string cmd = binary + " " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed: " + cmd};
    std::string out;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

/// The JSON object on the last line of a program's output (--json).
inline nlohmann::json last_json(const std::string& out) {
    const auto nl = out.find_last_of('\n', out.size() - 2);
    return nlohmann::json::parse(out.substr(nl == std::string::npos ? 0 : nl + 1));
}

}  // namespace xgrad::testing
