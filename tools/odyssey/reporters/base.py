"""Reporters turn findings into output. They decide nothing about what is wrong: start, handle each, stop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from odyssey.findings import Finding


@dataclass(frozen=True)
class Summary:
    findings: int
    files_checked: int
    errors: tuple[str, ...] = ()
    fixable: int = 0


class Reporter:
    name = "base"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def start(self) -> None:
        """Called once before the first finding."""

    def handle(self, finding: Finding) -> None:
        raise NotImplementedError

    def stop(self, summary: Summary) -> None:
        """Called once after the last finding."""
