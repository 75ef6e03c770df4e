"""Build small IDX files, EMNIST splits and NIST-style ``gzip.zip`` archives for the data and download tests.

EMNIST files are written the way NIST writes them: each upright image is stored transposed, ``letters`` labels run
1..26, and the mapping file has ``label code`` lines (``label upper lower`` for letters). Images carry a "Γ" glyph
(a long top bar and a short left stem) over light noise, so orientation is visible as well as exactly comparable.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet5.data import EMNIST_CLASS_NAMES, emnist_file_names

# Where the glyph's bars lie in an upright image: row BAR_ROW, columns BAR_START..BAR_END-1 (top bar);
# column BAR_START, rows BAR_ROW..STEM_END-1 (stem).
BAR_ROW, BAR_START, BAR_END, STEM_END = 3, 4, 25, 12


def idx_bytes(array: np.ndarray) -> bytes:
    """Serialise a uint8 array of 1 or 3 dimensions as an IDX file."""
    assert array.dtype == np.uint8 and array.ndim in (1, 3)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path: Path, array: np.ndarray, *, compress: bool) -> Path:
    data = idx_bytes(array)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=1) if compress else data)
    return path


def upright_images(labels: np.ndarray, seed: int) -> np.ndarray:
    """uint8 (N, 28, 28) upright images: noise below 40, the Γ glyph at 255, and the label as a bright dot."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 40, size=(len(labels), 28, 28), dtype=np.uint8)
    images[:, BAR_ROW, BAR_START:BAR_END] = 255
    images[:, BAR_ROW:STEM_END, BAR_START] = 255
    # A per-label dot on the bottom rows ties each image to its label (up to 62 distinct positions).
    rows = 20 + (labels % 62) // 20 * 2
    cols = 4 + (labels % 62) % 20
    images[np.arange(len(labels)), rows, cols] = 254
    return images


@dataclass(frozen=True)
class SplitFixture:
    """What was written for one EMNIST split: upright images and 0-based labels, as the loader should return them."""

    split: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def images(self, part: str) -> np.ndarray:
        return self.train_images if part == "train" else self.test_images

    def labels(self, part: str) -> np.ndarray:
        return self.train_labels if part == "train" else self.test_labels


def mapping_text(split: str) -> str:
    """The mapping file NIST ships for ``split`` (``letters``: ``label upper lower``, from 1)."""
    if split == "letters":
        return "".join(f"{index + 1} {65 + index} {97 + index}\n" for index in range(26))
    return "".join(f"{label} {ord(name)}\n" for label, name in enumerate(EMNIST_CLASS_NAMES[split]))


def emnist_split_files(split: str, n_train: int = 60, n_test: int = 20, seed: int = 0) -> tuple[SplitFixture, dict]:
    """Make one split's data; return the fixture and {file name: file bytes} (gz files compressed, mapping text)."""
    rng = np.random.default_rng(seed)
    num_classes = len(EMNIST_CLASS_NAMES[split])
    first_label = 1 if split == "letters" else 0
    parts = {}
    files: dict[str, bytes] = {}
    names = emnist_file_names(split)
    for index, part in enumerate(("train", "test")):
        count = n_train if part == "train" else n_test
        labels = np.arange(count) % num_classes  # every class present while count allows
        rng.shuffle(labels)
        images = upright_images(labels, seed + index)
        parts[part] = (images, labels.astype(np.int64))
        stored_images = np.ascontiguousarray(images.transpose(0, 2, 1))  # NIST stores images transposed
        stored_labels = (labels + first_label).astype(np.uint8)
        files[names[2 * index]] = gzip.compress(idx_bytes(stored_images), compresslevel=1)
        files[names[2 * index + 1]] = gzip.compress(idx_bytes(stored_labels), compresslevel=1)
    files[names[4]] = mapping_text(split).encode("ascii")
    fixture = SplitFixture(split, parts["train"][0], parts["train"][1], parts["test"][0], parts["test"][1])
    return fixture, files


def write_emnist_split(
    directory: Path, split: str, *, n_train: int = 60, n_test: int = 20, compress: bool = True,
    with_mapping: bool = True, seed: int = 0,
) -> SplitFixture:  # fmt: skip
    """Write a split's files into ``directory`` (``.gz`` as NIST ships them, or decompressed)."""
    fixture, files = emnist_split_files(split, n_train, n_test, seed)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if name.endswith(".txt"):
            if with_mapping:
                (directory / name).write_bytes(data)
        elif compress:
            (directory / name).write_bytes(data)
        else:
            (directory / name.removesuffix(".gz")).write_bytes(gzip.decompress(data))
    return fixture


def emnist_zip(splits: dict[str, dict[str, bytes]], extra: dict[str, bytes] | None = None) -> bytes:
    """A ``gzip.zip`` in NIST's layout: every file under a top ``gzip/`` folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for files in splits.values():
            for name, data in files.items():
                bundle.writestr(f"gzip/{name}", data)
        for name, data in (extra or {}).items():
            bundle.writestr(f"gzip/{name}", data)
    return buffer.getvalue()
