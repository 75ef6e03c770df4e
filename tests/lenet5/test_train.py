"""The training loop: it learns, writes its files, resumes bit-identically, survives Ctrl-C and stops on NaN."""

from __future__ import annotations

import gzip
import json
import os
import signal
import struct
from pathlib import Path

import numpy as np
import pytest

from lenet5 import train as train_module
from lenet5.checkpoint import load_checkpoint
from lenet5.data import Dataset
from lenet5.model import PARAM_NAMES, LeNet5
from lenet5.train import TrainConfig, TrainingDiverged, TrainingInterrupted, split_indices, train

NUM_CLASSES = 10


def synthetic_images(labels: np.ndarray, seed: int) -> np.ndarray:
    """uint8 (N, 28, 28): a bright 6x6 block whose place (a 3x4 grid) encodes the label, jittered, over noise."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, size=(len(labels), 28, 28), dtype=np.uint8)
    for index, label in enumerate(labels):
        top = 2 + 8 * (label // 4) + rng.integers(-1, 2)
        left = 1 + 7 * (label % 4) + rng.integers(-1, 2)
        images[index, max(top, 0) : top + 6, max(left, 0) : left + 6] = rng.integers(180, 256)
    return images


def synthetic_dataset(count: int, split: str, seed: int = 0) -> Dataset:
    labels = np.random.default_rng(seed + 1000).integers(0, NUM_CLASSES, size=count).astype(np.int64)
    return Dataset("mnist", split, synthetic_images(labels, seed), labels, tuple("0123456789"))


def write_idx_gz(path: Path, array: np.ndarray) -> None:
    """An IDX file as the MNIST distribution ships it: big-endian header, uint8 payload, gzipped."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes(), compresslevel=1))


def write_synthetic_mnist(data_dir: Path, n_train: int = 640, n_test: int = 200) -> Path:
    """``data_dir/mnist/`` with the four MNIST-named files of a synthetic 10-class dataset; returns ``data_dir``."""
    folder = data_dir / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, dataset in (
        ("train", synthetic_dataset(n_train, "train", 0)),
        ("t10k", synthetic_dataset(n_test, "test", 1)),
    ):
        write_idx_gz(folder / f"{prefix}-images-idx3-ubyte.gz", dataset.images)
        write_idx_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", dataset.labels)
    return data_dir


@pytest.fixture(scope="module")
def data() -> tuple[Dataset, Dataset]:
    return synthetic_dataset(640, "train", 0), synthetic_dataset(200, "test", 1)


def _config(weights_dir: Path | None, **changes: object) -> TrainConfig:
    settings: dict[str, object] = {
        "dataset": "mnist",
        "weights_dir": str(weights_dir) if weights_dir else None,
        "epochs": 2,
        "batch_size": 32,
        "seed": 3,
        "val_fraction": 0.125,
    }
    settings.update(changes)
    return TrainConfig(**settings)  # type: ignore[arg-type]


def _weights(weights_dir: Path) -> dict[str, np.ndarray]:
    with np.load(weights_dir / "lenet5.npz", allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _assert_identical_runs(a: Path, b: Path) -> None:
    """Same weights, optimizer state, shuffling state and history (all but wall-clock figures)."""
    weights_a, weights_b = _weights(a), _weights(b)
    assert weights_a.keys() == weights_b.keys() == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert np.array_equal(weights_a[name], weights_b[name]), name
    ckpt_a, ckpt_b = load_checkpoint(a / "checkpoint.npz"), load_checkpoint(b / "checkpoint.npz")
    assert ckpt_a.optimizer_state.keys() == ckpt_b.optimizer_state.keys()
    for key, value in ckpt_a.optimizer_state.items():
        assert np.array_equal(value, ckpt_b.optimizer_state[key]), key
    assert ckpt_a.rng_state == ckpt_b.rng_state
    clock = {"seconds", "samples_per_s"}
    history_a = [{k: v for k, v in row.items() if k not in clock} for row in ckpt_a.history]
    history_b = [{k: v for k, v in row.items() if k not in clock} for row in ckpt_b.history]
    assert history_a == history_b


def test_training_learns_and_writes_its_files(tmp_path: Path, data: tuple[Dataset, Dataset]) -> None:
    lines: list[str] = []
    result = train(_config(tmp_path, epochs=3), data=data, echo=lines.append, progress_bar=False)

    assert [row["epoch"] for row in result.history] == [1, 2, 3]
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.test_acc >= 0.9  # chance is 10%
    assert result.val_acc is not None and result.val_acc >= 0.85

    weights = _weights(tmp_path)
    shapes = {name: value.shape for name, value in LeNet5(num_classes=NUM_CLASSES).params.items()}
    assert {name: value.shape for name, value in weights.items()} == shapes
    assert all(value.dtype == np.float32 for value in weights.values())
    assert all(np.array_equal(weights[name], result.model.params[name]) for name in PARAM_NAMES)

    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["dataset"] == "mnist" and metadata["class_names"] == list("0123456789")
    assert metadata["config"]["lr"] == 0.001 and metadata["config"]["val_fraction"] == 0.125
    assert metadata["model"] == {"num_classes": 10, "variant": "modern", "c3_table": False, "seed": 3}
    assert metadata["num_images"] == {"train": 560, "validation": 80, "test": 200}
    for row in metadata["history"]:
        assert set(row) == {"epoch", "train_loss", "train_acc", "val_acc", "test_acc", "seconds", "samples_per_s", "lr"}
        assert row["samples_per_s"] > 0 and row["lr"] == 0.001
    assert metadata["history"][-1]["test_acc"] == result.test_acc

    assert any("train 560, validation 80, test 200" in line for line in lines)
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert len(epoch_lines) == 3 and all("samples/s" in line and "test " in line for line in epoch_lines)


def test_split_is_seeded_disjoint_and_limited() -> None:
    config = TrainConfig(dataset="mnist", limit_train=1000, val_fraction=0.2, seed=5)
    train_rows, val_rows = split_indices(60_000, config)
    assert (len(train_rows), len(val_rows)) == (800, 200)
    assert not set(train_rows) & set(val_rows)
    again = split_indices(60_000, config)
    assert np.array_equal(again[0], train_rows) and np.array_equal(again[1], val_rows)
    other = split_indices(60_000, TrainConfig(dataset="mnist", limit_train=1000, val_fraction=0.2, seed=6))
    assert not np.array_equal(other[0], train_rows)
    everything, none = split_indices(500, TrainConfig(dataset="mnist"))
    assert np.array_equal(everything, np.arange(500)) and len(none) == 0


def test_loss_is_reported_every_100_batches(data: tuple[Dataset, Dataset]) -> None:
    lines: list[str] = []
    train(_config(None, epochs=1, batch_size=2, val_fraction=0.0, limit_train=450), data=data, echo=lines.append)
    loss_lines = [line for line in lines if line.strip().startswith("epoch 1 batch")]
    assert [line.split()[3] for line in loss_lines] == ["100/225", "200/225"]
    assert all(float(line.split()[-1]) > 0 for line in loss_lines)


def test_progress_bar_on_request(data: tuple[Dataset, Dataset], capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    train(_config(None, epochs=1, limit_train=128), data=data, echo=lines.append, progress_bar=True)
    assert "epoch 1/1" in capsys.readouterr().err  # the tqdm bar, on stderr
    assert sum(line.startswith("epoch 1/1") for line in lines) == 1


def test_batches_are_converted_to_float_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch, data: tuple[Dataset, Dataset]
) -> None:
    """Memory: the uint8 dataset is never converted as a whole, only batch by batch."""
    from lenet5 import evaluate

    sizes: list[int] = []
    real = train_module.preprocess

    def recording(images: np.ndarray) -> np.ndarray:
        sizes.append(len(images))
        return real(images)

    monkeypatch.setattr(train_module, "preprocess", recording)
    monkeypatch.setattr(evaluate, "preprocess", recording)
    train(_config(None, epochs=1), data=data, echo=lambda line: None)
    assert max(sizes) <= max(32, evaluate.EVAL_BATCH_SIZE) < len(data[0].labels)
    assert sum(sizes) == 640 + 200  # every training, validation and test image, once


@pytest.mark.parametrize(
    "settings",
    [{}, {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}],
    ids=["adam", "sgd-nesterov"],
)
def test_resume_is_bit_identical(tmp_path: Path, data: tuple[Dataset, Dataset], settings: dict[str, object]) -> None:
    quiet = {"data": data, "echo": lambda line: None}
    train(_config(tmp_path / "straight", **settings), **quiet)
    train(_config(tmp_path / "resumed", epochs=1, **settings), **quiet)
    resumed = train(_config(tmp_path / "resumed", resume=True, **settings), **quiet)
    assert [row["epoch"] for row in resumed.history] == [1, 2]
    _assert_identical_runs(tmp_path / "straight", tmp_path / "resumed")


def _interrupt_forward_at(monkeypatch: pytest.MonkeyPatch, call: int, action: str) -> None:
    """On the ``call``-th training forward pass, raise KeyboardInterrupt or send this process a real SIGINT."""
    real_forward = LeNet5.forward
    calls = {"train": 0}

    def forward(self: LeNet5, x: np.ndarray, train: bool = True) -> np.ndarray:
        if train:
            calls["train"] += 1
            if calls["train"] == call:
                if action == "raise":
                    raise KeyboardInterrupt
                os.kill(os.getpid(), signal.SIGINT)
        return real_forward(self, x, train)

    monkeypatch.setattr(LeNet5, "forward", forward)


@pytest.mark.parametrize(
    ("action", "done", "settings"),
    [
        ("raise", 6, {}),
        ("signal", 7, {}),
        ("raise", 6, {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "schedule": "cosine"}),
    ],
    ids=["exception", "sigint", "exception-sgd-cosine"],
)
def test_ctrl_c_mid_epoch_saves_a_checkpoint_that_resumes_exactly(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: tuple[Dataset, Dataset],
    action: str,
    done: int,
    settings: dict[str, object],
) -> None:
    """18 batches per epoch; interrupted in the 7th batch of epoch 2. A raised KeyboardInterrupt abandons that batch;
    a real Ctrl-C only raises a flag, so the batch finishes and the loop stops before the next one."""
    quiet = {"data": data, "echo": lambda line: None}
    train(_config(tmp_path / "straight", **settings), **quiet)

    _interrupt_forward_at(monkeypatch, call=18 + 7, action=action)
    with pytest.raises(TrainingInterrupted, match=rf"epoch 2, batch {done}/18; checkpoint saved to .*--resume"):
        train(_config(tmp_path / "resumed", **settings), **quiet)
    monkeypatch.undo()
    saved = load_checkpoint(tmp_path / "resumed" / "checkpoint.npz")
    assert (saved.epoch, saved.batch, saved.partial["seen"]) == (1, done, done * 32)
    assert len(json.loads((tmp_path / "resumed" / "metadata.json").read_text())["history"]) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored

    train(_config(tmp_path / "resumed", resume=True, **settings), **quiet)
    _assert_identical_runs(tmp_path / "straight", tmp_path / "resumed")


def test_interrupt_inside_a_weight_update_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: tuple[Dataset, Dataset]
) -> None:
    quiet = {"data": data, "echo": lambda line: None}
    train(_config(tmp_path / "straight"), **quiet)
    train(_config(tmp_path / "resumed", epochs=1), **quiet)
    before = (tmp_path / "resumed" / "checkpoint.npz").read_bytes()

    optimizer_class = type(train_module.make_optimizer(_config(None), LeNet5(num_classes=10).params))
    real_step, calls = optimizer_class.step, {"n": 0}

    def step(self: object, grads: dict[str, np.ndarray]) -> None:
        calls["n"] += 1
        real_step(self, grads)
        if calls["n"] == 5:  # the weights moved but the loop's bookkeeping did not: a torn state
            raise KeyboardInterrupt

    monkeypatch.setattr(optimizer_class, "step", step)
    with pytest.raises(TrainingInterrupted, match=r"during a weight update.*kept the previous checkpoint"):
        train(_config(tmp_path / "resumed", resume=True), **quiet)
    monkeypatch.undo()
    assert (tmp_path / "resumed" / "checkpoint.npz").read_bytes() == before

    train(_config(tmp_path / "resumed", resume=True), **quiet)
    _assert_identical_runs(tmp_path / "straight", tmp_path / "resumed")


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_diverging_run_stops_and_writes_nothing(tmp_path: Path, data: tuple[Dataset, Dataset]) -> None:
    config = _config(tmp_path, optimizer="sgd", lr=1e30)  # the first update overflows float32
    with pytest.raises(
        TrainingDiverged,
        match=r"loss became (nan|inf) at epoch 1, batch \d+; try a lower --lr "
        r"\(nothing was written to ",
    ):
        train(config, data=data, echo=lambda line: None)
    assert not (tmp_path / "lenet5.npz").exists() and not (tmp_path / "checkpoint.npz").exists()


def test_nan_after_a_good_epoch_keeps_that_epoch_s_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: tuple[Dataset, Dataset]
) -> None:
    quiet = {"data": data, "echo": lambda line: None}
    train(_config(tmp_path, epochs=1), **quiet)
    saved = {name: (tmp_path / name).read_bytes() for name in ("lenet5.npz", "metadata.json", "checkpoint.npz")}

    real_loss, calls = train_module.softmax_cross_entropy, {"n": 0}

    def loss_turning_nan(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        calls["n"] += 1
        loss, grad = real_loss(logits, labels)
        return (float("nan"), grad) if calls["n"] == 10 else (loss, grad)

    monkeypatch.setattr(train_module, "softmax_cross_entropy", loss_turning_nan)
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 2, batch 10; .* keeps the files of epoch 1"):
        train(_config(tmp_path, resume=True), **quiet)
    assert {name: (tmp_path / name).read_bytes() for name in saved} == saved


def test_resume_refuses_different_settings(tmp_path: Path, data: tuple[Dataset, Dataset]) -> None:
    train(_config(tmp_path, epochs=1), data=data, echo=lambda line: None)
    with pytest.raises(
        Exception, match=r"checkpoint\.npz: checkpoint was trained with --lr 0\.001, this run has 0\.01"
    ):
        train(_config(tmp_path, lr=0.01, resume=True), data=data, echo=lambda line: None)


def test_resume_of_a_finished_run_changes_nothing(tmp_path: Path, data: tuple[Dataset, Dataset]) -> None:
    first = train(_config(tmp_path, epochs=1), data=data, echo=lambda line: None)
    again = train(_config(tmp_path, epochs=1, resume=True), data=data, echo=lambda line: None)
    assert again.history == first.history
    assert all(np.array_equal(again.model.params[n], first.model.params[n]) for n in PARAM_NAMES)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "--epochs must be at least 1"),
        ({"lr": -1.0}, "--lr must be a positive number"),
        ({"optimizer": "adam", "momentum": 0.9}, "apply to --optimizer sgd only"),
        ({"optimizer": "sgd", "nesterov": True}, "--nesterov needs a positive --momentum"),
        ({"val_fraction": 1.0}, r"--val-fraction must be in \[0, 1\)"),
        ({"dataset": "cifar10"}, "unknown dataset 'cifar10'"),
        ({"limit_train": 0}, "--limit-train must be positive"),
    ],
)
def test_bad_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _config(None, **changes).validate()
