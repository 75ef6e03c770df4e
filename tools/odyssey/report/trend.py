"""The trend against the previous report: totals per code, and which findings are new or fixed.

Findings are matched by fingerprint (path + code + message, see ``model.fingerprint``), never by line, so a finding
that only moved because lines were added above it is neither new nor fixed. Identical findings (the same broken link
written three times in one file) share a fingerprint and are compared as counts; when the counts differ, the
occurrences at lines the other report also had are the ones considered matched.

The previous report is the JSON of an earlier ``odyssey report`` run, validated against ``report.schema.json``.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import jsonschema

from odyssey.findings import Finding
from odyssey.report.model import (
    REPORT_FORMAT,
    REPORT_VERSION,
    Totals,
    finding_fingerprint,
    finding_record,
    fingerprint,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


class PreviousReportError(Exception):
    """The previous report cannot be used, phrased as one line naming the file."""


@functools.lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    text = resources.files("odyssey.report").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(data: Any) -> list[str]:
    """Schema violations of a JSON report, as ``where: what`` strings (empty when valid)."""
    validator = jsonschema.Draft202012Validator(report_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        problems.append(f"{where}: {error.message}")
    return problems


def load_previous(path: Path) -> dict[str, Any]:
    """Read and validate a previous JSON report."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PreviousReportError(f"{path}: previous report not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PreviousReportError(f"{path}: cannot read the previous report: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PreviousReportError(f"{path}:{exc.lineno}: previous report is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise PreviousReportError(f"{path}: not an odyssey report (no \"format\": \"{REPORT_FORMAT}\")")
    if data.get("version") != REPORT_VERSION:
        raise PreviousReportError(
            f"{path}: report format version {data.get('version')!r}, this odyssey reads version {REPORT_VERSION}"
        )
    problems = validate_report(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PreviousReportError(f"{path}: invalid odyssey report: {problems[0]}{more}")
    return data


@dataclass(frozen=True)
class CodeChange:
    code: str
    previous: int
    current: int

    @property
    def delta(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True)
class Trend:
    previous_label: str  # how to name the previous report to a reader (its file name)
    previous_generated_at: str
    previous_total: int
    current_total: int
    by_code: tuple[CodeChange, ...]  # every code present in either report
    new: tuple[Finding, ...]
    fixed: tuple[dict[str, Any], ...]  # finding records of the previous report

    @property
    def delta(self) -> int:
        return self.current_total - self.previous_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": {"report": self.previous_label, "generated_at": self.previous_generated_at},
            "total": {"previous": self.previous_total, "current": self.current_total, "delta": self.delta},
            "by_code": [
                {"code": c.code, "previous": c.previous, "current": c.current, "delta": c.delta} for c in self.by_code
            ],
            "new": [finding_record(finding) for finding in self.new],
            "fixed": [dict(record) for record in self.fixed],
        }


def _unmatched(mine: Sequence[T], line_of: Any, other_lines: set[int], other_count: int) -> list[T]:
    """The occurrences of one fingerprint left over after pairing with ``other_count`` occurrences elsewhere,
    preferring to pair occurrences at lines the other side also has."""
    if len(mine) <= other_count:
        return []
    ordered = sorted(mine, key=lambda item: line_of(item) not in other_lines)  # stable: same-line ones pair first
    return ordered[other_count:]


def _group(items: Iterable[T], key: Any) -> dict[str, list[T]]:
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def compare(previous: dict[str, Any], findings: Sequence[Finding], totals: Totals, label: str) -> Trend:
    """The trend from ``previous`` (a validated JSON report) to the current findings."""
    old_records: list[dict[str, Any]] = previous["findings"]
    old_groups = _group(old_records, lambda r: fingerprint(r["path"], r["code"], r["message"]))
    new_groups = _group(findings, finding_fingerprint)
    new: list[Finding] = []
    fixed: list[dict[str, Any]] = []
    for key in sorted(set(old_groups) | set(new_groups)):
        current, earlier = new_groups.get(key, []), old_groups.get(key, [])
        new.extend(_unmatched(current, lambda f: f.line, {r["line"] for r in earlier}, len(earlier)))
        fixed.extend(_unmatched(earlier, lambda r: r["line"], {f.line for f in current}, len(current)))
    old_by_code: dict[str, int] = previous["totals"]["by_code"]
    codes = sorted(set(old_by_code) | set(totals.by_code))
    return Trend(
        previous_label=label,
        previous_generated_at=previous["generated_at"],
        previous_total=previous["totals"]["findings"],
        current_total=totals.findings,
        by_code=tuple(CodeChange(code, old_by_code.get(code, 0), totals.by_code.get(code, 0)) for code in codes),
        new=tuple(sorted(new)),
        fixed=tuple(sorted(fixed, key=lambda r: (r["path"], r["line"], r["column"], r["code"], r["message"]))),
    )
