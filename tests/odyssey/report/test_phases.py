"""The report's phase table: ✔ with the evidence file, ✘ for a missing phase, in every renderer and the JSON.

The repository here (``calc``) is also the one the coverage tests measure: a tiny package with its own test suite,
so that no test of the report ever runs this repository's suite.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from odyssey.cli import main
from odyssey.config import Config
from odyssey.engine import run_checks
from odyssey.policy import Selection
from odyssey.project import Project
from odyssey.report import phases
from odyssey.report.collect import build_report
from odyssey.report.model import NoLinks
from odyssey.report.render_html import render_html
from odyssey.report.render_md import render_markdown
from odyssey.report.trend import report_schema
from odyssey.workflow.inputs import report_inputs
from odyssey.workflow.settings import workflow_settings
from tests.odyssey.helpers import write_tree


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CALC: dict[str, str] = {
    "pyproject.toml": d('''
        [project]
        name = "calc"
        version = "0.1.0"

        [tool.setuptools]
        packages = ["calc"]

        [tool.pytest.ini_options]
        pythonpath = ["."]

        [tool.odyssey.notes]
        extra-keys = ["components"]

        [tool.odyssey.workflow]
        components = [{ paths = ["calc/*.py"] }]
        '''),
    "README.md": "# calc\n\nArithmetic for the ledger. See the [API](docs/api.md) and the [notes](notes/README.md).\n",
    "calc/__init__.py": '"""calc: arithmetic for the ledger."""\n',
    "calc/ops.py": d('''
        """Arithmetic with the errors a ledger needs."""


        def add(a: float, b: float) -> float:
            return a + b


        def divide(a: float, b: float) -> float:
            if b == 0:
                raise ZeroDivisionError(f"cannot divide {a} by zero")
            return a / b


        def clamp(x: float, low: float, high: float) -> float:
            if x < low:
                return low
            if x > high:
                return high
            return x
        '''),
    "calc/fmt.py": d('''
        """Amounts as the ledger prints them."""


        def money(amount: float) -> str:
            if amount < 0:
                return f"({-amount:.2f})"
            return f"{amount:.2f}"
        '''),
    "calc/unused.py": d('''
        """Rounding modes nobody calls yet."""


        def bankers(amount: float) -> float:
            return round(amount, 2)
        '''),
    "tests/test_ops.py": d('''
        import pytest

        from calc.ops import add, clamp, divide


        def test_add():
            assert add(2, 3) == 5


        def test_divide_by_zero_names_the_dividend():
            with pytest.raises(ZeroDivisionError, match="divide 7"):
                divide(7, 0)


        def test_clamp_low():
            assert clamp(-1, 0, 10) == 0
        '''),
    "tests/test_fmt.py": d('''
        from calc.fmt import money


        def test_money_formats():
            money(3)
            money(-2)
        '''),
    "docs/api.md": "# API\n\n## Operations\n\n::: calc.ops\n\n## Formatting\n\n::: calc.fmt\n",
    "notes/plan-calc.md": d('''
        ---
        title: "Plan: calc"
        kind: plan
        status: active
        created: 2026-01-05
        updated: 2026-01-05
        tags: [calc]
        components: [calc.ops, calc.fmt]
        ---

        # Plan: calc

        Operations and formatting, each with a test module and an API section.
        '''),
}


def calc_repo(root: Path) -> Path:
    """Write the ``calc`` repository into ``root`` and return it."""
    return write_tree(root, CALC)


def markdown_rows(markdown: str, section_title: str) -> dict[str, list[str]]:
    """Rows of the first table under ``## section_title``: first cell -> the other cells."""
    lines = markdown.split(f"## {section_title}\n", 1)[1].splitlines()
    rows: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("## "):
            break
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows.setdefault(cells[0], cells[1:])
    return rows


@pytest.fixture
def calc(tmp_path: Path) -> Path:
    return calc_repo(tmp_path / "calc")


def test_the_report_shows_each_components_phases_with_evidence(calc: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["report", "--root", str(calc), "--out-dir", str(out)]) == 1
    capsys.readouterr()
    markdown = (out / "report.md").read_text(encoding="utf-8")
    rows = markdown_rows(markdown, "Workflow phases")
    header = rows.pop("Component")
    assert header == ["Plan", "Test", "Implementation", "Package", "Cleanup"]
    ops = rows["`calc.ops`"]
    assert ops[0].startswith("**✔**") and "notes/plan-calc.md:8" in ops[0]
    assert "tests/test_ops.py" in ops[1] and "calc/ops.py" in ops[2] and "docs/api.md:5" in ops[3]
    unused = rows["`calc.unused`"]
    assert [cell.startswith("**✘**") for cell in unused] == [True, True, False, True, False]
    assert rows["done"] == ["2 of 3", "2 of 3", "3 of 3", "2 of 3", "3 of 3"]
    assert "plan → test, implementation, package → cleanup" in markdown

    record = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(record, report_schema())
    data = next(section for section in record["sections"] if section["id"] == "phases")["data"]
    unused_record = next(row for row in data["components"] if row["component"] == "calc.unused")
    assert unused_record["phases"]["test"] == {
        "done": False, "evidence": None, "line": 0, "detail": "no test module imports calc.unused"}
    assert '<section id="phases">' in (out / "report.html").read_text(encoding="utf-8")
    # The table and the findings say the same thing.
    missing = {(row["component"], phase) for row in data["components"] for phase, cell in row["phases"].items()
               if not cell["done"]}
    codes = {f["code"] for f in record["findings"] if f["path"] == "calc/unused.py"}
    assert missing == {("calc.unused", "plan"), ("calc.unused", "test"), ("calc.unused", "package")}
    assert codes == {"WFL001", "WFL002", "WFL005"}


def test_no_phase_table_when_the_workflow_family_does_not_run(calc: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (calc / "odyssey.toml").write_text('select = ["LNK"]\n', encoding="utf-8")  # odyssey.toml wins over pyproject
    out = tmp_path / "out"
    main(["report", "--root", str(calc), "--out-dir", str(out), "--format", "md"])
    capsys.readouterr()
    assert "Workflow phases" not in (out / "report.md").read_text(encoding="utf-8")


def test_the_section_needs_the_project_from_the_reports_builder(calc: Path) -> None:
    project = Project(calc)
    selection = Selection()
    result = run_checks(project, None, selection)
    assert build_report(project, result, selection).section("phases") is None  # a caller that gives no inputs
    with report_inputs(project):
        report = build_report(project, result, selection)
    section = report.section("phases")
    assert section is not None
    assert "## Workflow phases" in render_markdown(report, NoLinks())
    assert "✘" in render_html(report, NoLinks())
    ids = [s.id for s in report.sections]
    assert ids.index("phases") == ids.index("worst-files") + 1


def test_flow_groups_parallel_phases() -> None:
    settings = workflow_settings(Config(root=Path(".")))  # the defaults: the seed project's five phases
    assert phases.flow(settings.phases) == "plan → test, implementation, package → cleanup"
