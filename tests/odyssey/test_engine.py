"""The engine's run summary: which files count as checked."""

from __future__ import annotations

from pathlib import Path

from odyssey.engine import run_checks
from odyssey.policy import Selection
from odyssey.project import Project


def test_files_with_findings_count_as_checked(tmp_path: Path) -> None:
    # TST findings are about a Python file: "1 finding in 1 of 1 files" would otherwise read "in 1 of 0 files".
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_model.py").write_text("def test_forward():\n    model = 1\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Project\n\nSee the tests.\n", encoding="utf-8")
    result = run_checks(Project(tmp_path), None, Selection(select=("TST",)))
    assert [(f.path, f.code) for f in result.findings] == [("tests/test_model.py", "TST001")]
    assert result.files_checked == 2
    assert len({f.path for f in result.findings}) <= result.files_checked
