"""Helpers shared by the odyssey tests: small repositories written from a dict, and findings run in-process."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (text is written as UTF-8 bytes exactly, no newline translation) below ``root``."""
    for path, content in files.items():
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


def make_repo(root: Path, files: Mapping[str, str | bytes]) -> Project:
    """The project of a repository holding ``files``."""
    return Project(write_tree(root, files))


def check_findings(project: Project, select: str) -> list[Finding]:
    """Findings of the rules ``select`` names on the whole repository; an internal error of a check fails the test."""
    result = run_checks(project, None, Selection(select=(select,)))
    assert result.errors == []
    return result.findings


def located(found: list[Finding]) -> list[str]:
    return [f"{f.path}:{f.line}:{f.column}: {f.code}" for f in found]
