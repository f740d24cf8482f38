// The processes of a data-parallel job, over MPI (as torch.distributed's "mpi" backend; llm.c's ranks).
//
//     int main(int argc, char** argv) {
//         xgrad::distributed::ProcessGroup group(argc, argv);  // MPI_Init under mpirun, else a world of 1
//         int r = xgrad::distributed::rank(), n = xgrad::distributed::world_size();
//         ...
//         return group.exit(status);  // MPI_Finalize, or MPI_Abort when this rank failed
//     }
//
// A program started alone (no mpirun) is rank 0 of a world of 1 and never touches MPI, so every program
// runs the same with or without it. Built without MPI (CMake found none), a program that mpirun started
// as one of several ranks is refused by name instead of training N independent copies.
//
// Every call below is collective: all ranks make it, in the same order, or the job waits forever.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "tensor/error.hpp"

namespace xgrad::distributed {

/// An MPI call that failed, or ranks that disagree (names the rank and what differs).
struct DistributedError : Error {
    using Error::Error;
};

/// True when this build has MPI (CMake's XGRAD_MPI found it).
bool built_with_mpi();

/// Initialises MPI when the process was started by mpirun/mpiexec (Open MPI's or MPICH's launcher), for
/// the lifetime of the object; one per program, in main. Threads: only the thread that made it calls MPI.
class ProcessGroup {
public:
    ProcessGroup(int& argc, char**& argv);
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    /// What main returns: 0 and the stops on a signal (130 SIGINT, 143 SIGTERM, 138 SIGUSR1: every rank
    /// stopped at one step) finalise MPI; any other status aborts the whole job (MPI_Abort), since the
    /// other ranks may be waiting for this one in a collective and would wait forever.
    int exit(int status);

private:
    bool active_ = false;
};

/// The program's step, for the watchdog's message when the other ranks stop answering (a rank waiting
/// in a collective longer than XGRAD_DISTRIBUTED_TIMEOUT seconds, default 600, ends the job naming the
/// call and this step).
void note_step(long step);

/// This process's rank, 0 ≤ rank < world_size() (0 and 1 without mpirun).
int rank();
int world_size();
/// Rank 0: the one that prints, plots and saves.
inline bool is_main() { return rank() == 0; }

/// Waits until every rank is here.
void barrier();
/// Root's values to every rank, in place.
void broadcast(std::span<float> data, int root = 0);
void broadcast(std::span<std::uint64_t> data, int root = 0);
/// Sum over ranks, in place (every rank gets it).
void all_reduce_sum(std::span<float> data);
void all_reduce_sum(std::span<double> data);
/// Mean over ranks, in place: each chunk divided by world_size() right after its sum, while in cache.
void all_reduce_mean(std::span<float> data);
/// The largest value over ranks.
long all_reduce_max(long value);
/// The mean of a number over ranks: the loss a job prints.
double mean_over_ranks(double value);

/// Refuses ranks that disagree: every rank gives `value` (a description, a configuration as text, a
/// fingerprint), and if any rank's differs from rank 0's every rank throws DistributedError
/// "rank 1's <what> differs from rank 0's: …" (each shown from a little before where they part).
void check_same(const std::string& what, const std::string& value);

/// A sum over ranks, in place, running in the background (MPI_Iallreduce) while this rank computes.
/// MPI makes progress on it only inside MPI calls: done() drives it. The buffer must stay put until wait().
class AsyncSum {
public:
    AsyncSum(float* data, std::size_t count);
    ~AsyncSum();  // waits
    AsyncSum(const AsyncSum&) = delete;
    AsyncSum& operator=(const AsyncSum&) = delete;
    bool done();
    void wait();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xgrad::distributed
