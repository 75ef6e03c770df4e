"""download_emnist against a local HTTP server (127.0.0.1, in a thread) serving a small NIST-layout gzip.zip."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from lenet5.data import emnist_file_names, load_dataset
from lenet5.download import DEFAULT_MD5, DEFAULT_URL, DownloadError, download_emnist
from tests.lenet5._emnist_fixtures import SplitFixture, emnist_split_files, emnist_zip

TIMEOUT = 10.0


@dataclass
class ArchiveServer:
    """What the server sends and what it saw. Settings may be changed between requests."""

    payload: bytes
    honour_range: bool = True
    cut_after: int | None = None  # announce the full length but close the connection after this many bytes
    ranges: list[str | None] = field(default_factory=list)  # the Range header of each request to /gzip.zip
    bytes_sent: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/gzip.zip"


def _handler_for(server_state: ArchiveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            if self.path != "/gzip.zip":
                self.send_error(404, "Not Found")
                return
            state = server_state
            payload = state.payload
            range_header = self.headers.get("Range")
            state.ranges.append(range_header)
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
            if state.honour_range and match:
                start = int(match.group(1))
                if start >= len(payload):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(payload)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}")
            else:
                self.send_response(200)
            body = payload[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if state.cut_after is not None:
                body = body[: state.cut_after]
                self.close_connection = True
            self.wfile.write(body)
            state.bytes_sent += len(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    return Handler


@dataclass(frozen=True)
class Archive:
    payload: bytes
    md5: str
    fixtures: dict[str, SplitFixture]
    members: dict[str, bytes]  # file name -> bytes, for every split in the archive


@pytest.fixture(scope="module")
def archive() -> Archive:
    fixtures, members = {}, {}
    per_split = {}
    for seed, split in enumerate(("balanced", "letters", "digits")):
        fixture, files = emnist_split_files(split, n_train=94, n_test=47, seed=seed)
        fixtures[split], per_split[split] = fixture, files
        members.update(files)
    payload = emnist_zip(per_split, extra={"emnist-balanced-train.csv": b"1,2,3\n"})  # NIST ships CSVs too
    return Archive(payload, hashlib.md5(payload).hexdigest(), fixtures, members)


@pytest.fixture
def serve() -> Iterator[Callable[..., ArchiveServer]]:
    servers: list[ThreadingHTTPServer] = []

    def start(payload: bytes, **settings: object) -> ArchiveServer:
        state = ArchiveServer(payload, **settings)  # type: ignore[arg-type]
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
        httpd.daemon_threads = True
        state.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(httpd)
        return state

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _assert_split_extracted(data_dir: Path, archive: Archive, split: str, returned: list[Path]) -> None:
    names = emnist_file_names(split)
    assert returned == [data_dir / name for name in names]
    for name in names:
        assert (data_dir / name).read_bytes() == archive.members[name]


def _files(data_dir: Path) -> set[str]:
    return {path.name for path in data_dir.iterdir()}


def test_defaults_are_nists_archive() -> None:
    assert DEFAULT_URL == "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    assert DEFAULT_MD5 == "58c8d27c78d21e728a6bc7b3cc06412e"


def test_full_download_extracts_the_split_and_loads(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    returned = download_emnist("balanced", tmp_path, url=server.url, md5=archive.md5, progress=True, timeout=TIMEOUT)
    _assert_split_extracted(tmp_path, archive, "balanced", returned)
    assert _files(tmp_path) == set(emnist_file_names("balanced"))  # no archive, .part or temporary file left
    assert server.ranges == [None]
    dataset = load_dataset("emnist-balanced", tmp_path, "train")
    np.testing.assert_array_equal(dataset.images, archive.fixtures["balanced"].train_images)
    assert dataset.num_classes == 47


def test_only_the_requested_split_is_extracted(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    download_emnist("letters", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert _files(tmp_path) == set(emnist_file_names("letters"))
    dataset = load_dataset("emnist-letters", tmp_path, "test")
    np.testing.assert_array_equal(dataset.labels, archive.fixtures["letters"].test_labels)  # 1..26 became 0..25
    assert dataset.class_names[0] == "Aa"


def test_resume_from_a_partial_file(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    already = len(archive.payload) // 3
    (tmp_path / "gzip.zip.part").write_bytes(archive.payload[:already])
    returned = download_emnist("digits", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert server.ranges == [f"bytes={already}-"]
    assert server.bytes_sent == len(archive.payload) - already
    _assert_split_extracted(tmp_path, archive, "digits", returned)
    assert not (tmp_path / "gzip.zip.part").exists()


def test_server_ignoring_range_restarts_cleanly(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload, honour_range=False)
    (tmp_path / "gzip.zip.part").write_bytes(b"stale bytes from another file")
    returned = download_emnist("digits", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert server.ranges == ["bytes=29-"]
    assert server.bytes_sent == len(archive.payload)
    _assert_split_extracted(tmp_path, archive, "digits", returned)


def test_interrupted_transfer_keeps_the_part_and_the_next_run_resumes(tmp_path: Path, archive: Archive, serve) -> None:
    cut = len(archive.payload) // 2
    server = serve(archive.payload, cut_after=cut)
    with pytest.raises(DownloadError, match="run again to resume") as caught:
        download_emnist("balanced", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert "\n" not in str(caught.value)
    assert _files(tmp_path) == {"gzip.zip.part"}  # no final file, truncated or not
    assert (tmp_path / "gzip.zip.part").read_bytes() == archive.payload[:cut]
    server.cut_after = None
    returned = download_emnist("balanced", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert server.ranges == [None, f"bytes={cut}-"]
    _assert_split_extracted(tmp_path, archive, "balanced", returned)


def test_part_already_complete_is_finished_on_416(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    (tmp_path / "gzip.zip.part").write_bytes(archive.payload)
    returned = download_emnist("letters", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert server.ranges == [f"bytes={len(archive.payload)}-"] and server.bytes_sent == 0
    _assert_split_extracted(tmp_path, archive, "letters", returned)


def test_md5_mismatch_leaves_no_files(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    with pytest.raises(DownloadError, match=f"MD5 mismatch: expected {'0' * 32}, got {archive.md5}"):
        download_emnist("balanced", tmp_path, url=server.url, md5="0" * 32, progress=False, timeout=TIMEOUT)
    assert _files(tmp_path) == set()


def test_http_404(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    missing_url = server.url.replace("gzip.zip", "missing.zip")
    with pytest.raises(DownloadError, match=r"missing\.zip: HTTP 404") as caught:
        download_emnist("balanced", tmp_path, url=missing_url, progress=False, timeout=TIMEOUT)
    assert "\n" not in str(caught.value)
    assert _files(tmp_path) == set()


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match=rf"127\.0\.0\.1:{port}/gzip\.zip: cannot connect: .*refused"):
        download_emnist("digits", tmp_path, url=f"http://127.0.0.1:{port}/gzip.zip", progress=False, timeout=TIMEOUT)


def test_corrupt_zip(tmp_path: Path, serve) -> None:
    server = serve(b"this is not a zip archive" * 100)
    with pytest.raises(DownloadError, match="corrupt zip archive"):
        download_emnist("digits", tmp_path, url=server.url, md5=None, progress=False, timeout=TIMEOUT)
    assert _files(tmp_path) == set()


def test_split_missing_from_the_archive(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    with pytest.raises(DownloadError, match=r"no emnist-byclass-train-images-idx3-ubyte\.gz in the archive"):
        download_emnist("byclass", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert _files(tmp_path) == set()


def test_invalid_member_is_not_installed(tmp_path: Path, archive: Archive, serve) -> None:
    _, files = emnist_split_files("digits", seed=9)
    files["emnist-digits-test-labels-idx1-ubyte.gz"] = files["emnist-digits-test-labels-idx1-ubyte.gz"][:-12]
    payload = emnist_zip({"digits": files})
    server = serve(payload)
    with pytest.raises(DownloadError, match=r"gzip/emnist-digits-test-labels-idx1-ubyte\.gz in the archive is invalid"):
        download_emnist("digits", tmp_path, url=server.url, md5=None, progress=False, timeout=TIMEOUT)
    assert "emnist-digits-test-labels-idx1-ubyte.gz" not in _files(tmp_path)
    assert not [name for name in _files(tmp_path) if name.endswith(".tmp")]


def test_present_and_valid_files_are_not_downloaded_again(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    first = download_emnist("digits", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    again = download_emnist("digits", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert first == again and len(server.ranges) == 1


def test_damaged_files_are_fetched_again(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    download_emnist("digits", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    damaged = tmp_path / "emnist-digits-train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-500])
    download_emnist("digits", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert len(server.ranges) == 2
    assert damaged.read_bytes() == archive.members[damaged.name]


def test_keep_archive_and_reuse_it_for_another_split(tmp_path: Path, archive: Archive, serve) -> None:
    server = serve(archive.payload)
    download_emnist("balanced", tmp_path, url=server.url, md5=archive.md5, progress=False, keep_archive=True,
                    timeout=TIMEOUT)  # fmt: skip
    assert (tmp_path / "gzip.zip").read_bytes() == archive.payload
    returned = download_emnist("letters", tmp_path, url=server.url, md5=archive.md5, progress=False, timeout=TIMEOUT)
    assert len(server.ranges) == 1  # the kept archive served the second split
    _assert_split_extracted(tmp_path, archive, "letters", returned)
    assert not (tmp_path / "gzip.zip").exists()  # keep_archive was not given the second time


def test_unknown_split(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="unknown EMNIST split 'kanji'"):
        download_emnist("kanji", tmp_path, progress=False)
