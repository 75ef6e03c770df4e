"""One measurement run for benchmarks/lenet5_speed.py: ``python _lenet5_speed_worker.py numpy|torch SECONDS THREADS``.

Prints one JSON line ``{"framework", "threads", "train_samples_per_s", "infer_samples_per_s",
"train_samples_per_cpu_s", "infer_samples_per_cpu_s"}`` (per CPU-second: process CPU time, all threads). The parent
sets the BLAS/OpenMP environment before this process starts (numpy's BLAS must be pinned before numpy is imported).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

TRAIN_BATCH = 32
INFER_BATCH = 256
NUM_CLASSES = 47  # EMNIST balanced
POOL_SIZE = 8192


def synthetic_emnist(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, 28, 28) images shaped like EMNIST (blank background, a few strokes) and int64 labels."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    rows, cols = rng.integers(4, 20, size=(2, n, 3))
    heights, widths = rng.integers(2, 9, size=(2, n, 3))
    levels = rng.integers(60, 256, size=(n, 3))
    for i in range(n):
        for s in range(3):
            images[i, rows[i, s] : rows[i, s] + heights[i, s], cols[i, s] : cols[i, s] + widths[i, s]] = levels[i, s]
    return images, rng.integers(0, NUM_CLASSES, size=n)


def timed(step, seconds: float, warmup: int, batch: int) -> tuple[float, float]:
    """(samples per wall second, samples per CPU second) of ``step`` over ``seconds``, after ``warmup`` calls."""
    for i in range(warmup):
        step(i)
    calls, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        step(warmup + calls)
        calls += 1
    cpu = time.process_time() - cpu_start
    return calls * batch / elapsed, calls * batch / cpu


def report(train: tuple[float, float], infer: tuple[float, float], threads: int) -> dict[str, float]:
    return {
        "threads": threads,
        "train_samples_per_s": train[0],
        "infer_samples_per_s": infer[0],
        "train_samples_per_cpu_s": train[1],
        "infer_samples_per_cpu_s": infer[1],
    }


def bench_numpy(images: np.ndarray, labels: np.ndarray, seconds: float, threads: int) -> dict[str, float]:
    from lenet5.losses import softmax_cross_entropy
    from lenet5.model import LeNet5, preprocess
    from lenet5.optim import Adam

    model = LeNet5(num_classes=NUM_CLASSES, seed=0, threads=threads)
    optimizer = Adam(model.params, lr=1e-3, threads=threads)
    batches = POOL_SIZE // TRAIN_BATCH

    def train_step(i: int) -> None:
        lo = (i % batches) * TRAIN_BATCH
        logits = model.forward(preprocess(images[lo : lo + TRAIN_BATCH]), train=True)
        _, dlogits = softmax_cross_entropy(logits, labels[lo : lo + TRAIN_BATCH])
        model.backward(dlogits)
        optimizer.step(model.grads)

    def infer_step(i: int) -> None:
        lo = (i % (POOL_SIZE // INFER_BATCH)) * INFER_BATCH
        model.forward(preprocess(images[lo : lo + INFER_BATCH]), train=False)

    train = timed(train_step, seconds, warmup=30, batch=TRAIN_BATCH)
    infer = timed(infer_step, seconds, warmup=5, batch=INFER_BATCH)
    return report(train, infer, model.threads)


def bench_torch(images: np.ndarray, labels: np.ndarray, seconds: float, threads: int) -> dict[str, float]:
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _lenet5_speed_torch import TorchLeNet5

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = TorchLeNet5(NUM_CLASSES, "modern")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images_t, labels_t = torch.from_numpy(images), torch.from_numpy(labels)
    batches = POOL_SIZE // TRAIN_BATCH

    def preprocess(batch: torch.Tensor) -> torch.Tensor:
        return batch.to(torch.float32).div_(255).unsqueeze_(1)

    def train_step(i: int) -> None:
        lo = (i % batches) * TRAIN_BATCH
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(
            model(preprocess(images_t[lo : lo + TRAIN_BATCH])), labels_t[lo : lo + TRAIN_BATCH]
        )
        loss.backward()
        optimizer.step()

    def infer_step(i: int) -> None:
        lo = (i % (POOL_SIZE // INFER_BATCH)) * INFER_BATCH
        with torch.inference_mode():
            model(preprocess(images_t[lo : lo + INFER_BATCH]))

    model.train()
    train = timed(train_step, seconds, warmup=30, batch=TRAIN_BATCH)
    model.eval()
    infer = timed(infer_step, seconds, warmup=5, batch=INFER_BATCH)
    return report(train, infer, torch.get_num_threads())


def main(argv: list[str]) -> int:
    framework, seconds, threads = argv[0], float(argv[1]), int(argv[2])
    images, labels = synthetic_emnist(POOL_SIZE)
    bench = {"numpy": bench_numpy, "torch": bench_torch}[framework]
    print(json.dumps({"framework": framework, **bench(images, labels, seconds, threads)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
