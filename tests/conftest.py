"""Shared fixtures. Optional resources (torch, Fashion-MNIST, Chromium) skip locally but fail under CI.

`.ci/run` sets ``ODYSSEY_REQUIRE_ALL=1``: there, a missing resource is an installation bug, not a reason to skip.
"""

from __future__ import annotations

import os

# Before anything imports numpy: a second OpenBLAS thread fights lenet5's own worker threads on a 2-core machine
# (tests/lenet5 went from 52 s to 287 s under load without this).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import importlib
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import configuration as hypothesis_configuration

# Hypothesis keeps a cache directory; keep it out of the repository (tests must not write into the tree).
hypothesis_configuration.set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "ml-odyssey-hypothesis"))
# odyssey's document cache lives in the user's cache directory; the tests keep theirs apart.
os.environ["ODYSSEY_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), "ml-odyssey-test-cache")

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist package


def _missing(reason: str) -> None:
    if os.environ.get("ODYSSEY_REQUIRE_ALL") == "1":
        pytest.fail(f"required under CI but missing: {reason}")
    pytest.skip(reason)


def require_module(name: str) -> ModuleType:
    """Import ``name`` or skip (fail under CI) when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"python module {name!r} is not installed")
        raise  # unreachable: _missing raises


def require_executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _missing(f"executable {name!r} is not on PATH")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    """The directory holding Debian's Fashion-MNIST IDX files."""
    if not (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        _missing(f"Fashion-MNIST not found in {FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)")
    return FASHION_MNIST_DIR


@pytest.fixture(scope="session")
def torch_module() -> ModuleType:
    return require_module("torch")
