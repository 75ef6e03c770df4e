"""Shared helpers of the fixer tests: writing trees, snapshots of every byte, git, planning in-process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from odyssey.findings import Finding, Fix
from odyssey.fix.plan import FixOptions, Plan, Planner, collect_findings
from odyssey.project import Project

from tests.odyssey.helpers import write_tree  # noqa: F401  (the fixer tests import it from here)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "2024-06-01T12:00:00+00:00", "GIT_COMMITTER_DATE": "2024-06-01T12:00:00+00:00",
}


def snapshot(root: Path, with_git_index: bool = True) -> dict[str, bytes]:
    """Every file below ``root`` (``.git`` skipped, but its index included) and every directory, as bytes."""
    found: dict[str, bytes] = {}
    for directory, subdirs, names in os.walk(root):
        relative = Path(directory).relative_to(root).as_posix()
        if relative == ".git" or relative.startswith(".git/"):
            subdirs[:] = []
            continue
        if relative != ".":
            found[relative + "/"] = b"<dir>"
        for name in names:
            path = Path(directory, name)
            key = (Path(relative) / name).as_posix() if relative != "." else name
            found[key] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    if with_git_index and (root / ".git" / "index").exists():
        found[".git/index"] = (root / ".git" / "index").read_bytes()
    return found


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def git_commit_all(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "tree")


def make_plan(root: Path, options: FixOptions | None = None, extra: Sequence[Finding] = (),
              select: Sequence[str] = ("ALL",)) -> Plan:
    """Plan a fix of ``root`` in-process, with ``extra`` findings added (e.g. duplicates)."""
    project = Project(root)
    findings, errors = collect_findings(project, select, ())
    assert errors == []
    return Planner(project, [*findings, *extra], options or FixOptions()).plan()


def duplicate_finding(path: str, canonical: str) -> Finding:
    """A finding as the duplicates family will report an exact duplicate (``Fix(kind="delete")``)."""
    return Finding(path, 1, 1, "DUP001", f"'{path}' is an exact duplicate of '{canonical}'", check="duplicates",
                   fix=Fix("delete", f"remove {path} (identical to {canonical})", destination=canonical))


def edited(plan: Plan, path: str) -> str:
    """The planned new text of ``path`` (today's path)."""
    for edit in plan.edits:
        if edit.path == path:
            return edit.updated.decode("utf-8")
    raise AssertionError(f"{path} is not edited by the plan; edited: {[e.path for e in plan.edits]}")
