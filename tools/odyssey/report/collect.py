"""From a check run to a Report: totals, the trend against a previous report, and the sections."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from typing import Any

from odyssey import __version__
from odyssey.checks import all_checks, all_rules
from odyssey.engine import RunResult, enabled_checks
from odyssey.policy import Selection
from odyssey.project import Project
from odyssey.report.model import Report, compute_totals
from odyssey.report.sections import ReportContext, build_sections
from odyssey.report.trend import compare

logger = logging.getLogger(__name__)

DEFAULT_TITLE = "Validation report"


def family_summaries() -> list[tuple[str, str]]:
    """(family, what it checks) in the order of ``odyssey rules``; a family with several check classes (orphans)
    joins their summaries."""
    summaries: dict[str, list[str]] = {}
    for check in all_checks():
        parts = summaries.setdefault(check.family, [])
        if check.summary not in parts:
            parts.append(check.summary)
    return [(family, "; ".join(parts)) for family, parts in summaries.items()]


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_report(
    project: Project,
    result: RunResult,
    selection: Selection,
    *,
    previous: dict[str, Any] | None = None,
    previous_label: str = "the previous report",
    trend_note: str | None = None,
    title: str = DEFAULT_TITLE,
    worst_files: int = 10,
    generated_at: str | None = None,
) -> Report:
    """Assemble the report of ``result`` (a whole-repository run on ``project`` with ``selection``).

    ``previous`` is a validated earlier JSON report (see ``trend.load_previous``); without one the trend section
    shows ``trend_note``.
    """
    # The phase table and coverage sections register themselves when imported (they need the workflow family).
    from odyssey.report import coverage as _coverage, phases as _phases  # noqa: F401

    ran = list(dict.fromkeys(check.family for check in enabled_checks(project, selection)))
    totals = compute_totals(result.findings, ran)
    findings = tuple(result.findings)
    errors = tuple(result.errors)
    trend = compare(previous, findings, totals, previous_label) if previous is not None else None
    report = Report(
        title=title,
        project=Path(project.root).name,
        generated_at=generated_at or now_utc(),
        odyssey_version=__version__,
        files_checked=result.files_checked,
        findings=findings,
        errors=errors,
        totals=totals,
    )
    context = ReportContext(
        findings=findings,
        errors=errors,
        files_checked=result.files_checked,
        totals=totals,
        status=report.status,
        rules={rule.code: rule for rule in all_rules()},
        families=family_summaries(),
        trend=trend,
        trend_note=trend_note or "No previous report to compare with.",
        worst_files=worst_files,
    )
    return dataclasses.replace(report, sections=build_sections(context))
