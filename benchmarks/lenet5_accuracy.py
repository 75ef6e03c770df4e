"""LeNet-5 accuracy: the seed configuration, trained for real through ``lenet5.train.train``, once per seed.

Usage::

    .venv/bin/python benchmarks/lenet5_accuracy.py --dataset fashion-mnist --seeds 0 1 2
    .venv/bin/python benchmarks/lenet5_accuracy.py --dataset emnist-balanced --data-dir datasets/emnist

The seed configuration: 10 epochs, batch 32, Adam lr 0.001, modern variant. Target: median test accuracy over the
seeds >= 90.0% on Fashion-MNIST (PyTorch, same configuration, reached 90.6% on this machine).

For each seed it prints the training log, then a per-epoch table of every seed and the median final accuracy, and
writes ``<out-dir>/<dataset>-seed<N>.json`` (configuration, history, final accuracy, throughput, environment) and
``<out-dir>/<dataset>-summary.json``. The weights go to ``<weights-root>/<dataset>-seed<N>/`` (``benchmarks/out/``,
not committed); ``lenet5 plot`` then draws the best seed's run into ``<out-dir>/<dataset>-{history,confusion,
samples}.png``. From the measured training and evaluation throughput it extrapolates how long the EMNIST Balanced run
(112,800 training and 18,800 test images, 10 epochs) takes on this machine. It is a script, not a test.
"""

from __future__ import annotations

import os

# Before numpy loads: one BLAS thread (see lenet5.cli); the model runs its own two threads.
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from lenet5.cli import main as lenet5_main  # noqa: E402
from lenet5.train import TrainConfig, TrainResult, default_data_dir, train  # noqa: E402

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
TARGET = 0.90
EMNIST_BALANCED = {"train": 112_800, "test": 18_800, "epochs": 10}


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "LENET5_THREADS": os.environ.get("LENET5_THREADS"),
        "load_average_1min": os.getloadavg()[0],  # the machine is shared: throughput figures depend on it
    }


def throughput(result: TrainResult, sizes: dict[str, int]) -> dict[str, float]:
    """Median training samples/s and evaluation images/s over the epochs (evaluation = epoch time - training time)."""
    train_rates, eval_rates = [], []
    evaluated = sizes["validation"] + sizes["test"]
    for row in result.history:
        train_seconds = sizes["train"] / row["samples_per_s"]
        train_rates.append(row["samples_per_s"])
        eval_seconds = row["seconds"] - train_seconds
        if eval_seconds > 0:
            eval_rates.append(evaluated / eval_seconds)
    return {
        "train_samples_per_s": statistics.median(train_rates),
        "eval_images_per_s": statistics.median(eval_rates) if eval_rates else float("nan"),
    }


def emnist_estimate(rates: dict[str, float]) -> dict[str, float]:
    per_epoch = (
        EMNIST_BALANCED["train"] / rates["train_samples_per_s"] + EMNIST_BALANCED["test"] / rates["eval_images_per_s"]
    )
    return {"seconds_per_epoch": per_epoch, "minutes_for_10_epochs": per_epoch * EMNIST_BALANCED["epochs"] / 60}


def print_table(dataset: str, runs: dict[int, dict[str, Any]]) -> None:
    seeds = sorted(runs)
    print(f"\n{dataset}: test accuracy per epoch")
    print("epoch" + "".join(f" | seed {s:<3} train loss  test acc" for s in seeds))
    for index in range(max(len(runs[s]["history"]) for s in seeds)):
        cells = []
        for seed in seeds:
            history = runs[seed]["history"]
            row = history[index] if index < len(history) else None
            cells.append(f" | {'':8} {row['train_loss']:10.4f} {row['test_acc']:9.2%}" if row else " |" + " " * 29)
        print(f"{index + 1:>5}" + "".join(cells))
    finals = [runs[s]["test_acc"] for s in seeds]
    print("final" + "".join(f" | {'':8} {'':10} {acc:9.2%}" for acc in finals))
    print(f"median {statistics.median(finals):.2%} over seeds {', '.join(map(str, seeds))} (target {TARGET:.1%})")


def _shown(path: Path) -> str:
    """``path`` relative to the repository when inside it: no machine paths in the committed results."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def run_seed(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    config = TrainConfig(
        dataset=args.dataset,
        data_dir=args.data_dir,
        weights_dir=str(args.weights_root / f"{args.dataset}-seed{seed}"),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        variant=args.variant,
        schedule=args.schedule,
        seed=seed,
        limit_train=args.limit_train,
    )
    print(f"\n=== {args.dataset}, seed {seed} ===", flush=True)
    start = time.perf_counter()
    result = train(config, progress_bar=False)
    wall = time.perf_counter() - start
    metadata = json.loads(result.metadata_path.read_text()) if result.metadata_path else {}
    sizes = metadata["num_images"]
    record = {
        "dataset": args.dataset,
        "seed": seed,
        "config": {**config.to_json(), "weights_dir": _shown(Path(str(config.weights_dir)))},
        "num_images": sizes,
        "test_acc": result.test_acc,
        "history": result.history,
        "wall_seconds": wall,
        **throughput(result, sizes),
        "environment": environment(),
    }
    path = args.out_dir / f"{args.dataset}-seed{seed}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}")
    return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--data-dir", help="default: datasets/emnist or datasets/<dataset>")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--variant", default="modern")
    parser.add_argument(
        "--schedule", default="constant", help="learning-rate schedule (the seed configuration: constant)"
    )
    parser.add_argument("--limit-train", type=int, help="a seeded subset, for a quick speed check")
    parser.add_argument("--out-dir", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--weights-root", type=Path, default=REPO / "benchmarks" / "out", help="not committed")
    parser.add_argument("--no-plot", action="store_true", help="skip lenet5 plot on the best seed")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir or default_data_dir(args.dataset)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    runs = {seed: run_seed(args, seed) for seed in args.seeds}
    print_table(args.dataset, runs)
    finals = [runs[s]["test_acc"] for s in args.seeds]
    rates = {
        "train_samples_per_s": statistics.median(r["train_samples_per_s"] for r in runs.values()),
        "eval_images_per_s": statistics.median(r["eval_images_per_s"] for r in runs.values()),
    }
    estimate = emnist_estimate(rates)
    best = max(args.seeds, key=lambda s: runs[s]["test_acc"])
    summary = {
        "dataset": args.dataset,
        "configuration": {
            key: runs[args.seeds[0]]["config"][key]
            for key in ("epochs", "batch_size", "lr", "optimizer", "schedule", "variant", "limit_train")
        },
        "seeds": args.seeds,
        "test_acc": {str(s): runs[s]["test_acc"] for s in args.seeds},
        "median_test_acc": statistics.median(finals),
        "target": TARGET if args.dataset == "fashion-mnist" else None,
        "meets_target": statistics.median(finals) >= TARGET if args.dataset == "fashion-mnist" else None,
        "best_seed": best,
        **rates,
        "emnist_balanced_estimate": estimate,
        "environment": environment(),
    }
    path = args.out_dir / f"{args.dataset}-summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {path}")
    print(
        f"throughput: {rates['train_samples_per_s']:,.0f} training samples/s, {rates['eval_images_per_s']:,.0f} "
        f"evaluated images/s -> EMNIST Balanced, 10 epochs: about {estimate['minutes_for_10_epochs']:.1f} min "
        f"({estimate['seconds_per_epoch']:.0f} s per epoch)"
    )
    if not args.no_plot:
        weights = args.weights_root / f"{args.dataset}-seed{best}"
        code = lenet5_main(["plot", "--weights-dir", str(weights), "--data-dir", args.data_dir,
                            "--out-dir", str(args.out_dir), "--prefix", f"{args.dataset}-"])  # fmt: skip
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
