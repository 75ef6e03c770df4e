"""The sections of the report, each built by one function from the run's facts, in a registry renderers never see.

A builder takes the ``ReportContext`` and returns a ``Section`` (or None to leave it out). To add a section — the
per-component phase tables and coverage of a later issue — write a builder and call
``register_section("phases", build_phases, after="by-code")``; every renderer shows it, and its ``data`` lands in the
JSON report under ``sections``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from odyssey.findings import Finding, Severity
from odyssey.report.model import (
    Badge,
    Cell,
    Code,
    Column,
    Delta,
    Inline,
    ItemList,
    Paragraph,
    RuleRef,
    Section,
    SourceRef,
    Table,
    Text,
    Tone,
    Totals,
)
from odyssey.report.trend import Trend
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

SEVERITY_TONES: dict[str, Tone] = {"error": "error", "warning": "warning", "info": "info"}
STATUS_TONES: dict[str, Tone] = {"clean": "ok", "findings": "error", "errors": "error"}


@dataclass(frozen=True)
class ReportContext:
    """Everything a section builder may use."""

    findings: tuple[Finding, ...]
    errors: tuple[str, ...]
    files_checked: int
    totals: Totals
    status: str
    rules: Mapping[str, Rule]
    families: Sequence[tuple[str, str]]  # (family, what it checks), in the order of `odyssey rules`
    trend: Trend | None = None
    trend_note: str = "No previous report to compare with."
    worst_files: int = 10


SectionBuilder = Callable[[ReportContext], "Section | None"]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def severity_badge(severity: str) -> Badge:
    return Badge(severity, SEVERITY_TONES.get(severity, "neutral"))


def location(finding: Finding) -> SourceRef:
    return SourceRef(finding.path, finding.line, finding.column)


def findings_table(findings: Sequence[Finding], empty: str = "No findings.") -> Table:
    return Table(
        columns=(Column("Location"), Column("Code"), Column("Severity"), Column("Message")),
        rows=tuple(
            (location(f), RuleRef(f.code), severity_badge(f.severity.value), f.message) for f in findings
        ),
        empty=empty,
    )


# -- the builders ---------------------------------------------------------------------------------------------------
def build_summary(context: ReportContext) -> Section:
    totals = context.totals
    words: list[Inline] = [
        Badge(context.status, STATUS_TONES.get(context.status, "neutral")),
        Text(
            f" {_plural(totals.findings, 'finding')} in {totals.files_with_findings} of "
            f"{_plural(context.files_checked, 'file')} checked."
        ),
    ]
    if context.errors:
        words.append(Text(f" {_plural(len(context.errors), 'check error')}: see Errors."))
    severity_rows: tuple[tuple[Cell, ...], ...] = tuple(
        (severity_badge(severity.value), totals.by_severity.get(severity.value, 0)) for severity in Severity
    )
    return Section(
        id="summary",
        title="Summary",
        blocks=(
            Paragraph(tuple(words)),
            Table(columns=(Column("Severity"), Column("Findings", "right")), rows=severity_rows),
        ),
    )


def build_trend(context: ReportContext) -> Section:
    trend = context.trend
    if trend is None:
        return Section(id="trend", title="Trend", blocks=(Paragraph((Text(context.trend_note),)),))
    intro = Paragraph((
        Text(f"Compared with {trend.previous_label} of {trend.previous_generated_at}: "
             f"{trend.previous_total} → {trend.current_total} findings ("),
        Delta(trend.delta),
        Text(f"); {len(trend.new)} new, {len(trend.fixed)} fixed."),
    ))
    changed = [change for change in trend.by_code if change.delta != 0]
    by_code = Table(
        columns=(Column("Code"), Column("Rule"), Column("Previous", "right"), Column("Current", "right"),
                 Column("Change", "right")),
        rows=tuple(
            (RuleRef(c.code), _rule_name(context, c.code), c.previous, c.current, Delta(c.delta)) for c in changed
        ),
        empty="No change in the totals per code.",
    )
    fixed_rows = tuple(
        (SourceRef(r["path"], r["line"], r["column"]), RuleRef(r["code"]), severity_badge(r["severity"]),
         r["message"])
        for r in trend.fixed
    )
    fixed = Table(columns=findings_table(()).columns, rows=fixed_rows, empty="No finding was fixed.")
    return Section(
        id="trend",
        title="Trend",
        blocks=(intro, by_code),
        data=trend.to_dict(),
        children=(
            Section(id="trend-new", title="New findings", blocks=(findings_table(trend.new, "No new findings."),)),
            Section(id="trend-fixed", title="Fixed findings", blocks=(fixed,)),
        ),
    )


def _rule_name(context: ReportContext, code: str) -> str:
    rule = context.rules.get(code)
    return rule.name if rule is not None else ""


def build_by_check(context: ReportContext) -> Section:
    summaries = dict(context.families)
    rows = []
    for family, counts in context.totals.by_check.items():
        rows.append((
            Code(family), summaries.get(family, ""), counts["error"], counts["warning"], counts["info"],
            counts["total"],
        ))
    return Section(
        id="by-check",
        title="Totals per check",
        blocks=(Table(
            columns=(Column("Check"), Column("What it checks"), Column("Errors", "right"),
                     Column("Warnings", "right"), Column("Info", "right"), Column("Total", "right")),
            rows=tuple(rows),
            empty="No check ran.",
        ),),
    )


def build_by_code(context: ReportContext) -> Section:
    ordered = sorted(context.totals.by_code.items(), key=lambda item: (-item[1], item[0]))
    rows = []
    for code, count in ordered:
        rule = context.rules.get(code)
        severity: Cell = severity_badge(rule.severity.value) if rule is not None else ""
        rows.append((RuleRef(code), rule.name if rule else "", severity, count))
    return Section(
        id="by-code",
        title="Totals per rule",
        blocks=(Table(
            columns=(Column("Code"), Column("Rule"), Column("Severity"), Column("Findings", "right")),
            rows=tuple(rows),
            empty="No findings.",
        ),),
    )


def worst_files(findings: Sequence[Finding], limit: int) -> list[dict[str, object]]:
    """Files ranked by errors, then by all findings, then by path; the first ``limit``."""
    per_file: dict[str, Counter[str]] = {}
    codes: dict[str, Counter[str]] = {}
    for finding in findings:
        per_file.setdefault(finding.path, Counter())[finding.severity.value] += 1
        codes.setdefault(finding.path, Counter())[finding.code] += 1
    ranked = sorted(per_file, key=lambda path: (-per_file[path]["error"], -per_file[path].total(), path))
    return [
        {
            "path": path,
            "error": per_file[path]["error"],
            "warning": per_file[path]["warning"],
            "info": per_file[path]["info"],
            "total": per_file[path].total(),
            "codes": dict(sorted(codes[path].items())),
        }
        for path in ranked[:limit]
    ]


def build_worst_files(context: ReportContext) -> Section:
    ranked = worst_files(context.findings, context.worst_files)
    rows = []
    for entry in ranked:
        code_counts: dict[str, int] = entry["codes"]  # type: ignore[assignment]
        code_cells: list[Inline] = []
        for index, (code, count) in enumerate(code_counts.items()):
            if index:
                code_cells.append(Text(", "))
            code_cells.append(RuleRef(code))
            if count > 1:
                code_cells.append(Text(f" ×{count}"))
        rows.append((SourceRef(str(entry["path"])), entry["error"], entry["warning"], entry["info"], entry["total"],
                     tuple(code_cells)))
    return Section(
        id="worst-files",
        title="Files with the most findings",
        blocks=(Table(
            columns=(Column("File"), Column("Errors", "right"), Column("Warnings", "right"), Column("Info", "right"),
                     Column("Total", "right"), Column("Codes")),
            rows=tuple(rows),  # type: ignore[arg-type]
            empty="No file has findings.",
        ),),
        data=ranked,
    )


def build_findings(context: ReportContext) -> Section:
    return Section(id="findings", title="Findings", blocks=(findings_table(context.findings),))


def build_errors(context: ReportContext) -> Section | None:
    if not context.errors:
        return None
    return Section(
        id="errors",
        title="Errors",
        blocks=(
            Paragraph((Text("These checks crashed; their findings are missing from this report."),)),
            ItemList(tuple((Text(error),) for error in context.errors)),
        ),
    )


SECTION_BUILDERS: list[tuple[str, SectionBuilder]] = [
    ("summary", build_summary),
    ("errors", build_errors),
    ("trend", build_trend),
    ("by-check", build_by_check),
    ("by-code", build_by_code),
    ("worst-files", build_worst_files),
    ("findings", build_findings),
]


def register_section(section_id: str, builder: SectionBuilder, *, after: str | None = None) -> None:
    """Add (or replace) a section builder; ``after`` an existing id, else at the end."""
    existing = [index for index, (name, _) in enumerate(SECTION_BUILDERS) if name == section_id]
    if existing:
        SECTION_BUILDERS[existing[0]] = (section_id, builder)
        return
    position = len(SECTION_BUILDERS)
    if after is not None:
        ids = [name for name, _ in SECTION_BUILDERS]
        if after not in ids:
            raise ValueError(f"no report section '{after}' to insert '{section_id}' after")
        position = ids.index(after) + 1
    SECTION_BUILDERS.insert(position, (section_id, builder))


def build_sections(context: ReportContext) -> tuple[Section, ...]:
    sections = []
    for section_id, builder in SECTION_BUILDERS:
        section = builder(context)
        if section is not None:
            if section.id != section_id:
                raise ValueError(f"report section builder for '{section_id}' returned section '{section.id}'")
            sections.append(section)
    return tuple(sections)
