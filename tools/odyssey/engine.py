"""Run the checks: targets -> documents (parsed once) -> checks -> policy -> findings.

A check that crashes is reported as one line naming the check and the file; the run goes on with the other checks and
ends with exit status 2.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from odyssey.checks import all_checks
from odyssey.checks.base import Check, DocumentCheck, ProjectCheck
from odyssey.discovery import is_markdown
from odyssey.findings import Finding
from odyssey.policy import Selection, apply_policy
from odyssey.project import Project

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    findings: list[Finding]
    errors: list[str] = field(default_factory=list)
    files_checked: int = 0
    whole_repository: bool = True


def enabled_checks(project: Project, selection: Selection) -> list[Check]:
    return [
        check_class(project)
        for check_class in all_checks()
        if any(selection.enabled(rule.code) for rule in check_class.rules)
    ]


def run_checks(project: Project, targets: Sequence[str] | None, selection: Selection) -> RunResult:
    """Run every enabled check. ``targets`` None means the whole repository (project-wide checks included)."""
    checks = enabled_checks(project, selection)
    whole = targets is None
    paths = list(project.files.markdown) if targets is None else [p for p in targets if is_markdown(p)]
    findings: list[Finding] = []
    errors: list[str] = []
    document_checks = [c for c in checks if isinstance(c, DocumentCheck)]
    # Only document checks need every document up front; project checks load what they read (the tests family
    # reads no Markdown at all).
    for document in project.documents(paths) if document_checks else ():
        for check in document_checks:
            try:
                findings.extend(check.check_document(document))
            except Exception as exc:  # a crashing rule must not take the run down with a traceback
                logger.debug("check %s crashed on %s", check.family, document.path, exc_info=True)
                errors.append(f"{document.path}: internal error in check '{check.family}': {type(exc).__name__}: {exc}")
    if whole:
        for check in checks:
            if isinstance(check, ProjectCheck):
                try:
                    findings.extend(check.check_project())
                except Exception as exc:
                    logger.debug("check %s crashed", check.family, exc_info=True)
                    errors.append(f"internal error in check '{check.family}': {type(exc).__name__}: {exc}")
    else:
        wanted = set(paths)
        findings = [f for f in findings if f.path in wanted]
    kept = apply_policy(findings, project, selection)
    # Markdown files, plus the other files findings are about (test modules, sources of workflow components), so
    # that "N findings in X of Y files" never has X > Y.
    checked = set(paths).union(f.path for f in kept)
    return RunResult(findings=kept, errors=errors, files_checked=len(checked), whole_repository=whole)
