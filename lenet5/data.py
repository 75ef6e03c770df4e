"""Load EMNIST (six splits), MNIST and Fashion-MNIST from IDX files into one uint8 copy per dataset split.

Where files are looked for (first directory holding both the images and the labels file wins; each name is tried
uncompressed, then with ``.gz``):

- EMNIST ``emnist-<split>``: ``<data_dir>/emnist``, ``<data_dir>/emnist/gzip``, ``<data_dir>``, ``<data_dir>/gzip``
  (``gzip/`` is the folder inside NIST's ``gzip.zip``). Files: ``emnist-<split>-{train,test}-{images-idx3,labels-idx1}
  -ubyte[.gz]`` and ``emnist-<split>-mapping.txt``. ``lenet5 download`` (`lenet5.download`) fetches them.
- MNIST: ``<data_dir>/mnist``, ``<data_dir>``; Fashion-MNIST: ``<data_dir>/fashion-mnist``, ``<data_dir>``, then
  `SYSTEM_FASHION_MNIST_DIR` (where Debian's ``dataset-fashion-mnist`` package installs it). Files:
  ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``. The two share file names, so a directory holding both needs
  the ``mnist/`` and ``fashion-mnist/`` subdirectories.

EMNIST specifics:

- NIST stores every image transposed (column-major), so it is transposed back here to be upright, in place, a block
  at a time: the set is never held twice.
- ``letters`` labels run 1..26 (case-merged letters; 0 is unused); they are shifted to 0..25.
- Class names come from ``emnist-<split>-mapping.txt`` (lines ``label code [code ...]``: the class's character codes;
  ``letters`` lines carry the upper- and lower-case codes, e.g. ``1 65 97``, giving the name ``"Aa"``). Without the
  file, `EMNIST_CLASS_NAMES` is used: the same characters as the mapping files in NIST's ``gzip.zip`` (and as
  torchvision's ``EMNIST.classes_split_dict``). balanced/bymerge merge the 15 lower-case letters whose shape matches
  their capital (c i j k l m o p s u v w x y z; Cohen et al., "EMNIST: an extension of MNIST to handwritten letters",
  2017), keeping a b d e f g h n q r t.

Official sizes (Cohen et al. 2017), train / test: balanced 112,800 / 18,800 (47 classes); byclass and
bymerge 697,932 / 116,323 (62 / 47); digits 240,000 / 40,000; letters 124,800 / 20,800 (26); mnist 60,000 / 10,000.
MNIST and Fashion-MNIST: 60,000 / 10,000, 10 classes. Sizes are not enforced (small test fixtures are valid files).
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lenet5.idx import DatasetError, read_idx

logger = logging.getLogger(__name__)

__all__ = [
    "DATASET_NAMES",
    "EMNIST_CLASS_NAMES",
    "EMNIST_SPLITS",
    "FASHION_MNIST_CLASS_NAMES",
    "MNIST_CLASS_NAMES",
    "SPLITS",
    "SYSTEM_FASHION_MNIST_DIR",
    "Dataset",
    "DatasetError",
    "emnist_file_names",
    "load_dataset",
    "read_emnist_mapping",
]

EMNIST_SPLITS: tuple[str, ...] = ("balanced", "byclass", "bymerge", "digits", "letters", "mnist")
DATASET_NAMES: tuple[str, ...] = (*(f"emnist-{split}" for split in EMNIST_SPLITS), "mnist", "fashion-mnist")
SPLITS: tuple[str, ...] = ("train", "test")
IMAGE_SIZE = 28

# Debian's dataset-fashion-mnist package installs the four .gz files here (a standard location, not a machine path).
SYSTEM_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

MNIST_CLASS_NAMES: tuple[str, ...] = tuple(string.digits)
# Zalando's labels, in label order (github.com/zalandoresearch/fashion-mnist, README "Labels").
FASHION_MNIST_CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

_MERGED_BALANCED = tuple(string.digits) + tuple(string.ascii_uppercase) + tuple("abdefghnqrt")
EMNIST_CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "balanced": _MERGED_BALANCED,
    "bymerge": _MERGED_BALANCED,
    "byclass": tuple(string.digits) + tuple(string.ascii_uppercase) + tuple(string.ascii_lowercase),
    "digits": tuple(string.digits),
    "mnist": tuple(string.digits),
    "letters": tuple(
        upper + lower for upper, lower in zip(string.ascii_uppercase, string.ascii_lowercase, strict=True)
    ),
}
# The first label value in the files: letters numbers its classes from 1.
_EMNIST_FIRST_LABEL: dict[str, int] = {"letters": 1}
_TRANSPOSE_BLOCK = 4096  # images per block when fixing EMNIST's orientation (3.2 MB of scratch)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One split of one dataset, held once, read-only.

    images: uint8 (N, 28, 28), upright; labels: int64 (N,), in 0..num_classes-1; class_names[i] names label i.
    """

    name: str
    split: str
    images: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.images.dtype != np.uint8 or self.images.ndim != 3 or self.images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"images must be uint8 (N, 28, 28), got {self.images.dtype} {self.images.shape}")
        if self.labels.dtype != np.int64 or self.labels.shape != (len(self.images),):
            raise ValueError(f"labels must be int64 ({len(self.images)},), got {self.labels.dtype} {self.labels.shape}")
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= len(self.class_names)):
            raise ValueError(f"labels must lie in 0..{len(self.class_names) - 1}")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return len(self.labels)


def load_dataset(name: str, data_dir: str | Path, split: str) -> Dataset:
    """Load ``split`` ("train" or "test") of ``name`` (one of `DATASET_NAMES`) from ``data_dir``.

    Raises `DatasetError` (one line) when files are missing, malformed or inconsistent.
    """
    if name not in DATASET_NAMES:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}")
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r} for {name}; choose 'train' or 'test'")
    data_dir = Path(data_dir)
    emnist_split = name.removeprefix("emnist-") if name.startswith("emnist-") else None
    images_name, labels_name = _file_stems(name, split)
    directories = _search_dirs(name, data_dir)
    found = _find_pair(directories, images_name, labels_name)
    if found is None:
        raise DatasetError(_missing_message(name, split, images_name, labels_name, directories))
    images_path, labels_path = found
    logger.info("loading %s %s from %s", name, split, images_path.parent)

    labels_raw = read_idx(labels_path, expected_ndim=1)
    images = read_idx(images_path, expected_ndim=3)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DatasetError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    if len(images) != len(labels_raw):
        raise DatasetError(f"{images_path} has {len(images):,} images but {labels_path} has {len(labels_raw):,} labels")

    if emnist_split is None:
        class_names = FASHION_MNIST_CLASS_NAMES if name == "fashion-mnist" else MNIST_CLASS_NAMES
        first_label = 0
    else:
        _transpose_in_place(images)
        class_names = _emnist_class_names(emnist_split, [images_path.parent, *directories])
        first_label = _EMNIST_FIRST_LABEL.get(emnist_split, 0)
    labels = _checked_labels(labels_raw, labels_path, first_label, len(class_names))
    images.flags.writeable = False
    labels.flags.writeable = False
    return Dataset(name=name, split=split, images=images, labels=labels, class_names=class_names)


def emnist_file_names(split: str) -> tuple[str, str, str, str, str]:
    """The five files of an EMNIST split as NIST names them in ``gzip.zip``'s ``gzip/`` folder.

    Order: train images, train labels, test images, test labels (all ``.gz``), mapping.
    """
    stems = [f"emnist-{split}-{part}-{kind}-ubyte.gz" for part in SPLITS for kind in ("images-idx3", "labels-idx1")]
    return (stems[0], stems[1], stems[2], stems[3], f"emnist-{split}-mapping.txt")


def read_emnist_mapping(path: Path, split: str) -> tuple[str, ...]:
    """Parse ``emnist-<split>-mapping.txt`` into class names ordered by label (the ``letters`` offset removed).

    Each line: ``label code [code ...]`` (decimal character codes); labels must be consecutive from the split's first
    label and their number must match the split's class count. Raises `DatasetError` naming ``path:line``.
    """
    first_label = _EMNIST_FIRST_LABEL.get(split, 0)
    expected_count = len(EMNIST_CLASS_NAMES[split])
    names: list[str] = []
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable mapping file: {exc}") from None
    for line_number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            label, *codes = (int(value) for value in fields)
            if not codes:
                raise ValueError
            name = "".join(chr(code) for code in codes)
        except (ValueError, OverflowError):
            raise DatasetError(f"{path}:{line_number}: expected 'label ascii_code', got {line.strip()!r}") from None
        if label != first_label + len(names):
            raise DatasetError(f"{path}:{line_number}: label {label} out of order, expected {first_label + len(names)}")
        names.append(name)
    if len(names) != expected_count:
        raise DatasetError(f"{path}: {len(names)} classes, EMNIST {split} has {expected_count}")
    return tuple(names)


def _file_stems(name: str, split: str) -> tuple[str, str]:
    # MNIST's own names call the test split "t10k".
    prefix = f"{name}-{split}" if name.startswith("emnist-") else ("train" if split == "train" else "t10k")
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _search_dirs(name: str, data_dir: Path) -> list[Path]:
    if name.startswith("emnist-"):
        return [data_dir / "emnist", data_dir / "emnist" / "gzip", data_dir, data_dir / "gzip"]
    directories = [data_dir / name, data_dir]
    if name == "fashion-mnist":
        directories.append(SYSTEM_FASHION_MNIST_DIR)
    return directories


def _find_pair(directories: list[Path], images_name: str, labels_name: str) -> tuple[Path, Path] | None:
    for directory in directories:
        images_path = _find_file(directory, images_name)
        labels_path = _find_file(directory, labels_name)
        if images_path is not None and labels_path is not None:
            return images_path, labels_path
    return None


def _find_file(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing_message(name: str, split: str, images_name: str, labels_name: str, directories: list[Path]) -> str:
    where = ", ".join(str(directory) for directory in directories)
    message = f"{name} {split} data not found: looked for {images_name}[.gz] and {labels_name}[.gz] in {where}"
    if name.startswith("emnist-"):
        return f"{message}; run `lenet5 download` to fetch EMNIST from NIST"
    if name == "fashion-mnist":
        return f"{message}; install Debian's dataset-fashion-mnist package or copy the files there"
    return f"{message}; copy the MNIST files there"


def _emnist_class_names(split: str, directories: list[Path]) -> tuple[str, ...]:
    mapping_name = f"emnist-{split}-mapping.txt"
    for directory in directories:
        if (directory / mapping_name).is_file():
            return read_emnist_mapping(directory / mapping_name, split)
    logger.info("%s not found; using the built-in EMNIST %s class names", mapping_name, split)
    return EMNIST_CLASS_NAMES[split]


def _checked_labels(raw: np.ndarray, path: Path, first_label: int, num_classes: int) -> np.ndarray:
    """Check uint8 labels lie in first_label..first_label+num_classes-1; return them as int64 from 0."""
    if len(raw):
        low, high = int(raw.min()), int(raw.max())
        if low < first_label or high >= first_label + num_classes:
            bad = int(np.flatnonzero((raw < first_label) | (raw >= first_label + num_classes))[0])
            raise DatasetError(
                f"{path}: label {int(raw[bad])} at index {bad} outside "
                f"{first_label}..{first_label + num_classes - 1} ({num_classes} classes)"
            )
    labels = raw.astype(np.int64)
    labels -= first_label
    return labels


def _transpose_in_place(images: np.ndarray) -> None:
    """Transpose each square image in place, a block at a time, so only one block is ever copied.

    images: uint8 (N, S, S), modified in place.
    """
    for start in range(0, len(images), _TRANSPOSE_BLOCK):
        block = images[start : start + _TRANSPOSE_BLOCK]
        block[...] = block.transpose(0, 2, 1).copy()
