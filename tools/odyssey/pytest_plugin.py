"""A pytest plugin that fails the session when the tests changed the repository's working tree.

The real case: a test suite wrote "Content here." over twenty real documents, every run, and nobody noticed for
months. With this plugin the run that does it fails and names the files.

Opt in either way:

- ``pytest -p odyssey.pytest_plugin``;
- ``odyssey_guard_tree = true`` in the pytest configuration (``[tool.pytest.ini_options]``), which needs the entry
  point ``[project.entry-points.pytest11] "odyssey.pytest_plugin" = "odyssey.pytest_plugin"`` so that pytest loads
  the plugin in every run (it stays inert unless enabled). The entry point's *name* must be the module name:
  ``-p odyssey.pytest_plugin`` then loads that entry point instead of registering the module a second time under
  another name, which pytest refuses ("Plugin already registered under a different name").

At session start it records, with three git calls, the index (``git ls-files -s``), the working-tree status
(``git status --porcelain``, untracked files included, ignored files not), ``HEAD``, and a content hash of every file
that is already modified or untracked (so a test rewriting an already-edited file is caught too). At session end it
records the same again and reports every path that was created, modified, deleted or staged in between, and a moved
``HEAD``. A passing session then exits 1; a failing one keeps its status. Paths matching ``odyssey_guard_tree_ignore``
(gitignore-like globs; default: Python caches, ``.pytest_cache/``, ``.hypothesis/``, coverage data) are not
reported. Outside a git work tree, without git, and in xdist workers (the controller guards the whole session) the
plugin does nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from odyssey.globs import any_match

logger = logging.getLogger(__name__)

INI_ENABLE = "odyssey_guard_tree"
INI_IGNORE = "odyssey_guard_tree_ignore"
PLUGIN_NAME = "odyssey.pytest_plugin"  # the -p value, and the name of the pytest11 entry point
DEFAULT_IGNORE = ("__pycache__/", "*.pyc", ".pytest_cache/", ".hypothesis/", ".coverage", ".coverage.*")
GIT_TIMEOUT = 60
HASH_LIMIT = 64 * 1024 * 1024  # larger files are compared by size and modification time
MAX_LISTED = 30
GUARD_KEY = pytest.StashKey["TreeGuard"]()


def _git(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("git %s failed: %s", args[0], exc)
        return None
    return done.stdout if done.returncode == 0 else None


def git_root(start: Path) -> Path | None:
    found = _git(start, "rev-parse", "--show-toplevel")
    return Path(os.fsdecode(found.strip())) if found and found.strip() else None


def _signature(path: Path) -> str | None:
    """A content hash of a file (None when it does not exist); size and mtime for huge files."""
    try:
        info = path.stat()
        if not path.is_file():
            return f"not a file:{info.st_mode}"
        if info.st_size > HASH_LIMIT:
            return f"size:{info.st_size}:mtime:{info.st_mtime_ns}"
        digest = hashlib.sha1()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


@dataclass
class TreeState:
    """What git says about the working tree at one moment."""

    head: str | None
    index: dict[str, str]  # path -> "mode sha stage"
    status: dict[str, str]  # path -> porcelain XY code, for modified, deleted and untracked paths
    signatures: dict[str, str | None] = field(default_factory=dict)  # content of the paths in ``status``


def snapshot(root: Path) -> TreeState | None:
    """The state of the work tree at ``root``; None when git cannot tell."""
    index_raw = _git(root, "ls-files", "-s", "-z")
    status_raw = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    if index_raw is None or status_raw is None:
        return None
    head_raw = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    index: dict[str, str] = {}
    for entry in index_raw.split(b"\0"):
        if b"\t" in entry:
            meta, path = entry.split(b"\t", 1)
            index[os.fsdecode(path)] = meta.decode("ascii", "replace")
    status: dict[str, str] = {}
    for entry in status_raw.split(b"\0"):
        if len(entry) > 3:
            status[os.fsdecode(entry[3:])] = entry[:2].decode("ascii", "replace")
    state = TreeState(head_raw.strip().decode("ascii", "replace") if head_raw else None, index, status)
    state.signatures = {path: _signature(root / path) for path in status}
    return state


def compare(before: TreeState, after: TreeState) -> list[tuple[str, str]]:
    """(what happened, path) for every difference between two states, sorted by path."""
    changes: dict[str, str] = {}
    for path in set(before.status) | set(after.status):
        old, new = before.status.get(path), after.status.get(path)
        if old is None:  # clean before, dirty now
            changes[path] = "created" if new == "??" else "deleted" if "D" in (new or "") else "modified"
        elif new is None:  # dirty before, clean (or gone) now
            changes[path] = "deleted" if old == "??" else "restored to the committed version"
        elif before.signatures.get(path) != after.signatures.get(path):
            changes[path] = "deleted" if after.signatures.get(path) is None else "modified"
    for path in set(before.index) | set(after.index):
        if before.index.get(path) != after.index.get(path) and path not in changes:
            changes[path] = "staged" if path in after.index else "removed from the index"
    listed = sorted((path, what) for path, what in changes.items())
    if before.head != after.head:
        listed.insert(0, ("HEAD", f"moved from {before.head or 'nothing'} to {after.head or 'nothing'}"))
    return [(what, path) for path, what in listed]


class TreeGuard:
    """Snapshots the work tree at session start and compares at session end."""

    def __init__(self, root: Path, ignore: tuple[str, ...]) -> None:
        self.root = root
        self.ignore = ignore
        self.before: TreeState | None = None
        self.changes: list[tuple[str, str]] = []

    def start(self) -> bool:
        self.before = snapshot(self.root)
        return self.before is not None

    def finish(self) -> list[tuple[str, str]]:
        if self.before is None:
            return []
        after = snapshot(self.root)
        if after is None:
            return []
        self.changes = [(what, path) for what, path in compare(self.before, after)
                        if path == "HEAD" or not any_match(path, self.ignore)]
        return self.changes


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(INI_ENABLE, type="bool", default=False,
                  help="odyssey: fail the session when the tests change files of the git working tree")
    parser.addini(INI_IGNORE, type="linelist", default=list(DEFAULT_IGNORE),
                  help="odyssey: gitignore-like globs of paths the tree guard does not report")


def requested(config: pytest.Config) -> bool:
    """Was the plugin named with ``-p`` (command line, addopts or PYTEST_ADDOPTS), or enabled in the ini file?"""
    plugins = getattr(config.option, "plugins", None) or []
    return PLUGIN_NAME in plugins or bool(config.getini(INI_ENABLE))


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or not requested(config):
        return
    root = git_root(config.rootpath)
    if root is None:
        return
    guard = TreeGuard(root, tuple(config.getini(INI_IGNORE)))
    if guard.start():
        config.stash[GUARD_KEY] = guard


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    guard = session.config.stash.get(GUARD_KEY, None)
    if guard is None or not guard.finish():
        return
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    guard = terminalreporter.config.stash.get(GUARD_KEY, None)
    if guard is None or not guard.changes:
        return
    terminalreporter.section("odyssey: the tests changed the repository", sep="=", red=True, bold=True)
    for what, path in guard.changes[:MAX_LISTED]:
        terminalreporter.line(f"{what}: {path}")
    if len(guard.changes) > MAX_LISTED:
        terminalreporter.line(f"... and {len(guard.changes) - MAX_LISTED} more")
    terminalreporter.line(f"Tests must write to tmp_path, never into the working tree ({guard.root}).")
