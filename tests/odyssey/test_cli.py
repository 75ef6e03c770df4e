"""The ``odyssey`` command end to end through ``main([...])``: each output format, exit statuses, path arguments as
pre-commit passes them, selection flags, ``odyssey rules``, and one-line errors instead of tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from odyssey import __version__
from odyssey.checks import all_checks, all_rules
from odyssey.checks.base import DocumentCheck, ProjectCheck
from odyssey.cli import main
from odyssey.document import Document
from odyssey.findings import Finding
from odyssey.rules import Rule
from tests.odyssey.test_reporters import assert_valid_sarif
from tests.odyssey.helpers import write_tree

REPO = {
    "README.md": "# Manual\n\nRead the [guide](docs/guide.md) and the [setup](docs/setup.md).\n",
    "docs/guide.md": "# Guide\n\nBack to the [readme](../README.md); see [results](../notes/results.md).\n",
    "docs/api/index.md": "# API\n\nThe [layers](layers.md) page.\n",
    "notes/results.md": "# Results\n\nAccuracy 98.9 %.\n",
}
# README.md:3:41 links to docs/setup.md (missing); docs/api/index.md:3:5 links to docs/api/layers.md (missing).
README_FINDING = "README.md:3:41: LNK001 link target 'docs/setup.md' does not exist"
API_FINDING = "docs/api/index.md:3:5: LNK001 link target 'layers.md' does not exist"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", REPO)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- one end-to-end run per format --------------------------------------------------------------------------------
def test_text_format_end_to_end(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "--root", str(repo), "--select", "LNK")
    assert status == 1
    assert out.splitlines() == [README_FINDING, API_FINDING, "Found 2 findings in 4 files."]
    assert err == ""


def test_json_format_end_to_end(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "--format", "json")
    assert status == 1
    items = json.loads(out)
    assert [(i["path"], i["line"], i["column"], i["code"]) for i in items] == [
        ("README.md", 3, 41, "LNK001"),
        ("docs/api/index.md", 3, 5, "LNK001"),
    ]
    for item in items:
        assert {"path", "line", "column", "code", "check", "severity", "message"} <= set(item)
        assert item["check"] == "links" and item["severity"] == "error"


def test_sarif_format_end_to_end(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "--format", "sarif")
    assert status == 1
    log = json.loads(out)
    assert_valid_sarif(log)
    run_ = log["runs"][0]
    assert run_["tool"]["driver"]["version"] == __version__
    located = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in run_["results"]
    ]
    assert located == [("LNK001", "README.md", 3), ("LNK001", "docs/api/index.md", 3)]


def test_github_format_end_to_end(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "--format", "github")
    assert status == 1
    assert out.splitlines() == [
        "::error file=README.md,line=3,col=41,title=LNK001::LNK001 link target 'docs/setup.md' does not exist",
        "::error file=docs/api/index.md,line=3,col=5,title=LNK001::LNK001 link target 'layers.md' does not exist",
    ]


def test_clean_repository_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = write_tree(tmp_path / "clean", {"README.md": "# Clean\n\nSee [docs](docs/index.md).\n",
                                            "docs/index.md": "# Docs\n\n[Home](../README.md)\n"})
    status, out, _ = run(capsys, "check", "--root", str(clean), "--select", "INP,LNK")
    assert status == 0
    assert out == "All checks passed (2 files).\n"
    status, out, _ = run(capsys, "check", "--root", str(clean), "--select", "LNK", "--format", "json")
    assert (status, json.loads(out)) == (0, [])


def test_output_file_and_exit_zero(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "--format", "json",
                         "--output", str(report), "--exit-zero")
    assert status == 0 and out == ""
    assert len(json.loads(report.read_text(encoding="utf-8"))) == 2


def test_output_into_a_missing_directory_is_a_one_line_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "--root", str(repo), "--output", str(repo / "no" / "such" / "r.txt"))
    assert status == 2
    assert err.count("\n") == 1 and "r.txt: cannot write the report" in err


# -- paths, as pre-commit passes them ----------------------------------------------------------------------------
def test_paths_report_only_those_files_but_resolve_links_against_the_repository(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    # docs/guide.md links to ../README.md and ../notes/results.md, which are not passed: both still resolve.
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "docs/guide.md")
    assert (status, out) == (0, "All checks passed (1 file).\n")
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "docs/guide.md", "README.md")
    assert status == 1
    assert out.splitlines() == [README_FINDING, "Found 1 finding in 2 files."]


def test_directory_argument_means_the_markdown_below_it(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "docs")
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "api")
    assert status == 1
    assert out.splitlines() == [API_FINDING, "Found 1 finding in 1 file."]


def test_explicit_paths_matching_exclude_are_skipped(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit passes every staged Markdown file; the configured excludes must still hold."""
    (repo / "odyssey.toml").write_text('exclude = ["docs/api/**"]\n', encoding="utf-8")
    monkeypatch.chdir(repo)
    status, out, _ = run(capsys, "check", "--select", "LNK", "--root", str(repo), "docs/api/index.md", "docs/guide.md")
    assert (status, out) == (0, "All checks passed (1 file).\n")


def test_paths_are_relative_to_the_working_directory_inside_a_git_work_tree(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "docs" / "api")
    status, out, _ = run(capsys, "check", "--select", "LNK", "index.md")  # root found by git
    assert status == 1
    assert out.splitlines()[0] == API_FINDING


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("docs/nothing.md", "docs/nothing.md: no such file or directory"),
        ("/", "/: not inside the repository at"),
    ],
)
def test_bad_path_arguments_are_usage_errors(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argument: str, message: str
) -> None:
    monkeypatch.chdir(repo)
    status, out, err = run(capsys, "check", "--root", str(repo), argument)
    assert status == 2 and out == ""
    assert err.startswith(f"odyssey: error: {message}") and err.count("\n") == 1


# -- selection ---------------------------------------------------------------------------------------------------
def test_select_and_ignore_flags_take_prefixes_and_comma_lists(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "docs" / "guide.md").write_text("# Guide\n\n[x](../../out.md) [y]() [z](nope.md)\n", encoding="utf-8")
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK00", "--ignore", "LNK001,LNK004",
                         "--format", "json")
    assert status == 1
    assert [item["code"] for item in json.loads(out)] == ["LNK002"]
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK004", "--select", "LNK002",
                         "--format", "json")
    assert sorted(item["code"] for item in json.loads(out)) == ["LNK002", "LNK004"]


def test_command_line_select_overrides_config_and_ignore_adds_to_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "odyssey.toml").write_text('select = ["INP"]\nignore = ["LNK004"]\n', encoding="utf-8")
    (repo / "docs" / "guide.md").write_text("# Guide\n\n[y]() [z](nope.md)\n", encoding="utf-8")
    status, out, _ = run(capsys, "check", "--root", str(repo))
    assert (status, out.splitlines()[-1]) == (0, "All checks passed (4 files).")  # config selects INP only
    status, out, _ = run(capsys, "check", "--root", str(repo), "--select", "LNK", "--format", "json")
    codes = {(item["path"], item["code"]) for item in json.loads(out)}
    assert ("docs/guide.md", "LNK001") in codes and ("docs/guide.md", "LNK004") not in codes


def test_unknown_selector_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "check", "--root", str(repo), "--select", "LNX")
    assert status == 2
    assert err == "odyssey: error: unknown rule selector 'LNX' (see `odyssey rules`)\n"


@pytest.mark.parametrize("argv", [["check", "--format", "xml"], ["frobnicate"], ["check", "--no-such-flag"]])
def test_argparse_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage: odyssey" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"odyssey {__version__}\n"


# -- whole-repository checks, crashing checks ---------------------------------------------------------------------
TST001 = Rule(code="TST001", name="project-probe", family="probe", summary="Counts project runs",
              doc="## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n")
TST002 = Rule(code="TST002", name="crash-probe", family="crasher", summary="Crashes on one file",
              doc="## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n")


class ProbeProjectCheck(ProjectCheck):
    family = "probe"
    summary = "A whole-repository check that records each run"
    rules: ClassVar[tuple[Rule, ...]] = (TST001,)
    runs: ClassVar[int] = 0

    def check_project(self) -> Iterator[Finding]:
        type(self).runs += 1
        yield self.finding(TST001, "README.md", 1, 1, "project-wide check ran")


class CrashingCheck(DocumentCheck):
    family = "crasher"
    summary = "A check with a bug"
    rules: ClassVar[tuple[Rule, ...]] = (TST002,)

    def check_document(self, document: Document) -> Iterator[Finding]:
        if document.path == "docs/guide.md":
            raise KeyError("heading")
        return iter(())


@pytest.fixture
def probe_checks(monkeypatch: pytest.MonkeyPatch) -> type[ProbeProjectCheck]:
    import odyssey.engine

    ProbeProjectCheck.runs = 0
    monkeypatch.setattr(odyssey.engine, "all_checks", lambda: [*all_checks(), ProbeProjectCheck, CrashingCheck])
    return ProbeProjectCheck


def test_project_checks_run_only_without_paths(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    probe_checks: type[ProbeProjectCheck],
) -> None:
    monkeypatch.chdir(repo)
    status, out, _ = run(capsys, "check", "--root", str(repo), "--format", "json", "README.md")
    assert probe_checks.runs == 0
    assert "TST001" not in {item["code"] for item in json.loads(out)}
    status, out, err = run(capsys, "check", "--root", str(repo), "--format", "json")
    assert probe_checks.runs == 1
    assert ("README.md", "TST001") in {(item["path"], item["code"]) for item in json.loads(out)}


def test_a_crashing_check_is_one_line_naming_check_and_file(
    repo: Path, capsys: pytest.CaptureFixture[str], probe_checks: type[ProbeProjectCheck]
) -> None:
    status, out, err = run(capsys, "check", "--root", str(repo), "--format", "json")
    assert status == 2  # findings of the other checks are still reported
    assert "LNK001" in {item["code"] for item in json.loads(out)}
    assert err == "odyssey: docs/guide.md: internal error in check 'crasher': KeyError: 'heading'\n"


def test_an_unexpected_error_is_one_line_not_a_traceback(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import odyssey.engine

    def broken(*_args: object) -> None:
        raise RuntimeError("index out of sync")

    monkeypatch.setattr(odyssey.engine, "run_checks", broken)
    status, out, err = run(capsys, "check", "--root", str(repo))
    assert status == 2 and out == ""
    assert err == "odyssey: internal error: RuntimeError: index out of sync (run with -v for the traceback)\n"


# -- odyssey rules -----------------------------------------------------------------------------------------------
def test_rules_lists_every_rule_and_explains_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    for rule in all_rules():
        assert rule.code in listing
    assert main(["rules", "lnk001"]) == 0
    explained = capsys.readouterr().out
    assert explained.startswith("# LNK001 broken-link\n") and "## Why is this bad?" in explained
    assert main(["rules", "--format", "json"]) == 0
    assert {item["code"] for item in json.loads(capsys.readouterr().out)} == {r.code for r in all_rules()}
    assert main(["rules", "XYZ999"]) == 2
    assert capsys.readouterr().err == "odyssey: error: unknown rule 'XYZ999' (see `odyssey rules`)\n"


def test_python_dash_m_odyssey(repo: Path) -> None:
    """The module entry point pre-commit's local hooks use (`python -m odyssey`), in a real process."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "odyssey", "check", "--root", str(repo), "--select", "LNK"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert done.stdout.splitlines()[:2] == [README_FINDING, API_FINDING]
    assert done.stderr == ""
