"""Components: the units of work whose phases the workflow family follows, found by pattern.

A component is one Python module of the repository. ``[workflow] components`` lists groups of globs (the first
group matching a module wins); without it every module of the repository's own packages (``pysource.package_dirs``)
is one, except package files (``__init__.py``, ``__main__.py``, ``conftest.py``) and test, docs, benchmark, example
and script directories.

A component is named by its group's ``name`` template (default the dotted module, ``lenet5.model``); plan notes list
these names. Its dotted ``module`` comes from the package mapping (``tools/odyssey/checks/links.py`` is
``odyssey.checks.links``), or from the path when the file is outside every package.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass

from odyssey.globs import any_match
from odyssey.project import Project
from odyssey.pysource import PythonIndex
from odyssey.workflow.settings import ALWAYS_EXCLUDED, DEFAULT_COMPONENT_EXCLUDE, ComponentGroup, WorkflowSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Component:
    name: str
    path: str  # the module file
    module: str  # dotted import name
    group: ComponentGroup | None  # None: the generic default
    aliases: tuple[str, ...] = ()

    @property
    def stem(self) -> str:
        return posixpath.splitext(posixpath.basename(self.path))[0]

    @property
    def package(self) -> str:
        return self.module.rpartition(".")[0]


def module_for(index: PythonIndex, path: str) -> str:
    """The dotted module of a repository ``.py`` file, through the package mapping (longest directory first)."""
    best: tuple[str, str] | None = None
    for name, directory in index.packages.items():
        prefix = f"{directory}/" if directory else ""
        if path.startswith(prefix) and (best is None or len(directory) > len(best[1])):
            best = (name, directory)
    if best is None:
        stem = path[:-3]
    else:
        name, directory = best
        relative = path[len(directory) + 1 if directory else 0 : -3]
        stem = f"{name.replace('.', '/')}/{relative}"
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    return stem.replace("/", ".")


def find_components(project: Project, settings: WorkflowSettings, index: PythonIndex) -> list[Component]:
    """Every component of the repository, sorted by name."""
    python_files = sorted(path for path in project.files.files if path.endswith(".py"))
    components: dict[str, Component] = {}
    if settings.groups is None:
        directories = [d for d in index.packages.values()]
        for path in python_files:
            if not any(path.startswith(f"{d}/") or not d for d in directories):
                continue
            if any_match(path, ALWAYS_EXCLUDED) or any_match(path, DEFAULT_COMPONENT_EXCLUDE):
                continue
            module = module_for(index, path)
            components.setdefault(module, Component(module, path, module, None))
    else:
        taken: set[str] = set()
        for group in settings.groups:
            for path in python_files:
                if path in taken or not any_match(path, group.paths):
                    continue
                if any_match(path, ALWAYS_EXCLUDED) or any_match(path, group.exclude):
                    continue
                taken.add(path)
                module = module_for(index, path)
                stem = posixpath.splitext(posixpath.basename(path))[0]
                name = group.name.format(module=module, stem=stem, package=module.rpartition(".")[0], path=path)
                if name in components:
                    logger.warning("workflow: %s and %s are both named component '%s'; the second is ignored",
                                   components[name].path, path, name)
                    continue
                components[name] = Component(name, path, module, group, _aliases(index, path, group))
    return sorted(components.values(), key=lambda component: component.name)


def _aliases(index: PythonIndex, path: str, group: ComponentGroup) -> tuple[str, ...]:
    if group.aliases is None:
        return ()
    text = index.source(path).text
    found = []
    for match in group.aliases.finditer(text):
        alias = match.group(1) if group.aliases.groups else match.group(0)
        if alias and alias not in found:
            found.append(alias)
    return tuple(found)
