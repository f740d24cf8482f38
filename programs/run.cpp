// The programs' run safety (see run.hpp).
#include "programs/run.hpp"

#include <atomic>
#include <cmath>
#include <csignal>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nn/serialize.hpp"

namespace xgrad::programs {

namespace {

std::atomic<int> g_signal{0};  // written by the handler: lock-free, so async-signal-safe
static_assert(std::atomic<int>::is_always_lock_free);
struct sigaction g_old_int, g_old_term, g_old_usr1;

extern "C" void on_stop_signal(int sig) { g_signal.store(sig); }

}  // namespace

StopSignals::StopSignals() {
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // a read or write the signal interrupts goes on
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
    sigaction(SIGUSR1, &sa, &g_old_usr1);  // mpirun forwards it to every rank (it cannot forward SIGTERM)
}

StopSignals::~StopSignals() {
    sigaction(SIGINT, &g_old_int, nullptr);
    sigaction(SIGTERM, &g_old_term, nullptr);
    sigaction(SIGUSR1, &g_old_usr1, nullptr);
}

bool StopSignals::requested() const { return g_signal.load() != 0; }
int StopSignals::signal() const { return g_signal.load(); }
const char* StopSignals::what() const {
    return signal() == SIGTERM ? "terminated" : signal() == SIGUSR1 ? "stopped by SIGUSR1" : "interrupted";
}

void check_finite_loss(double loss, long step, const std::string& lr_flag) {
    if (!std::isfinite(loss))
        throw ValueError(fmt::format("training: the batch loss became {} at step {} (lower {}?); the weights of the "
                                     "step before are kept, nothing non-finite is saved", loss, step, lr_flag));
}

void check_finite_weights(const nn::Module& module, const std::string& path) {
    for (const auto& [name, t] : module.named_parameters())
        for (float v : t.data())
            if (!std::isfinite(v))
                throw ValueError(fmt::format("{} holds {}: the weights are not finite; {} was not written", name, v, path));
}

void save_run(const std::string& path, const nn::Module& model, const nn::Optimizer& optimizer, const std::string& progress,
              const std::map<std::string, std::string>& metadata) {
    check_finite_weights(model, path);
    const Generator::State g = default_generator().state();
    nlohmann::json gen = {{"engine", g.engine}, {"seed", g.seed}};
    if (g.next_normal) gen["next_normal"] = *g.next_normal;
    auto meta = metadata;
    meta["progress"] = progress;
    meta["generator"] = gen.dump();
    nn::save_checkpoint(path, model, optimizer, meta);
}

SavedRun load_run(const std::string& path, nn::Module& model, nn::Optimizer& optimizer) {
    auto meta = nn::load_checkpoint(path, model, optimizer);
    if (!meta.count("progress"))
        throw FileError(fmt::format("{}: no \"progress\" in its metadata: not a run a program saved", path));
    try {  // a run saved before "generator" existed (gpt2's) kept engine and seed in its progress
        const auto gen = nlohmann::json::parse(meta.count("generator") ? meta.at("generator") : meta.at("progress"));
        Generator::State g{gen.at("engine"), gen.at("seed"), std::nullopt};
        if (gen.contains("next_normal")) g.next_normal = gen["next_normal"].get<double>();
        default_generator().set_state(g);
    } catch (const nlohmann::json::exception& e) {
        throw FileError(fmt::format("{}: its \"generator\" metadata is not a generator's state: {}", path, e.what()));
    } catch (const ValueError& e) {
        throw FileError(fmt::format("{}: its \"generator\" metadata is not a generator's state: {}", path, e.what()));
    }
    SavedRun run{meta.at("progress"), {}};
    meta.erase("progress"), meta.erase("generator");
    run.metadata = std::move(meta);
    return run;
}

}  // namespace xgrad::programs
