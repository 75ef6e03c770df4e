"""Peak memory of LeNet-5 training at EMNIST Balanced size (target: peak RSS <= 1.5 GB).

Usage: ``.venv/bin/python benchmarks/lenet5_memory.py [--train 112800] [--test 18800] [--epochs 1]``

EMNIST itself cannot be downloaded here, so the script writes synthetic files of the same size and format
(``emnist-balanced-{train,test}-{images-idx3,labels-idx1}-ubyte.gz``, 47 classes, images stored transposed as NIST
does) to a temporary directory, then starts a fresh process that loads them with ``lenet5.data.load_dataset`` and
trains through ``lenet5.train.train`` (batch 32, Adam, checkpoints and weights written every epoch). That process
reports its peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after the imports, after loading
the data, and after training. A fresh process matters: ``ru_maxrss`` is a high-water mark, and generating the files
would otherwise count. It is a script, not a test.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

LIMIT_BYTES = 1.5e9
NUM_CLASSES = 47


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def write_idx_gz(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(header)
        handle.write(np.ascontiguousarray(array).tobytes())


def synthetic_split(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Strokes on black like EMNIST (so the files compress like EMNIST's): a bar whose place depends on the class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=count).astype(np.uint8)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    rows = 4 + (labels % 20).astype(np.intp)
    cols = 4 + (labels // 20).astype(np.intp) * 6
    for offset in range(4):
        images[np.arange(count), rows, cols + offset] = 255
    images += rng.integers(0, 8, size=images.shape, dtype=np.uint8)
    return images, labels


def write_files(directory: Path, n_train: int, n_test: int) -> None:
    for part, count, seed in (("train", n_train, 0), ("test", n_test, 1)):
        images, labels = synthetic_split(count, seed)
        write_idx_gz(directory / f"emnist-balanced-{part}-images-idx3-ubyte.gz", images.transpose(0, 2, 1))
        write_idx_gz(directory / f"emnist-balanced-{part}-labels-idx1-ubyte.gz", labels)


def measure(data_dir: Path, epochs: int) -> dict[str, float]:
    """Runs in the fresh child process."""
    from lenet5.data import load_dataset
    from lenet5.train import TrainConfig, train

    after_imports = peak_rss_bytes()
    data = load_dataset("emnist-balanced", data_dir, "train"), load_dataset("emnist-balanced", data_dir, "test")
    after_load = peak_rss_bytes()
    config = TrainConfig(
        dataset="emnist-balanced", data_dir=str(data_dir), weights_dir=str(data_dir / "weights"), epochs=epochs
    )
    result = train(config, data=data, echo=lambda line: print(line, file=sys.stderr, flush=True), progress_bar=False)
    return {
        "train_images": len(data[0].labels),
        "test_images": len(data[1].labels),
        "dataset_bytes": data[0].images.nbytes + data[1].images.nbytes + data[0].labels.nbytes + data[1].labels.nbytes,
        "batches": sum(-(-len(data[0].labels) // 32) for _ in result.history),
        "peak_rss_after_imports": after_imports,
        "peak_rss_after_load": after_load,
        "peak_rss_after_training": peak_rss_bytes(),
        "samples_per_s": result.history[-1]["samples_per_s"],
        "epoch_seconds": [row["seconds"] for row in result.history],  # training + evaluating 18,800 test images
        "load_average_1min": os.getloadavg()[0],  # the machine is shared: the timings depend on it
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=112_800, help="training images (EMNIST Balanced: 112,800)")
    parser.add_argument("--test", type=int, default=18_800, help="test images (EMNIST Balanced: 18,800)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)  # internal: the file-writing child
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the measured child
    args = parser.parse_args(argv)
    if args.write is not None:
        write_files(args.write, args.train, args.test)
        return 0
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.epochs)))
        return 0

    # Both steps run in children of this small process: Linux carries the memory high-water mark across fork and
    # exec, so a child of a process that had generated the data would start with that process's peak.
    with tempfile.TemporaryDirectory(prefix="lenet5-memory-") as tmp:
        command = [sys.executable, __file__, "--train", str(args.train), "--test", str(args.test)]
        subprocess.run([*command, "--write", tmp], check=True)
        child = subprocess.run(
            [*command, "--measure", tmp, "--epochs", str(args.epochs)], stdout=subprocess.PIPE, text=True, check=False
        )
    if child.returncode != 0:
        print(f"measuring process failed with exit code {child.returncode}", file=sys.stderr)
        return 1
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    mb = 1e6
    print(
        f"{figures['train_images']:,} training + {figures['test_images']:,} test images "
        f"({figures['dataset_bytes'] / mb:.0f} MB as uint8), {figures['batches']:,} batches of 32:\n"
        f"  peak RSS after imports   {figures['peak_rss_after_imports'] / mb:7.0f} MB\n"
        f"  peak RSS after loading   {figures['peak_rss_after_load'] / mb:7.0f} MB\n"
        f"  peak RSS after training  {figures['peak_rss_after_training'] / mb:7.0f} MB  "
        f"(limit {LIMIT_BYTES / mb:,.0f} MB: {figures['peak_rss_after_training'] / LIMIT_BYTES:.0%} of it)\n"
        f"  {figures['samples_per_s']:,.0f} samples/s; seconds per epoch (with test evaluation): "
        + ", ".join(f"{seconds:.1f}" for seconds in figures["epoch_seconds"])
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["peak_rss_after_training"] <= LIMIT_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
