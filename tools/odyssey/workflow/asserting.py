"""Which tests use a component, and whether they assert anything -- so "covered but never asserted" shows.

The verdict per test is the tests family's (TST001): an ``assert``, ``pytest.raises``, an assert-like helper, a
helper that does one of these (followed through the module, its conftest.py files and repository imports), a
``@given`` property test, ``xfail(raises=...)``. A test uses a component when it is in a test module that imports the
component (``odyssey.workflow.exercised``) and its body refers to a name that import bound (``LeNet5`` after ``from
lenet5.model import LeNet5``; ``model`` after ``from lenet5 import model``; ``lenet5`` after ``import lenet5.model``).
When no test of the module names it directly (it reaches the tests through fixtures or helpers), and in modules that
name one of the component's aliases instead of importing it (``select=("NAM",)``), every test of the module counts
as using it.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass

from odyssey.checks.tests import (
    TestFunction,
    TestsCheck,
    collect_tests,
    expects_raise,
    is_given,
    module_name,
    walk_body,
)
from odyssey.project import Project
from odyssey.pysource import resolve_relative
from odyssey.workflow.exercised import TestIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssertionSummary:
    tests: int  # tests using the component
    asserting: int  # of which check something
    modules: tuple[str, ...]  # the test modules importing it
    silent: tuple[str, ...] = ()  # "path::test" of the first tests that use it and check nothing

    def to_dict(self) -> dict[str, object]:
        return {"tests": self.tests, "asserting": self.asserting, "modules": list(self.modules),
                "silent": list(self.silent)}


class AssertionIndex:
    """Assertion verdicts of the tests, per component module, computed on demand and cached per test module."""

    MAX_SILENT = 3

    def __init__(self, project: Project, tests: TestIndex) -> None:
        self.project = project
        self.tests = tests
        self.check = TestsCheck(project)
        self._collected: dict[str, list[tuple[TestFunction, bool, frozenset[str]]]] = {}

    def summary(self, module: str, aliases: tuple[str, ...] = ()) -> AssertionSummary:
        """Tests using ``module``: in the modules importing it, and in those naming one of its ``aliases`` (all
        tests of such a module count: the alias is usually passed through a helper)."""
        importers = [path for path, _line, _column in self.tests.importers(module)]
        naming = [path for path, *_rest in self.tests.naming(aliases)] if aliases else []
        importers.extend(path for path in naming if path not in importers)
        total = asserting = 0
        silent: list[str] = []
        for path in importers:
            tests = self._tests_of(path)
            names = self._bound_names(path, module) if path not in naming else frozenset()
            using = [(t, ok) for t, ok, referenced in tests if referenced & names] or \
                [(t, ok) for t, ok, _referenced in tests]
            total += len(using)
            asserting += sum(ok for _t, ok in using)
            silent.extend(f"{path}::{_qualified(t)}" for t, ok in using if not ok)
        return AssertionSummary(total, asserting, tuple(importers), tuple(silent[: self.MAX_SILENT]))

    def _tests_of(self, path: str) -> list[tuple[TestFunction, bool, frozenset[str]]]:
        """The module's tests with their verdict and the names their bodies refer to."""
        if path not in self._collected:
            source = self.check.index.source(path)
            found: list[tuple[TestFunction, bool, frozenset[str]]] = []
            scope = self.check.helpers.scope(path) if source.tree is not None else None
            if source.tree is not None and scope is not None:
                scope.parents = self.check.conftest_scopes(path)
                tests, _any = collect_tests(source.tree)
                for test in tests:
                    node = test.node
                    verdict = (self.check.helpers.checks(node, scope, test.class_name) or expects_raise(node)
                               or (is_given(node) and any(isinstance(n, ast.Call) for n in walk_body(node))))
                    referenced = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
                    found.append((test, verdict, referenced))
            self._collected[path] = found
        return self._collected[path]

    def _bound_names(self, path: str, module: str) -> frozenset[str]:
        """Local names that an import of the test module binds to ``module`` or to a name it defines."""
        tree = self.check.index.source(path).tree
        if tree is None:
            return frozenset()
        own = module_name(path)
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == module or alias.name.startswith(module + "."):
                        names.add(alias.asname or alias.name.split(".")[0])
                    elif module.startswith(alias.name + ".") and alias.asname is None:
                        names.add(alias.name.split(".")[0])  # import lenet5 ... lenet5.model.LeNet5()
            elif isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:
                    source = resolve_relative(own, path.endswith("__init__.py"), node.level, node.module)
                for alias in node.names:
                    local = alias.asname or alias.name
                    if source == module or f"{source}.{alias.name}" == module:
                        names.add(local)
                    elif module in self.tests.name_modules(source, alias.name):
                        names.add(local)
        return frozenset(names)


def _qualified(test: TestFunction) -> str:
    return f"{test.class_name}.{test.node.name}" if test.class_name else test.node.name
