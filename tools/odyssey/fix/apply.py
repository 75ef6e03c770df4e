"""Applying a plan: the steps, in order, journaled so that the whole fix happens or none of it does.

``build_steps`` turns a plan into steps: rewritten files first (in place, each through a temporary file and a rename),
then the directories the moves need, file moves (a case-only rename goes through a free temporary name), directory
renames (deepest first), removals, the directories the moves emptied, and the git index last (``git mv``
semantics, see ``gitindex``). ``Applier`` writes the journal (``journal``), runs the steps, checks every rewritten file
holds the planned bytes, and commits; any failure, ``KeyboardInterrupt`` included, undoes every step.

For tests, ``ODYSSEY_FIX_PAUSE_AFTER_STEP=N`` makes the applier print ``odyssey fix: paused after step N`` on stderr
and sleep (``ODYSSEY_FIX_PAUSE_SECONDS``, default 60) once step N is done (0: right after the journal is written), so a
test can kill it there.
"""

from __future__ import annotations

import logging
import os
import posixpath
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from odyssey.fix.gitindex import GITLINK_MODE, GitError, GitIndex, IndexEntry
from odyssey.fix.journal import (
    GIT_MARKER,
    JOURNAL_VERSION,
    Journal,
    JournalError,
    Step,
    digest,
    fsync_directory,
    is_empty_dir,
    one_line,
    read_or_none,
    rollback,
    temporary_of,
    write_atomically,
)
from odyssey.fix.operations import PathMap
from odyssey.fix.plan import Plan

logger = logging.getLogger(__name__)

PAUSE_ENV = "ODYSSEY_FIX_PAUSE_AFTER_STEP"
PAUSE_SECONDS_ENV = "ODYSSEY_FIX_PAUSE_SECONDS"


@dataclass
class ApplyReport:
    steps: int = 0
    moved: int = 0
    written: int = 0
    removed: int = 0
    index_entries: int = 0


def _missing_parents(root: Path, path: str, planned: set[str]) -> list[str]:
    """Directories to create (shallowest first) so that ``path``'s parent exists."""
    missing: list[str] = []
    parent = posixpath.dirname(path)
    while parent and parent not in planned and not os.path.lexists(root / parent):
        missing.append(parent)
        parent = posixpath.dirname(parent)
    return list(reversed(missing))


def build_steps(root: Path, plan: Plan, tracked: bool) -> list[Step]:
    """The plan as an ordered list of steps: edits in place, directories, file moves, directory renames (deepest
    first), removals, emptied directories, and the git index last."""
    steps: list[Step] = []
    backup = 0
    for edit in plan.edits:
        backup += 1
        mode = os.stat(root / edit.path).st_mode
        steps.append(Step("write", edit.path, backup=str(backup), digest=digest(edit.original),
                          new_digest=digest(edit.updated), mode=mode))
    paths = PathMap(plan.moves, plan.deletions)
    created: set[str] = set()
    file_moves = [m for m in plan.moves if not m.is_dir]
    for move in file_moves:
        for directory in _missing_parents(root, move.destination, created):
            created.add(directory)
            steps.append(Step("mkdir", directory))
        if move.source.lower() == move.destination.lower():  # case-only: through a free name (case-insensitive FS)
            temporary = posixpath.join(posixpath.dirname(move.source), f".odyssey-fix-rename-{len(steps)}.tmp")
            steps.append(Step("rename", move.source, temporary))
            steps.append(Step("rename", temporary, move.destination))
        else:
            steps.append(Step("rename", move.source, move.destination))
    for old, new in paths.dir_renames:
        for directory in _missing_parents(root, new, created):
            created.add(directory)
            steps.append(Step("mkdir", directory))
        if old.lower() == new.lower():
            temporary = posixpath.join(posixpath.dirname(old), f".odyssey-fix-rename-{len(steps)}.tmp")
            steps.append(Step("rename", old, temporary))
            steps.append(Step("rename", temporary, new))
        else:
            steps.append(Step("rename", old, new))
    for deletion in plan.deletions:
        backup += 1
        data = (root / deletion.path).read_bytes()
        mode = os.stat(root / deletion.path).st_mode
        steps.append(Step("delete", deletion.path, backup=str(backup), digest=digest(data), mode=mode))
    renamed_dirs = [old for old, _new in paths.dir_renames]
    emptied: set[str] = set()
    for source in [m.source for m in file_moves] + [d.path for d in plan.deletions]:
        parent = posixpath.dirname(source)
        while parent and not any(parent == d or parent.startswith(d + "/") for d in renamed_dirs):
            emptied.add(parent)
            parent = posixpath.dirname(parent)
    for directory in sorted(emptied, key=lambda d: (-d.count("/"), d)):
        steps.append(Step("rmdir", directory, mode=os.stat(root / directory).st_mode))
    if tracked:
        steps.append(Step("index"))
    return steps


def _pause_after(step: int) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if wanted is None or not wanted.strip().isdigit() or int(wanted) != step:
        return
    print(f"odyssey fix: paused after step {step}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "60")))


class Applier:
    """Applies one plan to ``root``: journal, steps, commit; any failure rolls back."""

    def __init__(self, root: Path, plan: Plan, git: GitIndex | None) -> None:
        self.root = root
        self.plan = plan
        self.git = git
        self.journal = Journal(root)
        self.new_bytes = {edit.path: edit.updated for edit in plan.edits}
        self.entries: dict[str, list[IndexEntry]] = {}

    def apply(self) -> ApplyReport:
        if self.journal.exists():
            raise JournalError(f"{self.journal.directory} exists: another fix is in progress or was interrupted; "
                               "run odyssey again to recover it")
        index_moves, index_removals = self._index_changes()
        try:
            steps = build_steps(self.root, self.plan, tracked=bool(index_moves or index_removals))
        except OSError as exc:
            raise JournalError(f"{one_line(exc)}: the tree changed since the fix was planned; nothing was "
                               "changed") from None
        self._create_journal(steps)
        report = ApplyReport(steps=len(steps))
        try:
            _pause_after(0)
            for number, step in enumerate(steps, start=1):
                self._run(step, index_moves, index_removals, report)
                _pause_after(number)
            self._check_result()
        except BaseException as exc:  # KeyboardInterrupt too: never leave half a fix behind
            try:
                rollback(self.root, self.journal, steps, self._git_record())
            except JournalError as undo_error:
                raise JournalError(f"{one_line(exc)}; and rolling back failed: {undo_error}") from None
            self.journal.remove()
            if isinstance(exc, (JournalError, OSError, GitError)):
                raise JournalError(f"{one_line(exc)}; nothing was changed (all steps rolled back)") from None
            raise
        data = self._journal_data(steps)
        data["state"] = "committed"
        self.journal.write(data)
        self.journal.remove()
        return report

    # -- git ----------------------------------------------------------------------------------------------------
    def _index_changes(self) -> tuple[dict[str, str], list[str]]:
        """Index entries to move (root-relative old -> new) and to drop, read now from ``git ls-files``."""
        if self.git is None:
            return {}, []
        self.entries = self.git.entries(self.root)
        moves: dict[str, str] = {}
        for path, new in self.plan.mapping.items():
            if path in self.entries:
                moves[path] = new
        removals = [d.path for d in self.plan.deletions if d.path in self.entries]
        touched = list(moves) + removals
        unmerged = [p for p in touched if any(e.stage != 0 for e in self.entries[p])]
        if unmerged:
            raise JournalError(f"{unmerged[0]} has unresolved merge conflicts; resolve them before odyssey fix --apply")
        submodules = [p for p in touched if any(e.mode == GITLINK_MODE for e in self.entries[p])]
        if submodules:
            raise JournalError(f"{submodules[0]} is a git submodule; odyssey fix does not move submodules")
        return moves, removals

    def _git_record(self) -> dict[str, Any] | None:
        if self.git is None:
            return None
        # Paths inside the repository are kept relative: a repository moved before recovery still finds its index.
        return {"index": _portable(self.root, self.git.index_path), "lock": _portable(self.root, self.git.lock_path),
                "backup": "index" if (self.journal.backups / "index").exists() else None}

    # -- journal ------------------------------------------------------------------------------------------------
    def _journal_data(self, steps: list[Step]) -> dict[str, Any]:
        return {
            "version": JOURNAL_VERSION,
            "root": str(self.root),
            "pid": os.getpid(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "state": "applying",
            "steps": [asdict(step) for step in steps],
            "git": self._git_record(),
        }

    def _create_journal(self, steps: list[Step]) -> None:
        journal = self.journal
        try:
            os.mkdir(journal.directory)
        except FileExistsError:
            raise JournalError(f"{journal.directory} exists; run odyssey again to recover it") from None
        except OSError as exc:
            raise JournalError(f"cannot create the fix journal {journal.directory}: {exc.strerror or exc}") from None
        try:
            if not journal.lock(create=True):
                raise JournalError(f"{journal.directory} is locked by another odyssey process")
            os.mkdir(journal.backups)
            for step in steps:
                if not step.backup:
                    continue
                full = self.root / step.path
                if os.path.lexists(temporary_of(full)):
                    raise JournalError(f"{temporary_of(full)} exists; odyssey fix will not overwrite it")
                data = read_or_none(full)
                if data is None or digest(data) != step.digest or full.is_symlink():
                    raise JournalError(f"{step.path} changed since the fix was planned; run odyssey fix again")
                (journal.backups / step.backup).write_bytes(data)
            if any(step.kind == "index" for step in steps):
                assert self.git is not None
                index = read_or_none(self.git.index_path)
                if index is not None:
                    (journal.backups / "index").write_bytes(index)
            fsync_directory(journal.backups)
            journal.write(self._journal_data(steps))
            fsync_directory(journal.directory)
        except BaseException as exc:
            # Nothing in the tree was touched yet: the journal is simply removed.
            journal.remove()
            if isinstance(exc, OSError):
                raise JournalError(f"cannot write the fix journal: {exc.strerror or exc}") from None
            raise

    # -- steps --------------------------------------------------------------------------------------------------
    def _inside(self, path: str) -> Path:
        """The full path of ``path``, refused unless its directory resolves inside the repository."""
        full = self.root / path
        if not Path(os.path.realpath(full.parent)).is_relative_to(self.root):
            raise JournalError(f"{path} leads outside the repository; not touched")
        return full

    def _run(self, step: Step, index_moves: dict[str, str], index_removals: list[str], report: ApplyReport) -> None:
        kind = step.kind
        if kind == "write":
            full = self._inside(step.path)
            current = read_or_none(full)
            if current is None or digest(current) != step.digest or full.is_symlink():
                raise JournalError(f"{step.path} changed since the fix was planned")
            write_atomically(full, self.new_bytes[step.path], step.mode)
            report.written += 1
        elif kind == "mkdir":
            full = self._inside(step.path)
            if os.path.lexists(full):
                raise JournalError(f"{step.path} appeared since the fix was planned")
            os.mkdir(full)
        elif kind == "rename":
            source, target = self._inside(step.path), self._inside(step.target)
            if not os.path.lexists(source):
                raise JournalError(f"{step.path} disappeared since the fix was planned")
            if os.path.lexists(target) and not _same_entry(source, target):
                raise JournalError(f"{step.target} appeared since the fix was planned")
            os.rename(source, target)
            if not step.target.rsplit("/", 1)[-1].startswith(".odyssey-fix-rename-"):
                report.moved += 1
        elif kind == "delete":
            full = self._inside(step.path)
            current = read_or_none(full)
            if current is None or digest(current) != step.digest:
                raise JournalError(f"{step.path} changed since the fix was planned")
            os.unlink(full)
            report.removed += 1
        elif kind == "rmdir":
            full = self._inside(step.path)
            if full.is_dir() and not full.is_symlink() and is_empty_dir(full):
                os.rmdir(full)
        elif kind == "index":
            assert self.git is not None
            (self.journal.directory / GIT_MARKER).touch()
            self.git.move_entries(self.root, self.entries, index_moves, index_removals)
            report.index_entries = len(index_moves) + len(index_removals)

    def _check_result(self) -> None:
        """Every rewritten file holds exactly the planned bytes at its final path."""
        for edit in self.plan.edits:
            final = self.plan.mapping.get(edit.path, edit.path)
            if read_or_none(self.root / final) != edit.updated:
                raise JournalError(f"{final} does not hold the planned bytes after the fix")


def _portable(root: Path, path: Path) -> str:
    return os.path.relpath(path, root) if path.is_relative_to(root) else str(path)


def _same_entry(source: Path, target: Path) -> bool:
    """A case-only rename on a case-insensitive file system: the "existing" target is the source itself."""
    try:
        return os.path.samefile(source, target)
    except OSError:
        return False
