// The collectives' watchdog (MPI backend): a rank that died, hangs or was stopped leaves the others
// waiting in a collective forever, since MPI without fault tolerance returns no error for it. Every
// collective call is marked while it runs; a thread ends this process, naming the call and the step,
// when one has waited longer than XGRAD_DISTRIBUTED_TIMEOUT seconds (default 600, 0: never) — its exit
// makes mpirun end the whole job. As torch.distributed's timeout, so a job fails instead of hanging.
// Sooner for the ranks of this host: every 0.2 s the thread looks whether one of them has ended (its
// process gone or a zombie) and names it with the step — within the second mpirun gives the other
// ranks between its SIGTERM and its SIGKILL when a rank dies.
#pragma once
#include <vector>

namespace xgrad::distributed::detail {

/// Starts the thread for this rank of a world of `size` (a no-op for a world of one).
void start_watchdog(int rank, int size);
/// The other ranks of this host, which the thread watches (rank, process id).
struct Peer {
    int rank;
    long pid;
};
void watch_peers(std::vector<Peer> peers);
/// Stops it (before MPI_Finalize).
void stop_watchdog();

/// Marks one collective call as in progress for its lifetime.
class InCall {
public:
    explicit InCall(const char* name);
    ~InCall();
    InCall(const InCall&) = delete;
    InCall& operator=(const InCall&) = delete;
};

}  // namespace xgrad::distributed::detail
