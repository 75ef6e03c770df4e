"""The git index side of a fix: moves recorded as ``git mv`` records them, so history follows the files.

``git mv`` does two things: it renames the file, and it moves the file's index entry (mode, blob, stage) to the new
path, leaving any content change unstaged. The applier renames files itself (journaled, so a kill can be undone) and
then moves every affected index entry in one ``git update-index --index-info`` batch: the same index ``git mv`` would
leave, written by git itself, in one process instead of one per file. A removed duplicate loses its entry
(``git rm --cached``). Untracked files are only renamed.

The index file is backed up in the journal before the batch runs; rolling back restores it byte for byte.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

GIT_TIMEOUT = 120
GITLINK_MODE = "160000"


class GitError(Exception):
    """A git command failed (one line)."""


@dataclass(frozen=True)
class IndexEntry:
    mode: str
    oid: str
    stage: int


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, make git die with us: a git left running after ``odyssey`` is killed could write the index after
    recovery restored it."""
    if not sys.platform.startswith("linux"):
        return None

    def set_death_signal() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    return set_death_signal


def _git(args: Sequence[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, timeout=GIT_TIMEOUT,
            preexec_fn=_die_with_parent(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} failed: {exc}") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else completed.returncode}")
    return completed.stdout


@dataclass(frozen=True)
class GitIndex:
    """The git work tree holding a repository root; paths given to it are relative to that root."""

    toplevel: Path
    prefix: str  # the root relative to the top level: "" or "sub/dir/"
    index_path: Path

    @classmethod
    def detect(cls, root: Path) -> GitIndex | None:
        """The work tree of ``root``, or None when ``root`` is not inside one (or git is missing)."""
        try:
            out = subprocess.run(
                ["git", "rev-parse", "--show-toplevel", "--show-prefix", "--git-path", "index"],
                cwd=root, capture_output=True, timeout=GIT_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        lines = out.stdout.decode("utf-8", "surrogateescape").splitlines()
        if out.returncode != 0 or len(lines) < 3:
            return None
        return cls(Path(lines[0]), lines[1], (root / lines[2]).resolve())

    def entries(self, root: Path) -> dict[str, list[IndexEntry]]:
        """Index entries below ``root``, by root-relative path (several when the path is unmerged)."""
        out = _git(["ls-files", "--stage", "-z"], root)
        entries: dict[str, list[IndexEntry]] = {}
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            if not record:
                continue
            meta, _, path = record.partition("\t")
            mode, oid, stage = meta.split(" ")
            entries.setdefault(path, []).append(IndexEntry(mode, oid, int(stage)))
        return entries

    def move_entries(self, root: Path, entries: Mapping[str, list[IndexEntry]], moves: Mapping[str, str],
                     removals: Sequence[str]) -> None:
        """Move the index entries of ``moves`` (root-relative old -> new) and drop those of ``removals``."""
        records: list[str] = []
        for old, new in moves.items():
            for entry in entries.get(old, ()):
                records.append(f"0 {'0' * len(entry.oid)}\t{self.prefix}{old}")
                records.append(f"{entry.mode} {entry.oid} {entry.stage}\t{self.prefix}{new}")
        for path in removals:
            for entry in entries.get(path, ()):
                records.append(f"0 {'0' * len(entry.oid)}\t{self.prefix}{path}")
        if records:
            data = "".join(record + "\0" for record in records).encode("utf-8", "surrogateescape")
            _git(["update-index", "-z", "--index-info"], self.toplevel, stdin=data)

    @property
    def lock_path(self) -> Path:
        return self.index_path.with_name(self.index_path.name + ".lock")
