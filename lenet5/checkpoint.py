"""Files a training run leaves in ``--weights-dir``, written so a crash never corrupts them.

- ``lenet5.npz`` — the trained weights (written by :func:`lenet5.model.save_weights`; PyTorch state_dict names and
  layouts, so ``model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(path).items()})`` works).
- ``metadata.json`` — configuration, dataset name, class names and the per-epoch history.
- ``checkpoint.npz`` — everything ``--resume`` needs to continue bit-for-bit: weights, optimizer state, the shuffling
  generator's state, the position inside the epoch and the running sums of the epoch in progress.

Every file is written to a temporary name in the same directory and moved into place with :func:`os.replace`, which is
atomic on POSIX and Windows: a reader sees the old file or the new one, never half of each.

A checkpoint is one ``.npz`` (loaded with ``allow_pickle=False``): each array of the nested state is stored under a
generated key and the rest of the tree is JSON in the ``__state__`` entry, with ``{"__array__": key}`` where an array
was. Python floats survive JSON exactly (``repr`` round-trips), which the bit-identical resume relies on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

logger = logging.getLogger(__name__)

WEIGHTS_NAME = "lenet5.npz"
METADATA_NAME = "metadata.json"
CHECKPOINT_NAME = "checkpoint.npz"
CHECKPOINT_FORMAT = 1
_STATE_KEY = "__state__"


class CheckpointError(Exception):
    """A weights, metadata or checkpoint file is missing or unreadable; the message is one line naming the file."""


@dataclass
class Checkpoint:
    """A training run frozen between two batches.

    ``epoch`` is the 0-based epoch in progress and ``batch`` the next batch to run in it (``batch == 0``: at an epoch
    boundary, ``epoch`` epochs done). ``rng_state`` is the shuffling generator's state *before* it drew this epoch's
    permutation, so a resumed run draws the same permutation again. ``partial`` holds the running sums of the epoch in
    progress (``loss_sum``, ``correct``, ``seen``, ``seconds``).
    """

    config: dict[str, Any]
    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, Any]
    rng_state: dict[str, Any]
    epoch: int
    batch: int
    partial: dict[str, float]
    history: list[dict[str, Any]]
    format: int = field(default=CHECKPOINT_FORMAT)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync it and ``os.replace`` it onto ``path``.

    On any exception (KeyboardInterrupt included) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp makes 0600 files; give the usual permissions
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def write_json_atomic(path: str | Path, data: Any) -> None:
    with atomic_open(path, "w") as handle:
        json.dump(data, handle, indent=2, allow_nan=False)
        handle.write("\n")


def _flatten(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Replace every array (and numpy scalar) in ``tree`` by a reference into ``arrays``; tuples are tagged."""
    if isinstance(tree, np.ndarray | np.generic):
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(tree)
        return {"__array__": key, "scalar": isinstance(tree, np.generic)}
    if isinstance(tree, dict):
        if not all(isinstance(k, str) for k in tree):
            raise TypeError(f"checkpoint state keys must be strings, got {list(tree)!r}")
        return {"__dict__": {k: _flatten(v, arrays) for k, v in tree.items()}}
    if isinstance(tree, tuple):
        return {"__tuple__": [_flatten(v, arrays) for v in tree]}
    if isinstance(tree, list):
        return [_flatten(v, arrays) for v in tree]
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    raise TypeError(f"cannot store a {type(tree).__name__} in a checkpoint")


def _unflatten(tree: Any, arrays: Any) -> Any:
    if isinstance(tree, dict):
        if "__array__" in tree:
            value = arrays[tree["__array__"]]
            return value[()] if tree.get("scalar") else value
        if "__tuple__" in tree:
            return tuple(_unflatten(v, arrays) for v in tree["__tuple__"])
        return {k: _unflatten(v, arrays) for k, v in tree["__dict__"].items()}
    if isinstance(tree, list):
        return [_unflatten(v, arrays) for v in tree]
    return tree


def save_checkpoint(path: str | Path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically (the previous checkpoint survives a crash mid-write)."""
    arrays: dict[str, np.ndarray] = {}
    tree = _flatten(
        {
            "format": checkpoint.format,
            "config": checkpoint.config,
            "model_state": checkpoint.model_state,
            "optimizer_state": checkpoint.optimizer_state,
            "rng_state": checkpoint.rng_state,
            "epoch": checkpoint.epoch,
            "batch": checkpoint.batch,
            "partial": checkpoint.partial,
            "history": checkpoint.history,
        },
        arrays,
    )
    # np.savez appends ".npz" to bare names, so hand it an open file instead.
    with atomic_open(path, "wb") as handle:
        np.savez(handle, **arrays, **{_STATE_KEY: np.array(json.dumps(tree, allow_nan=False))})
    logger.debug("wrote checkpoint %s (epoch %d, batch %d)", path, checkpoint.epoch, checkpoint.batch)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; :class:`CheckpointError` names the file on any problem."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint to resume from (train without --resume first)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        tree = _unflatten(json.loads(str(arrays.pop(_STATE_KEY))), arrays)
        if tree.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path}: checkpoint format {tree.get('format')!r}, expected {CHECKPOINT_FORMAT}")
        return Checkpoint(**tree)
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint ({type(exc).__name__}: {exc})") from exc


def read_metadata(weights_dir: str | Path) -> dict[str, Any]:
    """The ``metadata.json`` of a trained model directory."""
    path = Path(weights_dir) / METADATA_NAME
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file (train a model first: lenet5 train --weights-dir {weights_dir})")
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
        _ = metadata["model"], metadata["class_names"], metadata["dataset"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: unreadable metadata ({type(exc).__name__}: {exc})") from exc
    return metadata


def load_trained_model(weights_dir: str | Path) -> tuple[Any, dict[str, Any]]:
    """Rebuild the model saved in ``weights_dir``: ``(LeNet5 with the trained weights, metadata dict)``."""
    from lenet5.model import LeNet5, load_weights  # the model module imports numpy only, but keep startup light

    metadata = read_metadata(weights_dir)
    weights_path = Path(weights_dir) / WEIGHTS_NAME
    if not weights_path.is_file():
        raise CheckpointError(
            f"{weights_path}: no such file (train a model first: lenet5 train --weights-dir {weights_dir})"
        )
    try:
        model = LeNet5(**metadata["model"])
        model.load_state_dict(load_weights(weights_path))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{weights_path}: cannot load weights ({type(exc).__name__}: {exc})") from exc
    return model, metadata
