"""Train LeNet-5: ``train(TrainConfig(...)) -> TrainResult``, the engine behind ``lenet5 train``.

Reproducibility. All randomness comes from ``seed``: the weights (``LeNet5(seed=...)``), the validation hold-out and
``--limit-train`` subset (a generator seeded with ``[seed, 1]``), and the per-epoch shuffle (a generator seeded with
``seed``). The shuffle generator's state is saved in every checkpoint, together with the position inside the epoch and
the epoch's running sums, so ``--resume`` continues to weights bit-identical to an uninterrupted run, whether the run
stopped at an epoch boundary or was interrupted mid-epoch.

Memory. The dataset is held once, as uint8; the validation set and the ``--limit-train`` subset are index arrays into
it, and each batch is converted to float32 only when it is used (:func:`lenet5.model.preprocess`).

Interruptions. While training, the first Ctrl-C only raises a flag that is checked between batches, so the checkpoint
written then is always consistent; a second Ctrl-C interrupts at once (the checkpoint is still written unless the
optimizer was half-way through an update, in which case the previous epoch's checkpoint is kept). Either way
:class:`TrainingInterrupted` is raised after saving. A NaN or infinite loss raises :class:`TrainingDiverged` before
anything is written, so the files of the last good epoch stay as they were.

Timing. ``seconds`` in the history is the epoch's wall time including evaluation; ``samples_per_s`` counts training
samples over the training pass only (forward, backward, update).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from lenet5.checkpoint import (
    CHECKPOINT_NAME,
    METADATA_NAME,
    WEIGHTS_NAME,
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    write_json_atomic,
)
from lenet5.data import DATASET_NAMES, Dataset, load_dataset
from lenet5.evaluate import accuracy
from lenet5.losses import softmax_cross_entropy
from lenet5.model import LeNet5, preprocess, save_weights
from lenet5.optim import SGD, Adam, make_schedule

logger = logging.getLogger(__name__)

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "step", "cosine")
VARIANTS = ("modern", "classic")
LOG_EVERY = 100  # batches between loss lines
# Settings that may change between a run and its --resume; every other field must match the checkpoint.
RESUMABLE_CHANGES = frozenset({"epochs", "data_dir", "weights_dir", "resume"})


def default_data_dir(dataset: str) -> str:
    """``datasets/emnist`` for every EMNIST split, ``datasets/<name>`` otherwise."""
    return "datasets/emnist" if dataset.startswith("emnist") else f"datasets/{dataset}"


@dataclass
class TrainConfig:
    """Everything that defines a training run (the ``lenet5 train`` flags, one field each)."""

    dataset: str = "emnist-balanced"
    data_dir: str | None = None  # None: default_data_dir(dataset)
    weights_dir: str | None = "lenet5_weights"  # None: keep nothing on disk (API use)
    epochs: int = 10
    batch_size: int = 32
    lr: float = 0.001
    optimizer: str = "adam"
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "constant"
    seed: int = 0
    variant: str = "modern"
    c3_table: bool = False
    val_fraction: float = 0.0
    limit_train: int | None = None  # a seeded subset of this many training images (before the validation hold-out)
    limit_test: int | None = None  # the first this-many test images
    resume: bool = False

    def __post_init__(self) -> None:
        if self.data_dir is None:
            self.data_dir = default_data_dir(self.dataset)

    def validate(self) -> None:
        """Raise ValueError with a one-line message for an impossible setting."""
        problems = [
            (
                self.dataset not in DATASET_NAMES,
                f"unknown dataset {self.dataset!r} (choose from {', '.join(DATASET_NAMES)})",
            ),
            (self.epochs < 1, f"--epochs must be at least 1, got {self.epochs}"),
            (self.batch_size < 1, f"--batch-size must be at least 1, got {self.batch_size}"),
            (not (self.lr > 0 and math.isfinite(self.lr)), f"--lr must be a positive number, got {self.lr}"),
            (self.optimizer not in OPTIMIZERS, f"unknown optimizer {self.optimizer!r} (choose from adam, sgd)"),
            (
                self.optimizer != "sgd" and (self.momentum != 0 or self.nesterov),
                "--momentum and --nesterov apply to --optimizer sgd only",
            ),
            (self.nesterov and self.momentum <= 0, "--nesterov needs a positive --momentum"),
            (not 0 <= self.momentum < 1, f"--momentum must be in [0, 1), got {self.momentum}"),
            (self.weight_decay < 0, f"--weight-decay must be non-negative, got {self.weight_decay}"),
            (
                self.schedule not in SCHEDULES,
                f"unknown schedule {self.schedule!r} (choose from {', '.join(SCHEDULES)})",
            ),
            (self.variant not in VARIANTS, f"unknown variant {self.variant!r} (choose from modern, classic)"),
            (not 0 <= self.val_fraction < 1, f"--val-fraction must be in [0, 1), got {self.val_fraction}"),
            (
                self.limit_train is not None and self.limit_train < 1,
                f"--limit-train must be positive, got {self.limit_train}",
            ),
            (
                self.limit_test is not None and self.limit_test < 1,
                f"--limit-test must be positive, got {self.limit_test}",
            ),
        ]
        for failed, message in problems:
            if failed:
                raise ValueError(message)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; nothing of the failing epoch was written."""


class TrainingInterrupted(Exception):
    """Ctrl-C stopped training; ``message`` says where and whether a checkpoint was written."""


@dataclass
class TrainResult:
    """The trained model, its per-epoch history and where its files went (None without a weights directory)."""

    model: LeNet5
    history: list[dict[str, Any]]
    class_names: tuple[str, ...]
    test_acc: float
    val_acc: float | None
    weights_path: Path | None
    metadata_path: Path | None
    checkpoint_path: Path | None


@dataclass(frozen=True)
class _Position:
    """Where a run is, replaced as a whole between batches so an interrupt never sees half an update."""

    epoch: int  # 0-based epoch in progress
    batch: int  # next batch of that epoch
    rng_state: dict[str, Any]  # shuffle generator before this epoch's permutation
    loss_sum: float = 0.0  # sum over the epoch's samples of the per-sample loss
    correct: int = 0
    seen: int = 0
    seconds: float = 0.0  # training-pass seconds of this epoch before the current (resumed) session


def split_indices(num_images: int, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train rows, validation rows) of the training file, both sorted int64."""
    rng = np.random.default_rng([config.seed, 1])
    pool = np.arange(num_images)
    if config.limit_train is not None and config.limit_train < num_images:
        pool = np.sort(rng.choice(num_images, size=config.limit_train, replace=False))
    num_val = round(len(pool) * config.val_fraction)
    if config.val_fraction > 0 and not 0 < num_val < len(pool):
        raise ValueError(
            f"--val-fraction {config.val_fraction} of {len(pool)} images leaves no validation or no training image"
        )
    shuffled = pool[rng.permutation(len(pool))]
    return np.sort(shuffled[num_val:]), np.sort(shuffled[:num_val])


def make_optimizer(config: TrainConfig, params: dict[str, np.ndarray]) -> Adam | SGD:
    if config.optimizer == "adam":
        return Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return SGD(
        params, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov, weight_decay=config.weight_decay
    )


@contextlib.contextmanager
def _deferred_sigint() -> Iterator[threading.Event]:
    """First Ctrl-C sets the yielded event (checked between batches); a second one raises KeyboardInterrupt."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be installed from the main thread
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


class _Console:
    """Plain lines on a pipe, a tqdm bar (with the same lines printed above it) on a terminal."""

    def __init__(self, echo: Callable[[str], None] | None, progress_bar: bool | None) -> None:
        self.echo = echo or (lambda line: print(line, flush=True))
        self.use_bar = sys.stderr.isatty() if progress_bar is None else progress_bar
        self.bar: tqdm | None = None

    def line(self, text: str) -> None:
        if self.bar is not None:
            with tqdm.external_write_mode(file=sys.stdout):
                self.echo(text)
        else:
            self.echo(text)

    def start_epoch(self, epoch: int, epochs: int, total: int, done: int) -> None:
        if self.use_bar:
            self.bar = tqdm(
                total=total, initial=done, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False, dynamic_ncols=True
            )

    def advance(self, loss: float | None) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if loss is not None:
                self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _load_data(config: TrainConfig) -> tuple[Dataset, Dataset]:
    assert config.data_dir is not None
    return load_dataset(config.dataset, config.data_dir, "train"), load_dataset(config.dataset, config.data_dir, "test")


def _check_resumable(checkpoint: Checkpoint, config: TrainConfig, path: Path) -> None:
    saved = checkpoint.config
    for key, value in config.to_json().items():
        if key not in RESUMABLE_CHANGES and saved.get(key) != value:
            flag = "--" + key.replace("_", "-")
            raise CheckpointError(
                f"{path}: checkpoint was trained with {flag} {saved.get(key)!r}, this run has {value!r} "
                "(use the same settings to resume, or train without --resume)"
            )


def _banner(config: TrainConfig, model: LeNet5, sizes: tuple[int, int, int], start: _Position, steps: int) -> list[str]:
    num_params = sum(p.size for p in model.params.values())
    train_n, val_n, test_n = sizes
    optimizer = f"{config.optimizer} lr {config.lr:g}"
    if config.momentum:
        optimizer += f" momentum {config.momentum:g}" + (" nesterov" if config.nesterov else "")
    if config.weight_decay:
        optimizer += f" weight decay {config.weight_decay:g}"
    lines = [
        f"LeNet-5 ({config.variant}, C3 table {'on' if config.c3_table else 'off'}): {num_params:,} parameters, "
        f"{model.config()['num_classes']} classes",
        f"dataset    {config.dataset} from {config.data_dir}",
        f"images     train {train_n:,}"
        + (f", validation {val_n:,}" if val_n else "")
        + f", test {test_n:,}"
        + (f" (--limit-train {config.limit_train:,})" if config.limit_train else ""),
        f"optimizer  {optimizer}, {config.schedule} schedule, batch {config.batch_size}, {steps:,} batches/epoch, "
        f"{config.epochs} epoch{'s' if config.epochs > 1 else ''}, seed {config.seed}",
        f"weights    {config.weights_dir}" if config.weights_dir else "weights    not saved (no weights directory)",
    ]
    if start.epoch or start.batch:
        lines.append(f"resuming   at epoch {start.epoch + 1}, batch {start.batch}")
    return lines


def _epoch_line(row: dict[str, Any], epochs: int) -> str:
    width = len(str(epochs))
    parts = [
        f"epoch {row['epoch']:>{width}}/{epochs}",
        f"train loss {row['train_loss']:.4f} acc {row['train_acc']:.2%}",
    ]
    if row.get("val_acc") is not None:
        parts.append(f"val {row['val_acc']:.2%}")
    parts += [
        f"test {row['test_acc']:.2%}",
        f"{row['seconds']:.1f} s",
        f"{row['samples_per_s']:,.0f} samples/s",
        f"lr {row['lr']:.3g}",
    ]
    return "  ".join(parts)


class _Run:
    """One training session: the state that changes batch by batch, and the steps that change it."""

    def __init__(
        self, config: TrainConfig, train_set: Dataset, test_set: Dataset, console: _Console,
    ) -> None:  # fmt: skip
        self.config, self.train_set, self.test_set, self.console = config, train_set, test_set, console
        self.train_rows, self.val_rows = split_indices(len(train_set.labels), config)
        self.test_rows = np.arange(min(config.limit_test or len(test_set.labels), len(test_set.labels)))
        self.steps = math.ceil(len(self.train_rows) / config.batch_size)
        self.weights_dir = Path(config.weights_dir) if config.weights_dir is not None else None
        self.checkpoint_path = self.weights_dir / CHECKPOINT_NAME if self.weights_dir is not None else None
        self.model = LeNet5(train_set.num_classes, config.variant, config.c3_table, config.seed)
        self.history: list[dict[str, Any]] = []
        self.position = _Position(epoch=0, batch=0, rng_state=np.random.default_rng(config.seed).bit_generator.state)
        optimizer_state = self._restore() if config.resume else None
        self.optimizer = make_optimizer(config, self.model.params)
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
        self.lr_at = make_schedule(config.schedule, config.lr, config.epochs, self.steps)
        self.rng = np.random.default_rng(config.seed)  # the shuffle generator; its state lives in self.position
        self.phase = "idle"  # "step" while the optimizer updates the weights: a checkpoint then would be torn
        self.session_start = time.perf_counter()

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.train_rows), len(self.val_rows), len(self.test_rows)

    def _restore(self) -> dict[str, Any]:
        """Load the checkpoint into the model and the position; return the optimizer state for later."""
        if self.checkpoint_path is None:
            raise ValueError("--resume needs a --weights-dir holding a checkpoint")
        saved = load_checkpoint(self.checkpoint_path)
        _check_resumable(saved, self.config, self.checkpoint_path)
        if saved.config["epochs"] != self.config.epochs and self.config.schedule != "constant":
            logger.warning(
                "the %s schedule was laid out for %d epochs and now spans %d: the run will differ from an "
                "uninterrupted %d-epoch run",
                self.config.schedule,
                saved.config["epochs"],
                self.config.epochs,
                self.config.epochs,
            )
        self.model.load_state_dict(saved.model_state)
        self.history = list(saved.history)
        self.position = _Position(saved.epoch, saved.batch, saved.rng_state, **saved.partial)
        return saved.optimizer_state

    def run(self) -> None:
        """Train the remaining epochs; on Ctrl-C save a checkpoint and raise :class:`TrainingInterrupted`."""
        with _deferred_sigint() as stop:
            try:
                while self.position.epoch < self.config.epochs:
                    self._train_epoch(stop)
                    if stop.is_set() and self.position.epoch < self.config.epochs:
                        raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise self._interrupted() from None
            finally:
                self.console.close()

    def _train_epoch(self, stop: threading.Event) -> None:
        config, epoch, steps = self.config, self.position.epoch, self.steps
        self.rng.bit_generator.state = self.position.rng_state
        order = self.train_rows[self.rng.permutation(len(self.train_rows))]
        next_rng_state = self.rng.bit_generator.state
        self.session_start = time.perf_counter()
        window: list[float] = []
        self.console.start_epoch(epoch + 1, config.epochs, steps, self.position.batch)
        for batch in range(self.position.batch, steps):
            if stop.is_set():
                raise KeyboardInterrupt
            rows = order[batch * config.batch_size : (batch + 1) * config.batch_size]
            images, labels = preprocess(self.train_set.images[rows]), self.train_set.labels[rows]
            logits = self.model.forward(images, train=True)
            loss, dlogits = softmax_cross_entropy(logits, labels)
            if not math.isfinite(loss):
                raise TrainingDiverged(
                    f"loss became {loss} at epoch {epoch + 1}, batch {batch + 1}; try a lower --lr"
                    + _kept_files_note(self.weights_dir, self.history)
                )
            self.model.backward(dlogits)
            self.optimizer.lr = self.lr_at(epoch * steps + batch)
            self.phase = "step"
            self.optimizer.step(self.model.grads)
            self.position = dataclasses.replace(
                self.position,
                batch=batch + 1,
                loss_sum=self.position.loss_sum + loss * len(rows),
                correct=self.position.correct + int(np.count_nonzero(np.argmax(logits, axis=1) == labels)),
                seen=self.position.seen + len(rows),
            )
            self.phase = "idle"
            window.append(loss)
            if (batch + 1) % LOG_EVERY == 0:
                self.console.line(
                    f"  epoch {epoch + 1} batch {batch + 1:>{len(str(steps))}}/{steps}  loss {np.mean(window):.4f}"
                )
                window = []
            self.console.advance(loss)
        self.console.close()
        self._finish_epoch(next_rng_state)

    def _finish_epoch(self, next_rng_state: dict[str, Any]) -> None:
        """Evaluate, append the history row, write checkpoint, weights and metadata, print the epoch line."""
        position, epoch = self.position, self.position.epoch
        train_seconds = position.seconds + (time.perf_counter() - self.session_start)
        eval_start = time.perf_counter()
        if not all(np.isfinite(p).all() for p in self.model.params.values()):
            raise TrainingDiverged(
                f"weights became NaN or infinite in epoch {epoch + 1}; try a lower --lr"
                + _kept_files_note(self.weights_dir, self.history)
            )
        images, labels = self.train_set.images, self.train_set.labels
        val_acc = accuracy(self.model, images, labels, self.val_rows) if len(self.val_rows) else None
        row = {
            "epoch": epoch + 1,
            "train_loss": position.loss_sum / position.seen,
            "train_acc": position.correct / position.seen,
            "val_acc": val_acc,
            "test_acc": accuracy(self.model, self.test_set.images, self.test_set.labels, self.test_rows),
            "seconds": train_seconds + (time.perf_counter() - eval_start),
            "samples_per_s": position.seen / train_seconds if train_seconds > 0 else float("nan"),
            "lr": self.lr_at(epoch * self.steps),
        }
        # One statement, so a second Ctrl-C cannot land between the two (no Python code runs between the stores).
        self.history, self.position = [*self.history, row], _Position(epoch + 1, batch=0, rng_state=next_rng_state)
        if self.weights_dir is not None:
            self._save_checkpoint(self.position)
            _write_outputs(self.weights_dir, self.model, self.config, self.train_set, self.history, self.sizes)
        self.console.line(_epoch_line(row, self.config.epochs))

    def _save_checkpoint(self, at: _Position) -> None:
        assert self.checkpoint_path is not None
        save_checkpoint(
            self.checkpoint_path,
            Checkpoint(
                config=self.config.to_json(),
                model_state=self.model.state_dict(),
                optimizer_state=self.optimizer.state_dict(),
                rng_state=at.rng_state,
                epoch=at.epoch,
                batch=at.batch,
                partial={"loss_sum": at.loss_sum, "correct": at.correct, "seen": at.seen, "seconds": at.seconds},
                history=self.history,
            ),
        )

    def _interrupted(self) -> TrainingInterrupted:
        """Save what can be saved after Ctrl-C and say so in one line."""
        self.console.close()
        position = self.position
        at = (
            f"epoch {position.epoch + 1}, batch {position.batch}/{self.steps}"
            if position.batch
            else f"the start of epoch {position.epoch + 1}"
        )
        if self.checkpoint_path is None:
            return TrainingInterrupted(f"interrupted at {at}; nothing saved (no weights directory)")
        if self.phase == "step":
            return TrainingInterrupted(
                f"interrupted during a weight update at {at}; kept the previous checkpoint {self.checkpoint_path}"
            )
        elapsed = time.perf_counter() - self.session_start if position.batch else 0.0
        self._save_checkpoint(dataclasses.replace(position, seconds=position.seconds + elapsed))
        return TrainingInterrupted(
            f"interrupted at {at}; checkpoint saved to {self.checkpoint_path} (continue with --resume)"
        )


def train(
    config: TrainConfig,
    *,
    data: tuple[Dataset, Dataset] | None = None,
    echo: Callable[[str], None] | None = None,
    progress_bar: bool | None = None,
) -> TrainResult:
    """Train (or, with ``config.resume``, continue training) and write the run's files to ``config.weights_dir``.

    ``data`` is an already loaded (train, test) pair (otherwise read from ``config.data_dir``); ``echo`` receives every
    report line (default: print); ``progress_bar`` forces the tqdm bar on or off (default: on if stderr is a terminal).
    Raises ValueError for a bad setting, :class:`lenet5.data.DatasetError` and :class:`CheckpointError` for unreadable
    files, :class:`TrainingDiverged` and :class:`TrainingInterrupted`.
    """
    config.validate()
    train_set, test_set = data if data is not None else _load_data(config)
    console = _Console(echo, progress_bar)
    run = _Run(config, train_set, test_set, console)
    for text in _banner(config, run.model, run.sizes, run.position, run.steps):
        console.line(text)
    run.run()
    last = run.history[-1]
    weights_dir = run.weights_dir
    return TrainResult(
        model=run.model,
        history=run.history,
        class_names=tuple(train_set.class_names),
        test_acc=last["test_acc"],
        val_acc=last["val_acc"],
        weights_path=weights_dir / WEIGHTS_NAME if weights_dir is not None else None,
        metadata_path=weights_dir / METADATA_NAME if weights_dir is not None else None,
        checkpoint_path=run.checkpoint_path,
    )


def _kept_files_note(weights_dir: Path | None, history: list[dict[str, Any]]) -> str:
    if weights_dir is None:
        return ""
    if not history:
        return f" (nothing was written to {weights_dir})"
    return f" ({weights_dir} keeps the files of epoch {history[-1]['epoch']})"


def _write_outputs(
    weights_dir: Path,
    model: LeNet5,
    config: TrainConfig,
    train_set: Dataset,
    history: list[dict[str, Any]],
    sizes: tuple[int, int, int],
) -> None:
    """``lenet5.npz`` then ``metadata.json``, each atomically."""
    save_weights(model, weights_dir / WEIGHTS_NAME)
    write_json_atomic(
        weights_dir / METADATA_NAME,
        {
            "dataset": config.dataset,
            "class_names": list(train_set.class_names),
            "model": model.config(),
            "config": config.to_json(),
            "num_images": dict(zip(("train", "validation", "test"), sizes, strict=True)),
            "history": history,
        },
    )
