"""``--format github``: GitHub Actions workflow commands, so findings show up as annotations on the diff."""

from __future__ import annotations

from odyssey.findings import Finding, Severity
from odyssey.reporters.base import Reporter, Summary

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    name = "github"

    def handle(self, finding: Finding) -> None:
        level = _LEVELS[finding.severity]
        parts = [f"file={_escape_property(finding.path)}"]
        if finding.line >= 1:  # line 0 is "the whole file": GitHub then annotates the file itself
            parts.append(f"line={finding.line}")
            if finding.column >= 1:
                parts.append(f"col={finding.column}")
        parts.append(f"title={_escape_property(finding.code)}")
        properties = ",".join(parts)
        self.stream.write(f"::{level} {properties}::{_escape_data(f'{finding.code} {finding.message}')}\n")

    def stop(self, summary: Summary) -> None:
        for error in summary.errors:
            self.stream.write(f"::error title=odyssey::{_escape_data(error)}\n")
