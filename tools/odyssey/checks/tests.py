"""tests (TST): pytest tests that cannot fail, and failures that cannot be seen.

A whole-repository check over the Python test modules matched by ``[tests] paths`` (default ``tests/**/test_*.py``
and ``tests/**/*_test.py``), each parsed once by ``odyssey.pysource``. Findings point at the ``.py`` file: the line
and column of the test function, the statement or the decorator.

What counts as checking something (TST001): an ``assert``; a ``raise``; ``pytest.raises``/``warns``/``fail``/
``deprecated_call``; a call whose name matches ``[tests] assert-helpers`` (default ``assert*``, ``check_*``,
``expect_*``, ``verify_*``, ``validate``: ``np.testing.assert_allclose``, ``mock.assert_called_once_with``,
``self.assertEqual``, jsonschema's ``validate``, which raises); a call with ``check=True`` (``subprocess.run``); a
call to a helper that itself checks something -- a function of the same module, of a ``conftest.py`` above it, or
imported from a repository module, or a method of the test's class -- followed transitively. A hypothesis ``@given``
test that calls the code under test is a property test of "does not raise" and counts as checking.
``@pytest.mark.xfail(raises=...)`` does too.

Suppression: ``# odyssey: ignore`` or ``# odyssey: ignore TST001`` on the reported line (Python files have no HTML
comments), or ``per-file-ignores``.
"""

from __future__ import annotations

import ast
import fnmatch
import logging
import operator
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from odyssey.checks.base import ProjectCheck
from odyssey.findings import Finding, Severity
from odyssey.globs import any_match
from odyssey.project import Project
from odyssey.pysource import PySource, resolve_relative, python_index
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

SECTION = "tests"
DEFAULT_PATHS = ("tests/**/test_*.py", "tests/**/*_test.py")
# "validate": jsonschema's and pydantic's validators raise on invalid input.
DEFAULT_ASSERT_HELPERS = ("assert*", "check_*", "expect_*", "verify_*", "validate")
PYTEST_CHECKS = frozenset({"raises", "warns", "fail", "deprecated_call"})
UNITTEST_CHECKS = frozenset({"fail", "assertRaises", "assertWarns", "assertRaisesRegex", "assertWarnsRegex"})
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "AssertionError"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"})
MAX_HELPER_DEPTH = 8
_SUPPRESSION = re.compile(r"#\s*odyssey:\s*ignore\b([^#]*)")

TST001 = Rule(
    code="TST001",
    name="test-without-assertion",
    family="tests",
    summary="Test function checks nothing: no assert, no pytest.raises, no assert-like helper",
    doc="""
    ## What it does
    Reports a pytest test function (`test*` at module level or in a `Test*` class) that contains no `assert`, no
    `raise`, no `pytest.raises`/`warns`/`fail`/`deprecated_call`, no call matching `tests.assert-helpers`
    (`assert*`, `check_*`, `expect_*`, `verify_*`, `validate`: `np.testing.assert_allclose`,
    `mock.assert_called_once`, `self.assertEqual`, jsonschema's `validate`), no call with `check=True`, and no call
    to a helper that does one of these (a function of the same module, of a `conftest.py` above it, imported from
    the repository, or a method of the test class; followed transitively). Hypothesis `@given` tests that call
    something are property tests ("does not raise") and pass.

    ## Why is this bad?
    The test passes whatever the code does. It inflates the test count and the coverage report, and the bug it was
    meant to catch ships.

    ## Example
    ```python
    def test_forward_shape():
        model = LeNet5()
        model.forward(np.zeros((2, 1, 32, 32)))
    ```

    ## Use instead
    ```python
    def test_forward_shape():
        model = LeNet5()
        assert model.forward(np.zeros((2, 1, 32, 32))).shape == (2, 10)
    ```

    ## Options
    - `tests.paths`: globs of the test modules.
    - `tests.assert-helpers`: name patterns (fnmatch, matched against the last component of the called name) of
      calls that count as assertions.
    """,
)
TST002 = Rule(
    code="TST002",
    name="tautological-assertion",
    family="tests",
    summary="Assertion is always true (assert True, assert x == x, assert (cond, \"msg\"))",
    doc="""
    ## What it does
    Reports assertions that cannot fail: a truthy constant (`assert True`, `assert "done"`), a non-empty literal
    (`assert (x == 1, "msg")` is a tuple, always true), a comparison of an expression with itself (`assert x == x`;
    calls are exempt: `assert f() == f()` tests determinism), a comparison of two constants, `assert not False`,
    and `self.assertTrue(True)`.

    ## Why is this bad?
    The assertion reads like a check and checks nothing. The tuple form is a classic slip: the message was meant
    to follow a comma, outside parentheses.

    ## Example
    ```python
    assert (loss < 0.5, "training did not converge")
    ```

    ## Use instead
    ```python
    assert loss < 0.5, "training did not converge"
    ```
    """,
)
TST003 = Rule(
    code="TST003",
    name="skip-without-reason",
    family="tests",
    summary="skip or xfail without a reason",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports `@pytest.mark.skip` and `@pytest.mark.xfail` (as decorators, in `pytestmark` or in
    `pytest.param(marks=...)`) without a non-empty `reason`, `@pytest.mark.skipif(condition)` without `reason=`,
    and `pytest.skip()` / `pytest.xfail()` calls without a message.

    ## Why is this bad?
    Nobody knows why the test is off, so nobody turns it back on; the `-rs` report lists it without an
    explanation.

    ## Example
    ```python
    @pytest.mark.skip
    def test_resume_training(): ...
    ```

    ## Use instead
    ```python
    @pytest.mark.skip(reason="checkpoint format changes in #42; re-enable after the migration")
    def test_resume_training(): ...
    ```
    """,
)
TST004 = Rule(
    code="TST004",
    name="swallowed-failure",
    family="tests",
    summary="Test catches every exception (bare except, except Exception: pass), failures included",
    doc="""
    ## What it does
    In test functions, reports `except:` and `except BaseException:` handlers that do not re-raise, assert or call
    `pytest.fail`, and `except Exception:` / `except AssertionError:` handlers that only `pass`, `continue`, log or
    print; also `contextlib.suppress(Exception)` (or `BaseException`, `AssertionError`). Handlers of specific
    exceptions (`except ValueError:`) are fine.

    ## Why is this bad?
    The assertion inside the `try` fails, the handler swallows the `AssertionError`, and the test passes. A bare
    `except:` also swallows `pytest.fail`, `pytest.skip` and Ctrl-C.

    ## Example
    ```python
    def test_checkpoint_roundtrip(tmp_path):
        try:
            assert load(save(model, tmp_path)) == model
        except Exception:
            pass
    ```

    ## Use instead
    ```python
    def test_checkpoint_roundtrip(tmp_path):
        assert load(save(model, tmp_path)) == model
    ```
    """,
)
TST005 = Rule(
    code="TST005",
    name="empty-test-module",
    family="tests",
    summary="Test module defines no tests",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports a module matched by `tests.paths` that defines no test: no `test*` function, no `Test*` class (or
    `unittest.TestCase` subclass), no `test*`/`Test*` assignment (hypothesis state machines, generated tests).

    ## Why is this bad?
    Its name promises tests that do not exist: usually every test in it was deleted or commented out, or it was
    created and never filled.

    ## Example
    ```python
    # tests/test_data.py
    import numpy as np
    # def test_load(): ...
    ```

    ## Use instead
    Write the tests, or delete the module.
    """,
)
TST006 = Rule(
    code="TST006",
    name="unparsable-test-module",
    family="tests",
    summary="Test module cannot be parsed (syntax error, unreadable)",
    doc="""
    ## What it does
    Reports a module matched by `tests.paths` that Python cannot parse, at the line and column of the error.

    ## Why is this bad?
    pytest reports a collection error and none of the module's tests run; the other test checks cannot read it
    either.

    ## Example
    ```python
    def test_loss()
        assert loss(0) == 0
    ```

    ## Use instead
    ```python
    def test_loss():
        assert loss(0) == 0
    ```
    """,
)


@dataclass(frozen=True)
class TestsSettings:
    __test__ = False  # not a pytest test class, whatever its name

    paths: tuple[str, ...] = DEFAULT_PATHS
    exclude: tuple[str, ...] = ()
    assert_helpers: tuple[str, ...] = DEFAULT_ASSERT_HELPERS


def tests_settings(project: Project) -> TestsSettings:
    raw = project.config.extra_section(SECTION)
    return TestsSettings(
        paths=tuple(raw.get("paths", DEFAULT_PATHS)),
        exclude=tuple(raw.get("exclude", ())),
        assert_helpers=tuple(raw.get("assert-helpers", DEFAULT_ASSERT_HELPERS)),
    )


def dotted_name(node: ast.expr) -> str | None:
    """``np.testing.assert_allclose`` for the expression naming a callee; None for calls on calls etc."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class ModuleScope:
    """The names a module's test code can call: its functions, its classes' methods, what it imports."""

    path: str
    module: str
    functions: dict[str, Function] = field(default_factory=dict)
    methods: dict[str, dict[str, Function]] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local -> (module, name)
    pytest_names: set[str] = field(default_factory=set)  # local names bound to pytest functions (from pytest import)
    parents: list[ModuleScope] = field(default_factory=list)  # conftest.py scopes, nearest first


def module_name(path: str) -> str:
    stem = path[:-3] if path.endswith(".py") else path
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    return stem.replace("/", ".")


def build_scope(path: str, tree: ast.Module) -> ModuleScope:
    scope = ModuleScope(path, module_name(path))
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            scope.methods[node.name] = {
                item.name: item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                source = resolve_relative(scope.module, path.endswith("__init__.py"), node.level, node.module)
            for alias in node.names:
                local = alias.asname or alias.name
                if source == "pytest" and alias.name in PYTEST_CHECKS:
                    scope.pytest_names.add(local)
                elif alias.name != "*":
                    scope.imports[local] = (source, alias.name)
    return scope


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, looking into module-level if/try blocks (``if HAVE_TORCH: def test_x(): ...``)."""
    for node in body:
        if isinstance(node, (ast.If, ast.Try, ast.TryStar)):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(node, block, []))
            for handler in getattr(node, "handlers", ()):
                yield from _top_level(handler.body)
        else:
            yield node


def _decorator_names(function: Function | ast.ClassDef) -> list[str]:
    names = []
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.append(dotted_name(target) or "")
    return names


def _last_name(node: ast.expr) -> str | None:
    """The called name, even on a chain with calls: ``Validator(schema).validate`` -> ``validate``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def walk_body(function: Function) -> Iterator[ast.AST]:
    """Every node of a function's body (not of its decorators or defaults)."""
    for statement in function.body:
        yield from ast.walk(statement)


def is_fixture(function: Function) -> bool:
    return any(name.split(".")[-1] == "fixture" for name in _decorator_names(function))


def is_given(function: Function) -> bool:
    return any(name.split(".")[-1] == "given" for name in _decorator_names(function))


def skips_first(function: Function) -> bool:
    """Does the test start with an unconditional ``pytest.skip``/``xfail`` (a disabled test, TST003's business)?"""
    body = [node for node in function.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    return bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call) and \
        _skip_kind(dotted_name(body[0].value.func) or "") in ("skip", "xfail")


def expects_raise(function: Function) -> bool:
    """``@pytest.mark.xfail(raises=...)``: the test passes only when it raises."""
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and (dotted_name(decorator.func) or "").endswith("mark.xfail"):
            if any(keyword.arg == "raises" for keyword in decorator.keywords):
                return True
    return False


@dataclass(frozen=True)
class TestFunction:
    __test__ = False

    node: Function
    class_name: str | None  # the Test* class holding it


def collect_tests(tree: ast.Module) -> tuple[list[TestFunction], bool]:
    """Test functions of a module, and whether it defines any test at all (classes and assignments included)."""
    tests: list[TestFunction] = []
    any_test = False
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("test") and not is_fixture(node):
                tests.append(TestFunction(node, None))
                any_test = True
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            any_test = True
            tests.extend(_class_tests(node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if any(name.startswith(("test", "Test")) for name in names):
                any_test = True
    return tests, any_test


def _is_test_class(node: ast.ClassDef) -> bool:
    if node.name.startswith("Test"):
        return True
    return any((dotted_name(base) or "").endswith("TestCase") for base in node.bases)


def _class_tests(node: ast.ClassDef) -> Iterator[TestFunction]:
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if item.name.startswith("test") and not is_fixture(item):
                yield TestFunction(item, node.name)
        elif isinstance(item, ast.ClassDef) and _is_test_class(item):
            yield from _class_tests(item)


class HelperResolver:
    """Decides whether a function checks something, following calls into helpers (memoized, cycle-safe)."""

    def __init__(self, check: TestsCheck) -> None:
        self.check = check
        self.patterns = check.settings.assert_helpers
        self._scopes: dict[str, ModuleScope | None] = {}
        self._verdicts: dict[tuple[str, str, int], bool] = {}
        self._in_progress: set[tuple[str, str, int]] = set()

    def scope(self, path: str) -> ModuleScope | None:
        if path not in self._scopes:
            source = self.check.index.source(path)
            self._scopes[path] = build_scope(path, source.tree) if source.tree is not None else None
        return self._scopes[path]

    def checks(self, function: Function, scope: ModuleScope, class_name: str | None, depth: int = 0) -> bool:
        key = (scope.path, function.name if class_name is None else f"{class_name}.{function.name}",
               function.lineno)
        if key in self._verdicts:
            return self._verdicts[key]
        if key in self._in_progress or depth > MAX_HELPER_DEPTH:
            return False  # recursion: decided by the other paths of the caller
        outermost = not self._in_progress
        self._in_progress.add(key)
        try:
            verdict = any(self._is_check(node, scope, class_name, depth) for node in walk_body(function))
        finally:
            self._in_progress.discard(key)
        if verdict or outermost:  # a "no" reached inside a cycle may change once the cycle is done: not kept
            self._verdicts[key] = verdict
        return verdict

    def _is_check(self, node: ast.AST, scope: ModuleScope, class_name: str | None, depth: int) -> bool:
        if isinstance(node, (ast.Assert, ast.Raise)):
            return True
        if not isinstance(node, ast.Call):
            return False
        if any(keyword.arg == "check" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True
               for keyword in node.keywords):
            return True
        last = _last_name(node.func)
        if last is not None and any(fnmatch.fnmatchcase(last, pattern) for pattern in self.patterns):
            return True
        name = dotted_name(node.func)
        if name is None:
            return False
        parts = name.split(".")
        if len(parts) == 2 and parts[0] == "pytest" and last in PYTEST_CHECKS:
            return True
        if len(parts) == 1 and last in scope.pytest_names:
            return True
        if len(parts) == 2 and parts[0] in ("self", "cls"):
            if last in UNITTEST_CHECKS:
                return True
            method = scope.methods.get(class_name or "", {}).get(last)
            return method is not None and self.checks(method, scope, class_name, depth + 1)
        if len(parts) == 1:
            return self._helper_checks(last, scope, depth)
        return False

    def _helper_checks(self, name: str, scope: ModuleScope, depth: int) -> bool:
        for candidate in (scope, *scope.parents):
            function = candidate.functions.get(name)
            if function is not None:
                return self.checks(function, candidate, None, depth + 1)
            if name in candidate.imports:
                module, original = candidate.imports[name]
                path = self.check.index.module_file(module, fallback_to_root=True)
                imported = self.scope(path) if path and path.endswith(".py") else None
                if imported is None:
                    return False
                target = imported.functions.get(original)
                return target is not None and self.checks(target, imported, None, depth + 1)
        return False


class TestsCheck(ProjectCheck):
    __test__ = False
    family = "tests"
    summary = "pytest tests that cannot fail: no assertion, tautologies, reasonless skips, swallowed failures"
    rules = (TST001, TST002, TST003, TST004, TST005, TST006)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.settings = tests_settings(project)
        self.index = python_index(project)
        self.helpers = HelperResolver(self)

    def module_paths(self) -> list[str]:
        """The test modules to check: ``tests.paths`` globs minus ``tests.exclude``."""
        settings = self.settings
        return sorted(path for path in self.project.files.files if path.endswith(".py")
                      and any_match(path, settings.paths) and not any_match(path, settings.exclude))

    def conftest_scopes(self, path: str) -> list[ModuleScope]:
        """Scopes of the conftest.py files that apply to ``path``, nearest first."""
        scopes = []
        directory = posixpath.dirname(path)
        while True:
            conftest = posixpath.join(directory, "conftest.py") if directory else "conftest.py"
            if conftest != path and self.project.files.is_file(conftest):
                scope = self.helpers.scope(conftest)
                if scope is not None:
                    scopes.append(scope)
            if not directory:
                break
            directory = posixpath.dirname(directory)
        return scopes

    def check_project(self) -> Iterator[Finding]:
        for path in self.module_paths():
            source = self.index.source(path)
            for finding in self.check_module(source):
                if not _suppressed(source, finding):
                    yield finding

    def check_module(self, source: PySource) -> Iterator[Finding]:
        path = source.path
        if source.tree is None:
            assert source.error is not None
            line, column, message = source.error
            yield self.finding(TST006, path, line, column, f"test module cannot be parsed: {message}")
            return
        tests, any_test = collect_tests(source.tree)
        if not any_test:
            yield self.finding(TST005, path, 1, 1, "test module defines no tests")
        scope = self.helpers.scope(path)
        assert scope is not None
        scope.parents = self.conftest_scopes(path)
        for test in tests:
            yield from self.check_test(test, scope)
        yield from self.tautologies(path, source.tree)
        yield from self.reasonless_skips(path, source.tree)

    # TST001, TST004
    def check_test(self, test: TestFunction, scope: ModuleScope) -> Iterator[Finding]:
        node = test.node
        where = (scope.path, node.lineno, node.col_offset + 1)
        qualified = f"{test.class_name}.{node.name}" if test.class_name else node.name
        if not (self.helpers.checks(node, scope, test.class_name) or expects_raise(node) or skips_first(node)):
            if not (is_given(node) and any(isinstance(inner, ast.Call) for inner in walk_body(node))):
                yield self.finding(
                    TST001, *where,
                    f"test '{qualified}' checks nothing: no assert, no pytest.raises/warns/fail, no call to an "
                    "assert-like helper",
                )
        yield from self.swallowed(scope.path, node)

    def swallowed(self, path: str, function: Function) -> Iterator[Finding]:
        for node in walk_body(function):
            if isinstance(node, ast.ExceptHandler):
                caught = _caught_names(node.type)
                if node.type is None or "BaseException" in caught:
                    if not self._handles(node.body, strict=True):
                        what = "bare 'except:'" if node.type is None else "'except BaseException'"
                        yield self.finding(TST004, path, node.lineno, node.col_offset + 1,
                                           f"{what} swallows every failure (AssertionError, pytest.fail, Ctrl-C) "
                                           "without re-raising")
                elif caught & BROAD_EXCEPTIONS and not self._handles(node.body, strict=False):
                    name = sorted(caught & BROAD_EXCEPTIONS)[0]
                    yield self.finding(TST004, path, node.lineno, node.col_offset + 1,
                                       f"'except {name}' that only passes or logs swallows failures, AssertionError "
                                       "included")
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    call = item.context_expr
                    if isinstance(call, ast.Call) and (dotted_name(call.func) or "").split(".")[-1] == "suppress":
                        caught = set().union(*(_caught_names(arg) for arg in call.args)) if call.args else set()
                        if caught & BROAD_EXCEPTIONS:
                            name = sorted(caught & BROAD_EXCEPTIONS)[0]
                            yield self.finding(TST004, path, call.lineno, call.col_offset + 1,
                                               f"'suppress({name})' swallows failures, AssertionError included")

    @staticmethod
    def _handles(body: list[ast.stmt], strict: bool) -> bool:
        """Does an except handler deal with the exception? Strict (bare except): it must re-raise or fail the
        test. Otherwise anything beyond pass/continue/logging counts as handling (``errors.append(exc)``)."""
        for node in body:
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Raise, ast.Assert)):
                    return True
                if isinstance(inner, ast.Call):
                    name = (dotted_name(inner.func) or "").split(".")
                    if name[-1] in ("fail", "skip", "xfail", "exit") or name[-1].startswith("assert"):
                        return True
        if strict:
            return False
        for node in body:
            if isinstance(node, (ast.Pass, ast.Continue, ast.Break)):
                continue
            if isinstance(node, ast.Return) and (node.value is None or isinstance(node.value, ast.Constant)):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring-like comment or ``...``
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                name = (dotted_name(node.value.func) or "").split(".")[-1]
                if name in LOG_METHODS:
                    continue
            return True
        return False

    # TST002
    def tautologies(self, path: str, tree: ast.Module) -> Iterator[Finding]:
        for node in ast.walk(tree):
            reason = None
            if isinstance(node, ast.Assert):
                reason = tautology(node.test)
            elif isinstance(node, ast.Call) and (dotted_name(node.func) or "").split(".")[-1] in ("assertTrue",
                                                                                                    "assert_"):
                if node.args:
                    reason = _always_true(node.args[0])
            if reason:
                yield self.finding(TST002, path, node.lineno, node.col_offset + 1,
                                   f"assertion is always true: {reason}")

    # TST003
    def reasonless_skips(self, path: str, tree: ast.Module) -> Iterator[Finding]:
        called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = dotted_name(node.func) or ""
                kind = _skip_kind(name)
                if kind is not None and not _has_reason(node, kind):
                    yield self.finding(TST003, path, node.lineno, node.col_offset + 1,
                                       f"'{name}(...)' without a reason" if node.args or node.keywords
                                       else f"'{name}()' without a reason")
            elif isinstance(node, ast.Attribute) and id(node) not in called:
                name = dotted_name(node) or ""
                kind = _skip_kind(name)
                if kind in ("mark.skip", "mark.xfail", "mark.skipif"):
                    yield self.finding(TST003, path, node.lineno, node.col_offset + 1, f"'{name}' without a reason")


def _caught_names(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return set().union(*(_caught_names(element) for element in node.elts)) if node.elts else set()
    name = dotted_name(node)
    return {name.split(".")[-1]} if name else set()


def _skip_kind(name: str) -> str | None:
    """Which skip/xfail API a dotted name is: mark.skip, mark.skipif, mark.xfail, skip, xfail (pytest's)."""
    parts = name.split(".")
    if len(parts) >= 2 and parts[-2] == "mark" and parts[-1] in ("skip", "skipif", "xfail"):
        return f"mark.{parts[-1]}"
    if parts in (["pytest", "skip"], ["pytest", "xfail"]):
        return parts[-1]
    if len(parts) >= 2 and parts[-2] == "unittest" and parts[-1] == "skip":
        return "skip"
    return None


def _non_empty_reason(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value.strip())
    return True  # a variable or an f-string: assume it says something


def _has_reason(call: ast.Call, kind: str) -> bool:
    for keyword in call.keywords:
        if keyword.arg in ("reason", "msg"):
            return _non_empty_reason(keyword.value)
    if kind in ("mark.skip", "skip", "xfail"):
        return bool(call.args) and _non_empty_reason(call.args[0])
    if kind == "mark.skipif":
        # A string condition is its own reason (pytest shows it); a boolean one needs reason=.
        return bool(call.args) and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    return False  # mark.xfail: positional arguments are conditions


def _always_true(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant):
        if node.value and node.value is not Ellipsis:
            return f"it asserts the constant {ast.unparse(node)}"
        return None
    if isinstance(node, ast.Tuple) and node.elts:
        return "it asserts a non-empty tuple (the message belongs after a comma, outside parentheses)"
    if isinstance(node, (ast.List, ast.Set)) and node.elts or isinstance(node, ast.Dict) and node.keys:
        return "it asserts a non-empty literal"
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.Constant) and v.value for v in node.values):
        return "it asserts a non-empty f-string"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Constant):
        if not node.operand.value:
            return f"it asserts {ast.unparse(node)}"
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        for value in node.values:
            if _always_true(value):
                return f"'{ast.unparse(value)}' makes the whole 'or' true"
    return None


def _pure(node: ast.expr) -> bool:
    """An expression without calls (so evaluating it twice gives the same value)."""
    return not any(isinstance(inner, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr))
                   for inner in ast.walk(node))


def tautology(test: ast.expr) -> str | None:
    """Why the assertion ``assert test`` cannot fail, or None."""
    reason = _always_true(test)
    if reason:
        return reason
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        if isinstance(op, (ast.Eq, ast.Is, ast.LtE, ast.GtE)) and _pure(left) and \
                ast.dump(left) == ast.dump(right):
            return f"it compares '{ast.unparse(left)}' with itself"
        if isinstance(left, ast.Constant) and isinstance(right, ast.Constant) and _constant_truth(test) is True:
            return f"it compares two constants ({ast.unparse(test)})"
    return None


_OPERATORS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def _constant_truth(compare: ast.Compare) -> bool | None:
    """The value of a one-operator comparison of two literals (``1 == 1``, ``"a" in "abc"``); None if unknown."""
    left, right = compare.left, compare.comparators[0]
    function = _OPERATORS.get(type(compare.ops[0]))
    if function is None or not isinstance(left, ast.Constant) or not isinstance(right, ast.Constant):
        return None
    try:
        return bool(function(left.value, right.value))
    except TypeError:  # 1 < "a" raises: not a tautology
        return None


def _suppressed(source: PySource, finding: Finding) -> bool:
    lines = source.lines
    if not 0 < finding.line <= len(lines):
        return False
    match = _SUPPRESSION.search(lines[finding.line - 1])
    if match is None:
        return False
    codes = re.findall(r"[A-Z]{1,3}\d{0,3}", match.group(1))
    return not codes or any(finding.code.startswith(code) for code in codes)


CHECKS = (TestsCheck,)
