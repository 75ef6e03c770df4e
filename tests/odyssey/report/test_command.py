"""``odyssey report`` end to end through ``main([...])``: the files it writes, the trend across runs, exit statuses,
one-line errors, the output directory never checked, and the progress bar only on a terminal."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

import odyssey.engine
from odyssey.checks import all_checks
from odyssey.checks.base import DocumentCheck
from odyssey.cli import main
from odyssey.document import Document
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from odyssey.report.progress import run_with_progress
from odyssey.report.trend import report_schema
from odyssey.rules import Rule
from tests.odyssey.report.fixture_repo import SELECT, fixture_repo, write_tree

CLEAN = {
    "README.md": "# Manual\n\nRead the [guide](docs/guide.md).\n",
    "docs/guide.md": "# Guide\n\nBack to the [readme](../README.md).\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return fixture_repo(tmp_path / "repo")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def expected_findings(root: Path) -> list[Finding]:
    return run_checks(Project(root), None, Selection(select=tuple(SELECT))).findings


def test_report_writes_markdown_html_and_json_and_exits_1_on_findings(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    status, out, err = run(capsys, "report", "--root", str(repo), "--out-dir", str(out_dir))
    assert status == 1
    assert err == ""  # stderr is not a terminal here: no progress bar
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.html", "report.json", "report.md"]
    umask = os.umask(0)
    os.umask(umask)
    assert {stat.S_IMODE(p.stat().st_mode) for p in out_dir.iterdir()} == {0o666 & ~umask}  # not tempfile's 0600
    findings = expected_findings(repo)
    data = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, report_schema())
    assert [(f["path"], f["line"], f["column"], f["code"]) for f in data["findings"]] == [
        (f.path, f.line, f.column, f.code) for f in findings
    ]
    assert data["status"] == "findings" and data["exit_status"] == 1
    markdown = (out_dir / "report.md").read_text(encoding="utf-8")
    assert f"{len(findings)} findings in 7 of 9 files checked" in markdown
    assert "[`README.md:3:45`](../repo/README.md)" in markdown
    assert out.startswith(f"{len(findings)} findings in 9 files checked; wrote ")


def test_the_second_run_shows_the_trend_against_the_first(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    assert run(capsys, "report", "--root", str(repo), "--out-dir", str(out_dir))[0] == 1
    first = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    # Fix the fence, add a line above the README's broken link (it moves, it is not new), break another link.
    (repo / "docs" / "guide.md").write_text("# Guide\n\n## Installing\n\n```bash\npip install -e .\n```\n",
                                            encoding="utf-8")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    (repo / "README.md").write_text(readme.replace("\n\n", "\n\nA numpy LeNet-5.\n\n", 1) +
                                    "See the [changelog](CHANGES.md).\n", encoding="utf-8")
    status, out, _ = run(capsys, "report", "--root", str(repo), "--out-dir", str(out_dir))
    assert status == 1
    assert "(1 new, 1 fixed since the previous report)" in out
    second = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    trend = next(s for s in second["sections"] if s["id"] == "trend")["data"]
    assert [(f["path"], f["code"]) for f in trend["new"]] == [("README.md", "LNK001")]
    assert "CHANGES.md" in trend["new"][0]["message"]
    assert [(f["path"], f["code"]) for f in trend["fixed"]] == [("docs/guide.md", "FEN002")]
    assert trend["previous"]["generated_at"] == first["generated_at"]
    markdown = (out_dir / "report.md").read_text(encoding="utf-8")
    assert "### New findings" in markdown and "link target 'CHANGES.md' does not exist" in markdown
    assert "| [`FEN002`](#" not in markdown  # rule codes are not links outside the site


def test_previous_option_and_single_format(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = tmp_path / "baseline"
    run(capsys, "report", "--root", str(repo), "--out-dir", str(baseline), "--format", "json")
    assert [p.name for p in baseline.iterdir()] == ["report.json"]
    (repo / "SESSION_SUMMARY.md").unlink()
    out_dir = tmp_path / "out"
    status, out, _ = run(capsys, "report", "--root", str(repo), "--out-dir", str(out_dir), "--format", "md",
                         "--previous", str(baseline / "report.json"))
    assert status == 1 and [p.name for p in out_dir.iterdir()] == ["report.md"]
    assert "(0 new, 2 fixed since the previous report)" in out


def test_a_clean_repository_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "clean", CLEAN)
    status, out, _ = run(capsys, "report", "--root", str(root), "--out-dir", str(tmp_path / "out"))
    assert status == 0 and out.startswith("0 findings in 2 files checked")
    assert json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["status"] == "clean"


def test_the_default_output_directory_is_never_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Outside git (so no .gitignore), the report's own Markdown must not become an orphan or misplaced page."""
    root = write_tree(tmp_path / "clean", CLEAN)
    assert run(capsys, "report", "--root", str(root))[0] == 0
    assert (root / "reports" / "odyssey" / "report.md").is_file()
    status, out, _ = run(capsys, "report", "--root", str(root))
    assert status == 0 and "(0 new, 0 fixed since the previous report)" in out


CRASH = Rule(code="TST901", name="crash-probe", family="crasher", summary="Crashes on every file",
             doc="## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n")


class CrashingCheck(DocumentCheck):
    family = "crasher"
    summary = "Crashes"
    rules = (CRASH,)

    def check_document(self, document: Document) -> list[Finding]:
        raise KeyError("heading")


def test_a_crashing_check_exits_2_and_is_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(odyssey.engine, "all_checks", lambda: [*all_checks(), CrashingCheck])
    root = write_tree(tmp_path / "clean", CLEAN)
    status, _, err = run(capsys, "report", "--root", str(root), "--out-dir", str(tmp_path / "out"))
    assert status == 2
    assert "odyssey: README.md: internal error in check 'crasher': KeyError: 'heading'" in err
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["status"] == "errors" and len(data["errors"]) == 2
    assert "## Errors" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "md,pdf"], "odyssey: error: --format: unknown format 'pdf' (choose from md, html, json)\n"),
        (["--previous", "{out}/missing.json"], "odyssey: error: {out}/missing.json: previous report not found\n"),
        (["--worst", "0"], "odyssey: error: --worst must be at least 1\n"),
    ],
)
def test_bad_options_are_one_line_errors_with_exit_2(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    out = str(tmp_path / "out")
    status, _, err = run(capsys, "report", "--root", str(repo), "--out-dir", out,
                         *[a.replace("{out}", out) for a in arguments])
    assert status == 2 and err == message.replace("{out}", out)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_unreadable_previous_report_in_the_output_directory_is_replaced_with_a_warning(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "report.json").write_text("<html>not json</html>", encoding="utf-8")
    status, _, err = run(capsys, "report", "--root", str(repo), "--out-dir", str(out_dir))
    assert status == 1
    assert err == (f"odyssey: warning: {out_dir}/report.json:1: previous report is not valid JSON: Expecting value; "
                   "no trend this time (the file is replaced)\n")
    assert json.loads((out_dir / "report.json").read_text(encoding="utf-8"))["format"] == "odyssey-report"


def test_an_output_directory_that_is_a_file_is_a_usage_error(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("keep me\n", encoding="utf-8")
    status, _, err = run(capsys, "report", "--root", str(repo), "--out-dir", str(blocker))
    assert status == 2 and err == f"odyssey: error: {blocker}: --out-dir exists and is not a directory\n"
    assert blocker.read_text(encoding="utf-8") == "keep me\n"


def test_exit_zero_keeps_status_0_despite_findings(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "report", "--root", str(repo), "--out-dir", str(tmp_path / "o"), "--exit-zero")[0] == 0


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(repo: Path) -> None:
    selection = Selection(select=tuple(SELECT))
    terminal = FakeTerminal()
    project = Project(repo)
    with_bar = run_with_progress(project, None, selection, terminal)
    shown = terminal.getvalue()
    assert "checking" in shown and f"{len(project.files.markdown)}/{len(project.files.markdown)}" in shown
    assert "whole-repository checks" in shown
    assert "documents" not in vars(project)  # the wrapper is gone after the run
    piped = io.StringIO()
    without_bar = run_with_progress(Project(repo), None, selection, piped)
    assert piped.getvalue() == ""
    assert with_bar.findings == without_bar.findings == expected_findings(repo)


def test_the_light_parser_module_names_the_same_default_title_as_the_report() -> None:
    from odyssey.report import collect, command

    assert command.DEFAULT_TITLE == collect.DEFAULT_TITLE
