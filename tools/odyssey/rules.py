"""Rule metadata: stable codes, names and the self-documentation every rule carries.

A rule's ``doc`` uses fixed headings (What it does / Why is this bad? / Example / Use instead, optionally Options and
Fix safety); ``odyssey rules`` and the docs site render it, and a test fails when a rule lacks one of them.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from odyssey.findings import Severity

CODE_PATTERN = re.compile(r"^[A-Z]{3}\d{3}$")
REQUIRED_DOC_HEADINGS = ("What it does", "Why is this bad?", "Example", "Use instead")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    family: str
    summary: str
    doc: str
    severity: Severity = Severity.ERROR

    def __post_init__(self) -> None:
        if not CODE_PATTERN.match(self.code):
            raise ValueError(f"rule code {self.code!r} is not a 3-letter family prefix + 3 digits")
        object.__setattr__(self, "doc", textwrap.dedent(self.doc).strip() + "\n")

    @property
    def prefix(self) -> str:
        return self.code[:3]

    def missing_doc_headings(self) -> list[str]:
        present = {line[3:].strip() for line in self.doc.splitlines() if line.startswith("## ")}
        return [heading for heading in REQUIRED_DOC_HEADINGS if heading not in present]


def matches_selector(code: str, selector: str) -> bool:
    """ruff-style selection: ``ALL``, a family prefix (``LNK``), a partial code (``LNK0``) or a full code."""
    return selector == "ALL" or code.startswith(selector)
