"""workflow (WFL): was the declared workflow followed, component by component?

A whole-repository check. ``[tool.odyssey.workflow]`` declares the phases and the evidence each asks for (default:
the seed project's plan -> test, implementation, package in parallel -> cleanup); ``odyssey.workflow`` finds the
components and judges their evidence (see that package for what counts). Findings:

- WFL001-WFL006: a component lacks a phase's evidence -- a plan note, tests, an implementation, a place in the
  distribution, a docs page, a clean state (marker comments are reported at the comment itself).
- WFL007: the implementation predates its plan (git history; the rule is in ``odyssey.workflow.evaluate``).
- WFL008: an agent's ``phase`` frontmatter names a phase the workflow does not have.
- WFL009: a phase no agent covers (when agents declare phases at all; ``[workflow] agent-coverage``).
- WFL010: a plan note lists a component that does not exist.

Component findings point at the module (line 1) so that ``per-file-ignores`` by module path work; ``# odyssey:
ignore WFL00x`` on the reported line of a Python file suppresses one.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterator
from typing import Any

from odyssey.agents_model import key_position, value_positions
from odyssey.checks.base import ProjectCheck
from odyssey.checks.tests import _suppressed
from odyssey.findings import Finding, Severity
from odyssey.pysource import python_index
from odyssey.rules import Rule
from odyssey.workflow.evaluate import ComponentStatus, WorkflowEvaluation, evaluate_workflow
from odyssey.workflow.plans import PATTERN_CHARS
from odyssey.workflow.settings import WorkflowSettings, workflow_settings

logger = logging.getLogger(__name__)

_OPTIONS = """
    ## Options
    - `workflow.phases`: the phases, the evidence each asks for (`plan`, `tests`, `implementation`, `package`,
      `docs`, `cleanup`) and the phases each comes `after`.
    - `workflow.components`: which modules are components (`paths`, `exclude`, `name`) and further evidence
      (`aliases`, `tests` and `docs` templates).
"""

WFL001 = Rule(
    code="WFL001",
    name="component-without-plan",
    family="workflow",
    summary="Component has no plan: no plan note lists it",
    doc="""
    ## What it does
    Reports a component (a module the workflow configuration names) that no plan note lists: no note of kind
    `plan` (`workflow.plan-kind`) has it in its `components` frontmatter (`workflow.plan-key`), by name, dotted
    module, path or fnmatch pattern.

    ## Why is this bad?
    The workflow starts with a plan: what the component is for, its interface, how it will be tested. Code that
    was never planned is where duplicated mechanisms and special cases come from, and nobody can tell later what it
    was meant to do.

    ## Example
    `lenet5/optim.py` exists; `notes/` has plans for the model and the layers only.

    ## Use instead
    ```markdown
    ---
    title: Optimizers and learning-rate schedules
    kind: plan
    status: active
    created: 2026-11-26
    updated: 2026-11-26
    components: [lenet5.optim]
    ---
    ```
    Create it with `odyssey notes new --kind plan --title ...` and add the `components` key (allow it with
    `[tool.odyssey.notes] extra-keys = ["components"]`).
    """ + _OPTIONS,
)
WFL002 = Rule(
    code="WFL002",
    name="component-without-tests",
    family="workflow",
    summary="Component has no tests: no test module imports it",
    doc="""
    ## What it does
    Reports a component that no test module exercises: none imports it (directly, inside a test function, or
    through a package that re-exports one of its names), names it in `importlib.import_module`/`importorskip`,
    or -- for components with `aliases` -- selects one of its aliases (`"NAM"` selects the rules `NAM001`...),
    and no file matches its group's `tests` templates.

    ## Why is this bad?
    Untested code is unverified code: the test phase of the workflow was skipped, and the next change breaks it
    silently.

    ## Example
    `lenet5/plots.py` is imported only by `lenet5/train.py`; no test under `tests/` imports it.

    ## Use instead
    ```python
    # tests/lenet5/test_plots.py
    from lenet5.plots import plot_history

    def test_plot_history_writes_a_png(tmp_path):
        plot_history({"loss": [1.0, 0.5]}, tmp_path / "loss.png")
        assert (tmp_path / "loss.png").read_bytes().startswith(b"\\x89PNG")
    ```
    """ + _OPTIONS,
)
WFL003 = Rule(
    code="WFL003",
    name="component-not-implemented",
    family="workflow",
    summary="Component is not implemented: its module is empty, all stubs, or unparsable",
    doc="""
    ## What it does
    Reports a component whose module defines nothing, cannot be parsed, or whose every function is a stub (a body
    of only `pass`, `...` or `raise NotImplementedError`). Abstract methods, `@overload`s and `Protocol` methods
    are interfaces and do not count as stubs.

    ## Why is this bad?
    A skeleton module passes imports and linters and looks done in the file tree; the implementation phase did not
    happen.

    ## Example
    ```python
    def evaluate(model, dataset):
        raise NotImplementedError
    ```

    ## Use instead
    Implement it, or delete the module and the plan entry until the work is scheduled.
    """ + _OPTIONS,
)
WFL004 = Rule(
    code="WFL004",
    name="component-not-packaged",
    family="workflow",
    summary="Component is not packaged: its package is missing from [tool.setuptools] packages",
    doc="""
    ## What it does
    Reports a component whose package is not in the explicit `[tool.setuptools] packages` list of pyproject.toml
    (or, for a top-level module, not in `py-modules`). With package discovery (`packages.find`) or another build
    backend every package ships and nothing is reported.

    ## Why is this bad?
    An editable install imports the module from the source tree, so every test passes; the wheel leaves the
    package out and the installed tool fails with `ModuleNotFoundError`.

    ## Example
    ```toml
    [tool.setuptools]
    packages = ["odyssey", "odyssey.checks"]   # odyssey/workflow/ was added later
    ```

    ## Use instead
    ```toml
    [tool.setuptools]
    packages = ["odyssey", "odyssey.checks", "odyssey.workflow"]
    ```
    """ + _OPTIONS,
)
WFL005 = Rule(
    code="WFL005",
    name="component-undocumented",
    family="workflow",
    summary="Component is undocumented: no docs page documents it",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports a component that no page of the docs directory documents: no mkdocstrings directive (`::: module`,
    or an object in it; a package's directive covers its submodules with `show_submodules: true`), no code span
    naming the module, an object in it or its path, and no link to its file.

    ## Why is this bad?
    The package phase is not finished until users can find the component in the documentation; an API reference
    page costs one line per module.

    ## Example
    `docs/api/lenet5.md` has `::: lenet5.model` and `::: lenet5.train` but nothing for `lenet5.optim`.

    ## Use instead
    ```markdown
    ## Optimizers

    ::: lenet5.optim
    ```
    """ + _OPTIONS,
)
WFL006 = Rule(
    code="WFL006",
    name="cleanup-left",
    family="workflow",
    summary="Component is not cleaned up: a TODO/FIXME/XXX comment, or stale or stub docs",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports, in a component's module, each comment holding a marker word (`TODO`, `FIXME`, `XXX`; see
    `workflow.markers`) at the comment itself -- strings and docstrings are not comments -- and, once per
    component, stale (STL) or stub (STB) findings in the docs sections that document it.

    ## Why is this bad?
    The cleanup phase is the one agents skip: the work is "done" with notes to self in the code and a docs section
    that still describes the first draft.

    ## Example
    ```python
    def train(config):
        # TODO: resume from the last checkpoint
        ...
    ```

    ## Use instead
    Do it, or track it in an issue and remove the comment; fix the docs findings the message names.
    """ + _OPTIONS + """    - `workflow.markers`: the marker words (default `TODO`, `FIXME`, `XXX`).
""",
)
WFL007 = Rule(
    code="WFL007",
    name="implementation-before-plan",
    family="workflow",
    summary="Phase out of order: the component was implemented before its plan existed",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports a component whose module was first committed on a day before its plan: the earliest, over the plan
    notes listing it, of the note's `created:` date and the day of its first commit. Needs git history (without it
    a module has no date and nothing is reported). Days, not times: a plan written the morning the work started is
    in order. Applies between a phase asking for `implementation` evidence and the phases before it asking for
    `plan` evidence.

    ## Why is this bad?
    A plan written after the code describes what was built, not what was meant; the review the plan phase exists
    for never happened.

    ## Example
    `lenet5/parallel.py` was first committed on 2026-03-02; `notes/plan-data-parallel-training.md` lists it with
    `created: 2026-03-10`.

    ## Use instead
    Plan first. For work that already exists, say so in the plan (a review of the existing code) rather than
    back-dating it.

    ## Options
    - `workflow.git`: read first-commit dates (default true); `workflow.git-max-commits`: how far back (5000).
    """,
)
WFL008 = Rule(
    code="WFL008",
    name="agent-unknown-phase",
    family="workflow",
    summary="Agent's phase frontmatter names a phase the workflow does not have",
    doc="""
    ## What it does
    Reports a value of an agent file's `phase` frontmatter (a string or a list) that is not one of the workflow's
    phases, with a did-you-mean.

    ## Why is this bad?
    The agent believes it owns a phase nobody else knows about ("testing" where the workflow says "test"), and the
    phase it should cover is left to no one.

    ## Example
    ```yaml
    phase: testing
    ```

    ## Use instead
    ```yaml
    phase: test
    ```
    """ + _OPTIONS,
)
WFL009 = Rule(
    code="WFL009",
    name="phase-without-agent",
    family="workflow",
    summary="No agent covers a phase of the workflow",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    When the agent files declare phases (`phase` frontmatter), reports each phase of the workflow that no agent
    declares. Reported at the phase in the configuration, or at the first agent's `phase` key when the workflow is
    the default.

    ## Why is this bad?
    A phase nobody owns is skipped: typically cleanup, or packaging and docs.

    ## Example
    Agents declare `plan`, `implementation` and `test`; nobody declares `package` or `cleanup`.

    ## Use instead
    Give the phase to an agent (`phase: [package, cleanup]` for the docs specialist), or remove it from
    `workflow.phases`.

    ## Options
    - `workflow.agent-coverage`: `auto` (report only when some agent declares a phase; default), `always`,
      `never`.
    """,
)
WFL010 = Rule(
    code="WFL010",
    name="plan-names-unknown-component",
    family="workflow",
    summary="Plan note lists a component that does not exist",
    doc="""
    ## What it does
    Reports an entry of a plan note's `components` list that matches no component: no name, dotted module, path,
    or (for an fnmatch pattern) nothing at all.

    ## Why is this bad?
    A misspelt or renamed entry silently loses the plan: the component it meant is reported as unplanned, or the
    plan describes code that no longer exists.

    ## Example
    ```yaml
    components: [lenet5.optimizer]   # the module is lenet5/optim.py
    ```

    ## Use instead
    ```yaml
    components: [lenet5.optim]
    ```
    """ + _OPTIONS,
)

EVIDENCE_RULES = {"plan": WFL001, "tests": WFL002, "implementation": WFL003, "package": WFL004, "docs": WFL005}
EVIDENCE_WORDS = {
    "plan": "has no plan",
    "tests": "has no tests",
    "implementation": "is not implemented",
    "package": "is not packaged",
    "docs": "is undocumented",
}


class WorkflowCheck(ProjectCheck):
    family = "workflow"
    summary = "Workflow compliance: every component planned, tested, implemented, packaged, documented, cleaned up"
    rules = (WFL001, WFL002, WFL003, WFL004, WFL005, WFL006, WFL007, WFL008, WFL009, WFL010)

    def __init__(self, project: Any) -> None:
        super().__init__(project)
        self.settings: WorkflowSettings = workflow_settings(project.config)

    def check_project(self) -> Iterator[Finding]:
        evaluation = evaluate_workflow(self.project)
        index = python_index(self.project)
        for finding in self.findings(evaluation):
            if finding.path.endswith(".py") and _suppressed(index.source(finding.path), finding):
                continue
            yield finding

    def findings(self, evaluation: WorkflowEvaluation) -> Iterator[Finding]:
        for status in evaluation.statuses:
            yield from self.component_findings(status)
        for entry in evaluation.unmatched_plans:
            yield self.finding(WFL010, entry.note, entry.line, entry.column,
                               f"plan lists '{entry.written}', which names no component "
                               f"({self._nearest(entry.written, evaluation)})")
        yield from self.agent_findings()

    def component_findings(self, status: ComponentStatus) -> Iterator[Finding]:
        component = status.component
        for kind, rule in EVIDENCE_RULES.items():
            phases = self.settings.phases_needing(kind)
            evidence = status.evidence[kind]
            if phases and not evidence.ok:
                names = ", ".join(f"'{phase.name}'" for phase in phases)
                yield self.finding(rule, component.path, 1, 1,
                                   f"component '{component.name}' {EVIDENCE_WORDS[kind]} (phase {names}): "
                                   f"{evidence.detail}")
        if self.settings.phases_needing("cleanup"):
            docs_problems = [p for p in status.cleanup if p.path != component.path]
            for problem in status.cleanup:
                if problem.path == component.path:
                    yield self.finding(WFL006, component.path, problem.line, problem.column,
                                       f"component '{component.name}': {problem.message} (phase 'cleanup')")
            if docs_problems:
                first = docs_problems[0]
                more = f" and {len(docs_problems) - 1} more" if len(docs_problems) > 1 else ""
                yield self.finding(WFL006, component.path, 1, 1,
                                   f"component '{component.name}': its docs are not clean (phase 'cleanup'): "
                                   f"{first.path}:{first.line}: {first.message}{more}")
        for problem in status.order:
            yield self.finding(WFL007, component.path, 1, 1,
                               f"component '{component.name}' was implemented before it was planned: first "
                               f"committed {problem.implemented.day.isoformat()} ({problem.implemented.hash}), "
                               f"planned {problem.planned.isoformat()} in {problem.plan_note} (phase "
                               f"'{problem.phase}' before '{problem.before}')")

    def _nearest(self, written: str, evaluation: WorkflowEvaluation) -> str:
        names = [status.component.name for status in evaluation.statuses]
        if PATTERN_CHARS & set(written):
            return "the pattern matches none of the " + (f"{len(names)} components" if names else "components")
        close = difflib.get_close_matches(written, names, n=1, cutoff=0.6)
        if close:
            return f"did you mean '{close[0]}'?"
        return f"{len(names)} components exist" if names else "the repository has no components"

    # -- agents ---------------------------------------------------------------------------------------------------
    def agent_findings(self) -> Iterator[Finding]:
        phases = self.settings.phase_names
        covered: set[str] = set()
        first_declaration: tuple[str, int, int] | None = None
        for path in self.project.files.markdown:
            if not self.project.is_agent_file(path):
                continue
            document = self.project.document(path)
            if not document.readable or "phase" not in document.meta:
                continue
            declared = _phase_values(document.meta.get("phase"))
            line, column = key_position(document, "phase")
            if first_declaration is None:
                first_declaration = (path, line, column)
            for value, (value_line, value_column) in zip(declared, value_positions(document, "phase", declared)):
                if value in phases:
                    covered.add(value)
                    continue
                close = difflib.get_close_matches(value, phases, n=1, cutoff=0.5)
                owners = [phase.name for phase in self.settings.phases_needing(value)]
                if owners:
                    hint = f"; '{value}' is evidence of phase '{owners[0]}'"
                else:
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                yield self.finding(WFL008, path, value_line, value_column,
                                   f"phase '{value}' is not a phase of the workflow ({', '.join(phases)}){hint}")
        mode = self.settings.agent_coverage
        if mode == "never" or (mode == "auto" and first_declaration is None):
            return
        for phase in phases:
            if phase in covered:
                continue
            path, line, column = self._phase_position(phase, first_declaration)
            yield self.finding(WFL009, path, line, column,
                               f"no agent covers phase '{phase}' (no agent file declares it in 'phase')")

    def _phase_position(self, phase: str, fallback: tuple[str, int, int] | None) -> tuple[str, int, int]:
        """Where a phase is declared: its name in the configuration's [workflow] phases, else the fallback (the
        first agent's ``phase`` key)."""
        source = self.config.source
        relative = None
        if source is not None:
            try:
                relative = source.resolve().relative_to(self.project.root).as_posix()
            except ValueError:
                relative = None
        if self.settings.configured and relative is not None:
            pattern = re.compile(r"""\bname\s*=\s*["']""" + re.escape(phase) + r"""["']""")
            for number, line in enumerate((self.project.read_text(relative) or "").splitlines(), start=1):
                match = pattern.search(line)
                if match:
                    return relative, number, match.start() + 1
        if fallback is not None:
            return fallback
        return relative or "pyproject.toml", 1, 1


def _phase_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


CHECKS = (WorkflowCheck,)
