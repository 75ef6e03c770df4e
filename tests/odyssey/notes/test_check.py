"""The notes check family (NTS) beyond the per-rule fixtures: the missing index, configured notes directories and
kinds, targeted runs, messages, and configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from odyssey.cli import main
from odyssey.engine import run_checks
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.notes.corpus import NOTES, OTHER_DOCUMENTS, note
from tests.odyssey.notes.test_index import write_tree


def findings(root: Path, select: str = "NTS", targets: list[str] | None = None) -> list[str]:
    result = run_checks(Project(root), targets, Selection(select=(select,)))
    assert result.errors == []
    return [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in result.findings]


def test_a_missing_index_is_reported_when_notes_exist(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**NOTES, **OTHER_DOCUMENTS})
    assert findings(root, "NTS001") == [
        "notes/README.md:1:1: NTS001 notes/README.md is missing; generate it with `odyssey notes index`"
    ]


def test_a_repository_without_notes_needs_no_index(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", OTHER_DOCUMENTS)
    assert findings(root) == []


def test_the_corpus_after_indexing_has_only_the_frontmatter_problem_left(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**NOTES, **OTHER_DOCUMENTS})
    assert main(["notes", "index", "--root", str(root)]) == 0
    assert findings(root) == [
        "notes/gpu-memory.md:1:1: NTS002 note has no frontmatter (title, kind, status, created, updated); "
        "add it with `odyssey notes adopt notes/gpu-memory.md --kind KIND`"
    ]


def test_the_index_is_checked_on_whole_repository_runs_only(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**NOTES, "notes/README.md": "# Notes\n"})
    assert [line.split(" ")[1] for line in findings(root)] == ["NTS001", "NTS002"]
    assert [line.split(" ")[1] for line in findings(root, targets=["notes/README.md", "notes/gpu-memory.md"])] == [
        "NTS002"
    ]


def test_configured_directory_kinds_and_index_name(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "odyssey.toml": '[notes]\ndirectory = "docs/adr"\nkinds = ["adr", "postmortem"]\nindex = "index.md"\n',
        "docs/adr/use-bfloat16.md": note("Use bfloat16", "adr", "We train in bfloat16."),
        "docs/adr/outage-2026-11-03.md": note("Cluster outage", "journal", "The file system went read-only."),
        "notes/old-style.md": "# Not below the notes directory, so not a note\n",
    })
    assert findings(root) == [
        "docs/adr/index.md:1:1: NTS001 docs/adr/index.md is missing; generate it with `odyssey notes index`",
        "docs/adr/outage-2026-11-03.md:3:1: NTS003 invalid 'kind': 'journal'; expected one of adr, postmortem",
    ]
    assert main(["notes", "index", "--root", str(root)]) == 0
    index = (root / "docs/adr/index.md").read_text(encoding="utf-8")
    assert "## Adrs\n\n### Active\n\n- [Use bfloat16](use-bfloat16.md) — 2026-10-01\n" in index
    assert "- [Cluster outage](outage-2026-11-03.md) — kind 'journal' is not a note kind; 2026-10-01" in index


def test_the_notes_directory_follows_the_note_kind_by_default(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "odyssey.toml": '[[kinds]]\nname = "note"\ntype = "note"\ndirs = ["memory"]\n',
        "memory/session-summary.md": "# Session summary\n",
    })
    assert [line.split(" ")[0] for line in findings(root)] == [
        "memory/README.md:1:1:", "memory/session-summary.md:1:1:"
    ]


@pytest.mark.parametrize("toml, message", [
    ('[notes]\nkind-dirs = { reviews = "reviews" }\n',
     "odyssey.toml: [notes] kind-dirs names 'reviews', which is not one of the note kinds"),
    ('[notes]\nkindz = ["adr"]\n', "unknown key 'kindz' in [notes]; did you mean 'kinds'?"),
    ('[notes]\nduplicate-threshold = 0\n', "'notes.duplicate-threshold': 0 is less than or equal to the minimum of 0"),
])
def test_configuration_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str,
                                           message: str) -> None:
    root = write_tree(tmp_path / "repo", {"odyssey.toml": toml, **NOTES})
    assert main(["check", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
