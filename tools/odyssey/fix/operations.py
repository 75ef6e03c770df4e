"""What a fix can do, taken from the findings: moves and renames, duplicate removals, link replacements.

``collect_operations`` turns findings into candidate operations and says, for every finding it does not take, why
(``Skip``): no fix (ambiguous), an unsafe fix without ``--unsafe``, a duplicate without ``--dedupe``, a destination
already taken on disk, a symlink, a path that leads outside the repository. What survives here may still be dropped by
the planner when a link to it cannot be rewritten exactly.

``PathMap`` says where every path ends up. Moves are given in the coordinates of the tree as it is (a file renamed
inside a directory that is renamed too keeps its old directory name in its destination); directory renames are applied
after file moves, deepest first, each as a prefix substitution, which is also the order the applier uses on disk. A
removed duplicate ends up where its canonical copy ends up.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from odyssey.findings import Finding
from odyssey.project import Project

logger = logging.getLogger(__name__)

# An operation's identity, used to drop it (and explain why) when something it needs cannot be done.
OpKey = tuple[str, ...]


@dataclass(frozen=True)
class Move:
    """Move (or rename) the file or directory ``source`` to ``destination`` (both in today's tree)."""

    source: str
    destination: str
    is_dir: bool
    code: str

    @property
    def key(self) -> OpKey:
        return ("move", self.source)

    @property
    def is_rename(self) -> bool:
        return posixpath.dirname(self.source) == posixpath.dirname(self.destination)


@dataclass(frozen=True)
class Deletion:
    """Remove ``path``, an exact duplicate of ``canonical``; links to it are pointed at the canonical copy."""

    path: str
    canonical: str
    code: str

    @property
    def key(self) -> OpKey:
        return ("delete", self.path)


@dataclass(frozen=True)
class LinkFix:
    """Replace the link at ``path:line:column`` (written ``old``) with ``new`` (LNK: a path; ANC: a target whose
    fragment changed)."""

    path: str
    line: int
    column: int
    code: str
    old: str
    new: str

    @property
    def key(self) -> OpKey:
        return ("fix", self.path, str(self.line), str(self.column))


@dataclass(frozen=True, order=True)
class Skip:
    """A finding (or planned operation) left alone, and why."""

    path: str
    line: int
    column: int
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.reason}"


@dataclass
class Operations:
    moves: dict[str, Move] = field(default_factory=dict)  # by source
    deletions: dict[str, Deletion] = field(default_factory=dict)  # by path
    fixes: dict[tuple[str, int, int], LinkFix] = field(default_factory=dict)  # by (path, line, column)
    skipped: list[Skip] = field(default_factory=list)

    def skip(self, finding: Finding, reason: str) -> None:
        self.skipped.append(Skip(finding.path, finding.line, finding.column, finding.code, reason))


def _inside(root: Path, path: Path) -> bool:
    """Does ``path`` (symlinks resolved) lie inside ``root``?"""
    return Path(os.path.realpath(path)).is_relative_to(root)


def _clean(path: str | None) -> str | None:
    """A repository-relative POSIX path, normalized; None when it is absolute or leaves the repository."""
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return None
    normalized = posixpath.normpath(path)
    if normalized in (".", "..") or normalized.startswith("../"):
        return None
    return normalized


def _ambiguity(finding: Finding) -> str:
    """Why a finding without a fix was left alone."""
    if finding.code == "LNK001":
        return f"no unambiguous repair, fix it by hand: {finding.message}"
    return f"no unambiguous fix, left for a human: {finding.message}"


def collect_operations(project: Project, findings: Sequence[Finding], unsafe: bool, dedupe: bool) -> Operations:
    """Candidate operations from ``findings`` (checked against the file index and the disk)."""
    ops = Operations()
    files = project.files
    root = project.root
    for finding in sorted(findings):
        fix = finding.fix
        if fix is None:
            ops.skip(finding, _ambiguity(finding))
            continue
        if fix.kind == "delete" and not dedupe:
            ops.skip(finding, f"duplicate of {fix.destination}; removed only with --dedupe")
            continue
        if fix.kind != "delete" and not fix.safe and not unsafe:  # --dedupe is the opt-in of removals
            ops.skip(finding, f"unsafe fix ({fix.description}); applied only with --unsafe")
            continue
        if fix.kind == "move":
            destination = _clean(fix.destination)
            reason = _move_problem(project, finding.path, destination)
            if reason is not None:
                ops.skip(finding, reason)
            elif finding.path in ops.moves:
                ops.skip(finding, f"{finding.path} is already moved by another finding")
            else:
                assert destination is not None
                ops.moves[finding.path] = Move(finding.path, destination, finding.path in files.dirs, finding.code)
        elif fix.kind == "replace-link" and fix.old is not None and fix.new is not None:
            key = (finding.path, finding.line, finding.column)
            if key in ops.fixes:
                ops.skip(finding, "another fix already replaces this link")
            else:
                ops.fixes[key] = LinkFix(finding.path, finding.line, finding.column, finding.code, fix.old, fix.new)
        elif fix.kind == "delete":
            if finding.path in ops.deletions:
                continue  # reported twice (two duplicate families, or two rules): one removal
            canonical = _clean(fix.destination)
            reason = _deletion_problem(root, project, finding.path, canonical)
            if reason is not None:
                ops.skip(finding, reason)
            else:
                assert canonical is not None
                ops.deletions[finding.path] = Deletion(finding.path, canonical, finding.code)
        else:
            ops.skip(finding, f"the fix ({fix.kind}) is not one odyssey fix applies")
    _resolve_conflicts(project, ops)
    return ops


def _move_problem(project: Project, source: str, destination: str | None) -> str | None:
    """Why ``source`` cannot move to ``destination`` (None when it can)."""
    files = project.files
    root = project.root
    if destination is None:
        return "the suggested destination is not a path inside the repository"
    if destination == source:
        return "the suggested destination is where it already is"
    if not files.exists(source) or not os.path.lexists(root / source):
        return f"{source} is not in the repository's file index or not on disk"
    if os.path.islink(root / source):
        return f"{source} is a symlink; move it by hand"
    if not _inside(root, root / source):
        return f"{source} leads outside the repository"
    same_entry = destination.lower() == source.lower()
    if files.exists(destination) and not same_entry:
        return f"{destination} already exists"
    if os.path.lexists(root / destination) and not same_entry:
        return f"{destination} already exists on disk (an ignored or untracked file?)"
    # Every existing ancestor of the destination must be a real directory inside the repository.
    parent = posixpath.dirname(destination)
    while parent:
        full = root / parent
        if os.path.lexists(full):
            if os.path.islink(full) or not full.is_dir():
                return f"{parent} is not a directory (or is a symlink); cannot move into it"
            if not _inside(root, full):
                return f"{parent} leads outside the repository"
            break
        parent = posixpath.dirname(parent)
    if project.mkdocs is not None and source in files.dirs:
        docs_dir = project.docs_dir
        if docs_dir == source or docs_dir.startswith(source + "/"):
            return f"renaming {source} would move the mkdocs docs_dir; rename it by hand and edit {project.mkdocs.path}"
    return None


def _deletion_problem(root: Path, project: Project, path: str, canonical: str | None) -> str | None:
    files = project.files
    if canonical is None:
        return "the finding names no canonical copy to point the links at (its fix has no destination)"
    if not files.is_file(canonical):
        return "the canonical copy named by the finding is not a file of the repository"
    if canonical == path:
        return "the canonical copy is the file itself"
    if not files.is_file(path) or os.path.islink(root / path) or os.path.islink(root / canonical):
        return f"{path} or {canonical} is not a regular file (a symlink?); not removed"
    try:
        same = (root / path).read_bytes() == (root / canonical).read_bytes()
    except OSError as exc:
        return f"cannot read {path} or {canonical}: {exc.strerror or exc}"
    if not same:
        return f"{path} is not byte-identical to {canonical}; not removed"
    return None


def _resolve_conflicts(project: Project, ops: Operations) -> None:
    """Operations that cannot all happen: a removed file is not also moved; a canonical copy is not removed; no two
    destinations are the same path (letter case ignored)."""
    for path, deletion in list(ops.deletions.items()):
        if deletion.canonical in ops.deletions:
            del ops.deletions[path]
            ops.skipped.append(Skip(path, 1, 1, deletion.code,
                                    f"its canonical copy {deletion.canonical} is itself a duplicate to remove"))
    for source, move in list(ops.moves.items()):
        if source in ops.deletions:
            del ops.moves[source]
            ops.skipped.append(Skip(source, 1, 1, move.code, "removed as a duplicate instead of moved"))
    taken: dict[str, str] = {}
    for source, move in sorted(ops.moves.items()):
        lowered = move.destination.lower()
        if lowered in taken:
            del ops.moves[source]
            ops.skipped.append(Skip(source, 1, 1, move.code, f"{move.destination} is also the destination of "
                                                             f"{taken[lowered]}"))
        else:
            taken[lowered] = source


class PathMap:
    """Where each path ends up once the moves, renames and removals are done."""

    def __init__(self, moves: Iterable[Move], deletions: Iterable[Deletion]) -> None:
        moves = list(moves)
        self.file_moves = {m.source: m.destination for m in moves if not m.is_dir}
        # Deepest first: an inner directory is renamed while its parent still has the old name.
        self.dir_renames = sorted(((m.source, m.destination) for m in moves if m.is_dir),
                                  key=lambda pair: (-pair[0].count("/"), pair[0]))
        self.deleted = {d.path: d.canonical for d in deletions}

    def final(self, path: str) -> str:
        """The path ``path`` (file, directory, or a missing path) has after the fix."""
        path = self.deleted.get(path, path)
        path = self.file_moves.get(path, path)
        for old, new in self.dir_renames:
            if path == old or path.startswith(old + "/"):
                path = new + path[len(old):]
        return path

    def changes(self, path: str) -> bool:
        return path in self.deleted or self.final(path) != path

    def ops_for(self, path: str) -> set[OpKey]:
        """The operations that change where ``path`` ends up."""
        keys: set[OpKey] = set()
        if path in self.deleted:
            keys.add(("delete", path))
            path = self.deleted[path]
        if path in self.file_moves:
            keys.add(("move", path))
            path = self.file_moves[path]
        for old, new in self.dir_renames:
            if path == old or path.startswith(old + "/"):
                keys.add(("move", old))
                path = new + path[len(old):]
        return keys
