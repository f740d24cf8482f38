// The parts of distributed.hpp made of the backend's calls (the same with or without MPI).
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "distributed/distributed.hpp"
#include "distributed/launcher.hpp"

namespace xgrad::distributed {

int detail::launched_ranks() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
    return 0;
}

double mean_over_ranks(double value) {
    all_reduce_sum(std::span<double>(&value, 1));
    return value / world_size();
}

namespace {

// Up to 200 characters of `s` from a little before `at`, with "…" where it was cut.
std::string excerpt(const std::string& s, std::size_t at) {
    const std::size_t from = at > 60 ? at - 60 : 0;
    return (from > 0 ? "…" : "") + s.substr(from, 200) + (from + 200 < s.size() ? "…" : "");
}

}  // namespace

void check_same(const std::string& what, const std::string& value) {
    const auto all = detail::all_gather_strings(value);
    for (std::size_t r = 1; r < all.size(); ++r) {
        if (all[r] == all[0]) continue;
        const auto first = std::mismatch(all[r].begin(), all[r].end(), all[0].begin(), all[0].end());
        const auto at = std::size_t(first.first - all[r].begin());  // where they part
        throw DistributedError(fmt::format("rank {}'s {} differs from rank 0's: \"{}\" against \"{}\" (every rank must "
                                           "run the same program on the same data)", r, what, excerpt(all[r], at),
                                           excerpt(all[0], at)));
    }
}

}  // namespace xgrad::distributed
