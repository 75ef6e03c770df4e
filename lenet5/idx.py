"""Read IDX files, the format of MNIST, Fashion-MNIST and EMNIST, raw or gzip-compressed, without trusting them.

Format (LeCun, Cortes & Burges, "THE MNIST DATABASE"): two zero bytes, a type byte (0x08 = unsigned byte), a byte
giving the number of dimensions, one big-endian uint32 per dimension, then the data in C order. Only the two forms this
family uses are accepted: magic 0x00000801 (labels: a uint8 vector) and 0x00000803 (images: uint8 (N, rows, cols)).

Untrusted input rules, each one a `DatasetError` naming the file:

- The header is checked against the file's size *before* anything is allocated. A raw file must hold exactly
  header + prod(dims) bytes (fewer: truncated; more: trailing garbage). A gzip file cannot inflate to more than
  ``_MAX_DEFLATE_RATIO`` times its size, so a header claiming more than that is rejected outright; the gzip trailer's
  ISIZE (uncompressed size mod 2**32) normally agrees with the header too, and when it does not (corrupt data, or a
  multi-member gzip file), the size is counted in a streaming pass that holds no data before allocating.
- A gzip file is decompressed into the one preallocated array and never past the size the header promises (plus one
  byte to detect trailing data), so a gzip bomb costs at most that much memory.
- gzip CRC and stream errors, unreadable files, wrong magic, truncation and trailing garbage all become `DatasetError`.
"""

from __future__ import annotations

import gzip
import logging
import math
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

logger = logging.getLogger(__name__)

# Magic number -> number of dimensions. 0x08 in the third byte = unsigned byte data.
IDX_MAGIC_NDIM: dict[int, int] = {0x00000801: 1, 0x00000803: 3}
_GZIP_MAGIC = b"\x1f\x8b"
# Deflate's best case is a 258-byte match coded in about 2 bits: just under 1032:1. A gzip file cannot inflate further.
_MAX_DEFLATE_RATIO = 1032
_CHUNK = 1 << 16  # bytes per read while streaming: bounds the scratch memory gzip needs (~4x this)


class DatasetError(Exception):
    """A data file is missing, unreadable or malformed. The message is one line that names the file.

    Re-exported as `lenet5.data.DatasetError` (the name the rest of the package uses).
    """


def read_idx(path: str | Path, *, expected_ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (raw or gzip, decided by its first bytes) into a new uint8 array.

    Returns shape (N,) for magic 0x0801 and (N, rows, cols) for 0x0803. ``expected_ndim`` (1 or 3), when given, must
    match the file's magic. Raises `DatasetError` (one line naming ``path``) for anything but a well-formed file.
    """
    path = Path(path)
    with _open_idx(path) as (stream, compressed):
        shape = _read_header(stream, path, expected_ndim)
        payload = math.prod(shape)
        if compressed:
            _check_gzip_claim(path, 4 + 4 * len(shape) + payload)
        else:
            _check_raw_size(path, 4 + 4 * len(shape) + payload)
        try:
            data = np.empty(payload, dtype=np.uint8)
        except MemoryError:
            raise DatasetError(f"{path}: header claims {shape}, {payload:,} bytes: too large to load") from None
        filled = _read_into(stream, data.data, path)  # ndarray.data: a writable memoryview of the array
        if filled < payload:
            raise DatasetError(f"{path}: truncated: header promises {payload:,} data bytes, file holds {filled:,}")
        _expect_end(stream, path)
    return data.reshape(shape)


def check_idx(path: str | Path, *, expected_ndim: int | None = None) -> tuple[int, ...]:
    """Validate an IDX file completely (sizes, gzip CRC) without holding its data; return its shape.

    Used to decide whether already-downloaded files can be kept. Raises `DatasetError` like `read_idx`.
    """
    path = Path(path)
    with _open_idx(path) as (stream, compressed):
        shape = _read_header(stream, path, expected_ndim)
        payload = math.prod(shape)
        if compressed:
            _check_gzip_claim(path, 4 + 4 * len(shape) + payload)
            counted = _count_bytes(stream, path, limit=payload + 1)
            if counted < payload:
                raise DatasetError(f"{path}: truncated: header promises {payload:,} data bytes, file holds {counted:,}")
            if counted > payload:
                raise DatasetError(f"{path}: trailing garbage after the {payload:,} data bytes the header promises")
        else:
            _check_raw_size(path, 4 + 4 * len(shape) + payload)
    return shape


@contextmanager
def _open_idx(path: Path) -> Iterator[tuple[BinaryIO, bool]]:
    """Yield (binary stream, is_gzip), turning every read/decompression failure inside the block into DatasetError."""
    try:
        with path.open("rb") as raw:
            compressed = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if not compressed:
                yield raw, False
                return
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped, True  # type: ignore[misc]  # GzipFile is a binary stream
    except DatasetError:
        raise
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, not an IDX file") from None
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError; EOFError = gzip stream cut short
        raise DatasetError(f"{path}: unreadable: {_one_line(exc)}") from None


def _read_header(stream: BinaryIO, path: Path, expected_ndim: int | None) -> tuple[int, ...]:
    head = _read_exact(stream, 4)
    if len(head) < 4:
        raise DatasetError(f"{path}: truncated: {len(head)} bytes, shorter than an IDX header")
    (magic,) = struct.unpack(">I", head)
    ndim = IDX_MAGIC_NDIM.get(magic)
    if ndim is None:
        raise DatasetError(
            f"{path}: not an IDX file of the MNIST family: magic 0x{magic:08x}, expected 0x00000801 or 0x00000803"
        )
    if expected_ndim is not None and ndim != expected_ndim:
        wanted = "labels (0x00000801)" if expected_ndim == 1 else "images (0x00000803)"
        raise DatasetError(f"{path}: expected {wanted}, found magic 0x{magic:08x}")
    dims = _read_exact(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise DatasetError(f"{path}: truncated: header promises {ndim} dimensions, file ends inside them")
    return tuple(struct.unpack(f">{ndim}I", dims))


def _check_raw_size(path: Path, expected: int) -> None:
    actual = path.stat().st_size
    if actual < expected:
        raise DatasetError(f"{path}: truncated: header promises {expected:,} bytes, file has {actual:,}")
    if actual > expected:
        raise DatasetError(f"{path}: trailing garbage: {actual - expected:,} bytes after the {expected:,} promised")


def _check_gzip_claim(path: Path, expected: int) -> None:
    """Reject a header that a gzip file of this size cannot satisfy, before anything is allocated."""
    compressed_size = path.stat().st_size
    if expected > compressed_size * _MAX_DEFLATE_RATIO:
        raise DatasetError(
            f"{path}: header promises {expected:,} bytes, more than a {compressed_size:,}-byte gzip file can hold"
        )
    with path.open("rb") as raw:
        raw.seek(-4, 2)
        (isize,) = struct.unpack("<I", raw.read(4))
    if isize != expected % 2**32:
        # Corrupt, or several gzip members (ISIZE covers the last one only): count before allocating.
        logger.debug("%s: gzip ISIZE %d disagrees with header; counting the stream", path, isize)
        with gzip.open(path, "rb") as stream:
            counted = _count_bytes(stream, path, limit=expected + 1)  # type: ignore[arg-type]
        if counted < expected:
            raise DatasetError(f"{path}: truncated: header promises {expected:,} bytes, stream holds {counted:,}")


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    parts = []
    while size > 0:
        part = stream.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read_into(stream: BinaryIO, view: memoryview, path: Path) -> int:
    """Fill ``view`` from ``stream`` in bounded chunks; return the number of bytes read (less at end of stream)."""
    filled = 0
    while filled < len(view):
        got = stream.readinto(view[filled : filled + _CHUNK])  # type: ignore[attr-defined]
        if not got:
            break
        filled += got
    return filled


def _count_bytes(stream: BinaryIO, path: Path, *, limit: int) -> int:
    """Count the bytes left in ``stream`` without keeping them, stopping at ``limit``."""
    counted = 0
    while counted < limit:
        part = stream.read(min(_CHUNK, limit - counted))
        if not part:
            break
        counted += len(part)
    return counted


def _expect_end(stream: BinaryIO, path: Path) -> None:
    # For gzip, reading at the end also checks the CRC and length trailer.
    if stream.read(1):
        raise DatasetError(f"{path}: trailing garbage after the data the header promises")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
