"""What the report's workflow sections read besides the run's findings: the Project and, optionally, coverage.

A section builder receives only the ``ReportContext`` (findings, totals, rules). The phase table and the coverage
section also need the repository itself, so whoever builds a report sets them for the duration::

    with report_inputs(project, coverage=measured):
        report = build_report(project, result, selection)

``odyssey report`` does this; so must any other caller that wants the sections (the mkdocs plugin). Without it
both sections are left out. A ``ContextVar`` rather than a module global, so that reports built concurrently (threads,
async servers) each see their own inputs.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from odyssey.project import Project
    from odyssey.workflow.coverage_data import CoverageResult


@dataclass(frozen=True)
class ReportInputs:
    project: Project
    coverage: CoverageResult | None = None


_CURRENT: contextvars.ContextVar[ReportInputs | None] = contextvars.ContextVar("odyssey_report_inputs", default=None)


@contextlib.contextmanager
def report_inputs(project: Project, coverage: CoverageResult | None = None) -> Iterator[ReportInputs]:
    """Make ``project`` (and ``coverage``) available to the report sections built inside the ``with`` block."""
    inputs = ReportInputs(project, coverage)
    token = _CURRENT.set(inputs)
    try:
        yield inputs
    finally:
        _CURRENT.reset(token)


def current_inputs() -> ReportInputs | None:
    return _CURRENT.get()
