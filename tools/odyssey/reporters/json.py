"""``--format json``: an array of finding objects (path, line, column, code, check, severity, message, fix)."""

from __future__ import annotations

import json

from odyssey.findings import Finding
from odyssey.reporters.base import Reporter, Summary


class JsonReporter(Reporter):
    name = "json"

    def start(self) -> None:
        self.items: list[dict[str, object]] = []

    def handle(self, finding: Finding) -> None:
        self.items.append(finding.to_dict())

    def stop(self, summary: Summary) -> None:
        json.dump(self.items, self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
