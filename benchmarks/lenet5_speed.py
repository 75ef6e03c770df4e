"""LeNet-5 speed: lenet5 (numpy) against PyTorch CPU, same architecture, each in its own process on both cores.

Usage: ``.venv/bin/python benchmarks/lenet5_speed.py [--rounds 5] [--seconds 6]``

Each round starts one process per framework, alternating numpy and torch so that machine noise hits both alike, and
each process measures, after a warm-up:

- training: full steps at batch 32 on synthetic EMNIST-shaped uint8 data -- preprocess the batch, forward, softmax
  cross-entropy, backward, Adam step (PyTorch: ``model.train()``, ``zero_grad``, ``loss.backward()``, ``opt.step()``);
- inference: preprocess + forward at batch 256 (PyTorch under ``inference_mode``).

numpy processes run with ``OPENBLAS_NUM_THREADS=1`` (lenet5 splits each batch over its own 2 threads; a second BLAS
thread per call only adds spinning), torch processes with ``torch.set_num_threads(2)``. The script prints every run,
the medians and the ratios against the targets (training >= 1.0x PyTorch, goal 1.3x; inference >= 0.6x, goal 1.0x).
It is a script, not a test: pytest never collects it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().parent / "_lenet5_speed_worker.py"
TARGETS = {"train": (1.0, 1.3), "infer": (0.6, 1.0)}  # (target, goal) as numpy / torch


def run_worker(framework: str, seconds: float) -> dict[str, float]:
    env = dict(os.environ)
    if framework == "numpy":
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    else:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(WORKER), framework, str(seconds)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{framework} worker failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternated numpy/torch rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=6.0, help="timed seconds per measurement (default 6)")
    parser.add_argument("--only", choices=("numpy", "torch"), help="run one framework only (profiling)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds and --seconds must be positive")

    frameworks = [args.only] if args.only else ["numpy", "torch"]
    results: dict[str, list[dict[str, float]]] = {f: [] for f in frameworks}
    print(f"{'round':>5} {'framework':>9} {'threads':>7} {'train b32 /s':>13} {'infer b256 /s':>14}")
    for round_index in range(args.rounds):
        order = frameworks if round_index % 2 == 0 else frameworks[::-1]
        for framework in order:
            r = run_worker(framework, args.seconds)
            results[framework].append(r)
            print(
                f"{round_index + 1:>5} {framework:>9} {r['threads']:>7} "
                f"{r['train_samples_per_s']:>13.0f} {r['infer_samples_per_s']:>14.0f}",
                flush=True,
            )

    medians = {
        f: {k: statistics.median(r[f"{k}_samples_per_s"] for r in runs) for k in ("train", "infer")}
        for f, runs in results.items()
    }
    print("\nmedians (samples/s):")
    for f, m in medians.items():
        print(f"  {f:>5}: train (batch 32) {m['train']:8.0f}   inference (batch 256) {m['infer']:8.0f}")
    if len(medians) == 2:
        print("\nnumpy / torch:")
        for kind, label in (("train", "training, batch 32"), ("infer", "inference, batch 256")):
            ratio = medians["numpy"][kind] / medians["torch"][kind]
            target, goal = TARGETS[kind]
            verdict = "goal met" if ratio >= goal else "target met" if ratio >= target else "BELOW TARGET"
            print(f"  {label:<21} {ratio:5.2f}x   (target >= {target:.1f}x, goal {goal:.1f}x: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
