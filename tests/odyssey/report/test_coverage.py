"""``odyssey report --coverage`` and ``--coverage-file``: per-module line and branch coverage, the least-covered
modules, and per component whether the tests that use it assert anything.

Every measured run here runs the tiny ``calc`` repository's own three-test suite (``test_phases.CALC``), never this
repository's: the recursion guard is tested by setting the variable a measured run of calc would set. Measuring calc
stays possible when this repository's own suite runs under ``odyssey report --coverage`` (the guard names the
repository being measured).
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from odyssey.cli import main
from odyssey.project import Project
from odyssey.report.coverage import component_status, least_covered
from odyssey.report.trend import report_schema
from odyssey.workflow.asserting import AssertionSummary
from odyssey.workflow.coverage_data import (
    RECURSION_GUARD,
    CoverageResult,
    FileCoverage,
    PathMapper,
    from_cobertura,
    read_coverage_file,
)
from tests.conftest import require_module
from tests.odyssey.report.test_phases import calc_repo, markdown_rows

CALC_MODULES = ["calc/fmt.py", "calc/ops.py", "calc/unused.py"]


def section(record: dict[str, Any], section_id: str) -> dict[str, Any]:
    return next(s for s in record["sections"] if s["id"] == section_id)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``odyssey report --coverage`` run on calc, in this process (so that a measured run of this repository
    measures the report code too; only calc's tests run in the child): the repository, the output directory, the
    exit status and what went to stderr."""
    require_module("coverage")
    root = calc_repo(tmp_path_factory.mktemp("measured") / "calc")
    out = root.parent / "out"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = main(["report", "--root", str(root), "--out-dir", str(out), "--coverage"])
    record = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {"root": root, "out": out, "status": status, "stderr": stderr.getvalue(), "record": record}


def test_measured_coverage_per_module_and_in_total(measured: dict[str, Any]) -> None:
    assert measured["status"] == 1  # calc has findings (its unplanned module, a test asserting nothing)
    assert "running python -m pytest -q -x under coverage" in measured["stderr"]
    record = measured["record"]
    jsonschema.validate(record, report_schema())
    data = section(record, "test-coverage")["data"]
    assert data["exit_status"] == 0
    assert sorted(data["files"]) == sorted([*CALC_MODULES, "calc/__init__.py"])  # --source finds unimported ones
    files = data["files"]
    assert files["calc/unused.py"]["covered"] == 0 and files["calc/unused.py"]["statements"] > 0
    ops = files["calc/ops.py"]
    # clamp's "x > high" branch and its fall-through are never taken by the tests: branch coverage shows it.
    assert 0 < ops["covered"] < ops["statements"] and 0 < ops["covered_branches"] < ops["branches"]
    assert files["calc/fmt.py"]["line_percent"] == 100.0 and files["calc/fmt.py"]["branch_percent"] == 100.0
    totals = data["totals"]
    assert totals["statements"] == sum(f["statements"] for f in files.values())
    assert totals["covered_branches"] == sum(f["covered_branches"] for f in files.values())
    assert data["least_covered"][0] == "calc/unused.py"
    assert data["least_covered"][-1] in ("calc/fmt.py", "calc/__init__.py")  # fully covered modules come last


def test_components_covered_but_never_asserted_are_visible(measured: dict[str, Any]) -> None:
    data = section(measured["record"], "test-coverage")["data"]
    by_component = {c["component"]: c for c in data["components"]}
    assert {name: c["status"] for name, c in by_component.items()} == {
        "calc.fmt": "covered, never asserted",  # 100 % of its lines run; its only test checks nothing
        "calc.ops": "asserted",
        "calc.unused": "not covered",
    }
    assert by_component["calc.fmt"]["silent"] == ["tests/test_fmt.py::test_money_formats"]
    assert (by_component["calc.ops"]["tests"], by_component["calc.ops"]["asserting"]) == (3, 3)
    markdown = (measured["out"] / "report.md").read_text(encoding="utf-8")
    rows = markdown_rows(markdown, "Components: covered and asserted")
    assert rows["`calc.fmt`"][-1] == "**covered, never asserted**"
    assert rows["`calc.fmt`"][-2] == "0 of 1"
    assert "1 of 3 components are covered but never asserted" in markdown
    assert "test\\_money\\_formats" in markdown  # the silent test is named (escaped Markdown)
    assert '<section id="test-coverage">' in (measured["out"] / "report.html").read_text(encoding="utf-8")
    ids = [s["id"] for s in measured["record"]["sections"]]
    assert ids.index("test-coverage") == ids.index("phases") + 1


def test_a_coverage_data_file_reads_the_same_as_a_measured_run(measured: dict[str, Any], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = measured["root"]
    data_file = tmp_path / ".coverage"
    subprocess.run([sys.executable, "-m", "coverage", "run", "--branch", f"--data-file={data_file}", "--source=calc",
                    "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, check=True, capture_output=True,
                   timeout=300)
    out = tmp_path / "out"
    assert main(["report", "--root", str(root), "--out-dir", str(out), "--format", "json",
                 "--coverage-file", str(data_file)]) == 1
    capsys.readouterr()
    data = section(json.loads((out / "report.json").read_text(encoding="utf-8")), "test-coverage")["data"]
    expected = section(measured["record"], "test-coverage")["data"]
    assert data["files"] == expected["files"]
    assert data["origin"] == f"read from {data_file}"


def test_cobertura_xml_from_another_machine_maps_onto_the_repository(tmp_path: Path) -> None:
    root = calc_repo(tmp_path / "calc")
    xml = """<?xml version="1.0" ?>
<coverage version="7.4" line-rate="0.5" branch-rate="0.5">
  <sources><source>/builds/ledger/calc</source></sources>
  <packages><package name="calc"><classes>
    <class name="ops.py" filename="calc/ops.py" line-rate="0.8" branch-rate="0.5">
      <lines>
        <line number="4" hits="3"/>
        <line number="5" hits="3"/>
        <line number="8" hits="1" branch="true" condition-coverage="100% (2/2)"/>
        <line number="9" hits="1"/>
        <line number="14" hits="0" branch="true" condition-coverage="50% (1/2)"/>
      </lines>
    </class>
    <class name="vendored.py" filename="vendor/other.py" line-rate="1" branch-rate="1">
      <lines><line number="1" hits="1"/></lines>
    </class>
  </classes></package></packages>
</coverage>
"""
    path = tmp_path / "coverage.xml"
    path.write_text(xml, encoding="utf-8")
    result = read_coverage_file(Project(root), path)
    assert result.files == {"calc/ops.py": FileCoverage(statements=5, covered=4, branches=4, covered_branches=3)}
    assert result.origin == f"read from {path}"


def test_path_mapping_prefers_the_root_then_unique_suffixes(tmp_path: Path) -> None:
    root = calc_repo(tmp_path / "calc")
    mapper = PathMapper(Project(root))
    assert mapper(str(root / "calc" / "ops.py")) == "calc/ops.py"
    assert mapper("calc/fmt.py") == "calc/fmt.py"
    assert mapper("/home/ci/work/calc/calc/unused.py") == "calc/unused.py"
    assert mapper("/usr/lib/python3/site-packages/numpy/core.py") is None
    assert from_cobertura("<coverage><sources/></coverage>", mapper, "x.xml") == {}


def test_coverage_json_and_the_configured_default_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = calc_repo(tmp_path / "calc")
    report = {"files": {"calc/ops.py": {"summary": {"num_statements": 10, "covered_lines": 7, "num_branches": 4,
                                                    "covered_branches": 1}}}}
    (root / "coverage.json").write_text(json.dumps(report), encoding="utf-8")
    with open(root / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write('coverage = { file = "coverage.json" }\n')  # appended to [tool.odyssey.workflow]
    out = tmp_path / "out"
    main(["report", "--root", str(root), "--out-dir", str(out), "--format", "json,md"])
    capsys.readouterr()
    data = section(json.loads((out / "report.json").read_text(encoding="utf-8")), "test-coverage")["data"]
    assert data["files"]["calc/ops.py"]["line_percent"] == 70.0
    assert data["files"]["calc/ops.py"]["branch_percent"] == 25.0
    assert "lines 70.0 % (7 of 10), branches 25.0 % (1 of 4)" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--coverage", "--coverage-file", "x.xml"], "exclude each other"),
    (["--coverage-file", "README.md"], "README.md: not a coverage file"),
    (["--coverage-file", "missing.xml"], "missing.xml: no such coverage file"),
])
def test_bad_coverage_options_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    root = calc_repo(tmp_path / "calc")
    monkeypatch.chdir(root)
    status = main(["report", "--root", str(root), "--out-dir", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and message in err
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_a_measured_run_cannot_start_another(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """What a test of a suite under ``--coverage`` sees if it calls ``odyssey report --coverage`` on its own
    repository: one line and status 2, not the suite inside the suite."""
    root = calc_repo(tmp_path / "calc")
    monkeypatch.setenv(RECURSION_GUARD, str(root))
    status = main(["report", "--root", str(root), "--out-dir", str(tmp_path / "out"), "--coverage"])
    err = capsys.readouterr().err
    assert status == 2 and "refusing to measure coverage inside a coverage run" in err


def test_a_test_command_that_hangs_is_stopped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_module("coverage")
    root = calc_repo(tmp_path / "calc")
    (root / "slow.py").write_text("import time\n\ntime.sleep(30)\n", encoding="utf-8")
    with open(root / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write('coverage = { command = "python slow.py", timeout = 1 }\n')
    status = main(["report", "--root", str(root), "--out-dir", str(tmp_path / "out"), "--coverage"])
    err = capsys.readouterr().err
    assert status == 2 and "did not finish in 1 s" in err


def test_least_covered_and_statuses_rank_sensibly() -> None:
    result = CoverageResult("test", {
        "a.py": FileCoverage(10, 9), "b.py": FileCoverage(10, 2), "c.py": FileCoverage(100, 20),
        "d.py": FileCoverage(0, 0),
    })
    # 20 % with 80 lines missed ranks before 20 % with 8 missed; a module without statements is not ranked.
    assert least_covered(result, 3) == ["c.py", "b.py", "a.py"]
    silent, asserted = AssertionSummary(2, 0, ("t.py",)), AssertionSummary(2, 1, ("t.py",))
    assert component_status(FileCoverage(4, 4), silent) == ("covered, never asserted", "error")
    assert component_status(FileCoverage(4, 4), asserted) == ("asserted", "ok")
    assert component_status(FileCoverage(4, 4), AssertionSummary(0, 0, ())) == ("covered indirectly", "neutral")
    assert component_status(FileCoverage(4, 0), asserted) == ("not covered", "warning")
    assert component_status(None, asserted) == ("not measured", "neutral")
