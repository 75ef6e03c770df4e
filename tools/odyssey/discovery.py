"""Which files make up the repository: git-aware (tracked + untracked-not-ignored), minus configured excludes.

Outside a git work tree every file below the root is taken, skipping the usual environment and cache directories.
Symlinks are listed but never followed into directories, so a symlink loop cannot hang discovery.
"""

from __future__ import annotations

import functools
import logging
import os
import posixpath
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from odyssey.globs import any_match

logger = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = (".md", ".markdown")
NON_GIT_SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", ".hypothesis", "site", "build", "dist", ".eggs"}
)


def is_markdown(path: str) -> bool:
    return path.lower().endswith(MARKDOWN_SUFFIXES)


@dataclass(frozen=True)
class FileIndex:
    """Every repository file as a POSIX path relative to the root, and the directories that hold them."""

    root: Path
    files: frozenset[str]
    dirs: frozenset[str] = field(init=False)
    markdown: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        dirs: set[str] = set()
        for path in self.files:
            parent = posixpath.dirname(path)
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        object.__setattr__(self, "dirs", frozenset(dirs))
        object.__setattr__(self, "markdown", tuple(sorted(p for p in self.files if is_markdown(p))))

    def exists(self, path: str) -> bool:
        """Is ``path`` (normalized, relative) a file or directory of the repository? ``""`` is the root."""
        return path == "" or path in self.files or path in self.dirs

    def is_file(self, path: str) -> bool:
        return path in self.files

    @functools.cached_property
    def by_name(self) -> dict[str, tuple[str, ...]]:
        """File name -> every path with that name (for "the target exists at one other path" hints)."""
        names: dict[str, list[str]] = defaultdict(list)
        for path in self.files:
            names[posixpath.basename(path)].append(path)
        return {name: tuple(sorted(paths)) for name, paths in names.items()}

    @functools.cached_property
    def by_lower_path(self) -> dict[str, tuple[str, ...]]:
        """Lower-cased path -> the paths that differ from it only in letter case."""
        paths: dict[str, list[str]] = defaultdict(list)
        for path in self.files | self.dirs:
            paths[path.lower()].append(path)
        return {key: tuple(sorted(value)) for key, value in paths.items()}


def _git_files(root: Path) -> list[str] | None:
    """Tracked and untracked-not-ignored files, or None when ``root`` is not inside a git work tree."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, check=True, timeout=60,
        ).stdout
        deleted = subprocess.run(
            ["git", "ls-files", "-z", "--deleted"], cwd=root, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    gone = set(deleted.decode("utf-8", "surrogateescape").split("\0"))
    names = listed.decode("utf-8", "surrogateescape").split("\0")
    return [name for name in dict.fromkeys(names) if name and name not in gone]


def _walk_files(root: Path) -> list[str]:
    """Regular files and symlinks below ``root``, as git would list them.

    FIFOs, sockets and device nodes are left out (git ignores them too): opening a FIFO named ``x.md`` blocks forever.
    Symlinks are listed, never descended into, so a symlink loop cannot hang the walk.
    """
    found: list[str] = []
    pending = [(os.fspath(root), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:  # unreadable directory: what git would do too, skip it
            logger.debug("cannot list %s: %s", directory, exc)
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in NON_GIT_SKIP_DIRS:
                        pending.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_symlink() or entry.is_file(follow_symlinks=False):
                    found.append(f"{prefix}{entry.name}")
            except OSError as exc:
                logger.debug("cannot stat %s: %s", entry.path, exc)
    return found


def discover(root: Path, exclude: tuple[str, ...] = ()) -> FileIndex:
    """List the repository's files, honouring .gitignore (inside git) and the configured ``exclude`` globs."""
    files = _git_files(root)
    if files is None:
        logger.debug("%s is not a git work tree; walking the directory", root)
        files = _walk_files(root)
    kept = frozenset(path for path in files if not any_match(path, exclude))
    return FileIndex(root=root, files=kept)
