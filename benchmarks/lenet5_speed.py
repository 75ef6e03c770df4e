"""LeNet-5 speed: lenet5 (numpy) against PyTorch CPU, same architecture, each in its own process on both cores.

Usage: ``.venv/bin/python benchmarks/lenet5_speed.py [--rounds 5] [--seconds 5] [--wait-quiet 10] [--output FILE]``

Each round starts one process per framework, alternating numpy and torch so that machine noise hits both alike, and
each process measures, after a warm-up:

- training: full steps at batch 32 on synthetic EMNIST-shaped uint8 data -- preprocess the batch, forward, softmax
  cross-entropy, backward, Adam step (PyTorch: ``model.train()``, ``zero_grad``, ``loss.backward()``, ``opt.step()``);
- inference: preprocess + forward at batch 256 (PyTorch under ``inference_mode``).

numpy processes run with ``OPENBLAS_NUM_THREADS=1`` (lenet5 splits each batch over its own 2 threads; a second BLAS
thread per call only adds spinning), torch processes with ``torch.set_num_threads(2)`` (``--threads`` changes both).
Besides samples per second, each run reports samples per CPU-second (process CPU time over all threads), a measure of
efficiency. Background load barely moves it for numpy (threads that wait sleep), but it does for PyTorch, whose
OpenMP threads spin -- and burn CPU -- while they wait for a preempted sibling. The script prints every run
with the CPU that other processes used meanwhile ("background", in cores: this machine is shared, and both
frameworks slow down sharply when their two threads do not get two cores), the medians and the ratios against the
targets (training >= 1.0x PyTorch, goal 1.3x; inference >= 0.6x, goal 1.0x), over all runs and over the quiet
runs only. Before each run it waits up to ``--wait-quiet`` seconds for the machine to go quiet. It is a script, not a test: pytest never collects it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().parent / "_lenet5_speed_worker.py"
TARGETS = {"train": (1.0, 1.3), "infer": (0.6, 1.0)}  # (target, goal) as numpy / torch
REPO = Path(__file__).resolve().parent.parent
RESULTS_JSON = REPO / "benchmarks" / "results" / "lenet5-speed.json"
QUIET_CORES = 0.3  # a run is "quiet" when other processes used less than this many cores meanwhile


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes spent busy since boot (Linux ``/proc/stat``), None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def background_cores(seconds: float = 1.0) -> float | None:
    """Cores' worth of CPU that other processes use right now, measured over ``seconds``."""
    before = busy_cpu_seconds()
    if before is None:
        return None
    time.sleep(seconds)
    after = busy_cpu_seconds()
    return None if after is None else (after - before) / seconds


def wait_for_quiet(max_wait: float, threshold: float = QUIET_CORES) -> float | None:
    """Sleep until background load drops under ``threshold`` cores or ``max_wait`` seconds pass; the last reading."""
    deadline = time.monotonic() + max_wait
    while True:
        load = background_cores()
        if load is None or load < threshold or time.monotonic() >= deadline:
            return load
        time.sleep(1.0)


def run_worker(framework: str, seconds: float, threads: int) -> dict[str, float]:
    env = dict(os.environ)
    if framework == "numpy":
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    else:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(name, None)
    busy_before, child_before, start = busy_cpu_seconds(), children_cpu_seconds(), time.monotonic()
    done = subprocess.run(
        [sys.executable, str(WORKER), framework, str(seconds), str(threads)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    busy_after, child_after, wall = busy_cpu_seconds(), children_cpu_seconds(), time.monotonic() - start
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        raise RuntimeError(f"{framework} worker failed (exit {done.returncode}): {last_line}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if busy_before is not None and busy_after is not None:
        # whatever the machine was busy with beyond this worker (startup included), in cores
        result["background_cores"] = max(0.0, (busy_after - busy_before) - (child_after - child_before)) / wall
    return result


RATE_KEYS = ("train_samples_per_s", "infer_samples_per_s", "train_samples_per_cpu_s", "infer_samples_per_cpu_s")


def median_rates(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Framework -> the median of each rate over its runs."""
    return {f: {key: statistics.median(r[key] for r in runs) for key in RATE_KEYS} for f, runs in results.items()}


def summarise(title: str, results: dict[str, list[dict[str, float]]]) -> None:
    """Print medians and numpy/torch ratios over ``results`` (framework -> runs)."""
    kinds = {"train": "train_samples_per_s", "infer": "infer_samples_per_s"}
    kinds |= {f"{k}_cpu": v.replace("per_s", "per_cpu_s") for k, v in kinds.items()}
    medians = {
        f: {k: statistics.median(r[key] for r in runs) for k, key in kinds.items()} for f, runs in results.items()
    }
    backgrounds = [r["background_cores"] for runs in results.values() for r in runs if "background_cores" in r]
    print(f"\n== {title} ==")
    print("medians (samples/s; in brackets per CPU-second of the process, all threads):")
    for f, m in medians.items():
        print(
            f"  {f:>5}: train (batch 32) {m['train']:8.0f} [{m['train_cpu']:6.0f}]   "
            f"inference (batch 256) {m['infer']:8.0f} [{m['infer_cpu']:6.0f}]"
        )
    if backgrounds and statistics.median(backgrounds) >= QUIET_CORES:
        print(
            f"WARNING: other processes used a median {statistics.median(backgrounds):.2f} cores during these runs; "
            "two-thread timings (PyTorch's especially) degrade sharply then: not representative."
        )
    if len(medians) == 2:
        print("numpy / torch:")
        for kind, label in (("train", "training, batch 32"), ("infer", "inference, batch 256")):
            ratio = medians["numpy"][kind] / medians["torch"][kind]
            cpu_ratio = medians["numpy"][f"{kind}_cpu"] / medians["torch"][f"{kind}_cpu"]
            target, goal = TARGETS[kind]
            verdict = "goal met" if ratio >= goal else "target met" if ratio >= target else "BELOW TARGET"
            print(
                f"  {label:<21} {ratio:5.2f}x   (target >= {target:.1f}x, goal {goal:.1f}x: {verdict}); "
                f"per CPU-second {cpu_ratio:.2f}x"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternated numpy/torch rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per measurement (default 5)")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="before each run, wait up to this long for other processes to go quiet (default 10; 0 = never)",
    )
    parser.add_argument("--threads", type=int, default=2, help="threads per framework (default 2, both cores)")
    parser.add_argument("--only", choices=("numpy", "torch"), help="run one framework only (profiling)")
    parser.add_argument(
        "--output",
        default=str(RESULTS_JSON),
        help=f"where the medians go as JSON for the docs site (default {RESULTS_JSON.relative_to(REPO)}; '' = none)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0 or args.threads < 1:
        parser.error("--rounds, --seconds and --threads must be positive")

    frameworks = [args.only] if args.only else ["numpy", "torch"]
    results: dict[str, list[dict[str, float]]] = {f: [] for f in frameworks}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(
        f"{'round':>5} {'framework':>9} {'threads':>7} {'train b32 /s':>13} {'infer b256 /s':>14} "
        f"{'train /cpu-s':>13} {'infer /cpu-s':>13} {'background':>11}"
    )
    for round_index in range(args.rounds):
        order = frameworks if round_index % 2 == 0 else frameworks[::-1]
        for framework in order:
            if args.wait_quiet > 0:
                wait_for_quiet(args.wait_quiet)
            try:
                r = run_worker(framework, args.seconds, args.threads)
            except RuntimeError as exc:
                print(f"lenet5_speed: {exc}", file=sys.stderr)
                return 2
            results[framework].append(r)
            background = r.get("background_cores")
            print(
                f"{round_index + 1:>5} {framework:>9} {r['threads']:>7} "
                f"{r['train_samples_per_s']:>13.0f} {r['infer_samples_per_s']:>14.0f} "
                f"{r['train_samples_per_cpu_s']:>13.0f} {r['infer_samples_per_cpu_s']:>13.0f} "
                f"{'n/a' if background is None else f'{background:.2f} cores':>11}",
                flush=True,
            )

    summarise("all runs", results)
    quiet = {f: [r for r in runs if r.get("background_cores", 1.0) < QUIET_CORES] for f, runs in results.items()}
    if all(quiet.values()):
        counts = ", ".join(f"{len(runs)} {f}" for f, runs in quiet.items())
        summarise(f"quiet runs only (background < {QUIET_CORES} cores: {counts})", quiet)
    else:
        print(f"\n(no framework had a quiet run, background < {QUIET_CORES} cores, for a quiet-only summary)")
    if args.output and not args.only:
        write_results(Path(args.output), args, results, quiet if all(quiet.values()) else None)
    return 0


def write_results(
    path: Path,
    args: argparse.Namespace,
    results: dict[str, list[dict[str, float]]],
    quiet: dict[str, list[dict[str, float]]] | None,
) -> None:
    """The medians as JSON for the documentation site (``<!-- results: speed -->``), written atomically."""
    data = {
        "medians": median_rates(results),
        "quiet_medians": median_rates(quiet) if quiet else None,
        "targets": {kind: list(bounds) for kind, bounds in TARGETS.items()},
        "runs": results,
        "settings": {"rounds": args.rounds, "seconds": args.seconds, "threads": args.threads},
        "environment": {"python": sys.version.split()[0], "cpus": os.cpu_count(), "machine": platform.machine()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
