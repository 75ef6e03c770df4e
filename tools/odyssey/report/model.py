"""The report as data: a Report holds the run's facts and a list of Sections; renderers walk the sections.

A section is presentation-neutral content (paragraphs, tables, lists made of inline pieces) plus, optionally, the
machine-readable ``data`` the JSON report carries for it. Renderers know only the block and inline types below, so a
new section (per-component phase tables, coverage) plugs in by registering a builder (see ``sections.py``) without any
renderer change.

Links to repository files are not URLs in the model: a ``SourceRef`` names a path and line, and the renderer asks its
``LinkPolicy`` for the href, because the right link depends on where the report is read (a file next to the
repository, a forge's ``blob/main/`` view, a page of the mkdocs site).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from odyssey.findings import Finding, Severity

logger = logging.getLogger(__name__)

REPORT_FORMAT = "odyssey-report"
REPORT_VERSION = 1

Tone = Literal["error", "warning", "info", "ok", "neutral"]


# -- inline pieces --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    """Literal text shown as code (paths, codes, commands)."""

    text: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Link:
    """A link whose target is already a URL (external or computed by the section)."""

    text: str
    href: str


@dataclass(frozen=True)
class SourceRef:
    """A repository file, optionally at a line: shown as ``path:line`` and linked by the renderer's LinkPolicy."""

    path: str
    line: int = 0
    column: int = 0

    @property
    def label(self) -> str:
        if self.line < 1:
            return self.path
        return f"{self.path}:{self.line}:{self.column}" if self.column >= 1 else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class RuleRef:
    """A rule code, linked to the rule's documentation where the LinkPolicy knows one."""

    code: str


@dataclass(frozen=True)
class Badge:
    """A short status word (``error``, ``clean``) that HTML colours by ``tone``; plain text elsewhere."""

    text: str
    tone: Tone = "neutral"


@dataclass(frozen=True)
class Delta:
    """A change in a count: ``+3`` (worse: more findings), ``-2`` (better), ``0``."""

    value: int

    @property
    def text(self) -> str:
        return f"+{self.value}" if self.value > 0 else str(self.value)

    @property
    def tone(self) -> Tone:
        return "error" if self.value > 0 else "ok" if self.value < 0 else "neutral"


Inline = Text | Code | Strong | Link | SourceRef | RuleRef | Badge | Delta
Cell = Inline | tuple[Inline, ...] | int | str  # int and str are shorthands for Text


# -- blocks ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paragraph:
    content: tuple[Inline, ...]


@dataclass(frozen=True)
class Column:
    title: str
    align: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class Table:
    """Rows of cells under columns. ``empty`` is shown instead of a table with no rows."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str = "None."


@dataclass(frozen=True)
class ItemList:
    items: tuple[tuple[Inline, ...], ...]
    empty: str = "None."


Block = Paragraph | Table | ItemList


@dataclass(frozen=True)
class Section:
    """One part of the report. ``id`` is stable (JSON key, HTML anchor); ``children`` render one heading deeper."""

    id: str
    title: str
    blocks: tuple[Block, ...] = ()
    data: Any = None  # JSON-ready content for the JSON report; None when the section is presentation only
    children: tuple[Section, ...] = ()


# -- the run's facts ------------------------------------------------------------------------------------------------
def fingerprint(path: str, code: str, message: str) -> str:
    """A finding's identity across runs: path + code + message, not its line, so edits above it do not make it
    "new". Identical findings at several lines share a fingerprint and are compared as counts."""
    digest = hashlib.sha256(f"{path}\0{code}\0{message}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:20]


def finding_fingerprint(finding: Finding) -> str:
    return fingerprint(finding.path, finding.code, finding.message)


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as the JSON report stores it: the ``odyssey check --format json`` object plus its fingerprint."""
    return {**finding.to_dict(), "fingerprint": finding_fingerprint(finding)}


@dataclass(frozen=True)
class Totals:
    """Counts of a run's findings. ``by_check`` lists every check family that ran, with zeros."""

    findings: int
    files_with_findings: int
    by_severity: Mapping[str, int]
    by_check: Mapping[str, Mapping[str, int]]  # family -> {"error": n, "warning": n, "info": n, "total": n}
    by_code: Mapping[str, int]  # only codes with findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "files_with_findings": self.files_with_findings,
            "by_severity": dict(self.by_severity),
            "by_check": {family: dict(counts) for family, counts in self.by_check.items()},
            "by_code": dict(self.by_code),
        }


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    counts = {severity.value: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity.value] += 1
    return counts


def compute_totals(findings: Sequence[Finding], families: Sequence[str]) -> Totals:
    by_check: dict[str, dict[str, int]] = {family: {**severity_counts(()), "total": 0} for family in families}
    by_code: dict[str, int] = {}
    for finding in findings:
        counts = by_check.setdefault(finding.check, {**severity_counts(()), "total": 0})
        counts[finding.severity.value] += 1
        counts["total"] += 1
        by_code[finding.code] = by_code.get(finding.code, 0) + 1
    return Totals(
        findings=len(findings),
        files_with_findings=len({finding.path for finding in findings}),
        by_severity=severity_counts(findings),
        by_check=by_check,
        by_code=dict(sorted(by_code.items())),
    )


@dataclass(frozen=True)
class Report:
    """A finished report: the run's facts (what the JSON keeps for the next trend) and the sections to render."""

    title: str
    project: str  # the repository directory's name (no machine path in a report that may be committed)
    generated_at: str  # ISO 8601, UTC
    odyssey_version: str
    files_checked: int
    findings: tuple[Finding, ...]
    errors: tuple[str, ...]
    totals: Totals
    sections: tuple[Section, ...] = field(default=())

    @property
    def status(self) -> Literal["clean", "findings", "errors"]:
        """``errors`` when a check crashed; ``findings`` when any non-info finding remains; else ``clean``."""
        if self.errors:
            return "errors"
        if any(finding.severity is not Severity.INFO for finding in self.findings):
            return "findings"
        return "clean"

    @property
    def exit_status(self) -> int:
        return {"clean": 0, "findings": 1, "errors": 2}[self.status]

    def section(self, section_id: str) -> Section | None:
        return next((section for section in self.sections if section.id == section_id), None)


class LinkPolicy(Protocol):
    """Where links of a rendered report lead. None: show the text without a link."""

    def source(self, path: str, line: int) -> str | None: ...

    def rule(self, code: str) -> str | None: ...


class NoLinks:
    """Text only: for renderings whose reader has no way to open repository files."""

    def source(self, path: str, line: int) -> str | None:
        return None

    def rule(self, code: str) -> str | None:
        return None
