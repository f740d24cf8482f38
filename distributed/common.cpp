// The parts of distributed.hpp made of the backend's calls (the same with or without MPI).
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

void check_same(const std::string& what, const std::string& value) {
    const auto all = detail::all_gather_strings(value);
    for (std::size_t r = 1; r < all.size(); ++r)
        if (all[r] != all[0])
            throw DistributedError(fmt::format("rank {}'s {} differs from rank 0's: \"{:.200}\" against \"{:.200}\" "
                                               "(every rank must run the same program on the same data)",
                                               r, what, all[r], all[0]));
}

}  // namespace xgrad::distributed
