"""Checkpoint files: exact round trip of nested training state, atomic writes, clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lenet5 import checkpoint as ckpt
from lenet5.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint, write_json_atomic


def _sample_checkpoint(seed: int = 0) -> Checkpoint:
    rng = np.random.default_rng(seed)
    weights = {
        "conv1.weight": rng.standard_normal((6, 1, 5, 5)).astype(np.float32),
        "conv1.bias": rng.standard_normal(6).astype(np.float32),
        "fc3.weight": rng.standard_normal((47, 84)).astype(np.float32),
    }
    shuffle = np.random.default_rng(seed + 100)
    shuffle.permutation(1000)  # move the generator away from its seed state
    return Checkpoint(
        config={"dataset": "fashion-mnist", "lr": 0.001, "limit_train": None, "schedule": "constant"},
        model_state=weights,
        optimizer_state={
            "step": np.int64(1234),
            "lr": 0.0009999999999999998,  # a float whose repr has all 17 digits
            "betas": (0.9, 0.999),
            "m": {name: value * 0.5 for name, value in weights.items()},
            "v": {name: np.abs(value) for name, value in weights.items()},
        },
        rng_state=shuffle.bit_generator.state,  # PCG64 state: 128-bit integers
        epoch=3,
        batch=17,
        partial={"loss_sum": 12.345678901234567, "correct": 410, "seen": 544, "seconds": 1.5},
        history=[{"epoch": 1, "train_loss": 0.61, "val_acc": None, "test_acc": 0.8125}],
    )


def _assert_same(loaded: Checkpoint, original: Checkpoint) -> None:
    assert loaded.config == original.config
    assert loaded.model_state.keys() == original.model_state.keys()
    for name, value in original.model_state.items():
        assert loaded.model_state[name].dtype == value.dtype
        assert np.array_equal(loaded.model_state[name], value)
    opt, expected = loaded.optimizer_state, original.optimizer_state
    assert opt["step"] == 1234 and isinstance(opt["step"], np.int64)
    assert opt["lr"] == expected["lr"]  # bit-exact float
    assert opt["betas"] == (0.9, 0.999) and isinstance(opt["betas"], tuple)
    for slot in ("m", "v"):
        for name, value in expected[slot].items():
            assert np.array_equal(opt[slot][name], value)
    assert loaded.rng_state == original.rng_state
    assert (loaded.epoch, loaded.batch, loaded.partial, loaded.history) == (
        original.epoch,
        original.batch,
        original.partial,
        original.history,
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    original = _sample_checkpoint()
    save_checkpoint(tmp_path / "checkpoint.npz", original)
    loaded = load_checkpoint(tmp_path / "checkpoint.npz")
    _assert_same(loaded, original)
    # The restored generator continues exactly like the original one.
    resumed, reference = np.random.default_rng(), np.random.default_rng(100)
    reference.permutation(1000)
    resumed.bit_generator.state = loaded.rng_state
    assert np.array_equal(resumed.permutation(500), reference.permutation(500))


def test_file_loads_without_pickle(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "c.npz", _sample_checkpoint())
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        assert "__state__" in archive.files
        assert all(archive[name].dtype != object for name in archive.files)


def test_crash_mid_write_keeps_previous_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "checkpoint.npz"
    first = _sample_checkpoint(seed=1)
    save_checkpoint(path, first)
    before = path.read_bytes()

    real_savez = np.savez

    def crashing_savez(handle, **arrays):  # write half an archive, then die like a killed process would
        real_savez(handle, **arrays)
        handle.truncate(handle.tell() // 2)
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt.np, "savez", crashing_savez)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, _sample_checkpoint(seed=2))
    monkeypatch.undo()

    assert path.read_bytes() == before
    _assert_same(load_checkpoint(path), first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]  # no temp file left behind


def test_unserialisable_state_leaves_no_file(tmp_path: Path) -> None:
    broken = _sample_checkpoint()
    broken.partial = {"loss_sum": float("nan")}  # JSON without NaN: refused before anything is written
    with pytest.raises(ValueError):
        save_checkpoint(tmp_path / "checkpoint.npz", broken)
    assert list(tmp_path.iterdir()) == []


def test_missing_checkpoint_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"checkpoint\.npz: no checkpoint to resume"):
        load_checkpoint(tmp_path / "checkpoint.npz")


@pytest.mark.parametrize("content", [b"not a zip file at all", b"PK\x03\x04" + b"\0" * 40])
def test_corrupt_checkpoint_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_checkpoint_from_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.npz"
    old = _sample_checkpoint()
    old.format = 0
    save_checkpoint(path, old)
    with pytest.raises(CheckpointError, match="format 0"):
        load_checkpoint(path)


def test_json_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    write_json_atomic(path, {"history": [{"epoch": 1, "test_acc": 0.5}]})
    with pytest.raises(ValueError):
        write_json_atomic(path, {"history": [{"epoch": 2, "test_acc": float("inf")}]})
    assert json.loads(path.read_text()) == {"history": [{"epoch": 1, "test_acc": 0.5}]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metadata.json"]


def test_metadata_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"metadata\.json: no such file"):
        ckpt.read_metadata(tmp_path)
    (tmp_path / "metadata.json").write_text('{"dataset": "mnist"')
    with pytest.raises(CheckpointError, match=r"metadata\.json: unreadable metadata"):
        ckpt.read_metadata(tmp_path)
