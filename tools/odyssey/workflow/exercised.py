"""Which test modules exercise which modules: their imports, followed through re-exports, and the strings they name.

The test code is the tests family's test modules (``[tests] paths`` minus ``exclude``), every other Python file in
a directory holding one (helpers such as ``tests/lenet5/_emnist_fixtures.py``) and the ``conftest.py`` files above
them. A file of test code exercises a module when it

- imports it, anywhere in the file (``import lenet5.model``, ``from lenet5 import model``, ``from lenet5.model
  import LeNet5``, or an import inside a test function), or imports a name that a package re-exports from it
  (``from lenet5.layers import Conv2D`` exercises ``lenet5.layers.conv2d``, where ``Conv2D`` is defined);
- names it in ``importlib.import_module("...")``, ``pytest.importorskip("...")`` or ``require_module("...")``;
- or holds a string constant equal to one of the component's aliases, or a prefix of one of at least three
  characters (``Selection(select=("NAM",))`` exercises the check family whose rule codes start with ``NAM``).

Modules are read through ``odyssey.pysource`` (parsed once per run, never imported).
"""

from __future__ import annotations

import ast
import logging
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field

from odyssey.checks.tests import dotted_name, module_name, tests_settings
from odyssey.globs import any_match
from odyssey.project import Project
from odyssey.pysource import MAX_IMPORT_HOPS, PythonIndex, resolve_relative

logger = logging.getLogger(__name__)

MIN_SELECTOR = 3  # a rule prefix shorter than this ("N") selects too much to name one family
IMPORT_CALLS = frozenset({"import_module", "importorskip", "require_module"})
MAX_ALIAS_LENGTH = 64


@dataclass
class TestModuleFacts:
    __test__ = False  # not a pytest class, whatever its name

    path: str
    imported: dict[str, tuple[int, int]] = field(default_factory=dict)  # module -> first (line, column)
    strings: dict[str, tuple[int, int]] = field(default_factory=dict)  # short string constants -> first position


def test_module_paths(project: Project) -> list[str]:
    """The test code: the test modules (the tests family's selection), every other Python file in a directory that
    holds one (helpers, fixtures modules), and the conftest.py files above them; sorted."""
    settings = tests_settings(project)
    files = project.files
    modules = sorted(path for path in files.files if path.endswith(".py") and any_match(path, settings.paths)
                     and not any_match(path, settings.exclude))
    directories = {posixpath.dirname(path) for path in modules}
    code = set(modules)
    code.update(path for path in files.files if path.endswith(".py") and posixpath.dirname(path) in directories)
    for path in modules:
        directory = posixpath.dirname(path)
        while True:
            candidate = posixpath.join(directory, "conftest.py") if directory else "conftest.py"
            if files.is_file(candidate):
                code.add(candidate)
            if not directory:
                break
            directory = posixpath.dirname(directory)
    return sorted(code)


class TestIndex:
    """Imports and strings of every test module, read once."""

    __test__ = False

    def __init__(self, project: Project, index: PythonIndex) -> None:
        self.project = project
        self.index = index
        self.modules: list[TestModuleFacts] = []
        for path in test_module_paths(project):
            source = index.source(path)
            if source.tree is not None:
                self.modules.append(self._read(path, source.tree))
        self._by_module: dict[str, list[tuple[str, int, int]]] = {}
        for facts in self.modules:
            for module, (line, column) in facts.imported.items():
                self._by_module.setdefault(module, []).append((facts.path, line, column))

    def importers(self, module: str) -> list[tuple[str, int, int]]:
        """Test modules importing ``module``: (path, line, column of the first import), sorted by path."""
        return sorted(self._by_module.get(module, ()))

    def naming(self, aliases: tuple[str, ...]) -> list[tuple[str, int, int, str]]:
        """Test modules holding a string that is one of ``aliases`` or a selector prefix of one."""
        found = []
        for facts in self.modules:
            for text, (line, column) in facts.strings.items():
                if len(text) >= MIN_SELECTOR and any(alias.startswith(text) for alias in aliases):
                    found.append((facts.path, line, column, text))
                    break
        return found

    # -- reading ------------------------------------------------------------------------------------------------
    def _read(self, path: str, tree: ast.Module) -> TestModuleFacts:
        facts = TestModuleFacts(path)
        own = module_name(path)
        for node in ast.walk(tree):
            where = (getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self._credit(facts, alias.name, where)
            elif isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:
                    source = resolve_relative(own, path.endswith("__init__.py"), node.level, node.module)
                self._credit(facts, source, where)
                for alias in node.names:
                    if alias.name != "*":
                        for module in self.name_modules(source, alias.name):
                            self._credit(facts, module, where)
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                called = (dotted_name(node.func) or "").rpartition(".")[2]
                if called in IMPORT_CALLS and isinstance(node.args[0].value, str):
                    self._credit(facts, node.args[0].value, where)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if 0 < len(text) <= MAX_ALIAS_LENGTH and text not in facts.strings:
                    facts.strings[text] = where
        return facts

    def _credit(self, facts: TestModuleFacts, module: str, where: tuple[int, int]) -> None:
        if module and self.index.module_file(module) is not None:
            if module not in facts.imported or where < facts.imported[module]:
                facts.imported[module] = where

    def name_modules(self, source: str, name: str) -> Iterator[str]:
        """Modules that ``from source import name`` exercises besides ``source``: ``source.name`` when that is a
        module, else the module defining ``name``, followed through re-exports."""
        submodule = f"{source}.{name}"
        if self.index.module_file(submodule) is not None:
            yield submodule
            return
        module, hops = source, 0
        while hops <= MAX_IMPORT_HOPS:
            symbols = self.index.symbols(module)
            if symbols is None or name not in symbols.imports:
                return
            target = symbols.imports[name]
            if self.index.module_file(target) is not None:
                yield target  # ``from pkg import mod`` re-exported as a name
                return
            module, _, name = target.rpartition(".")
            if not module:
                return
            yield module
            hops += 1
