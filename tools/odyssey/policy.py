"""Which findings a run keeps: select/ignore, per-file ignores, and inline ``<!-- odyssey: ignore CODE -->``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from odyssey.discovery import is_markdown
from odyssey.findings import Finding
from odyssey.globs import glob_match
from odyssey.project import Project
from odyssey.rules import matches_selector


@dataclass(frozen=True)
class Selection:
    """Rule selectors, ruff-style: the most specific matching selector wins; ignore wins a tie."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()

    def enabled(self, code: str) -> bool:
        selected = [len(s) for s in self.select if matches_selector(code, s) and s != "ALL"]
        ignored = [len(s) for s in self.ignore if matches_selector(code, s) and s != "ALL"]
        best_select = max(selected, default=0 if "ALL" in self.select else -1)
        best_ignore = max(ignored, default=0 if "ALL" in self.ignore else -1)
        return best_select >= 0 and best_select > best_ignore


def _codes_match(code: str, selectors: Iterable[str]) -> bool:
    return any(matches_selector(code, selector) for selector in selectors)


def suppressed(finding: Finding, project: Project) -> bool:
    """An inline suppression comment in the finding's own document covers it."""
    if not is_markdown(finding.path) or not project.files.is_file(finding.path):
        return False
    document = project.document(finding.path)
    file_codes = document.file_suppressions
    if file_codes is None or _codes_match(finding.code, file_codes):
        return True
    if finding.line in document.suppressions:
        codes = document.suppressions[finding.line]
        return codes is None or _codes_match(finding.code, codes)
    return False


def apply_policy(findings: Sequence[Finding], project: Project, selection: Selection) -> list[Finding]:
    per_file = project.config.per_file_ignores
    kept = []
    for finding in findings:
        if not selection.enabled(finding.code):
            continue
        if any(glob_match(finding.path, glob) and _codes_match(finding.code, codes) for glob, codes in per_file):
            continue
        if suppressed(finding, project):
            continue
        kept.append(finding)
    return sorted(set(kept))
