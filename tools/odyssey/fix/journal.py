"""The journal that makes a fix all-or-nothing, and the rollback that undoes an interrupted one (``apply`` runs the
steps).

The journal is a directory at the repository root, ``.odyssey-fix-journal/``, written before the tree is touched:

- ``backups/<n>``: the original bytes of every file the fix rewrites or removes (and of the git index);
- ``journal.json``: the steps in order (write, mkdir, rename, delete, rmdir, index), each with what it expects to find
  (a SHA-256 of the bytes it replaces), written to a temporary name and renamed, so it exists completely or not at all;
- ``lock``: held (``flock``) by the applying process for its whole life, so a second ``odyssey`` run can tell a live
  fix from a dead one. A killed process releases it.

Then the steps run. Each step checks its precondition first (the file still has the planned bytes, a destination is
still free) and any failure rolls everything back. Every step's undo is idempotent and checks the disk rather than a
progress record (a rename is undone when its destination exists and its source does not; a rewritten file is restored
when it holds the fix's bytes, never when somebody else changed it meanwhile), so undoing *all* steps in reverse order
is correct wherever the process stopped, and is itself safe to interrupt and repeat. When every step is done,
``journal.json`` is rewritten with ``state: committed`` and the journal is removed, ``journal.json`` last: a journal
that says committed is only cleaned up, never rolled back.

``recover_interrupted_fix(root)`` is what every ``odyssey`` run calls first: when a journal is left (the process was
killed, the machine lost power after the journal reached the disk), it restores the tree byte for byte, including the
git index (restored from its backup once no git process holds ``index.lock``), and removes the journal.

Durability: a killed process needs no fsync (the kernel keeps what was written). ``journal.json`` is fsynced (file and
directory) when it is written and when it is marked committed; on file systems that write data before the metadata
that follows it (ext4's default ``data=ordered``, APFS) that also makes the backups written before it durable, so a
power loss during a fix is recovered too. Per-file fsyncs would make a 500-file fix take seconds longer on ordinary
disks for no gain against a kill.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from odyssey.fix.recovery import JOURNAL_DIR

try:  # POSIX; elsewhere a live fix is told from a dead one by nothing, and recovery assumes it is dead
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

JOURNAL_FILE = "journal.json"
JOURNAL_VERSION = 1
GIT_MARKER = "git-started"
INDEX_LOCK_WAIT = 10.0  # seconds to wait for a git process to release index.lock during recovery
_KNOWN_NAMES = {JOURNAL_FILE, JOURNAL_FILE + ".tmp", "lock", GIT_MARKER, "backups"}


class JournalError(Exception):
    """Applying or recovering failed; the message is one line and says what state the tree is in."""


class JournalBusy(JournalError):
    """Another live ``odyssey fix --apply`` holds the journal."""


@dataclass
class Step:
    """One change to the tree. ``digest``: SHA-256 of the bytes expected before (write, delete); ``backup``: the
    journal's copy of those bytes; ``target``: a rename's destination; ``mode``: the file's permission bits.

    A rewritten file is restored only when it holds the fix's bytes (or is missing): bytes somebody else wrote
    meanwhile are never overwritten by a rollback."""

    kind: str  # write | mkdir | rename | delete | rmdir | index
    path: str = ""
    target: str = ""
    backup: str = ""
    digest: str = ""
    new_digest: str = ""  # write: SHA-256 of the bytes the fix writes
    mode: int = 0


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def temporary_of(path: Path) -> Path:
    return path.with_name(f".{path.name}.odyssey-fix.tmp")


def write_atomically(path: Path, data: bytes, mode: int | None = None, ours: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename: the file is old or new, never
    half-written. ``ours``: a leftover temporary file is one an interrupted fix left (rolling back), else an error."""
    temporary = temporary_of(path)
    if os.path.lexists(temporary):
        if not ours:
            raise JournalError(f"{temporary} exists; odyssey fix will not overwrite it")
        os.unlink(temporary)
    with open(temporary, "wb") as handle:
        handle.write(data)
    if mode is not None:
        os.chmod(temporary, mode & 0o7777)
    os.replace(temporary, path)


def is_empty_dir(path: Path) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False



def fsync_directory(path: Path) -> None:
    """Make a directory's entries (renames, new files) durable; a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# -- the journal ----------------------------------------------------------------------------------------------------
class Journal:
    """The journal directory of one repository root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.directory = root / JOURNAL_DIR
        self.backups = self.directory / "backups"
        self._lock: IO[bytes] | None = None

    @property
    def file(self) -> Path:
        return self.directory / JOURNAL_FILE

    def exists(self) -> bool:
        return os.path.lexists(self.directory)

    def lock(self, create: bool) -> bool:
        """Take the journal's lock; False when a live process holds it."""
        lock_path = self.directory / "lock"
        if not create and not lock_path.exists():
            return True
        handle = open(lock_path, "ab")
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
        self._lock = handle
        return True

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def write(self, data: dict[str, Any]) -> None:
        temporary = self.directory / (JOURNAL_FILE + ".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.file)

    def read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise JournalError(f"the fix journal {self.file} cannot be read ({exc}); restore the tree by hand from "
                               f"{self.backups}") from None
        if not isinstance(data, dict) or data.get("version") != JOURNAL_VERSION:
            raise JournalError(f"the fix journal {self.file} was written by another odyssey version; restore the "
                               f"tree by hand from {self.backups}")
        return data

    def remove(self) -> None:
        """Delete the journal: backups first, ``journal.json`` last (a half-removed journal still says what it is)."""
        if self.backups.is_dir():
            for entry in os.scandir(self.backups):
                os.unlink(entry.path)
            os.rmdir(self.backups)
        for name in (JOURNAL_FILE + ".tmp", GIT_MARKER, JOURNAL_FILE):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.directory / name)
        self.release()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.directory / "lock")
        leftovers = [name for name in os.listdir(self.directory) if name not in _KNOWN_NAMES]
        if leftovers:
            logger.warning("%s holds files odyssey did not write (%s); left in place", self.directory,
                           ", ".join(sorted(leftovers)))
            return
        os.rmdir(self.directory)


def one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- rolling back ---------------------------------------------------------------------------------------------------
def _wait_for_index_lock(lock: Path) -> None:
    deadline = time.monotonic() + INDEX_LOCK_WAIT
    while lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if lock.exists():
        os.unlink(lock)  # left by the git update-index the interrupted fix started (it died with it)


def _restore_index(journal: Journal, git: dict[str, Any]) -> None:
    """Put the git index back as it was, if the fix's ``git update-index`` ever started."""
    if not (journal.directory / GIT_MARKER).exists():
        return  # the index was never touched
    index = journal.root / git["index"]  # relative to the root, or absolute (a worktree's index)
    _wait_for_index_lock(journal.root / git["lock"])
    if git.get("backup"):
        data = (journal.backups / git["backup"]).read_bytes()
        if read_or_none(index) != data:
            write_atomically(index, data, ours=True)
    elif index.exists():
        os.unlink(index)  # there was no index before the fix


def _undo(root: Path, journal: Journal, step: Step) -> None:
    full = root / step.path
    if step.kind == "write":
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary_of(full))
        current = read_or_none(full)
        if current is None or digest(current) == step.new_digest:
            write_atomically(full, (journal.backups / step.backup).read_bytes(), step.mode, ours=True)
        elif digest(current) != step.digest:
            logger.warning("%s was changed by something else during the fix; left as it is (the original is in "
                           "%s)", step.path, journal.backups / step.backup)
    elif step.kind == "mkdir":
        if full.is_dir() and not full.is_symlink() and is_empty_dir(full):
            os.rmdir(full)
    elif step.kind == "rename":
        target = root / step.target
        if os.path.lexists(target) and not os.path.lexists(full):
            os.rename(target, full)
    elif step.kind == "delete":
        if not os.path.lexists(full):
            write_atomically(full, (journal.backups / step.backup).read_bytes(), step.mode, ours=True)
    elif step.kind == "rmdir":
        if not os.path.lexists(full):
            os.makedirs(full)
            os.chmod(full, step.mode & 0o7777)


def rollback(root: Path, journal: Journal, steps: list[Step], git: dict[str, Any] | None) -> None:
    """Undo every step, last first (each undo is idempotent), then check every file is back."""
    try:
        for step in reversed(steps):
            if step.kind == "index":
                if git is not None:
                    _restore_index(journal, git)
            else:
                _undo(root, journal, step)
        for step in steps:
            current = read_or_none(root / step.path) if step.kind in ("write", "delete") else b""
            if current is None or (step.kind == "write" and digest(current) == step.new_digest):
                raise JournalError(f"{step.path} could not be restored")

    except OSError as exc:
        raise JournalError(f"{one_line(exc)}; the journal is kept in {journal.directory} (run odyssey again to "
                           "retry)") from None
    except JournalError as exc:
        raise JournalError(f"{exc}; the journal is kept in {journal.directory} (run odyssey again to retry)") from None


def recover_interrupted_fix(root: Path) -> str | None:
    """Finish what an interrupted ``odyssey fix --apply`` left: roll its changes back (or, when it had committed,
    remove its journal). Returns a one-line notice for stderr, or None when there was nothing to do.

    Raises ``JournalBusy`` when a live fix holds the journal and ``JournalError`` when the tree cannot be restored.
    """
    journal = Journal(Path(root).resolve())
    if not journal.exists():
        return None
    if not journal.directory.is_dir() or journal.directory.is_symlink():
        raise JournalError(f"{journal.directory} is not a directory odyssey wrote; remove it by hand")
    if not journal.lock(create=False):
        raise JournalBusy(f"an odyssey fix is being applied in {journal.root} by another process; try again when it "
                          "is done")
    try:
        data = journal.read()
        if data is None:
            journal.remove()  # the fix was killed while writing its journal: nothing in the tree had changed
            return "removed the journal of a fix that was interrupted before it changed anything"
        if data.get("state") == "committed":
            journal.remove()
            return None
        steps = [Step(**step) for step in data.get("steps", [])]
        rollback(journal.root, journal, steps, data.get("git"))
        journal.remove()
        return (f"an interrupted `odyssey fix --apply` (process {data.get('pid')}) was rolled back: the tree and the "
                "git index are as they were before it")
    finally:
        journal.release()
