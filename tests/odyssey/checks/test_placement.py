"""placement (PLC001, PLC002): messages, move fixes and their destinations, custom kinds, targeted runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from odyssey.cli import main
from odyssey.config import ConfigError
from odyssey.engine import RunResult, run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project

AGENT = """\
---
name: reviewer
description: Reviews pull requests.
tools: Read, Grep
---

# Reviewer
"""


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run(root: Path, select: str = "PLC", targets: list[str] | None = None) -> RunResult:
    result = run_checks(Project(root), targets, Selection(select=(select,)))
    assert result.errors == []
    return result


def by_path(result: RunResult) -> dict[str, Finding]:
    found = {finding.path: finding for finding in result.findings}
    assert len(found) == len(result.findings), "one placement finding per file"
    return found


def test_root_report_message_names_the_conforming_destination(tmp_path: Path) -> None:
    make_repo(tmp_path, {"README.md": "# Project\n", "SESSION_SUMMARY.md": "# Summary\n",
                         "IMPLEMENTATION_SUMMARY.md": "# Done\n"})
    found = by_path(run(tmp_path))
    summary = found["SESSION_SUMMARY.md"]
    assert (summary.code, summary.line, summary.column) == ("PLC001", 1, 1)
    assert summary.message == (
        "'SESSION_SUMMARY.md' does not belong at the repository root; move it to notes/session-summary.md"
    )
    assert summary.fix is not None
    assert (summary.fix.kind, summary.fix.destination, summary.fix.safe) == ("move", "notes/session-summary.md", True)
    assert found["IMPLEMENTATION_SUMMARY.md"].fix.destination == "notes/implementation-summary.md"  # type: ignore[union-attr]
    assert "README.md" not in found


def test_taken_destination_gets_a_numbered_name_and_an_unsafe_fix(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "SESSION_SUMMARY.md": "# Today\n",
        "SESSION-SUMMARY.md": "# Also today\n",
        "notes/session-summary.md": "# Yesterday\n",
    })
    found = by_path(run(tmp_path))
    # the engine visits documents in path order ("SESSION-" < "SESSION_"), so the first one takes -2
    first, second = found["SESSION-SUMMARY.md"], found["SESSION_SUMMARY.md"]
    assert first.message.endswith("move it to notes/session-summary-2.md (notes/session-summary.md already exists)")
    assert second.message.endswith("move it to notes/session-summary-3.md (notes/session-summary.md already exists)")
    assert (first.fix.destination, second.fix.destination) == (  # type: ignore[union-attr]
        "notes/session-summary-2.md", "notes/session-summary-3.md"
    )
    assert not first.fix.safe and not second.fix.safe  # type: ignore[union-attr]


def test_kindless_root_files_go_to_the_default_destination(tmp_path: Path) -> None:
    make_repo(tmp_path, {"ARCHITECTURE.md": "# Architecture\n", "Design Notes.markdown": "# Design\n",
                         "CHANGELOG.markdown": "# Changes\n", "Readme.md": "# Project\n"})
    found = by_path(run(tmp_path))
    assert {path: f.fix.destination for path, f in found.items()} == {  # type: ignore[union-attr]
        "ARCHITECTURE.md": "docs/architecture.md",
        "Design Notes.markdown": "docs/design-notes.md",
    }


def test_kind_outside_its_directories_points_at_the_frontmatter_line(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "docs/agents/reviewer.md": AGENT,
        "lenet5/log.md": "---\ntitle: Log\ntype: note\n---\n# Log\n",
        "docs/SESSION_SUMMARY.md": "# Summary\n",
        "notes/SESSION_SUMMARY.md": "# Home\n",
    })
    found = by_path(run(tmp_path))
    agent = found["docs/agents/reviewer.md"]
    assert (agent.code, agent.line) == ("PLC002", 2)
    assert agent.message == (
        "'reviewer.md' is an agent (its frontmatter has name, description, tools) outside agents/ and "
        ".claude/agents/; move it to agents/reviewer.md"
    )
    note = found["lenet5/log.md"]
    assert (note.line, note.fix.destination) == (3, "notes/log.md")  # type: ignore[union-attr]
    assert "a note (frontmatter type: note) outside notes/" in note.message
    # notes/SESSION_SUMMARY.md is at home (its name is the naming check's business) and does not take
    # notes/session-summary.md: only names equal but for letter case collide.
    report = found["docs/SESSION_SUMMARY.md"]
    assert report.fix.destination == "notes/session-summary.md"  # type: ignore[union-attr]
    assert "notes/SESSION_SUMMARY.md" not in found


def test_destination_follows_the_destination_directorys_pattern(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "odyssey.toml": '[naming]\npatterns = { notes = "snake", docs = "kebab" }\n',
        "FINAL_REVIEW_REPORT.md": "# Review\n",
        "Setup Guide.md": "# Setup\n",
    })
    found = by_path(run(tmp_path))
    assert found["FINAL_REVIEW_REPORT.md"].fix.destination == "notes/final_review_report.md"  # type: ignore[union-attr]
    assert found["Setup Guide.md"].fix.destination == "docs/setup-guide.md"  # type: ignore[union-attr]


def test_custom_kinds_declared_in_odyssey_toml(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "odyssey.toml": r"""
            [placement]
            root-allow = ["README.md", "HANDBOOK.md"]
            default-destination = "handbook"

            [naming]
            patterns = { handbook = "kebab", "handbook/decisions" = '^adr-\d{4}(-[a-z0-9]+)*\.md$' }

            [[kinds]]
            name = "decision"
            type = "decision"
            paths = ["**/ADR-*.md"]
            exclude = ["archive/**"]
            dirs = ["handbook/decisions"]

            [[kinds]]
            name = "runbook"
            type = "runbook"
            name-regex = '(?i)runbook'
            dirs = ["ops/runbooks", "handbook/ops"]
            """,
        "README.md": "# Project\n",
        "HANDBOOK.md": "# Handbook\n",
        "SESSION_SUMMARY.md": "# Summary\n",  # no report kind declared here: kindless
        "docs/ADR_0007_Use_Numpy.md": "# Use numpy\n",
        "docs/ADR-0008_Keep_Torch.md": "# Keep torch optional\n",
        "archive/ADR-0001-old.md": "# Old\n",
        "handbook/decisions/ADR-0002.md": "# At home\n",
        "services/api/deploy-runbook.md": "# Deploy\n",
        "handbook/ops/restart-RUNBOOK.md": "# Restart\n",
        "lenet5/notes.md": "---\ntype: decision\n---\n# A decision by type\n",
        "docs/agents/reviewer.md": AGENT,  # declared kinds replace the defaults: no agent kind here
    })
    found = by_path(run(tmp_path))
    assert {path: (f.code, f.fix.destination) for path, f in found.items()} == {  # type: ignore[union-attr]
        "SESSION_SUMMARY.md": ("PLC001", "handbook/session-summary.md"),
        "docs/ADR-0008_Keep_Torch.md": ("PLC002", "handbook/decisions/adr-0008-keep-torch.md"),
        "services/api/deploy-runbook.md": ("PLC002", "ops/runbooks/deploy-runbook.md"),
        # no name matching the decisions pattern can be derived from "notes.md": it is kept (NAM001 follows)
        "lenet5/notes.md": ("PLC002", "handbook/decisions/notes.md"),
    }


def test_custom_agent_paths_move_agent_files_there(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "pyproject.toml": '[tool.odyssey.agents]\npaths = ["ai/agents/**/*.md"]\n',
        "agents/reviewer.md": AGENT,
        "ai/agents/tester.md": AGENT.replace("reviewer", "tester"),
    })
    found = by_path(run(tmp_path))
    assert list(found) == ["agents/reviewer.md"]
    assert found["agents/reviewer.md"].fix.destination == "ai/agents/reviewer.md"  # type: ignore[union-attr]


def test_targeted_run_reports_only_the_targets(tmp_path: Path) -> None:
    make_repo(tmp_path, {"SESSION_SUMMARY.md": "# A\n", "TEST_RESULTS.md": "# B\n", "docs/STATUS.md": "# C\n"})
    result = run(tmp_path, targets=["TEST_RESULTS.md", "docs/STATUS.md"])
    assert [(f.path, f.code) for f in result.findings] == [("TEST_RESULTS.md", "PLC001"), ("docs/STATUS.md", "PLC002")]


def test_inline_suppression_keeps_a_root_file(tmp_path: Path) -> None:
    make_repo(tmp_path, {"ROADMAP_PLAN.md": "<!-- odyssey: ignore-file PLC001 -->\n# Roadmap\n",
                         "MIGRATION_PLAN.md": "# Migration\n"})
    assert [f.path for f in run(tmp_path).findings] == ["MIGRATION_PLAN.md"]


def test_invalid_naming_regex_is_one_config_error_not_a_traceback(tmp_path: Path) -> None:
    make_repo(tmp_path, {"odyssey.toml": "[naming]\npatterns = { docs = '[' }\n",
                         "SESSION_SUMMARY.md": "# A\n", "TEST_RESULTS.md": "# B\n"})
    with pytest.raises(ConfigError, match=r"^odyssey.toml:2: naming pattern for 'docs' is not a valid regex"):
        Project(tmp_path)


def test_cli_prints_the_message_with_its_destination(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    make_repo(tmp_path, {"README.md": "# Project\n", "FINAL_REVIEW_REPORT.md": "# Review\n"})
    assert main(["check", "--root", str(tmp_path), "--select", "PLC", "--format", "text"]) == 1
    out = capsys.readouterr().out
    assert (
        "FINAL_REVIEW_REPORT.md:1:1: PLC001 'FINAL_REVIEW_REPORT.md' does not belong at the repository root; "
        "move it to notes/final-review-report.md"
    ) in out
