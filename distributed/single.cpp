// distributed.hpp without MPI: a world of one process, every collective a no-op.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "distributed/distributed.hpp"
#include "distributed/launcher.hpp"

namespace xgrad::distributed {

bool built_with_mpi() { return false; }

ProcessGroup::ProcessGroup(int& argc, char**& argv) {
    (void)argc;
    if (const int n = detail::launched_ranks(); n > 1) {  // N copies would each train alone: refuse
        const char* name = argc > 0 ? argv[0] : "xgrad";
        if (const char* slash = std::strrchr(name, '/')) name = slash + 1;
        std::fprintf(stderr, "%s: started by mpirun as one of %d ranks, but this xgrad was built without MPI: install "
                     "libopenmpi-dev (or MPICH) and build again (CMake finds it), or run the program alone\n", name, n);
        std::exit(2);
    }
}
ProcessGroup::~ProcessGroup() = default;
int ProcessGroup::exit(int status) {
    active_ = false;  // never true here: no MPI to finalise
    return status;
}

void note_step(long) {}
int rank() { return 0; }
int world_size() { return 1; }
void barrier() {}
void broadcast(std::span<float>, int) {}
void broadcast(std::span<std::uint64_t>, int) {}
void all_reduce_sum(std::span<float>) {}
void all_reduce_sum(std::span<double>) {}
void all_reduce_mean(std::span<float>) {}
long all_reduce_max(long value) { return value; }
std::vector<std::string> detail::all_gather_strings(const std::string& value) { return {value}; }

struct AsyncSum::Impl {};
AsyncSum::AsyncSum(float*, std::size_t) {}
AsyncSum::~AsyncSum() = default;
bool AsyncSum::done() { return true; }
void AsyncSum::wait() {}

}  // namespace xgrad::distributed
