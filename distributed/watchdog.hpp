// The collectives' watchdog (MPI backend): a rank that died, hangs or was stopped leaves the others
// waiting in a collective forever, since MPI without fault tolerance returns no error for it. Every
// collective call is marked while it runs; a thread ends this process, naming the call and the step,
// when one has waited longer than XGRAD_DISTRIBUTED_TIMEOUT seconds (default 600, 0: never) — its exit
// makes mpirun end the whole job. As torch.distributed's timeout, so a job fails instead of hanging.
#pragma once

namespace xgrad::distributed::detail {

/// Starts the thread for this rank of a world of `size` (a no-op when the timeout is 0).
void start_watchdog(int rank, int size);
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
