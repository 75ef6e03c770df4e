"""The evidence kinds a phase can ask of a component, each judged from what the repository holds.

- ``plan``: a plan note lists the component (``odyssey.workflow.plans``).
- ``tests``: a test module exercises it (``odyssey.workflow.exercised``), or a file matching its group's ``tests``
  templates exists (an odyssey rule's fixture tree).
- ``implementation``: its module parses and defines something real. A module whose every function is a stub
  (``pass``, ``...``, ``raise NotImplementedError``) or that defines nothing at all is not an implementation;
  ``@abstractmethod``/``@overload`` functions and methods of ``Protocol`` classes are interfaces, not stubs.
- ``package``: its package ships in the distribution. With an explicit ``[tool.setuptools] packages`` list the
  module's package must be listed (an unlisted package is left out of the wheel even though an editable install
  imports it); ``py-modules`` likewise for top-level modules. Package discovery (``packages.find``) and other build
  backends include every package.
- ``docs``: a docs page documents it (``odyssey.workflow.docs``).
- ``cleanup``: no comment of its module holds a marker word (``TODO``, ``FIXME``, ``XXX``; comments only, found with
  ``tokenize``, so strings and docstrings that talk about TODOs are not markers), and the docs sections documenting
  it have no stale (STL) or stub (STB) finding.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import tokenize
import tomllib
from dataclasses import dataclass
from typing import Any

from odyssey.checks.stale import StaleCheck
from odyssey.checks.stubs import StubsCheck
from odyssey.findings import Finding
from odyssey.policy import Selection, apply_policy
from odyssey.project import Project
from odyssey.pysource import PySource

logger = logging.getLogger(__name__)

INTERFACE_DECORATORS = frozenset({"abstractmethod", "overload", "abstractproperty"})
INTERFACE_BASES = frozenset({"Protocol", "ABC"})


@dataclass(frozen=True)
class Evidence:
    """One kind of evidence for one component: found (``ok``) at ``path:line``, or missing because ``detail``."""

    kind: str
    ok: bool
    path: str | None = None
    line: int = 0
    column: int = 0
    detail: str = ""


@dataclass(frozen=True)
class Problem:
    """Something left for cleanup: a marker comment, or a stale/stub finding in the component's docs."""

    path: str
    line: int
    column: int
    message: str


# -- implementation -------------------------------------------------------------------------------------------------
def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        while isinstance(target, ast.Attribute):
            names.add(target.attr)
            target = target.value
        if isinstance(target, ast.Name):
            names.add(target.id)
    return names


def is_stub_body(body: list[ast.stmt]) -> bool:
    """A function body that does nothing: docstring, ``pass``, ``...``, ``raise NotImplementedError``."""
    statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                          and isinstance(s.value.value, str))]
    if not statements:
        return True
    for statement in statements:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
                and statement.value.value is Ellipsis:
            continue
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                continue
        return False
    return True


def implementation_gap(source: PySource) -> str | None:
    """Why the module is not an implementation yet, or None when it is one."""
    if source.tree is None:
        message = source.error[2] if source.error else "cannot be read"
        return f"its module cannot be parsed ({message})"
    real = stubs = 0
    defines_data = False

    def visit(body: list[ast.stmt], interface: bool) -> None:
        nonlocal real, stubs, defines_data
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not is_stub_body(node.body):
                    real += 1
                elif not (interface or _decorators(node) & INTERFACE_DECORATORS):
                    stubs += 1
            elif isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base).rpartition(".")[2].partition("[")[0] for base in node.bases}
                defines_data = True
                visit(node.body, interface or bool(bases & INTERFACE_BASES))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(not (isinstance(t, ast.Name) and t.id.startswith("__")) for t in targets):
                    defines_data = True
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                visit(getattr(node, "body", []), interface)
                visit(getattr(node, "orelse", []), interface)

    visit(source.tree.body, False)
    if real:
        return None
    if stubs:
        return f"every function of its module is a stub ({stubs} with only pass, ... or raise NotImplementedError)"
    if not defines_data:
        return "its module defines nothing"
    return None


# -- package --------------------------------------------------------------------------------------------------------
class PackageList:
    """What ``[tool.setuptools]`` ships, read from pyproject.toml once."""

    def __init__(self, project: Project) -> None:
        self.packages: list[str] | None = None  # None: discovery or another backend ships every package
        self.py_modules: list[str] | None = None
        self.text = ""
        if project.files.is_file("pyproject.toml"):
            self.text = project.read_text("pyproject.toml") or ""
            try:
                table: Any = tomllib.loads(self.text).get("tool", {}).get("setuptools", {})
            except tomllib.TOMLDecodeError:
                table = {}
            if isinstance(table, dict):
                packages = table.get("packages")
                if isinstance(packages, list):
                    self.packages = [p for p in packages if isinstance(p, str)]
                modules = table.get("py-modules")
                if isinstance(modules, list):
                    self.py_modules = [m for m in modules if isinstance(m, str)]

    def _line_of(self, *needles: str, key: str = "packages") -> int:
        """The line of the first of ``needles`` at or after the ``key = [`` line (1 when not found)."""
        lines = self.text.splitlines()
        start = next((i for i, line in enumerate(lines) if re.match(rf"\s*{re.escape(key)}\s*=", line)), 0)
        for number, line in enumerate(lines[start:], start=start + 1):
            if any(needle in line for needle in needles):
                return number
        return 1

    def evidence(self, module: str) -> Evidence:
        package = module.rpartition(".")[0]
        if not package:
            if self.py_modules is None or module in self.py_modules:
                return Evidence("package", True, "pyproject.toml" if self.text else None,
                                self._line_of(f'"{module}"', key="py-modules") if self.py_modules else 0,
                                detail=f"top-level module '{module}' is shipped")
            return Evidence("package", False, detail=f"top-level module '{module}' is not listed in "
                            "[tool.setuptools] py-modules (pyproject.toml): it is left out of the distribution")
        if self.packages is None:
            return Evidence("package", True, "pyproject.toml" if self.text else None, 0,
                            detail=f"package '{package}' is found by package discovery")
        if package in self.packages:
            return Evidence("package", True, "pyproject.toml", self._line_of(f'"{package}"', f"'{package}'"),
                            detail=f"package '{package}' is listed in [tool.setuptools] packages")
        return Evidence("package", False, detail=f"package '{package}' is not listed in [tool.setuptools] packages "
                        "(pyproject.toml): the module is left out of the wheel")


# -- cleanup --------------------------------------------------------------------------------------------------------
def marker_comments(source: PySource, markers: tuple[str, ...]) -> list[Problem]:
    """Comments of the module holding a marker word, with their positions."""
    if not markers or not source.text:
        return []
    # A quoted marker ("TODO", `FIXME`) is a comment about markers, not one.
    pattern = re.compile(r"(?<![\w\"'`])(" + "|".join(re.escape(m) for m in markers) + r")(?![\w\"'`])")
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source.text).readline):
            if token.type == tokenize.COMMENT:
                match = pattern.search(token.string)
                if match:
                    line, column = token.start
                    text = token.string.lstrip("#").strip()
                    found.append(Problem(source.path, line, column + 1,
                                         f"{match.group(1)} comment left in the code: '{_short(text)}'"))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        logger.debug("%s: cannot tokenize; no marker comments read", source.path)
    return found


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DocsFindings:
    """Stale (STL) and stub (STB) findings of docs pages, as the run's policy keeps them, computed once per page."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.selection = Selection(select=project.config.select, ignore=project.config.ignore)
        self._checks: list[StubsCheck | StaleCheck] | None = None
        self._by_page: dict[str, list[Finding]] = {}

    def page(self, path: str) -> list[Finding]:
        if path not in self._by_page:
            if self._checks is None:
                self._checks = [StubsCheck(self.project), StaleCheck(self.project)]
            document = self.project.document(path)
            found: list[Finding] = []
            if document.readable:
                for check in self._checks:
                    found.extend(check.check_document(document))
            self._by_page[path] = apply_policy(found, self.project, self.selection)
        return self._by_page[path]

    def in_section(self, path: str, section: tuple[int, int]) -> list[Finding]:
        """Findings of the page within the section's lines; a whole-document stub (STB001) counts everywhere."""
        first, last = section
        return [f for f in self.page(path) if first <= f.line <= last or f.code == "STB001"]
