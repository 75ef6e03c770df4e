"""The ``[tool.odyssey.workflow]`` table: phases, the evidence each asks for, components, and coverage settings.

The schema fragment ``schemas/sections/workflow.json`` validates the shape; this module applies the defaults and
checks what a schema cannot (phase names that ``after`` refers to, cycles, regular expressions), raising a
``ConfigError`` that names the file.
"""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from odyssey.config import Config, ConfigError

logger = logging.getLogger(__name__)

SECTION = "workflow"
# Evidence kinds, in the order the table and the messages use them.
EVIDENCE_KINDS = ("plan", "tests", "implementation", "package", "docs", "cleanup")
# The seed project's five phases: plan, then test / implementation / package in parallel, then cleanup.
DEFAULT_PHASES: tuple[dict[str, Any], ...] = (
    {"name": "plan", "evidence": ["plan"]},
    {"name": "test", "evidence": ["tests"], "after": ["plan"]},
    {"name": "implementation", "evidence": ["implementation"], "after": ["plan"]},
    {"name": "package", "evidence": ["package", "docs"], "after": ["plan"]},
    {"name": "cleanup", "evidence": ["cleanup"], "after": ["test", "implementation", "package"]},
)
# Files of a package that are never components on their own: they hold the package, not a unit of work.
ALWAYS_EXCLUDED = ("**/__init__.py", "**/__main__.py", "**/conftest.py")
DEFAULT_COMPONENT_EXCLUDE = ("tests/**", "test/**", "**/tests/**", "docs/**", "benchmarks/**", "examples/**",
                             "scripts/**", "setup.py", "noxfile.py")
DEFAULT_PLAN_KIND = "plan"
DEFAULT_PLAN_KEY = "components"
DEFAULT_MARKERS = ("TODO", "FIXME", "XXX")
DEFAULT_GIT_MAX_COMMITS = 5000
DEFAULT_AGENT_COVERAGE = "auto"
DEFAULT_COVERAGE_COMMAND = ("python", "-m", "pytest", "-q", "-x")
DEFAULT_COVERAGE_TIMEOUT = 3600.0
DEFAULT_LEAST_COVERED = 10


@dataclass(frozen=True)
class Phase:
    name: str
    evidence: tuple[str, ...]
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComponentGroup:
    """One ``components`` entry: each module matching ``paths`` (minus ``exclude``) is a component.

    ``aliases`` is a regular expression run over the module's source: every match (group 1 when the pattern has a
    group) is a name tests may use for the component instead of importing it -- an odyssey check family's rule codes,
    which its tests select (``"NAM"``) and its fixture directories are named after. ``tests`` are glob templates of
    further test evidence files, ``docs`` of docs pages (relative to the docs directory; pages the odyssey mkdocs
    plugin generates count) that document the component; ``{alias}``, ``{stem}``, ``{slug}`` (the stem with
    hyphens) and ``{module}`` are replaced.
    """

    paths: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    name: str = "{module}"
    aliases: re.Pattern[str] | None = None
    tests: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoverageSettings:
    command: tuple[str, ...] = DEFAULT_COVERAGE_COMMAND
    source: tuple[str, ...] = ()  # directories measured; empty: the repository's own package directories
    file: str | None = None  # a coverage file read by default (the docs site's report)
    timeout: float = DEFAULT_COVERAGE_TIMEOUT
    least_covered: int = DEFAULT_LEAST_COVERED


@dataclass(frozen=True)
class WorkflowSettings:
    phases: tuple[Phase, ...]
    groups: tuple[ComponentGroup, ...] | None  # None: the generic default (every module of the own packages)
    plan_kind: str = DEFAULT_PLAN_KIND
    plan_key: str = DEFAULT_PLAN_KEY
    markers: tuple[str, ...] = DEFAULT_MARKERS
    git: bool = True
    git_max_commits: int = DEFAULT_GIT_MAX_COMMITS
    agent_coverage: str = DEFAULT_AGENT_COVERAGE
    coverage: CoverageSettings = field(default_factory=CoverageSettings)
    configured: bool = False  # the repository has a [workflow] table

    @property
    def phase_names(self) -> tuple[str, ...]:
        return tuple(phase.name for phase in self.phases)

    def phases_needing(self, kind: str) -> list[Phase]:
        return [phase for phase in self.phases if kind in phase.evidence]

    def required_kinds(self) -> list[str]:
        wanted = {kind for phase in self.phases for kind in phase.evidence}
        return [kind for kind in EVIDENCE_KINDS if kind in wanted]

    def prerequisites(self, phase: str) -> set[str]:
        """Every phase that must come before ``phase``, directly or through others."""
        by_name = {p.name: p for p in self.phases}
        found: set[str] = set()
        pending = list(by_name[phase].after) if phase in by_name else []
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                pending.extend(by_name[name].after)
        return found


def _where(config: Config) -> str:
    return config.source.name if config.source is not None else "configuration"


def _phases(raw: Sequence[Mapping[str, Any]], where: str) -> tuple[Phase, ...]:
    phases = tuple(Phase(str(item["name"]), tuple(item.get("evidence", ())), tuple(item.get("after", ())))
                   for item in raw)
    names = [phase.name for phase in phases]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{where}: [workflow] phases: phase '{name}' is declared twice")
    for phase in phases:
        for before in phase.after:
            if before not in names:
                raise ConfigError(f"{where}: [workflow] phases: phase '{phase.name}' comes after '{before}', which is "
                                  f"not a phase ({', '.join(names)})")
    # A cycle would make every phase of it wait for itself.
    state: dict[str, int] = {}
    by_name = {phase.name: phase for phase in phases}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join((*trail[trail.index(name):], name))
            raise ConfigError(f"{where}: [workflow] phases: the order is circular ({cycle})")
        state[name] = 1
        for before in by_name[name].after:
            visit(before, (*trail, name))
        state[name] = 2

    for name in names:
        visit(name, ())
    return phases


def _group(raw: Mapping[str, Any], where: str) -> ComponentGroup:
    aliases = raw.get("aliases")
    pattern = None
    if aliases is not None:
        try:
            pattern = re.compile(aliases)
        except re.error as exc:
            raise ConfigError(f"{where}: [workflow] components: aliases {aliases!r} is not a valid regular "
                              f"expression: {exc}") from None
    name = str(raw.get("name", "{module}"))
    try:
        name.format(module="m", stem="s", package="p", path="x.py")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"{where}: [workflow] components: name {name!r} may use only {{module}}, {{stem}}, "
                          f"{{package}} and {{path}} ({type(exc).__name__}: {exc})") from None
    for key in ("tests", "docs"):
        for template in raw.get(key, ()):
            try:
                template.format(alias="a", stem="s", slug="s", module="m")
            except (KeyError, IndexError, ValueError) as exc:
                raise ConfigError(f"{where}: [workflow] components: {key} template {template!r} may use only "
                                  f"{{alias}}, {{stem}}, {{slug}} and {{module}} ({type(exc).__name__}: {exc})"
                                  ) from None
    return ComponentGroup(
        paths=tuple(raw["paths"]),
        exclude=tuple(raw.get("exclude", ())),
        name=name,
        aliases=pattern,
        tests=tuple(raw.get("tests", ())),
        docs=tuple(raw.get("docs", ())),
    )


def _command(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(shlex.split(value))
    return tuple(str(part) for part in value)


def workflow_settings(config: Config) -> WorkflowSettings:
    """Settings from ``[workflow]`` (already validated by the schema fragment), defaults for what is not set."""
    raw: Mapping[str, Any] = config.extra_section(SECTION)
    where = _where(config)
    groups = raw.get("components")
    coverage_raw: Mapping[str, Any] = raw.get("coverage", {})
    command = _command(coverage_raw.get("command", DEFAULT_COVERAGE_COMMAND))
    if not command:
        raise ConfigError(f"{where}: [workflow] coverage.command is empty")
    return WorkflowSettings(
        phases=_phases(raw.get("phases", DEFAULT_PHASES), where),
        groups=tuple(_group(item, where) for item in groups) if groups is not None else None,
        plan_kind=str(raw.get("plan-kind", DEFAULT_PLAN_KIND)),
        plan_key=str(raw.get("plan-key", DEFAULT_PLAN_KEY)),
        markers=tuple(raw.get("markers", DEFAULT_MARKERS)),
        git=bool(raw.get("git", True)),
        git_max_commits=int(raw.get("git-max-commits", DEFAULT_GIT_MAX_COMMITS)),
        agent_coverage=str(raw.get("agent-coverage", DEFAULT_AGENT_COVERAGE)),
        coverage=CoverageSettings(
            command=command,
            source=tuple(coverage_raw.get("source", ())),
            file=coverage_raw.get("file"),
            timeout=float(coverage_raw.get("timeout", DEFAULT_COVERAGE_TIMEOUT)),
            least_covered=int(coverage_raw.get("least-covered", DEFAULT_LEAST_COVERED)),
        ),
        configured=bool(raw),
    )
