"""Dataset loading: EMNIST discovery, orientation, label shift and class names on NIST-format fixtures; MNIST and
Fashion-MNIST, including Debian's real Fashion-MNIST files."""

from __future__ import annotations

import gzip
import re
import string
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from lenet5 import data
from lenet5.data import (
    DATASET_NAMES,
    EMNIST_CLASS_NAMES,
    EMNIST_SPLITS,
    FASHION_MNIST_CLASS_NAMES,
    Dataset,
    DatasetError,
    load_dataset,
)
from tests.lenet5._emnist_fixtures import (
    BAR_END,
    BAR_ROW,
    BAR_START,
    STEM_END,
    idx_bytes,
    upright_images,
    write_emnist_split,
    write_idx,
)

OFFICIAL_CLASS_COUNTS = {"balanced": 47, "byclass": 62, "bymerge": 47, "digits": 10, "letters": 26, "mnist": 10}


def _assert_upright_glyph(images: np.ndarray) -> None:
    """The Γ glyph: a long horizontal bar on top and a short vertical stem on the left (transposed, they swap)."""
    assert images[:, BAR_ROW, BAR_START:BAR_END].min() == 255  # the top bar runs across
    assert images[:, BAR_ROW:STEM_END, BAR_START].min() == 255  # the stem runs down
    assert images[:, STEM_END + 2 : BAR_END, BAR_START].max() < 255  # ...and stops short
    assert images[:, BAR_ROW + 1 : STEM_END, BAR_END - 1].max() < 255  # nothing hangs from the bar's right end


def test_dataset_names_match_the_contract() -> None:
    assert DATASET_NAMES == (
        "emnist-balanced", "emnist-byclass", "emnist-bymerge", "emnist-digits", "emnist-letters", "emnist-mnist",
        "mnist", "fashion-mnist",
    )  # fmt: skip


def test_emnist_balanced_flat_gz(tmp_path: Path) -> None:
    fixture = write_emnist_split(tmp_path, "balanced", n_train=94, n_test=47)
    for part in ("train", "test"):
        dataset = load_dataset("emnist-balanced", tmp_path, part)
        assert (dataset.name, dataset.split) == ("emnist-balanced", part)
        assert dataset.images.dtype == np.uint8 and dataset.images.shape == (len(fixture.labels(part)), 28, 28)
        assert dataset.labels.dtype == np.int64
        np.testing.assert_array_equal(dataset.images, fixture.images(part))  # transposed back to upright
        np.testing.assert_array_equal(dataset.labels, fixture.labels(part))
        _assert_upright_glyph(dataset.images)
    assert dataset.num_classes == 47 and len(dataset) == 47
    assert dataset.class_names[:10] == tuple("0123456789")
    assert dataset.class_names[10:36] == tuple(string.ascii_uppercase)
    assert dataset.class_names[36:] == ("a", "b", "d", "e", "f", "g", "h", "n", "q", "r", "t")


def test_emnist_in_the_archives_gzip_folder(tmp_path: Path) -> None:
    fixture = write_emnist_split(tmp_path / "gzip", "digits")
    dataset = load_dataset("emnist-digits", tmp_path, "test")
    np.testing.assert_array_equal(dataset.images, fixture.test_images)
    assert dataset.class_names == tuple("0123456789")


def test_emnist_under_an_emnist_subdirectory(tmp_path: Path) -> None:
    fixture = write_emnist_split(tmp_path / "emnist" / "gzip", "mnist")
    np.testing.assert_array_equal(load_dataset("emnist-mnist", tmp_path, "train").labels, fixture.train_labels)


def test_emnist_uncompressed_files(tmp_path: Path) -> None:
    fixture = write_emnist_split(tmp_path, "bymerge", compress=False)
    assert not list(tmp_path.glob("*.gz"))
    dataset = load_dataset("emnist-bymerge", tmp_path, "train")
    np.testing.assert_array_equal(dataset.images, fixture.train_images)
    _assert_upright_glyph(dataset.images)


def test_emnist_letters_labels_shift_and_case_merged_names(tmp_path: Path) -> None:
    fixture = write_emnist_split(tmp_path, "letters", n_train=52, n_test=26)
    raw_labels = gzip.decompress((tmp_path / "emnist-letters-train-labels-idx1-ubyte.gz").read_bytes())[8:]
    assert min(raw_labels) == 1 and max(raw_labels) == 26  # as NIST stores them
    dataset = load_dataset("emnist-letters", tmp_path, "train")
    assert dataset.labels.min() == 0 and dataset.labels.max() == 25
    np.testing.assert_array_equal(dataset.labels, np.frombuffer(raw_labels, np.uint8).astype(np.int64) - 1)
    np.testing.assert_array_equal(dataset.labels, fixture.train_labels)
    assert dataset.num_classes == 26
    assert dataset.class_names[0] == "Aa" and dataset.class_names[25] == "Zz"


def test_emnist_letters_label_zero_is_out_of_range(tmp_path: Path) -> None:
    write_emnist_split(tmp_path, "letters")
    labels_path = tmp_path / "emnist-letters-test-labels-idx1-ubyte.gz"
    labels = np.frombuffer(gzip.decompress(labels_path.read_bytes())[8:], np.uint8).copy()
    labels[5] = 0
    write_idx(labels_path, labels, compress=True)
    with pytest.raises(DatasetError, match=r"label 0 at index 5 outside 1\.\.26") as caught:
        load_dataset("emnist-letters", tmp_path, "test")
    assert str(labels_path) in str(caught.value)


@pytest.mark.parametrize("split", EMNIST_SPLITS)
def test_every_split_without_mapping_uses_the_builtin_class_names(tmp_path: Path, split: str) -> None:
    fixture = write_emnist_split(tmp_path, split, with_mapping=False)
    dataset = load_dataset(f"emnist-{split}", tmp_path, "test")
    assert dataset.num_classes == OFFICIAL_CLASS_COUNTS[split]
    assert dataset.class_names == EMNIST_CLASS_NAMES[split]
    np.testing.assert_array_equal(dataset.images, fixture.test_images)
    np.testing.assert_array_equal(dataset.labels, fixture.test_labels)


@pytest.mark.parametrize("split", EMNIST_SPLITS)
def test_builtin_names_agree_with_the_nist_style_mapping(tmp_path: Path, split: str) -> None:
    write_emnist_split(tmp_path, split)
    assert data.read_emnist_mapping(tmp_path / f"emnist-{split}-mapping.txt", split) == EMNIST_CLASS_NAMES[split]


def test_class_names_come_from_the_mapping_file(tmp_path: Path) -> None:
    write_emnist_split(tmp_path, "digits")
    arabic_indic = "".join(f"{digit} {0x0660 + digit}\n" for digit in range(10))  # not the built-in names
    (tmp_path / "emnist-digits-mapping.txt").write_text(arabic_indic, encoding="ascii")
    dataset = load_dataset("emnist-digits", tmp_path, "train")
    assert dataset.class_names == tuple(chr(0x0660 + digit) for digit in range(10))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("0 48\n1 49\nseven 55\n", r"mapping\.txt:3: expected 'label ascii_code'"),
        ("0 48\n2 50\n", r"mapping\.txt:2: label 2 out of order, expected 1"),
        ("0\n", r"mapping\.txt:1: expected 'label ascii_code'"),
        ("0 48\n1 49\n", r"mapping\.txt: 2 classes, EMNIST digits has 10"),
        ("0 99999999999\n", r"mapping\.txt:1: expected 'label ascii_code'"),
    ],
)
def test_malformed_mapping_file(tmp_path: Path, content: str, message: str) -> None:
    write_emnist_split(tmp_path, "digits")
    (tmp_path / "emnist-digits-mapping.txt").write_text(content, encoding="ascii")
    with pytest.raises(DatasetError, match=message):
        load_dataset("emnist-digits", tmp_path, "train")


def test_label_beyond_num_classes(tmp_path: Path) -> None:
    write_emnist_split(tmp_path, "balanced")
    labels_path = tmp_path / "emnist-balanced-train-labels-idx1-ubyte.gz"
    labels = np.frombuffer(gzip.decompress(labels_path.read_bytes())[8:], np.uint8).copy()
    labels[-1] = 47
    write_idx(labels_path, labels, compress=True)
    with pytest.raises(
        DatasetError, match=rf"{re.escape(str(labels_path))}: label 47 at index 59 outside 0\.\.46 \(47 classes\)"
    ):
        load_dataset("emnist-balanced", tmp_path, "train")


def test_image_and_label_count_mismatch(tmp_path: Path) -> None:
    write_emnist_split(tmp_path, "digits")
    labels_path = tmp_path / "emnist-digits-test-labels-idx1-ubyte.gz"
    write_idx(labels_path, np.zeros(19, np.uint8), compress=True)
    with pytest.raises(DatasetError, match=r"has 20 images but .*test-labels.* has 19 labels"):
        load_dataset("emnist-digits", tmp_path, "test")


def test_images_of_the_wrong_size(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 32, 32), np.uint8), compress=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, np.uint8), compress=False)
    with pytest.raises(DatasetError, match="images are 32x32, expected 28x28"):
        load_dataset("mnist", tmp_path, "train")


def test_labels_file_holding_images(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8), compress=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros((2, 28, 28), np.uint8), compress=True)
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\.gz: expected labels"):
        load_dataset("mnist", tmp_path, "test")


def test_missing_emnist_names_files_places_and_the_download_command(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        load_dataset("emnist-balanced", tmp_path, "train")
    message = str(caught.value)
    assert "emnist-balanced-train-images-idx3-ubyte[.gz]" in message
    assert "emnist-balanced-train-labels-idx1-ubyte[.gz]" in message
    assert str(tmp_path / "gzip") in message and "lenet5 download" in message and "\n" not in message


def test_images_without_labels_is_missing(tmp_path: Path) -> None:
    write_emnist_split(tmp_path, "digits")
    (tmp_path / "emnist-digits-test-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="emnist-digits test data not found"):
        load_dataset("emnist-digits", tmp_path, "test")


def test_unknown_name_or_split(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown dataset 'emnist'; choose one of emnist-balanced"):
        load_dataset("emnist", tmp_path, "train")
    with pytest.raises(DatasetError, match="unknown split 'validation'"):
        load_dataset("mnist", tmp_path, "validation")


def test_emnist_is_held_once_while_its_orientation_is_fixed(tmp_path: Path) -> None:
    count = 20_000  # 15.7 MB of images: larger than the transposition block
    labels = np.arange(count) % 47
    images = upright_images(labels, seed=3)
    stored = images.transpose(0, 2, 1)
    (tmp_path / "emnist-balanced-test-images-idx3-ubyte").write_bytes(idx_bytes(stored))
    (tmp_path / "emnist-balanced-test-labels-idx1-ubyte").write_bytes(idx_bytes(labels.astype(np.uint8)))
    del stored
    tracemalloc.start()
    try:
        dataset = load_dataset("emnist-balanced", tmp_path, "test")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(dataset.images, images)
    assert dataset.images.flags.c_contiguous
    assert peak < 1.3 * dataset.images.nbytes  # a second full copy would need 2x
    assert not dataset.images.flags.writeable and not dataset.labels.flags.writeable


def test_dataset_checks_its_arrays() -> None:
    images = np.zeros((3, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="uint8"):
        Dataset("mnist", "train", images.astype(np.float32), np.zeros(3, np.int64), tuple("0123456789"))
    with pytest.raises(ValueError, match="int64"):
        Dataset("mnist", "train", images, np.zeros(2, np.int64), tuple("0123456789"))
    with pytest.raises(ValueError, match=r"0\.\.1"):
        Dataset("mnist", "train", images, np.array([0, 1, 2]), ("a", "b"))


def _write_mnist_style(directory: Path, seed: int, *, compress: bool = True) -> dict[str, tuple[np.ndarray, ...]]:
    """Write 30 train / 10 test upright images in MNIST's file names; return {part: (images, labels)}."""
    written: dict[str, tuple[np.ndarray, ...]] = {}
    for part, prefix, count in (("train", "train", 30), ("test", "t10k", 10)):
        labels = (np.arange(count) + seed) % 10
        images = upright_images(labels, seed)
        suffix = ".gz" if compress else ""
        write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images, compress=compress)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels.astype(np.uint8), compress=compress)
        written[part] = (images, labels)
    return written


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "raw"])
def test_mnist_is_not_transposed(tmp_path: Path, compress: bool) -> None:
    written = _write_mnist_style(tmp_path, seed=1, compress=compress)
    for part in ("train", "test"):
        dataset = load_dataset("mnist", tmp_path, part)
        np.testing.assert_array_equal(dataset.images, written[part][0])
        np.testing.assert_array_equal(dataset.labels, written[part][1])
        _assert_upright_glyph(dataset.images)
    assert dataset.class_names == tuple("0123456789")


def test_mnist_and_fashion_side_by_side_in_subdirectories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "SYSTEM_FASHION_MNIST_DIR", tmp_path / "no-system-copy")
    mnist = _write_mnist_style(tmp_path / "mnist", seed=1)
    fashion = _write_mnist_style(tmp_path / "fashion-mnist", seed=2)
    np.testing.assert_array_equal(load_dataset("mnist", tmp_path, "train").images, mnist["train"][0])
    loaded = load_dataset("fashion-mnist", tmp_path, "train")
    np.testing.assert_array_equal(loaded.images, fashion["train"][0])
    assert loaded.class_names == FASHION_MNIST_CLASS_NAMES


def test_fashion_falls_back_to_the_system_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system_dir = tmp_path / "usr-share-datasets-fashion-mnist"
    system = _write_mnist_style(system_dir, seed=4)
    monkeypatch.setattr(data, "SYSTEM_FASHION_MNIST_DIR", system_dir)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    np.testing.assert_array_equal(load_dataset("fashion-mnist", data_dir, "test").labels, system["test"][1])
    own = _write_mnist_style(data_dir, seed=5)  # the data dir's own copy wins
    np.testing.assert_array_equal(load_dataset("fashion-mnist", data_dir, "test").labels, own["test"][1])


def test_fashion_missing_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "SYSTEM_FASHION_MNIST_DIR", tmp_path / "absent")
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\[\.gz\].*absent.*dataset-fashion-mnist"):
        load_dataset("fashion-mnist", tmp_path, "test")


def test_real_fashion_mnist(fashion_mnist_dir: Path) -> None:
    train = load_dataset("fashion-mnist", fashion_mnist_dir, "train")
    test = load_dataset("fashion-mnist", fashion_mnist_dir, "test")
    assert train.images.shape == (60_000, 28, 28) and test.images.shape == (10_000, 28, 28)
    assert train.num_classes == test.num_classes == 10
    assert train.class_names[0] == "T-shirt/top" and train.class_names[9] == "Ankle boot"
    np.testing.assert_array_equal(np.bincount(train.labels, minlength=10), np.full(10, 6_000))
    np.testing.assert_array_equal(np.bincount(test.labels, minlength=10), np.full(10, 1_000))
    # Upright, not transposed: the mean trouser is solid at the waist and split between the legs at the bottom.
    trouser = train.images[train.labels == FASHION_MNIST_CLASS_NAMES.index("Trouser")].mean(axis=0)
    gap = trouser[20, 14]  # centre column, low down: between the legs
    assert trouser[3, 14] > 4 * gap  # the waist above it is solid
    assert trouser[20, 11] > 4 * gap and trouser[20, 16] > 4 * gap  # the legs either side
    assert trouser[14, 3] < gap and trouser[14, 24] < gap  # nothing at the sides, as a transposed trouser would have


def test_real_fashion_mnist_through_the_system_fallback(fashion_mnist_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(data, "SYSTEM_FASHION_MNIST_DIR", fashion_mnist_dir)
    test = load_dataset("fashion-mnist", tmp_path, "test")  # tmp_path holds nothing
    assert len(test) == 10_000


def test_real_fashion_mnist_decompressed_in_a_data_dir(fashion_mnist_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "fashion-mnist").mkdir()
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(fashion_mnist_dir / f"{name}.gz", "rb") as source:
            (tmp_path / "fashion-mnist" / name).write_bytes(source.read())
    copy = load_dataset("fashion-mnist", tmp_path, "test")
    original = load_dataset("fashion-mnist", fashion_mnist_dir, "test")
    np.testing.assert_array_equal(copy.images, original.images)
    np.testing.assert_array_equal(copy.labels, original.labels)
