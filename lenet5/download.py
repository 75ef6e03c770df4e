"""Download one EMNIST split from NIST's ``gzip.zip``, resumably, and extract only that split's files.

Steps of `download_emnist`:

1. If ``data_dir`` already holds the split's four ``.gz`` files and mapping file and they validate (complete gzip
   streams, consistent IDX headers, matching image/label counts, a well-formed mapping), nothing is fetched.
2. Otherwise ``gzip.zip`` (≈536 MB) is streamed into ``gzip.zip.part`` with urllib (a timeout, a tqdm bar on a
   terminal). An existing ``.part`` is resumed with an HTTP ``Range`` request; a server that ignores Range (status 200)
   restarts the file from zero, and one that answers 416 for a ``.part`` already at full length finishes it. A cut
   connection leaves the ``.part`` for the next run to resume.
3. The MD5 of the whole archive is checked (NIST publishes none; the digest is the one torchvision uses), then the
   ``.part`` becomes ``gzip.zip``. A mismatch deletes the ``.part``: its bytes cannot be trusted for a resume.
4. The split's five members of the zip's ``gzip/`` folder are extracted to temporary names in ``data_dir``,
   validated, then moved into place with `os.replace`, so an interrupted run never leaves a truncated final file.
5. ``gzip.zip`` is deleted unless ``keep_archive=True`` (a kept archive is reused, after its MD5 check, next time).

Every failure is a one-line `DownloadError`.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from tqdm import tqdm

from lenet5 import __version__
from lenet5.data import EMNIST_SPLITS, emnist_file_names, read_emnist_mapping
from lenet5.idx import DatasetError, check_idx

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
DEFAULT_MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
ARCHIVE_NAME = "gzip.zip"
_CHUNK = 1 << 16


class DownloadError(Exception):
    """Downloading or extracting EMNIST failed; the message is one line."""


def download_emnist(
    split: str,
    data_dir: str | Path,
    *,
    url: str = DEFAULT_URL,
    md5: str | None = DEFAULT_MD5,
    progress: bool = True,
    keep_archive: bool = False,
    timeout: float = 60.0,
) -> list[Path]:
    """Make sure ``data_dir`` holds EMNIST ``split``'s files; return their paths (train images, train labels, test
    images, test labels, mapping). ``md5=None`` skips the archive check. Raises `DownloadError`."""
    if split not in EMNIST_SPLITS:
        raise DownloadError(f"unknown EMNIST split {split!r}; choose one of {', '.join(EMNIST_SPLITS)}")
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{data_dir}: cannot create the data directory: {exc.strerror or exc}") from None
    targets = [data_dir / name for name in emnist_file_names(split)]
    problem = _split_problem(targets, split)
    if problem is None:
        logger.info("EMNIST %s already present in %s; not downloading", split, data_dir)
        return targets
    logger.info("EMNIST %s needed (%s)", split, problem)

    archive = data_dir / ARCHIVE_NAME
    if archive.is_file() and md5 is not None and _md5_of(archive) != md5.lower():
        logger.warning("%s does not match MD5 %s; downloading it again", archive, md5)
        archive.unlink()
    if not archive.is_file():
        part = data_dir / f"{ARCHIVE_NAME}.part"
        _fetch(url, part, timeout=timeout, progress=progress)
        if md5 is not None:
            actual = _md5_of(part)
            if actual != md5.lower():
                part.unlink()
                raise DownloadError(f"{url}: MD5 mismatch: expected {md5}, got {actual}; the download was deleted")
        os.replace(part, archive)
    try:
        _extract_split(archive, split, targets)
    finally:
        if not keep_archive:
            archive.unlink(missing_ok=True)
    return targets


def _split_problem(targets: list[Path], split: str) -> str | None:
    """Return why the split's files are not usable as they are, or None when they all validate."""
    missing = [path.name for path in targets if not path.is_file()]
    if missing:
        return f"missing {', '.join(missing)}"
    try:
        shapes = [check_idx(path) for path in targets[:4]]
        read_emnist_mapping(targets[4], split)
    except DatasetError as exc:
        return str(exc)
    if shapes[0][0] != shapes[1][0] or shapes[2][0] != shapes[3][0]:
        return "image and label counts differ"
    return None


def _fetch(url: str, part: Path, *, timeout: float, progress: bool) -> None:
    """Download ``url`` into ``part``, resuming from its current length when the server honours Range."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": f"lenet5/{__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as exc:
        if exc.code == 416 and offset:
            total = _content_range_total(exc.headers.get("Content-Range", ""))
            if total == offset:
                logger.info("%s is already complete (%d bytes)", part, offset)
                return
            logger.info("%s: server refused the range for %s; starting over", url, part)
            part.unlink()
            _fetch(url, part, timeout=timeout, progress=progress)
            return
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except URLError as exc:
        raise DownloadError(f"{url}: cannot connect: {_one_line(exc.reason)}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"{url}: {_one_line(exc)}") from None

    with response:
        status = response.status
        if status == 206 and offset:
            start = _content_range_start(response.headers.get("Content-Range", ""))
            if start != offset:
                raise DownloadError(f"{url}: server resumed at byte {start}, asked for {offset}; delete {part}")
            logger.info("resuming %s at byte %d", url, offset)
            mode = "ab"
        elif status == 200:
            if offset:
                logger.info("%s ignored the Range request; restarting %s from zero", url, part)
            offset, mode = 0, "wb"
        else:
            raise DownloadError(f"{url}: unexpected HTTP status {status}")
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        received = 0
        bar = tqdm(
            total=None if length is None else offset + length,
            initial=offset,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=ARCHIVE_NAME,
            disable=not (progress and sys.stderr.isatty()),
        )
        try:
            with part.open(mode) as out, bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(
                f"{url}: transfer stopped after {offset + received:,} bytes ({_one_line(exc)}); run again to resume"
            ) from None
    if length is not None and received < length:
        raise DownloadError(
            f"{url}: connection closed after {offset + received:,} of {offset + length:,} bytes; run again to resume"
        )


def _extract_split(archive: Path, split: str, targets: list[Path]) -> None:
    """Extract the split's members from ``archive`` to ``targets`` atomically, validating each one first."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = {info.filename: info for info in bundle.infolist()}
            chosen = [_member_for(members, target.name, archive, split) for target in targets]
            shapes = []
            for info, target in zip(chosen, targets, strict=True):
                shape = _extract_member(bundle, info, target, split)
                if shape is not None:
                    shapes.append(shape)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{archive}: corrupt zip archive: {_one_line(exc)}") from None
    except OSError as exc:
        raise DownloadError(f"{archive}: cannot extract: {_one_line(exc)}") from None
    if shapes[0][0] != shapes[1][0] or shapes[2][0] != shapes[3][0]:
        raise DownloadError(f"{archive}: EMNIST {split} image and label counts differ")
    logger.info("extracted EMNIST %s to %s", split, targets[0].parent)


def _member_for(members: dict[str, zipfile.ZipInfo], name: str, archive: Path, split: str) -> zipfile.ZipInfo:
    if f"gzip/{name}" in members:
        return members[f"gzip/{name}"]
    for member_name, info in members.items():  # tolerate another top folder than gzip/
        if member_name.rsplit("/", 1)[-1] == name:
            return info
    raise DownloadError(f"{archive}: no {name} in the archive (is EMNIST {split} in it?)")


def _extract_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, split: str) -> tuple[int, ...] | None:
    """Copy one member to a temporary file beside ``target``, validate it, then rename it into place."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out, bundle.open(info) as member:
            shutil.copyfileobj(member, out, _CHUNK)  # zipfile checks the member's CRC as it reads
        try:
            if target.name.endswith(".txt"):
                read_emnist_mapping(temp, split)
                shape = None
            else:
                shape = check_idx(temp, expected_ndim=3 if "-images-" in target.name else 1)
        except DatasetError as exc:
            raise DownloadError(f"{info.filename} in the archive is invalid: {exc}") from None
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return shape


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _content_range_start(header: str) -> int | None:
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", header.strip())
    return int(match.group(1)) if match else None


def _content_range_total(header: str) -> int | None:
    match = re.match(r"bytes (?:\*|\d+-\d+)/(\d+)", header.strip())
    return int(match.group(1)) if match else None


def _one_line(reason: object) -> str:
    text = " ".join(str(reason).split())
    return text or type(reason).__name__
