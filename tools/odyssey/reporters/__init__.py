"""Output formats for findings."""

from __future__ import annotations

from typing import TextIO

from odyssey.reporters.base import Reporter, Summary
from odyssey.reporters.github import GithubReporter
from odyssey.reporters.json import JsonReporter
from odyssey.reporters.sarif import SarifReporter
from odyssey.reporters.text import TextReporter

REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "sarif": SarifReporter,
    "github": GithubReporter,
}


def make_reporter(name: str, stream: TextIO) -> Reporter:
    return REPORTERS[name](stream)


__all__ = ["REPORTERS", "Reporter", "Summary", "make_reporter"]
