"""The generated notes index: grouped by kind and status, linked, sorted, deterministic and idempotent; its links
hold (the links check finds nothing) and it makes every note reachable (the orphans check finds nothing)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from odyssey.cli import main
from odyssey.document import parse_document
from odyssey.engine import run_checks
from odyssey.notes.index import MARKER, link_destination, link_text, plural, render_index
from odyssey.notes.model import NotesSettings, note_from_document
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.notes.corpus import NOTES, OTHER_DOCUMENTS, note
from tests.odyssey.helpers import write_tree

SETTINGS = NotesSettings()


def corpus_notes() -> list:
    return [note_from_document(parse_document(path, text.encode("utf-8"))) for path, text in NOTES.items()]


def test_sections_follow_the_configured_kinds_then_statuses() -> None:
    text = render_index(corpus_notes(), SETTINGS)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Notes",
        "## Reviews", "### Active",
        "## Decisions", "### Active",
        "## Analyses", "### Active",
        "## Journals", "### Active",
        "## Plans", "### Active", "### Superseded",
        "## Unclassified",
    ]
    assert text.startswith(MARKER + "\n")


def test_entries_are_linked_sorted_newest_first_and_say_what_superseded_them() -> None:
    text = render_index(corpus_notes(), SETTINGS)
    lines = text.splitlines()
    decisions = lines[lines.index("## Decisions") + 4 : lines.index("## Analyses") - 1]
    assert decisions == [
        "- [Vocabulary size of 32k](decision-vocabulary-size.md) — 2026-10-06; tags: tokenizer",
        "- [Train in bfloat16 mixed precision](decision-mixed-precision.md) — 2026-09-20; "
        "tags: training, performance",
    ]
    assert ("- [Q3 plan](plan-q3.md) — 2026-07-01; tags: planning; superseded by "
            "[Q3 plan, revised after the August review](plan-q3-revised.md)") in lines
    assert "- [GPU memory notes](gpu-memory.md) — no frontmatter" in lines


def test_output_does_not_depend_on_the_order_notes_are_read_in() -> None:
    notes = corpus_notes()
    expected = render_index(notes, SETTINGS)
    for seed in range(5):
        shuffled = list(notes)
        random.Random(seed).shuffle(shuffled)
        assert render_index(shuffled, SETTINGS) == expected


def test_titles_and_paths_are_escaped_for_markdown() -> None:
    assert link_text("The [draft] <b>plan</b>\\ now") == "The \\[draft\\] \\<b>plan\\</b>\\\\ now"
    assert link_destination("notes/README.md", "notes/q3 (old).md") == "<q3 (old).md>"
    assert link_destination("notes/README.md", "notes/reviews/a.md") == "reviews/a.md"


@pytest.mark.parametrize("kind, heading", [("analysis", "Analyses"), ("summary", "Summaries"),
                                           ("review", "Reviews"), ("post-mortem", "Post mortems"),
                                           ("day", "Days"), ("batch", "Batches")])
def test_plural_headings(kind: str, heading: str) -> None:
    assert plural(kind) == heading


def test_index_is_idempotent_and_its_links_and_reachability_hold(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", {**NOTES, **OTHER_DOCUMENTS,
                                          "notes/reviews/review (draft) [v2].md": note(
                                              "Review [v2] of <the> loader", "review", "Draft.")})
    assert main(["notes", "index", "--root", str(root)]) == 0
    assert capsys.readouterr().out == "wrote notes/README.md\n"
    first = (root / "notes/README.md").read_bytes()
    assert main(["notes", "index", "--root", str(root)]) == 0
    assert capsys.readouterr().out == "notes/README.md is up to date\n"
    assert (root / "notes/README.md").read_bytes() == first
    assert main(["notes", "index", "--check", "--root", str(root)]) == 0
    result = run_checks(Project(root), None, Selection(select=("LNK", "ORP", "NTS001")))
    assert [f"{f.path}:{f.code}" for f in result.findings] == []


def test_index_check_reports_an_outdated_index_without_writing(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", {**NOTES, "notes/README.md": "# Notes\n\nHand-written.\n"})
    assert main(["notes", "index", "--check", "--root", str(root)]) == 1
    assert capsys.readouterr().out == "notes/README.md is out of date; run `odyssey notes index`\n"
    assert (root / "notes/README.md").read_text(encoding="utf-8") == "# Notes\n\nHand-written.\n"


def test_an_empty_notes_directory_gets_an_index_that_says_so() -> None:
    text = render_index([], SETTINGS)
    assert "No notes yet: `odyssey notes new --kind KIND --title TITLE` writes the first one." in text
