// The bigram program's options (cli.cpp parses them, main.cpp runs them).
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace bigram {

struct Args {
    std::string corpus, valid, init, save, resume, plot, neighbors, level = "word";
    std::optional<std::string> prompt, plot_prev;
    std::size_t dim = 2, batch = 0, generate = 20, top_k = 0;
    std::optional<long> epochs, steps, t_max;
    std::optional<int> min_count;
    std::optional<double> lr;
    std::string optimizer = "sgd", schedule = "constant", on_nonfinite = "stop";
    uint64_t seed = 0;
    int threads = 1;
    double temperature = 1.0;
    bool tie = false, quiet = false, json = false, no_eval = false, reset_optimizer = false;
    double progress = -1;
    std::set<std::string> given;  ///< the options named on the command line (a resumed run keeps the rest)
};

/// Runs the program with these options; returns the exit status (errors are thrown).
int run(const Args& a);

}  // namespace bigram
