"""The one immutable type every layer passes along: a finding, and the fix it may carry."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    """How bad a finding is. ``info`` findings are shown but never fail a run."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Fix:
    """A repair the fixer can apply. ``safe`` fixes run by default; unsafe ones only behind a flag.

    kind:
      ``move``          move/rename ``path`` to ``destination`` (and rewrite every reference to it)
      ``replace-link``  in ``path`` at the finding's line, replace link target ``old`` with ``new``
      ``delete``        remove ``path`` (duplicates; only with ``--dedupe``)
    """

    kind: str
    description: str
    safe: bool = True
    destination: str | None = None
    old: str | None = None
    new: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "description": self.description, "safe": self.safe}
        for key in ("destination", "old", "new"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place. Positions are 1-based; ``line``/``column`` 0 means "the whole file"."""

    path: str
    line: int
    column: int
    code: str
    message: str
    check: str = field(compare=False)
    severity: Severity = field(default=Severity.ERROR, compare=False)
    fix: Fix | None = field(default=None, compare=False)
    end_line: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "check": self.check,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.end_line is not None:
            data["end_line"] = self.end_line
        if self.fix is not None:
            data["fix"] = self.fix.to_dict()
        return data
