// What a training program does so that nothing it trains is lost: it stops on a non-finite loss before
// the update that would spread it, never saves non-finite weights over a file, and on SIGINT or SIGTERM
// (Ctrl-C, a job scheduler's warning before SIGKILL) finishes its step, saves and exits 130 or 143 —
// 138 on SIGUSR1, the signal mpirun forwards to every rank.
#pragma once
#include <map>
#include <string>

#include "nn/module.hpp"
#include "nn/optim/optimizer.hpp"

namespace xgrad::programs {

/// While one lives, SIGINT, SIGTERM and SIGUSR1 no longer kill the program: they set a flag that the training
/// loop reads after each step. A signal that comes again sets it again (`timeout` and some schedulers
/// send theirs to the process and to its group: twice); SIGKILL or SIGQUIT (Ctrl-\) still stop the
/// program at once. The destructor restores the previous handlers.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    bool requested() const;  ///< a signal came
    int signal() const;      ///< SIGINT, SIGTERM or SIGUSR1, or 0
    int exit_code() const { return 128 + signal(); }  ///< as a shell reports a process the signal killed
    const char* what() const;  ///< "interrupted" (SIGINT), "terminated" (SIGTERM) or "stopped by SIGUSR1"
};

/// Throws ValueError unless `loss` is finite: "training: the batch loss became nan at step 12 (lower
/// --lr?); …". Called before backward and the update, so the weights are still the last finite ones.
void check_finite_loss(double loss, long step, const std::string& lr_flag);

/// Throws ValueError naming the first parameter that holds a NaN or an infinity, and `path` as the
/// file that was therefore not written. Called before every save.
void check_finite_weights(const nn::Module& module, const std::string& path);

/// A training run in one file, to go on from exactly where it stopped: the model, the optimizer's state
/// (nn::save_checkpoint's layout), the default generator's state (the batches and dropout masks still
/// to come) and the caller's `progress` (JSON text: its step, its losses so far). Refuses non-finite
/// weights; written whole or not at all.
void save_run(const std::string& path, const nn::Module& model, const nn::Optimizer& optimizer, const std::string& progress,
              const std::map<std::string, std::string>& metadata = {});

/// What load_run gives back: the caller's progress (JSON text) and the other metadata it saved.
struct SavedRun {
    std::string progress;
    std::map<std::string, std::string> metadata;
};
/// Restores model, optimizer and the default generator from save_run's file; FileError names the file
/// and what does not fit (another model's tensors, no progress: not a run of save_run).
SavedRun load_run(const std::string& path, nn::Module& model, nn::Optimizer& optimizer);

}  // namespace xgrad::programs
