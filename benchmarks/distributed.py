#!/usr/bin/env python3
"""Data parallelism on one machine: the GPT-2 124M training step (gpt2_step: the book's GPTModel, AdamW,
context 256) at one global batch, run as

  1 rank,  1 thread,  batch B          the baseline
  1 rank,  2 threads, batch B          the honest comparison on one box
  2 ranks, 1 thread each, batch B/2    mpiexec; gradients summed after backward (the default)
  2 ranks, 1 thread each, --overlap    the sums started during backward (DDP's way)
  2 independent processes, batch B/2   no MPI at all, each bound to a core (taskset) as mpiexec binds its
                                       ranks: what 2 ranks would take if the sums were free
  1 process alone, batch B/2           the step one rank computes, with the machine to itself

interleaved, --reps times; a configuration's step time is the median of its steady steps (the first two,
which fault every buffer in, left out). Prints a Markdown table: seconds a step, throughput against the
baseline, and the share of the step rank 0 spent in DataParallel::wait.

    /usr/bin/python3 benchmarks/distributed.py --build build [--batch 2] [--steps 6] [--reps 2]
"""
import argparse
import json
import os
import statistics
import subprocess

MPI_ENV = {"OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def steps_of(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def run(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True)
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--batch", type=int, default=2, help="global batch (windows a step over all ranks)")
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    step = os.path.join(a.build, "benchmarks", "gpt2_step")
    common = ["--steps", str(a.steps), "--context", "256"]
    half = str(a.batch // 2)
    configs = {
        "1 rank, 1 thread": ([step, "--threads", "1", "--batch", str(a.batch)] + common, {}),
        "1 rank, 2 threads": ([step, "--threads", "2", "--batch", str(a.batch)] + common, {}),
        "2 ranks x 1 thread, summed after backward": (["mpiexec", "-n", "2", step, "--batch", half] + common, MPI_ENV),
        "2 ranks x 1 thread, --overlap": (["mpiexec", "-n", "2", step, "--batch", half, "--overlap"] + common, MPI_ENV),
    }
    times = {name: [] for name in list(configs) + ["2 independent processes (no sums)", "1 process alone, half the batch"]}
    waits = {name: [] for name in configs}
    for _ in range(a.reps):
        for name, (cmd, env) in configs.items():
            steady = steps_of(run(cmd, env))[2:]
            times[name] += [s["seconds"] for s in steady]
            waits[name] += [s.get("wait", 0.0) / s["seconds"] for s in steady]
        # two processes side by side, batch B/2 each, no communication: the floor for 2 ranks
        cmd = [step, "--threads", "1", "--batch", half] + common
        procs = [subprocess.Popen(["taskset", "-c", str(core)] + cmd, stdout=subprocess.PIPE, text=True) for core in range(2)]
        outs = [p.communicate()[0] for p in procs]
        times["2 independent processes (no sums)"] += [max(s["seconds"] for s in pair)
                                                       for pair in zip(*(steps_of(o)[2:] for o in outs))]
        times["1 process alone, half the batch"] += [s["seconds"] for s in steps_of(run(cmd, {}))[2:]]
    base = statistics.median(times["1 rank, 1 thread"])
    print(f"GPT-2 124M step, global batch {a.batch} x 256 tokens, AdamW; median of {len(times['1 rank, 1 thread'])} "
          f"steady steps each\n")
    print("| configuration | s/step | throughput vs 1 rank, 1 thread | waiting for the sums |")
    print("|---|---|---|---|")
    for name, ts in times.items():
        m = statistics.median(ts)
        w = f"{100 * statistics.median(waits[name]):.1f}%" if name in waits and "ranks" in name else ""
        print(f"| {name} | {m:.3f} | {base / m:.2f}x | {w} |")


if __name__ == "__main__":
    main()
