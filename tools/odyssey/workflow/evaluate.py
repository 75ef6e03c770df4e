"""Every component's evidence for every phase, computed once per Project and shared by the check and the report.

The order rule (WFL007): a component's implementation must not predate its plan. Only evidence whose date is the
component's own date is ordered -- the plan note and the component's module. A test module or a docs page may have
existed long before it covered the component, so its date says nothing and it is not ordered.

- The plan's date is the earliest, over the plan notes listing the component, of the note's ``created:`` date and
  the day of the note's first commit. ``created:`` is self-declared and git only knows when a note was committed, so
  a plan counts from the earliest thing that says it existed.
- The implementation's date is the day of the module's first commit (no date without git history: then the order
  is not checked).
- Out of order means the implementation's day is strictly before the plan's day. Days, not times, because a
  ``created:`` date is a day; a plan written the morning the work started is in order.

The rule applies where the workflow says order matters: between a phase asking for ``implementation`` evidence and
every phase before it (``after``, transitively) asking for ``plan`` evidence.
"""

from __future__ import annotations

import datetime
import functools
import logging
import posixpath
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from odyssey.globs import glob_match
from odyssey.project import Project
from odyssey.pysource import python_index
from odyssey.workflow.components import Component, find_components
from odyssey.mkdocs_plugin.generated import generated_pages, plugin_options
from odyssey.workflow.docs import DocMention, DocsIndex
from odyssey.workflow.evidence import DocsFindings, Evidence, PackageList, Problem, implementation_gap, marker_comments
from odyssey.workflow.exercised import TestIndex
from odyssey.workflow.history import FirstCommit, read_first_commits
from odyssey.workflow.plans import PlanEntry, PlanIndex
from odyssey.workflow.settings import WorkflowSettings, workflow_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderProblem:
    """The implementation predates the plan: first commit ``implemented`` before the plan's ``planned`` day."""

    phase: str
    before: str
    implemented: FirstCommit
    planned: datetime.date
    plan_note: str


@dataclass(frozen=True)
class ComponentStatus:
    component: Component
    evidence: dict[str, Evidence]
    cleanup: tuple[Problem, ...] = ()
    order: tuple[OrderProblem, ...] = ()
    plans: tuple[PlanEntry, ...] = ()

    def phase_done(self, kinds: tuple[str, ...]) -> bool:
        return all(self.evidence[kind].ok for kind in kinds)

    def phase_evidence(self, kinds: tuple[str, ...]) -> Evidence | None:
        """What to show for a phase: its first missing evidence, else the first evidence with a file (the
        pyproject.toml line of a package last: a docs page says more)."""
        missing = [self.evidence[kind] for kind in kinds if not self.evidence[kind].ok]
        if missing:
            return missing[0]
        ordered = sorted(kinds, key=lambda kind: kind == "package")
        with_file = [self.evidence[kind] for kind in ordered if self.evidence[kind].path]
        return with_file[0] if with_file else (self.evidence[kinds[0]] if kinds else None)


@dataclass
class WorkflowEvaluation:
    settings: WorkflowSettings
    statuses: list[ComponentStatus] = field(default_factory=list)
    unmatched_plans: list[PlanEntry] = field(default_factory=list)
    history: bool = False  # first-commit dates were available

    def to_dict(self) -> dict[str, Any]:
        """The phase table as JSON: per component, per phase, done or not with the evidence file or the reason."""
        phases = self.settings.phases
        rows = []
        for status in self.statuses:
            cells = {}
            for phase in phases:
                shown = status.phase_evidence(phase.evidence)
                cells[phase.name] = {
                    "done": status.phase_done(phase.evidence),
                    "evidence": shown.path if shown is not None and shown.ok else None,
                    "line": shown.line if shown is not None and shown.ok else 0,
                    "detail": shown.detail if shown is not None else "",
                }
            rows.append({"component": status.component.name, "path": status.component.path, "phases": cells,
                         "out_of_order": [f"{p.phase} before {p.before}" for p in status.order]})
        return {"phases": [p.name for p in phases], "components": rows, "history": self.history}


class Evaluator:
    def __init__(self, project: Project, settings: WorkflowSettings) -> None:
        self.project = project
        self.settings = settings
        self.index = python_index(project)
        self.components = find_components(project, settings, self.index)
        kinds = set(settings.required_kinds())
        self.plans = PlanIndex(project, settings)
        self.tests = TestIndex(project, self.index) if "tests" in kinds else None
        self.docs = DocsIndex(project) if self.components and kinds & {"docs", "cleanup"} else None
        self.packages = PackageList(project) if "package" in kinds else None
        self.docs_findings = DocsFindings(project)
        self.first_commits: dict[str, FirstCommit] | None = None
        if settings.git and self.components:
            self.first_commits = read_first_commits(project.root, settings.git_max_commits)

    def evaluate(self) -> WorkflowEvaluation:
        evaluation = WorkflowEvaluation(self.settings, history=self.first_commits is not None)
        for component in self.components:
            evaluation.statuses.append(self.status(component))
        evaluation.unmatched_plans = self.plans.unmatched(self.components)
        return evaluation

    def status(self, component: Component) -> ComponentStatus:
        plans = self.plans.plans_for(component)
        evidence: dict[str, Evidence] = {}
        evidence["plan"] = self.plan_evidence(component, plans)
        evidence["tests"] = self.test_evidence(component)
        source = self.index.source(component.path)
        gap = implementation_gap(source)
        evidence["implementation"] = Evidence("implementation", gap is None, component.path if gap is None else None,
                                              1 if gap is None else 0, detail=gap or "its module defines code")
        evidence["package"] = self.packages.evidence(component.module) if self.packages else Evidence("package", True)
        mentions = self.docs.mentions(component.module, component.path) if self.docs else []
        evidence["docs"] = self.docs_evidence(component, mentions)
        cleanup = marker_comments(source, self.settings.markers)
        sections = [(mention.page, mention.section) for mention in mentions]
        page = evidence["docs"].path
        if not mentions and page and self.project.files.is_file(page):
            sections.append((page, (1, len(self.project.document(page).lines))))  # a whole page from a template
        seen: set[tuple[str, int, int, str]] = set()
        for path, section in sections:
            for finding in self.docs_findings.in_section(path, section):
                key = (finding.path, finding.line, finding.column, finding.code)
                if key not in seen:
                    seen.add(key)
                    cleanup.append(Problem(finding.path, finding.line, finding.column,
                                           f"{finding.code} {finding.message}"))
        if cleanup:
            first_problem = cleanup[0]
            evidence["cleanup"] = Evidence("cleanup", False, detail=f"{len(cleanup)} thing(s) left to clean up, "
                                           f"first at {first_problem.path}:{first_problem.line}")
        else:
            evidence["cleanup"] = Evidence("cleanup", True, component.path, 0,
                                           detail="no marker comments, no stale or stub docs")
        return ComponentStatus(component, evidence, tuple(cleanup), tuple(self.order(component, plans)),
                               tuple(plans))

    def plan_evidence(self, component: Component, plans: list[PlanEntry]) -> Evidence:
        if plans:
            first = plans[0]
            return Evidence("plan", True, first.note, first.line, first.column, detail=f"listed as '{first.written}'")
        return Evidence("plan", False, detail=f"no note of kind '{self.settings.plan_kind}' lists it in "
                        f"'{self.settings.plan_key}'")

    def test_evidence(self, component: Component) -> Evidence:
        if self.tests is None:
            return Evidence("tests", True)
        importers = self.tests.importers(component.module)
        # The component's own test module first (tests/lenet5/test_model.py for lenet5.model), then by path.
        own = (f"test_{component.stem}.py", f"{component.stem}_test.py")
        importers.sort(key=lambda item: (posixpath.basename(item[0]) not in own, item[0]))
        if importers:
            path, line, column = importers[0]
            more = f" (and {len(importers) - 1} more)" if len(importers) > 1 else ""
            return Evidence("tests", True, path, line, column, detail=f"imported by {path}{more}")
        if component.aliases:
            naming = self.tests.naming(component.aliases)
            if naming:
                path, line, column, text = naming[0]
                return Evidence("tests", True, path, line, column, detail=f"selected as '{text}' by {path}")
        for wanted in expand(component.group.tests if component.group else (), component):
            found = sorted(p for p in self.project.files.files if glob_match(p, wanted))
            if found:
                return Evidence("tests", True, found[0], 0, detail=f"test data {found[0]}")
        return Evidence("tests", False, detail=f"no test module imports {component.module}")

    def docs_evidence(self, component: Component, mentions: list[DocMention]) -> Evidence:
        if mentions:
            first = mentions[0]
            return Evidence("docs", True, first.page, first.line, first.column, detail=f"documented by a {first.how}")
        docs_dir = self.project.docs_dir
        for wanted in expand(component.group.docs if component.group else (), component):
            found = sorted(page for page in self.docs_pages if glob_match(page, wanted))
            if found:
                page = posixpath.join(docs_dir, found[0])
                generated = found[0] in self.generated_pages and not self.project.files.is_file(page)
                how = "page the odyssey mkdocs plugin generates" if generated else "docs page"
                return Evidence("docs", True, page, 0, detail=f"documented by the {how} {found[0]}")
        return Evidence("docs", False, detail=f"no docs page documents it (no '::: {component.module}' directive, "
                        f"code span or link under {docs_dir}/)")

    @functools.cached_property
    def generated_pages(self) -> set[str]:
        """Pages (relative to the docs directory) the odyssey mkdocs plugin adds to the site."""
        mkdocs = self.project.mkdocs
        options = plugin_options(mkdocs.data) if mkdocs is not None and isinstance(mkdocs.data, dict) else None
        return generated_pages(options) if options is not None else set()

    @functools.cached_property
    def docs_pages(self) -> set[str]:
        prefix = self.project.docs_dir + "/"
        files = {path[len(prefix):] for path in self.project.files.files if path.startswith(prefix)}
        return files | self.generated_pages

    def order(self, component: Component, plans: list[PlanEntry]) -> list[OrderProblem]:
        commits = self.first_commits
        if commits is None or not plans:
            return []
        implemented = commits.get(component.path)
        if implemented is None:
            return []
        planned_day: datetime.date | None = None
        planned_note = ""
        for entry in plans:
            dates = [d for d in (entry.created, commits[entry.note].day if entry.note in commits else None) if d]
            if dates and (planned_day is None or min(dates) < planned_day):
                planned_day, planned_note = min(dates), entry.note
        if planned_day is None or implemented.day >= planned_day:
            return []
        problems = []
        for phase in self.settings.phases_needing("implementation"):
            for before in sorted(self.settings.prerequisites(phase.name)):
                before_phase = next(p for p in self.settings.phases if p.name == before)
                if "plan" in before_phase.evidence:
                    problems.append(OrderProblem(phase.name, before, implemented, planned_day, planned_note))
        return problems


def expand(templates: tuple[str, ...], component: Component) -> Iterator[str]:
    """Each template with the component's placeholders filled in, once per alias when it uses ``{alias}``."""
    for template in templates:
        for alias in component.aliases if "{alias}" in template else ("",):
            yield template.format(alias=alias, stem=component.stem, slug=component.stem.replace("_", "-"),
                                  module=component.module)


_EVALUATIONS: weakref.WeakKeyDictionary[Project, WorkflowEvaluation] = weakref.WeakKeyDictionary()


def evaluate_workflow(project: Project) -> WorkflowEvaluation:
    """The workflow evaluation of ``project``, computed on first use and kept for the project's life."""
    evaluation = _EVALUATIONS.get(project)
    if evaluation is None:
        evaluation = Evaluator(project, workflow_settings(project.config)).evaluate()
        _EVALUATIONS[project] = evaluation
    return evaluation
