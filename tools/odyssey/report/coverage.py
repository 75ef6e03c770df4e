"""The report's coverage section: line and branch coverage per module, the least-covered modules, and per component
whether the tests that use it assert anything -- "covered but never asserted" is the case coverage alone hides.

Shown when the report's builder provided coverage (``odyssey.workflow.inputs``): ``odyssey report --coverage`` runs
the tests under coverage.py, ``--coverage-file`` reads ``coverage.xml``/``coverage.json``/``.coverage``, and
``[workflow] coverage.file`` names a file read by default when it exists (the docs site's report). Measuring and
reading live in ``odyssey.workflow.coverage_data``; the assertion verdicts are the tests family's
(``odyssey.workflow.asserting``).

Component statuses: ``asserted`` (a test using it checks something), ``covered, never asserted`` (its lines run
and tests use it, but none of them checks anything), ``covered indirectly`` (its lines run, but no test imports it:
only other components' tests reach it), ``not covered`` (no line runs), ``not measured`` (outside the measured
sources).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from odyssey.project import Project
from odyssey.pysource import python_index
from odyssey.report.model import Badge, Cell, Code, Column, Inline, ItemList, Paragraph, Section, SourceRef, Table, Text
from odyssey.report.sections import SECTION_BUILDERS, ReportContext, register_section
from odyssey.workflow.asserting import AssertionIndex, AssertionSummary
from odyssey.workflow.components import find_components
from odyssey.workflow.coverage_data import CoverageResult, FileCoverage, read_coverage_file
from odyssey.workflow.exercised import TestIndex
from odyssey.workflow.inputs import current_inputs
from odyssey.workflow.settings import workflow_settings

logger = logging.getLogger(__name__)

SECTION_ID = "test-coverage"
MODULE_COLUMNS = (Column("Module"), Column("Lines", "right"), Column("Line %", "right"), Column("Branches", "right"),
                  Column("Branch %", "right"))


def percent(value: float | None) -> str:
    return f"{value:.1f} %" if value is not None else "—"


def module_row(path: str, coverage: FileCoverage) -> tuple[Cell, ...]:
    return (SourceRef(path), f"{coverage.covered} of {coverage.statements}", percent(coverage.line_percent),
            f"{coverage.covered_branches} of {coverage.branches}", percent(coverage.branch_percent))


def least_covered(result: CoverageResult, limit: int) -> list[str]:
    """Modules with statements, lowest line coverage first (then most missed lines, then path)."""
    measured = [(path, c) for path, c in result.files.items() if c.statements]
    ranked = sorted(measured, key=lambda item: (item[1].line_percent, -(item[1].statements - item[1].covered),
                                                item[0]))
    return [path for path, _coverage in ranked[:limit]]


def component_status(coverage: FileCoverage | None, assertions: AssertionSummary) -> tuple[str, str]:
    """(status, tone) of a component: see the module docstring."""
    if coverage is None:
        return "not measured", "neutral"
    if not coverage.covered:
        return "not covered", "warning"
    if assertions.asserting:
        return "asserted", "ok"
    if not assertions.tests:
        return "covered indirectly", "neutral"
    return "covered, never asserted", "error"


def component_rows(project: Project, result: CoverageResult) -> tuple[list[tuple[Cell, ...]], list[dict[str, Any]]]:
    settings = workflow_settings(project.config)
    index = python_index(project)
    assertions = AssertionIndex(project, TestIndex(project, index))
    rows: list[tuple[Cell, ...]] = []
    records: list[dict[str, Any]] = []
    for component in find_components(project, settings, index):
        coverage = result.files.get(component.path)
        summary = assertions.summary(component.module, component.aliases)
        status, tone = component_status(coverage, summary)
        rows.append((
            Code(component.name),
            percent(coverage.line_percent) if coverage else "—",
            percent(coverage.branch_percent) if coverage else "—",
            f"{summary.asserting} of {summary.tests}",
            Badge(status, tone),  # type: ignore[arg-type]
        ))
        records.append({"component": component.name, "path": component.path, "status": status,
                        "coverage": coverage.to_dict() if coverage else None, **summary.to_dict()})
    return rows, records


def overview(result: CoverageResult) -> Paragraph:
    totals = result.totals
    words: list[Inline] = [
        Text(f"Coverage {result.origin}"),
        Text(f" ({result.seconds:.0f} s)" if result.seconds is not None else ""),
        Text(f": lines {percent(totals.line_percent)} ({totals.covered} of {totals.statements})"),
        Text(f", branches {percent(totals.branch_percent)} ({totals.covered_branches} of {totals.branches})"
             if result.has_branches else ", no branch data"),
        Text(f" over {len(result.files)} modules."),
    ]
    if result.exit_status:
        last = result.output_tail[-1] if result.output_tail else "no output"
        words.append(Text(f" The test command exited {result.exit_status} ({last}): the coverage is partial."))
    return Paragraph(tuple(words))


def build_coverage(context: ReportContext) -> Section | None:
    inputs = current_inputs()
    if inputs is None or inputs.coverage is None:
        return None
    result, project = inputs.coverage, inputs.project
    limit = workflow_settings(project.config).coverage.least_covered
    lowest = least_covered(result, limit)
    rows, records = component_rows(project, result)
    silent = [record for record in records if record["status"] == "covered, never asserted"]
    silent_list = ItemList(tuple((Code(record["component"]), Text(": "), *_silent_tests(record["silent"]))
                                 for record in silent))
    children = [
        Section(id="coverage-least", title="Least-covered modules", blocks=(Table(
            columns=MODULE_COLUMNS, rows=tuple(module_row(path, result.files[path]) for path in lowest),
            empty="No module has statements."),)),
        Section(id="coverage-components", title="Components: covered and asserted", blocks=(
            Paragraph((Text(f"{len(silent)} of {len(records)} components are covered but never asserted: their "
                            "code runs under the tests, and no test that uses them checks anything."),)),
            Table(columns=(Column("Component"), Column("Line %", "right"), Column("Branch %", "right"),
                           Column("Asserting tests", "right"), Column("Status")),
                  rows=tuple(rows), empty="No components."),
            *((silent_list,) if silent else ()),
        )),
        Section(id="coverage-modules", title="Every module", blocks=(Table(
            columns=MODULE_COLUMNS,
            rows=tuple(module_row(path, result.files[path]) for path in sorted(result.files)),
            empty="No module was measured."),)),
    ]
    data = {
        "origin": result.origin,
        "exit_status": result.exit_status,
        "totals": result.totals.to_dict(),
        "files": {path: result.files[path].to_dict() for path in sorted(result.files)},
        "least_covered": lowest,
        "components": records,
    }
    return Section(id=SECTION_ID, title="Test coverage", blocks=(overview(result),), data=data,
                   children=tuple(children))


def _silent_tests(silent: list[str]) -> tuple[Inline, ...]:
    if not silent:
        return (Text("its tests use it only through code that asserts nothing"),)
    pieces: list[Inline] = [Text("tests that check nothing: ")]
    for index, test in enumerate(silent):
        if index:
            pieces.append(Text(", "))
        path, _, name = test.partition("::")
        pieces.extend((SourceRef(path), Text(f" {name}")))
    return tuple(pieces)


def default_coverage(project: Project) -> CoverageResult | None:
    """The coverage file ``[workflow] coverage.file`` names, when it exists; None otherwise. A file that exists but
    cannot be read raises ``odyssey.workflow.coverage_data.CoverageError``."""
    configured = workflow_settings(project.config).coverage.file
    if not configured:
        return None
    path = Path(project.root) / configured
    if not path.is_file():
        logger.info("%s: no coverage file; the report has no coverage section", configured)
        return None
    return read_coverage_file(project, path)


# After the phase table when it is registered (it is, when odyssey.report.phases was imported first).
register_section(SECTION_ID, build_coverage,
                 after="phases" if any(name == "phases" for name, _ in SECTION_BUILDERS) else "worst-files")
