"""``odyssey fix`` end to end through ``main([...])``: dry run, --apply, exit statuses, one-line errors, and a
realistic messy repository (a root full of reports, broken ``../`` chains, duplicates, mkdocs nav, CRLF and BOM)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from odyssey.cli import main
from odyssey.findings import Finding
from odyssey.fix import plan as plan_module
from odyssey.fix.journal import Journal
from odyssey.project import Project

from tests.odyssey.fix.helpers import duplicate_finding, git, git_commit_all, snapshot, write_tree

MESSY: dict[str, str | bytes] = {
    "README.md": (
        "# Vision lab\n\n"
        "Start with the [training guide](docs/guides/training.md) and the [architecture](ARCHITECTURE.md#layers).\n\n"
        "## Reports\n\n"
        "- [Session summary](SESSION_SUMMARY.md)\n"
        "- [Final review][review]\n"
        "- [Test results](./TEST_RESULTS.md#failures)\n"
        "- <a href=\"IMPLEMENTATION_STATUS.md\">Implementation status</a>\n\n"
        "[review]: FINAL_REVIEW_REPORT.md \"Final review\"\n"
    ),
    "CLAUDE.md": (
        "# Agent notes\n\nRead [the summary](SESSION_SUMMARY.md) before starting; see [setup](docs/Setup_Guide.md).\n"
    ),
    "ARCHITECTURE.md": "# Architecture\n\n## Layers\n\nThe [training guide](docs/guides/training.md) uses them.\n",
    "SESSION_SUMMARY.md": (
        "# Session summary\r\n\r\nDone: [training](docs/guides/training.md), [review](FINAL_REVIEW_REPORT.md).\r\n"
        "Plot: ![loss](docs/assets/loss.png)\r\n"
    ),
    "FINAL_REVIEW_REPORT.md": (
        "\ufeff# Final review\n\nSee [status](IMPLEMENTATION_STATUS.md) and [readme](README.md).\n"
    ),
    "TEST_RESULTS.md": "# Test results\n\n## Failures\n\nNone.  \n",
    "IMPLEMENTATION_STATUS.md": "# Status\n\nAll layers are\n\t[done](ARCHITECTURE.md).\n",
    "docs/index.md": (
        "# Docs\n\n- [Training](guides/training.md)\n- [Setup](Setup_Guide.md)\n- [Summary](../SESSION_SUMMARY.md)\n"
    ),
    "docs/Setup_Guide.md": "# Setup\n\nThen read [training](guides/training.md).\n",
    "docs/guides/training.md": (
        "# Training\n\n[Home](../index.md), [setup](../../docs/Setup_Guide.md), [model](../../guides/model.md), "
        "[architecture](../../ARCHITECTURE.md#layers).\n"
    ),
    "docs/guides/model.md": "# Model\n\nBack to [training](training.md).\n",
    "docs/guides/training-copy.md": (
        "# Training\n\n[Home](../index.md), [setup](../../docs/Setup_Guide.md), [model](../../guides/model.md), "
        "[architecture](../../ARCHITECTURE.md#layers).\n"
    ),
    "docs/assets/loss.png": b"\x89PNG\r\n\x1a\nloss",
    "mkdocs.yml": (
        "site_name: Vision lab  # published at example.org\n"
        "markdown_extensions:\n"
        "  - pymdownx.emoji:\n"
        "      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n"
        "nav:\n"
        "  - Home: index.md\n"
        "  - Setup: Setup_Guide.md   # rename me\n"
        "  - Guides:\n"
        "      - guides/training.md\n"
    ),
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def counts(root: Path) -> dict[str, int]:
    from odyssey.engine import run_checks
    from odyssey.policy import Selection

    found: dict[str, int] = {}
    for finding in run_checks(Project(root), None, Selection()).findings:
        found[finding.code] = found.get(finding.code, 0) + 1
    return found


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "messy", MESSY)
    git_commit_all(root)
    return root


@pytest.fixture
def with_duplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The duplicates family's findings (its contract: Fix(kind="delete", destination=canonical))."""
    real = plan_module.collect_findings

    def collect(project: Project, select: Sequence[str], ignore: Sequence[str],
                dedupe: bool = False) -> tuple[list[Finding], list[str]]:
        findings, errors = real(project, select, ignore, dedupe)
        extra = [duplicate_finding("docs/guides/training-copy.md", "docs/guides/training.md")]
        return findings + [f for f in extra if project.files.is_file(f.path)], errors

    monkeypatch.setattr(plan_module, "collect_findings", collect)


def test_dry_run_prints_the_plan_changes_nothing_and_exits_1(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(messy)
    status, out, err = run(capsys, "fix", "--root", str(messy))
    assert status == 1, err
    assert "  SESSION_SUMMARY.md       -> notes/session-summary.md  [PLC001]" in out
    assert "--- a/README.md\n+++ b/README.md\n" in out
    assert "-- [Session summary](SESSION_SUMMARY.md)\n+- [Session summary](notes/session-summary.md)" in out
    assert "--- a/SESSION_SUMMARY.md\n+++ b/notes/session-summary.md\n" in out
    assert out.rstrip().endswith("Nothing was changed: run `odyssey fix --apply` to apply.")
    assert snapshot(messy) == before


def test_apply_on_a_messy_repository(messy: Path, capsys: pytest.CaptureFixture[str], with_duplicates: None) -> None:
    before = counts(messy)
    status, out, err = run(capsys, "fix", "--root", str(messy), "--apply", "--dedupe")
    assert status == 0, err
    assert out.splitlines()[-1].startswith("Fixed: 5 moves, 1 rename, 1 removal, ")
    after = counts(messy)
    assert not any(code.startswith("PLC") for code in after)
    assert after.get("LNK001", 0) < before["LNK001"]  # repaired ../ chains, no new broken link
    assert not any(code.startswith("NAM") for code in after)
    # Moves are recorded as git mv records them.
    status_lines = git(messy, "status", "--porcelain").splitlines()
    assert "R  TEST_RESULTS.md -> notes/test-results.md" in status_lines
    assert "D  docs/guides/training-copy.md" in status_lines
    # Every byte outside link targets survived: CRLF, BOM, tabs, trailing spaces, YAML comments and tags.
    assert (messy / "notes/session-summary.md").read_bytes() == (
        b"# Session summary\r\n\r\nDone: [training](../docs/guides/training.md), [review](final-review-report.md)."
        b"\r\nPlot: ![loss](../docs/assets/loss.png)\r\n"
    )
    assert (messy / "notes/final-review-report.md").read_bytes() == (
        "\ufeff# Final review\n\nSee [status](implementation-status.md) and [readme](../README.md).\n".encode()
    )
    assert (messy / "notes/implementation-status.md").read_text() == (
        "# Status\n\nAll layers are\n\t[done](../docs/architecture.md).\n"
    )
    assert (messy / "notes/test-results.md").read_text() == MESSY["TEST_RESULTS.md"]
    assert (messy / "docs/guides/training.md").read_text() == (
        "# Training\n\n[Home](../index.md), [setup](../setup-guide.md), [model](../guides/model.md), "
        "[architecture](../architecture.md#layers).\n"
    )
    assert (messy / "mkdocs.yml").read_text() == MESSY["mkdocs.yml"].replace("Setup: Setup_Guide.md",
                                                                              "Setup: setup-guide.md")
    # Nothing is left behind: no journal, and a second run has nothing to do.
    assert not (messy / ".odyssey-fix-journal").exists()
    status, out, _err = run(capsys, "fix", "--root", str(messy))
    assert status == 0 and "Nothing to fix" in out


def test_exit_non_zero_on_fix(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _out, err = run(capsys, "fix", "--root", str(messy), "--apply", "--exit-non-zero-on-fix")
    assert status == 1, err
    status, _out, _err = run(capsys, "fix", "--root", str(messy), "--apply", "--exit-non-zero-on-fix")
    assert status == 0  # nothing left to change


def test_paths_limit_what_is_fixed_but_links_are_rewritten_everywhere(messy: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    status, _out, err = run(capsys, "fix", "--root", str(messy), "--apply", str(messy / "TEST_RESULTS.md"))
    assert status == 0, err
    assert (messy / "notes/test-results.md").exists() and (messy / "SESSION_SUMMARY.md").exists()
    assert "- [Test results](./notes/test-results.md#failures)\n" in (messy / "README.md").read_text()


def test_select_restricts_the_fixes(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = run(capsys, "fix", "--root", str(messy), "--select", "NAM", "--no-diff")
    assert status == 1
    assert "Renames (1):" in out and "Moves" not in out and "---" not in out


def test_errors_are_one_line_with_status_2(messy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "fix", "--root", str(messy), str(tmp_path / "elsewhere.md"))
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("odyssey: error: ")
    journal = Journal(messy)
    journal.directory.mkdir()
    assert journal.lock(create=True)  # another odyssey is applying a fix right now
    (journal.directory / "journal.json").write_text(json.dumps({"version": 1, "state": "applying", "steps": []}))
    before = snapshot(messy)
    status, out, err = run(capsys, "fix", "--root", str(messy), "--apply")
    journal.release()
    assert status == 2 and len(err.strip().splitlines()) == 1 and "being applied" in err
    assert snapshot(messy) == before


def test_nothing_to_fix_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path, {"README.md": "# R\n\n[guide](docs/guide.md)\n", "docs/guide.md": "# Guide\n"})
    for extra in ([], ["--apply"]):
        status, out, _err = run(capsys, "fix", "--root", str(root), *extra)
        assert status == 0 and out == "Nothing to fix.\n"


def test_dedupe_uses_the_duplicates_check_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No stand-in findings: DUP001 of the real duplicates family names the copy and the canonical to keep."""
    guide = ("# Training\n\nTrain the network for ten epochs with a batch size of 32 and a learning rate of 0.001, "
             "then evaluate it on the held-out test split and write the weights next to the metadata file.\n")
    root = write_tree(tmp_path / "repo", {
        "README.md": "# Lab\n\n- [Training](docs/training.md)\n- [Old training](notes/training-copy.md#training)\n",
        "docs/training.md": guide,
        "notes/training-copy.md": guide,
    })
    git_commit_all(root)
    status, out, err = run(capsys, "fix", "--root", str(root), "--apply", "--dedupe")
    assert status == 0, err
    assert not (root / "notes/training-copy.md").exists()
    assert (root / "docs/training.md").read_text(encoding="utf-8") == guide
    assert (root / "README.md").read_text(encoding="utf-8") == (
        "# Lab\n\n- [Training](docs/training.md)\n- [Old training](docs/training.md#training)\n")
    status, out, err = run(capsys, "check", "--root", str(root), "--select", "DUP,LNK,ANC")
    assert status == 0, out
