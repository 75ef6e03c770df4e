"""``--format sarif``: SARIF 2.1.0, for code-scanning dashboards. Rules carry their documentation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from odyssey import __version__
from odyssey.findings import Finding, Severity
from odyssey.reporters.base import Reporter, Summary
from odyssey.rules import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"family": rule.family},
    }


def artifact_uri(path: str) -> str:
    """A repository path as a relative URI reference: spaces, ``%``, ``#`` and undecodable bytes percent-encoded."""
    return quote(path, safe="/", errors="surrogateescape")


def finding_region(finding: Finding) -> dict[str, int]:
    """The SARIF region of a finding; empty for a whole-file finding (line 0), since SARIF lines start at 1."""
    if finding.line < 1:
        return {}
    region = {"startLine": finding.line}
    if finding.column >= 1:
        region["startColumn"] = finding.column
    if finding.end_line is not None and finding.end_line >= finding.line:
        region["endLine"] = finding.end_line
    return region


class SarifReporter(Reporter):
    name = "sarif"

    def start(self) -> None:
        from odyssey.checks import all_rules

        self.rules = all_rules()
        self.index = {rule.code: number for number, rule in enumerate(self.rules)}
        self.results: list[dict[str, Any]] = []

    def handle(self, finding: Finding) -> None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"}}
        region = finding_region(finding)
        if region:
            physical["region"] = region
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": _LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": physical}],
        }
        if finding.code in self.index:
            result["ruleIndex"] = self.index[finding.code]
        if finding.fix is not None:
            result["properties"] = {"fix": finding.fix.to_dict()}
        self.results.append(result)

    def stop(self, summary: Summary) -> None:
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "odyssey",
                    "version": __version__,
                    "rules": [rule_descriptor(rule) for rule in self.rules],
                }
            },
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
            "results": self.results,
            "invocations": [
                {
                    "executionSuccessful": not summary.errors,
                    "toolExecutionNotifications": [
                        {"level": "error", "message": {"text": error}} for error in summary.errors
                    ],
                }
            ],
        }
        log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        json.dump(log, self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
