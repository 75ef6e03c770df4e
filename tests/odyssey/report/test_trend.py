"""Fingerprints, totals and the trend: what counts as new or fixed between two reports, and how a previous report
that cannot be used is refused (one line naming the file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from odyssey.findings import Finding, Severity
from odyssey.report.model import Report, compute_totals, fingerprint, finding_fingerprint
from odyssey.report.render_json import report_record
from odyssey.report.trend import PreviousReportError, compare, load_previous, validate_report


def finding(path: str, line: int, code: str, message: str, severity: Severity = Severity.ERROR,
            check: str = "links") -> Finding:
    return Finding(path=path, line=line, column=1, code=code, message=message, check=check, severity=severity)


def stored(findings: list[Finding], generated_at: str = "2025-01-02T03:04:05Z") -> dict:
    """A previous report as ``odyssey report`` writes it (through the JSON renderer's record)."""
    report = Report(
        title="Validation report", project="demo", generated_at=generated_at, odyssey_version="0.1.0",
        files_checked=5, findings=tuple(findings), errors=(), totals=compute_totals(findings, ["links"]),
    )
    return report_record(report)


BROKEN = "link target 'docs/setup.md' does not exist"


def test_fingerprint_ignores_the_line_but_not_path_code_or_message() -> None:
    moved = finding_fingerprint(finding("README.md", 3, "LNK001", BROKEN))
    assert moved == finding_fingerprint(finding("README.md", 40, "LNK001", BROKEN))
    assert moved == fingerprint("README.md", "LNK001", BROKEN)
    others = {
        fingerprint("docs/README.md", "LNK001", BROKEN),
        fingerprint("README.md", "LNK002", BROKEN),
        fingerprint("README.md", "LNK001", "link target 'docs/set-up.md' does not exist"),
    }
    assert moved not in others and len(others) == 3
    # Undecodable bytes in a path (surrogate escapes from git) must not crash the hash.
    assert len(fingerprint("notes/caf\udce9.md", "LNK001", BROKEN)) == 20


def test_totals_count_per_severity_check_and_code_with_zero_rows_for_quiet_checks() -> None:
    findings = [
        finding("README.md", 3, "LNK001", BROKEN),
        finding("README.md", 9, "LNK001", "link target 'a.md' does not exist"),
        finding("agents/x.md", 2, "AGT107", "unreachable", Severity.WARNING, "agent_graph"),
    ]
    totals = compute_totals(findings, ["links", "fences", "agent_graph"])
    assert totals.findings == 3 and totals.files_with_findings == 2
    assert totals.by_severity == {"error": 2, "warning": 1, "info": 0}
    assert totals.by_code == {"AGT107": 1, "LNK001": 2}
    assert totals.by_check["fences"] == {"error": 0, "warning": 0, "info": 0, "total": 0}
    assert totals.by_check["links"]["total"] == 2 and totals.by_check["agent_graph"]["warning"] == 1


@pytest.mark.parametrize(
    ("severities", "errors", "status", "exit_status"),
    [
        ((), (), "clean", 0),
        ((Severity.INFO,), (), "clean", 0),  # info findings never fail a run
        ((Severity.WARNING,), (), "findings", 1),
        ((Severity.ERROR, Severity.INFO), (), "findings", 1),
        ((Severity.ERROR,), ("internal error in check 'x': KeyError: 'y'",), "errors", 2),
    ],
)
def test_status_follows_the_findings(
    severities: tuple[Severity, ...], errors: tuple[str, ...], status: str, exit_status: int
) -> None:
    findings = tuple(finding("a.md", n + 1, "LNK001", f"m{n}", severity) for n, severity in enumerate(severities))
    report = Report("t", "p", "2025-01-01T00:00:00Z", "0", 1, findings, errors, compute_totals(findings, []))
    assert (report.status, report.exit_status) == (status, exit_status)


def test_a_finding_that_only_moved_is_neither_new_nor_fixed() -> None:
    before = [finding("README.md", 3, "LNK001", BROKEN), finding("docs/guide.md", 7, "FEN002", "misclosed")]
    after = [finding("README.md", 12, "LNK001", BROKEN), finding("docs/guide.md", 9, "FEN002", "misclosed")]
    trend = compare(stored(before), after, compute_totals(after, ["links"]), "report.json")
    assert trend.new == () and trend.fixed == ()
    assert all(change.delta == 0 for change in trend.by_code)
    assert (trend.previous_total, trend.current_total, trend.delta) == (2, 2, 0)


def test_new_and_fixed_findings_and_totals_per_code() -> None:
    before = [finding("README.md", 3, "LNK001", BROKEN), finding("docs/guide.md", 7, "FEN002", "misclosed")]
    after = [
        finding("README.md", 3, "LNK001", BROKEN),
        finding("notes/a.md", 4, "LNK001", "link target 'b.md' does not exist"),
        finding("notes/a.md", 8, "ANC001", "anchor '#x' matches no heading"),
    ]
    trend = compare(stored(before), after, compute_totals(after, ["links"]), "reports/odyssey/report.json")
    assert [(f.path, f.code) for f in trend.new] == [("notes/a.md", "LNK001"), ("notes/a.md", "ANC001")]
    assert [(r["path"], r["line"], r["code"]) for r in trend.fixed] == [("docs/guide.md", 7, "FEN002")]
    changes = {c.code: (c.previous, c.current, c.delta) for c in trend.by_code}
    assert changes == {"ANC001": (0, 1, 1), "FEN002": (1, 0, -1), "LNK001": (1, 2, 1)}
    data = trend.to_dict()
    assert data["total"] == {"previous": 2, "current": 3, "delta": 1}
    assert data["previous"] == {"report": "reports/odyssey/report.json", "generated_at": "2025-01-02T03:04:05Z"}
    assert data["new"][0]["fingerprint"] == fingerprint("notes/a.md", "LNK001", "link target 'b.md' does not exist")


def test_identical_findings_are_compared_as_counts_preferring_unchanged_lines() -> None:
    plot = "link target 'plots/accuracy.png' does not exist"
    before = [finding("notes/results.md", line, "LNK001", plot) for line in (3, 5, 9)]
    after = [finding("notes/results.md", line, "LNK001", plot) for line in (3, 9)]
    trend = compare(stored(before), after, compute_totals(after, ["links"]), "r.json")
    assert trend.new == ()
    assert [r["line"] for r in trend.fixed] == [5]  # the occurrence whose line is gone
    grown = after + [finding("notes/results.md", 14, "LNK001", plot)]
    trend = compare(stored(after), grown, compute_totals(grown, ["links"]), "r.json")
    assert [f.line for f in trend.new] == [14] and trend.fixed == ()


def test_a_written_report_loads_back_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(stored([finding("README.md", 3, "LNK001", BROKEN)])), encoding="utf-8")
    loaded = load_previous(path)
    assert validate_report(loaded) == []
    assert loaded["findings"][0]["fingerprint"] == fingerprint("README.md", "LNK001", BROKEN)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"format": "odyssey-report",\n "version": 1,\n', "report.json:3: previous report is not valid JSON"),
        ('[{"path": "README.md"}]', 'report.json: not an odyssey report (no "format": "odyssey-report")'),
        ('{"format": "odyssey-report", "version": 7}', "report.json: report format version 7, this odyssey reads"),
        ("SARIF", "report.json:1: previous report is not valid JSON"),
    ],
)
def test_an_unusable_previous_report_is_one_line_naming_the_file(tmp_path: Path, content: str,
                                                                  expected: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PreviousReportError) as raised:
        load_previous(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / expected.split(":")[0]))
    assert expected.split("report.json", 1)[1] in message


def test_a_report_violating_the_schema_names_the_place(tmp_path: Path) -> None:
    data = stored([finding("README.md", 3, "LNK001", BROKEN)])
    data["findings"][0]["line"] = "three"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PreviousReportError, match=r"report\.json: invalid odyssey report: findings/0/line: 'three'"):
        load_previous(path)
    missing = tmp_path / "gone.json"
    with pytest.raises(PreviousReportError, match="gone.json: previous report not found"):
        load_previous(missing)
