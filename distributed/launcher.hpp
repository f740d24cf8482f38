// What both backends share (distributed/mpi.cpp and distributed/single.cpp): the launcher's word and
// the gather check_same is made of.
#pragma once
#include <string>
#include <vector>

namespace xgrad::distributed::detail {

/// The number of ranks mpirun/mpiexec started (Open MPI's OMPI_COMM_WORLD_SIZE, MPICH's PMI_SIZE), 0 when
/// the process was started alone.
int launched_ranks();

/// Every rank's `value`, by rank.
std::vector<std::string> all_gather_strings(const std::string& value);

}  // namespace xgrad::distributed::detail
