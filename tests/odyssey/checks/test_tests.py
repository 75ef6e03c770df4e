"""tests (TST001-TST006): pytest tests that cannot fail, read with ast from the repository's test modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from odyssey.checks.tests import collect_tests, tautology
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import check_findings, located, make_repo


def tst_findings(project: Project, select: str = "TST") -> list[Finding]:
    return check_findings(project, select)


def one_module(tmp_path: Path, source: str, select: str = "TST") -> list[str]:
    return located(tst_findings(make_repo(tmp_path, {"tests/test_x.py": source}), select))


@pytest.mark.parametrize("source", [
    "assert True", "assert 1", "assert 'done'", "assert (x, 'message')", "assert [x]", "assert {'a': x}",
    "assert f'{x} done'", "assert x == x", "assert x.y[0] is x.y[0]", "assert 2 >= 1", "assert 'a' in 'abc'",
    "assert not None", "assert x == 1 or True",
])
def test_tautologies(source: str) -> None:
    statement = ast.parse(source).body[0]
    assert isinstance(statement, ast.Assert)
    assert tautology(statement.test) is not None


@pytest.mark.parametrize("source", [
    "assert x", "assert x != x", "assert f() == f()", "assert next(it) == next(it)", "assert 1 == 2",
    "assert 1 < 'a'", "assert ''", "assert ()", "assert not x", "assert x == 1 or y", "assert ...",
])
def test_not_tautologies(source: str) -> None:
    statement = ast.parse(source).body[0]
    assert isinstance(statement, ast.Assert)
    assert tautology(statement.test) is None


def test_collect_tests_follows_pytest_naming() -> None:
    tree = ast.parse(
        "import pytest\n"
        "def test_a(): pass\n"
        "async def test_b(): pass\n"
        "def helper(): pass\n"
        "@pytest.fixture\ndef test_data(): return 1\n"
        "class TestC:\n    def test_d(self): pass\n    def helper(self): pass\n"
        "    class TestNested:\n        def test_e(self): pass\n"
        "class Helper:\n    def test_f(self): pass\n"
        "if True:\n    def test_g(): pass\n"
    )
    tests, any_test = collect_tests(tree)
    assert any_test
    assert [(t.class_name, t.node.name) for t in tests] == [
        (None, "test_a"), (None, "test_b"), ("TestC", "test_d"), ("TestNested", "test_e"), (None, "test_g"),
    ]


def test_assertion_helpers_are_followed_transitively(tmp_path: Path) -> None:
    source = (
        "def _inner(x):\n    assert x\n\n"
        "def _outer(x):\n    _inner(x)\n\n"
        "def _loop(x):\n    return _loop(x)\n\n"  # recursion without a check
        "def test_transitive():\n    _outer(1)\n\n"
        "def test_recursive_helper():\n    _loop(1)\n"
    )
    assert one_module(tmp_path, source) == ["tests/test_x.py:13:1: TST001"]


def test_conftest_helpers_apply_below_their_directory(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "tests/conftest.py": "def roundtrip(x):\n    assert x == x + 0\n",
        "tests/unit/conftest.py": "def verify_shape(x):\n    pass\n\ndef shape_ok(x):\n    if x:\n        raise "
                                  "ValueError(x)\n",
        "tests/unit/test_a.py": "def test_a():\n    roundtrip(1)\n\ndef test_b():\n    shape_ok(1)\n",
        "tests/other/test_c.py": "def test_c():\n    shape_ok(1)\n",
    })
    assert located(tst_findings(project)) == ["tests/other/test_c.py:1:1: TST001"]


def test_imported_helpers_relative_and_absolute(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "tests/__init__.py": "",
        "tests/helpers.py": "def expect_png(data):\n    pass\n\ndef png_ok(data):\n    assert data[:4] == b'PNG'\n"
                            "\ndef write_png(path):\n    return path\n",
        "tests/test_plots.py": (
            "from .helpers import png_ok\nfrom tests.helpers import write_png\nimport tests.helpers as h\n\n"
            "def test_relative():\n    png_ok(b'PNG')\n\n"
            "def test_writer_only():\n    write_png('x')\n\n"
            "def test_module_attribute():\n    h.png_ok(b'PNG')\n"
        ),
    })
    # h.png_ok is an attribute call: not followed (and not an assert-like name), so it is reported.
    assert located(tst_findings(project)) == ["tests/test_plots.py:8:1: TST001", "tests/test_plots.py:11:1: TST001"]


def test_assert_like_calls(tmp_path: Path) -> None:
    source = (
        "import subprocess, numpy as np, pytest\nfrom unittest import TestCase, mock\n\n"
        "def test_np():\n    np.testing.assert_allclose(1, 1)\n\n"
        "def test_mock():\n    m = mock.Mock()\n    m()\n    m.assert_called_once()\n\n"
        "def test_check_true():\n    subprocess.run(['true'], check=True)\n\n"
        "def test_warns():\n    with pytest.warns(UserWarning):\n        pass\n\n"
        "def test_validate():\n    Validator(schema).validate(doc)\n\n"
        "class Suite(TestCase):\n    def test_equal(self):\n        self.assertEqual(1, 1)\n\n"
        "    def test_fail(self):\n        self.fail('no')\n\n"
        "    def test_nothing(self):\n        print(1)\n"
    )
    assert one_module(tmp_path, source) == ["tests/test_x.py:29:5: TST001"]


def test_configured_assert_helpers_and_paths(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "odyssey.toml": '[tests]\npaths = ["checks/**/*_spec.py"]\nexclude = ["checks/legacy/**"]\n'
                        'assert-helpers = ["should_*"]\n',
        "checks/model_spec.py": "def test_a():\n    should_equal(1, 1)\n\ndef test_b():\n    assert_equal(1, 1)\n",
        "checks/legacy/old_spec.py": "def test_c():\n    pass\n",
        "tests/test_ignored.py": "def test_d():\n    pass\n",
    })
    assert located(tst_findings(project)) == ["checks/model_spec.py:4:1: TST001"]


def test_suppression_comment_on_the_reported_line(tmp_path: Path) -> None:
    source = (
        "def test_a():  # odyssey: ignore TST001\n    pass\n\n"
        "def test_b():  # odyssey: ignore\n    pass\n\n"
        "def test_c():  # odyssey: ignore TST002\n    pass\n"
    )
    assert one_module(tmp_path, source) == ["tests/test_x.py:7:1: TST001"]


def test_skip_reasons(tmp_path: Path) -> None:
    source = (
        "import pytest, unittest\nfrom pytest import mark\n\n"
        "pytestmark = pytest.mark.skip\n\n"
        "@mark.xfail(strict=True)\ndef test_a():\n    assert 0\n\n"
        "@pytest.mark.skip(reason='  ')\ndef test_b():\n    assert 0\n\n"
        "@unittest.skip('flaky')\ndef test_c():\n    assert 0\n\n"
        "REASON = 'needs a GPU'\n@pytest.mark.skipif(True, reason=REASON)\ndef test_d():\n    assert 0\n\n"
        "def test_e():\n    pytest.xfail()\n\n"
        "def test_f():\n    pytest.skip(reason='slow')\n"
    )
    found = one_module(tmp_path, source, "TST003")
    assert found == ["tests/test_x.py:4:14: TST003", "tests/test_x.py:6:2: TST003", "tests/test_x.py:10:2: TST003",
                     "tests/test_x.py:24:5: TST003"]


def test_swallowed_failures_only_in_tests(tmp_path: Path) -> None:
    source = (
        "import contextlib, os\n\n"
        "def cleanup(path):\n    try:\n        os.remove(path)\n    except Exception:\n        pass\n\n"
        "def test_a():\n    try:\n        assert 1 == 1\n    except (ValueError, Exception):\n        pass\n\n"
        "def test_b():\n    try:\n        assert 1 == 1\n    except:\n        raise\n\n"
        "def test_c():\n    with contextlib.suppress(OSError, BaseException):\n        assert 1 == 1\n"
    )
    assert one_module(tmp_path, source, "TST004") == ["tests/test_x.py:12:5: TST004", "tests/test_x.py:22:10: TST004"]


def test_unparsable_and_empty_modules(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "tests/test_broken.py": "def test_a(:\n    pass\n",
        "tests/test_empty.py": '"""Nothing yet."""\n',
        "tests/test_nul.py": "x = 1\0\n",
    })
    found = tst_findings(project)
    assert located(found) == ["tests/test_broken.py:1:12: TST006", "tests/test_empty.py:1:1: TST005",
                              "tests/test_nul.py:1:1: TST006"]
    assert found[0].message == "test module cannot be parsed: SyntaxError: invalid syntax"


def test_runs_only_on_whole_repository_runs(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"tests/test_x.py": "def test_a():\n    pass\n", "README.md": "# P\n\nText.\n"})
    result = run_checks(project, ["README.md"], Selection(select=("TST",)))
    assert result.findings == [] and result.errors == []
