"""``path:line:col: CODE message`` — one line a finding, then a count."""

from __future__ import annotations

from odyssey.findings import Finding
from odyssey.reporters.base import Reporter, Summary


def _one_line(value: str) -> str:
    """One finding, one line, whatever a file name or an HTML attribute held: line breaks are shown escaped."""
    return value.replace("\r", "\\r").replace("\n", "\\n")


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


class TextReporter(Reporter):
    name = "text"

    def handle(self, finding: Finding) -> None:
        path, message = _one_line(finding.path), _one_line(finding.message)
        self.stream.write(f"{path}:{finding.line}:{finding.column}: {finding.code} {message}\n")

    def stop(self, summary: Summary) -> None:
        if summary.findings:
            noun = "finding" if summary.findings == 1 else "findings"
            fixable = f" ({summary.fixable} fixable with `odyssey fix`)" if summary.fixable else ""
            self.stream.write(f"Found {summary.findings} {noun} in {_files(summary.files_checked)}{fixable}.\n")
        elif not summary.errors:
            self.stream.write(f"All checks passed ({_files(summary.files_checked)}).\n")
