"""The IDX reader: round trips, every malformed-file error, bounded memory, and property tests on arbitrary bytes."""

from __future__ import annotations

import gzip
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lenet5.idx import DatasetError, check_idx, read_idx
from tests.lenet5._emnist_fixtures import idx_bytes, write_idx

# No example database: tests must not write into the repository tree.
PROPERTY = settings(max_examples=1000, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _images(count: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(count, 28, 28), dtype=np.uint8)


def _assert_error(path: Path, match: str) -> DatasetError:
    with pytest.raises(DatasetError, match=match) as caught:
        read_idx(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return caught.value


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_round_trip_images_and_labels(tmp_path: Path, compress: bool) -> None:
    images = _images()
    labels = np.array([3, 0, 46, 9, 255], dtype=np.uint8)
    read_images = read_idx(write_idx(tmp_path / "images", images, compress=compress))
    read_labels = read_idx(write_idx(tmp_path / "labels", labels, compress=compress))
    assert read_images.dtype == np.uint8 and read_images.shape == (5, 28, 28)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)
    assert check_idx(tmp_path / "images") == (5, 28, 28)
    assert check_idx(tmp_path / "labels") == (5,)


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    labels = np.arange(10, dtype=np.uint8)
    (tmp_path / "labels.gz").write_bytes(idx_bytes(labels))  # raw bytes under a .gz name
    (tmp_path / "labels").write_bytes(gzip.compress(idx_bytes(labels)))  # gzip without the suffix
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz"), labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), labels)


def test_multi_member_gzip_is_read_whole(tmp_path: Path) -> None:
    # Concatenated gzip members are valid gzip; the trailer's ISIZE then covers the last member only.
    data = idx_bytes(_images(4))
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
    np.testing.assert_array_equal(read_idx(path), _images(4))
    assert check_idx(path) == (4, 28, 28)


def test_empty_set_is_valid(tmp_path: Path) -> None:
    assert read_idx(write_idx(tmp_path / "labels", np.zeros(0, np.uint8), compress=True)).shape == (0,)


def test_wrong_magic(tmp_path: Path) -> None:
    path = tmp_path / "float-images"
    path.write_bytes(struct.pack(">IIII", 0x00000D03, 1, 2, 2) + bytes(16))  # 0x0D = float data
    _assert_error(path, "magic 0x00000d03")


def test_expected_ndim_mismatch(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "labels-as-images", np.arange(5, dtype=np.uint8), compress=False)
    with pytest.raises(DatasetError, match=r"expected images"):
        read_idx(path, expected_ndim=3)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_truncated_data(tmp_path: Path, compress: bool) -> None:
    data = idx_bytes(_images())[:-100]
    path = tmp_path / "images"
    path.write_bytes(gzip.compress(data) if compress else data)
    _assert_error(path, "truncated")
    with pytest.raises(DatasetError, match="truncated"):
        check_idx(path)


@pytest.mark.parametrize("size", [0, 3, 10])
def test_truncated_header(tmp_path: Path, size: int) -> None:
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(_images())[:size])
    _assert_error(path, "truncated")


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(_images(50)))[:-2000])  # the deflate stream itself is cut
    _assert_error(path, "truncated|unreadable")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_trailing_garbage(tmp_path: Path, compress: bool) -> None:
    data = idx_bytes(_images()) + b"extra"
    path = tmp_path / "images"
    path.write_bytes(gzip.compress(data) if compress else data)
    _assert_error(path, "trailing garbage")
    with pytest.raises(DatasetError, match="trailing garbage"):
        check_idx(path)


def test_garbage_after_gzip_member(tmp_path: Path) -> None:
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(_images())) + b"not gzip")
    _assert_error(path, "unreadable|trailing")


def test_corrupt_gzip_crc(tmp_path: Path) -> None:
    compressed = bytearray(gzip.compress(idx_bytes(_images())))
    compressed[-8] ^= 0xFF  # the CRC32 field of the trailer
    path = tmp_path / "images.gz"
    path.write_bytes(bytes(compressed))
    _assert_error(path, "unreadable.*CRC")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    _assert_error(tmp_path / "absent-images-idx3-ubyte", "no such file")
    _assert_error(tmp_path, "is a directory")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_huge_header_claim_is_rejected_without_allocating(tmp_path: Path, compress: bool) -> None:
    # A 1 KB file whose header claims 10**9 images of 28x28 (784 GB).
    data = struct.pack(">IIII", 0x00000803, 10**9, 28, 28) + bytes(1008)
    path = tmp_path / "images"
    path.write_bytes(gzip.compress(data) if compress else data)
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="promises"):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_gzip_bomb_is_decompressed_only_up_to_the_header_size(tmp_path: Path) -> None:
    # The header promises 100 images (78 KB); the stream inflates to 64 MB of zeros.
    header = struct.pack(">IIII", 0x00000803, 100, 28, 28)
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(header)
        for _ in range(64):
            out.write(bytes(1 << 20))
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="trailing garbage"):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # the 78 KB array plus bounded decompression buffers, never the 64 MB


def test_gzip_size_disagreeing_with_the_header_is_counted_before_allocating(tmp_path: Path) -> None:
    # Zeros compress about 1000:1, so a claim one image beyond the real 4 MB stream passes the deflate ratio bound;
    # the gzip trailer (ISIZE) disagrees, so the stream is counted before the 4 MB array would be allocated.
    real_images = 5350
    header = struct.pack(">IIII", 0x00000803, real_images + 1, 28, 28)
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(header + bytes(real_images * 784), compresslevel=9))
    assert (16 + (real_images + 1) * 784) < path.stat().st_size * 1032  # inside the ratio bound
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="truncated"):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_500_000  # well below the 4.2 MB the header claims


# ---- property tests: no input crashes the reader; it returns uint8 data or raises DatasetError ----


def _read_or_dataset_error(path: Path) -> None:
    try:
        array = read_idx(path)
    except DatasetError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        with pytest.raises(DatasetError):
            check_idx(path)
        return
    assert array.dtype == np.uint8 and array.ndim in (1, 3)
    assert check_idx(path) == array.shape


@PROPERTY
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_raw(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "arbitrary"
    path.write_bytes(data)
    _read_or_dataset_error(path)


@PROPERTY
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_gzip_compressed(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "arbitrary.gz"
    path.write_bytes(gzip.compress(data, compresslevel=1))
    _read_or_dataset_error(path)


@PROPERTY
@given(data=st.binary(max_size=512))
def test_arbitrary_bytes_behind_gzip_magic(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fake.gz"
    path.write_bytes(b"\x1f\x8b" + data)
    _read_or_dataset_error(path)


@PROPERTY
@given(
    dims=st.sampled_from([(1,), (7,), (0,), (3, 28, 28), (2, 5, 3)]),
    plausible_header=st.booleans(),
    payload=st.binary(max_size=3000),
)
def test_headers_with_arbitrary_payloads(tmp_path: Path, dims: tuple[int, ...], plausible_header: bool,
                                         payload: bytes) -> None:  # fmt: skip
    magic = 0x0800 | len(dims) if plausible_header else 0x0800 | (len(dims) + 1)
    path = tmp_path / "idx"
    path.write_bytes(struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + payload)
    _read_or_dataset_error(path)


_VALID = {
    "raw-images": idx_bytes(_images(3)),
    "raw-labels": idx_bytes(np.arange(30, dtype=np.uint8)),
    "gz-images": gzip.compress(idx_bytes(_images(3)), compresslevel=6),
    "gz-labels": gzip.compress(idx_bytes(np.arange(30, dtype=np.uint8)), compresslevel=6),
}


@st.composite
def _mutated_valid_file(draw: st.DrawFn) -> bytes:
    data = bytearray(_VALID[draw(st.sampled_from(sorted(_VALID)))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "append"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[position:]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 16))]
        else:
            data += draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


@PROPERTY
@given(data=_mutated_valid_file())
def test_mutated_valid_files(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "mutated"
    path.write_bytes(data)
    _read_or_dataset_error(path)


@PROPERTY
@given(
    shape=st.one_of(
        st.tuples(st.integers(0, 50)),
        st.tuples(st.integers(0, 4), st.integers(1, 30), st.integers(1, 30)),
    ),
    compress=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_valid_array_round_trips(tmp_path: Path, shape: tuple[int, ...], compress: bool, seed: int) -> None:
    array = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    path = write_idx(tmp_path / "valid", array, compress=compress)
    np.testing.assert_array_equal(read_idx(path), array)
    assert check_idx(path) == shape
