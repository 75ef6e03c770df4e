"""The report's workflow section: one row per component, one column per phase, ✔ with the evidence file or ✘.

Shown when the ``workflow`` family ran and the report's builder provided the Project (``odyssey.workflow.inputs``);
the table is the evaluation the WFL check made in the same run (``evaluate_workflow`` is cached per Project), so the
findings and the table always agree. A phase is ✔ when every evidence kind it asks for is there; its cell names the
first evidence file (the plan note, the first test module importing the component, the module itself, the docs
page). The JSON report carries the whole table, with the reason for each ✘.
"""

from __future__ import annotations

import logging

from odyssey.report.model import Badge, Cell, Code, Column, Inline, Paragraph, Section, SourceRef, Table, Text
from odyssey.report.sections import ReportContext, register_section
from odyssey.workflow.evaluate import ComponentStatus, WorkflowEvaluation, evaluate_workflow
from odyssey.workflow.inputs import current_inputs
from odyssey.workflow.settings import Phase

logger = logging.getLogger(__name__)

SECTION_ID = "phases"
DONE = "✔"
MISSING = "✘"


def phase_cell(status: ComponentStatus, kinds: tuple[str, ...]) -> Cell:
    shown = status.phase_evidence(kinds)
    if not status.phase_done(kinds):
        return Badge(MISSING, "error")
    if shown is not None and shown.path:
        return (Badge(DONE, "ok"), Text(" "), SourceRef(shown.path, shown.line))
    return Badge(DONE, "ok")


def phase_table(evaluation: WorkflowEvaluation) -> Table:
    phases = evaluation.settings.phases
    out_of_order = any(status.order for status in evaluation.statuses)
    columns = [Column("Component"), *(Column(phase.name.capitalize()) for phase in phases)]
    if out_of_order:
        columns.append(Column("Order"))
    rows: list[tuple[Cell, ...]] = []
    for status in evaluation.statuses:
        row: list[Cell] = [Code(status.component.name)]
        row.extend(phase_cell(status, phase.evidence) for phase in phases)
        if out_of_order:
            row.append("; ".join(f"implemented {p.implemented.day.isoformat()}, planned {p.planned.isoformat()}"
                                 for p in status.order[:1]) or "")
        rows.append(tuple(row))
    if rows:
        totals: list[Cell] = [Text("done")]
        for phase in phases:
            done = sum(status.phase_done(phase.evidence) for status in evaluation.statuses)
            totals.append(f"{done} of {len(evaluation.statuses)}")
        if out_of_order:
            totals.append(f"{sum(bool(s.order) for s in evaluation.statuses)} out of order")
        rows.append(tuple(totals))
    return Table(columns=tuple(columns), rows=tuple(rows),
                 empty="No components: nothing matches [workflow] components.")


def summary(evaluation: WorkflowEvaluation) -> Paragraph:
    phases = evaluation.settings.phases
    complete = sum(all(status.phase_done(phase.evidence) for phase in phases) for status in evaluation.statuses)
    words: list[Inline] = [
        Text(f"{complete} of {len(evaluation.statuses)} components went through every phase ("),
        Text(flow(phases)),
        Text("). ✔ names the evidence: the plan note, a test module exercising the component, its module, its docs "
             "page; the findings of the workflow check say what each ✘ lacks."),
    ]
    if not evaluation.history:
        words.append(Text(" No git history: the order of plan and implementation was not checked."))
    return Paragraph(tuple(words))


def flow(phases: tuple[Phase, ...]) -> str:
    """The phases as stages: ``plan → test, implementation, package → cleanup`` (a stage's phases run in
    parallel; each comes after everything in the stages before it that it names)."""
    by_name = {phase.name: phase for phase in phases}
    depth: dict[str, int] = {}

    def stage(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((stage(before) for before in by_name[name].after), default=-1)
        return depth[name]

    stages: dict[int, list[str]] = {}
    for phase in phases:
        stages.setdefault(stage(phase.name), []).append(phase.name)
    return " → ".join(", ".join(names) for _level, names in sorted(stages.items()))


def build_phases(context: ReportContext) -> Section | None:
    inputs = current_inputs()
    if inputs is None or "workflow" not in context.totals.by_check:
        return None
    evaluation = evaluate_workflow(inputs.project)
    return Section(
        id=SECTION_ID,
        title="Workflow phases",
        blocks=(summary(evaluation), phase_table(evaluation)),
        data=evaluation.to_dict(),
    )


register_section(SECTION_ID, build_phases, after="worst-files")
