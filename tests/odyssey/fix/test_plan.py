"""Planning: moves, renames, link rewrites of every syntax, repairs, removals, and what is left alone (and why)."""

from __future__ import annotations

from pathlib import Path

import pytest
from odyssey.fix import plan as plan_module
from odyssey.fix.plan import FixOptions, relative_path
from odyssey.fix.rewrite import LocateError

from tests.odyssey.fix.helpers import duplicate_finding, edited, make_plan, write_tree


def moves_of(plan) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {move.source: plan.final(move.source) for move in plan.moves}


def skipped_reasons(plan) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f"{s.path}:{s.code}": s.reason for s in plan.skipped}


def test_relative_path_is_lexical() -> None:
    assert relative_path("notes/a.md", "docs/guides") == "../../notes/a.md"
    assert relative_path("docs/a.md", "docs") == "a.md"
    assert relative_path("", "docs") == ".."
    assert relative_path("../shared/x.md", "notes") == "../../shared/x.md"


def test_root_report_moves_and_every_inbound_syntax_is_rewritten(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": (
            "# Project\n\n"
            "- [summary](SESSION_SUMMARY.md#next-steps) and [again](./SESSION_SUMMARY.md)\n"
            "- [by reference][summary] and <a href='SESSION_SUMMARY.md#next-steps'>html</a>\n"
            "- [absolute](/SESSION_SUMMARY.md \"title kept\")\n\n"
            "[summary]: <SESSION_SUMMARY.md> 'Summary'\n"
        ),
        "SESSION_SUMMARY.md": (
            "# Session summary\n\n## Next steps\n\n"
            "Back to the [readme](README.md), the [guide](docs/guide.md#setup) and this [section](#next-steps).\n"
            "![plot](docs/img/loss.png)\n"
        ),
        "docs/guide.md": "# Guide\n\n## Setup\n\nSee the [summary](../SESSION_SUMMARY.md).\n",
        "docs/img/loss.png": b"\x89PNG",
    })
    plan = make_plan(root)
    assert moves_of(plan) == {"SESSION_SUMMARY.md": "notes/session-summary.md"}
    assert edited(plan, "README.md") == (
        "# Project\n\n"
        "- [summary](notes/session-summary.md#next-steps) and [again](./notes/session-summary.md)\n"
        "- [by reference][summary] and <a href='notes/session-summary.md#next-steps'>html</a>\n"
        "- [absolute](/notes/session-summary.md \"title kept\")\n\n"
        "[summary]: <notes/session-summary.md> 'Summary'\n"
    )
    assert edited(plan, "SESSION_SUMMARY.md") == (
        "# Session summary\n\n## Next steps\n\n"
        "Back to the [readme](../README.md), the [guide](../docs/guide.md#setup) and this [section](#next-steps).\n"
        "![plot](../docs/img/loss.png)\n"
    )
    assert edited(plan, "docs/guide.md") == "# Guide\n\n## Setup\n\nSee the [summary](../notes/session-summary.md).\n"
    assert plan.mapping == {"SESSION_SUMMARY.md": "notes/session-summary.md"}


def test_links_that_still_work_from_the_new_place_are_not_touched(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[report](docs/TEST_RESULTS.md)\n",
        "docs/TEST_RESULTS.md": "# Results\n\n[readme](../README.md) [external](https://example.com/x.md)\n",
    })
    plan = make_plan(root)
    assert moves_of(plan) == {"docs/TEST_RESULTS.md": "notes/test-results.md"}
    assert [edit.path for edit in plan.edits] == ["README.md"]  # ../README.md works from notes/ too


def test_directory_and_file_renames_compose(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[design](docs/Meeting%20Notes/Design%20Review.md) [dir](<docs/Meeting Notes/>)\n",
        "docs/index.md": "# Docs\n\n[agenda](Meeting%20Notes/agenda.md)\n",
        "docs/Meeting Notes/Design Review.md": "# Design\n\n[agenda](agenda.md) [index](../index.md)\n",
        "docs/Meeting Notes/agenda.md": "# Agenda\n\n[design](Design%20Review.md)\n",
    })
    plan = make_plan(root)
    assert moves_of(plan) == {
        "docs/Meeting Notes": "docs/meeting-notes",
        "docs/Meeting Notes/Design Review.md": "docs/meeting-notes/design-review.md",
    }
    assert plan.mapping == {
        "docs/Meeting Notes/Design Review.md": "docs/meeting-notes/design-review.md",
        "docs/Meeting Notes/agenda.md": "docs/meeting-notes/agenda.md",
    }
    assert edited(plan, "README.md") == (
        "# R\n\n[design](docs/meeting-notes/design-review.md) [dir](<docs/meeting-notes/>)\n"
    )
    assert edited(plan, "docs/index.md") == "# Docs\n\n[agenda](meeting-notes/agenda.md)\n"
    assert edited(plan, "docs/Meeting Notes/agenda.md") == "# Agenda\n\n[design](design-review.md)\n"
    assert "docs/Meeting Notes/Design Review.md" not in [e.path for e in plan.edits]  # its links still work


def test_broken_links_with_one_repair_are_repaired_and_ambiguous_ones_explained(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[guide](docs/guides/training.md)\n",
        "docs/guides/training.md": (
            "# Training\n\n"
            "[model](../../guides/model.md) [readme](README.md) [api](docs/api.md) [overview](overview.md)\n"
        ),
        "docs/guides/model.md": "# Model\n",
        "docs/api.md": "# API\n",
        "docs/a/overview.md": "# A\n",
        "docs/b/overview.md": "# B\n",
    })
    plan = make_plan(root)
    assert edited(plan, "docs/guides/training.md") == (
        "# Training\n\n[model](../guides/model.md) [readme](../../README.md) [api](../api.md) [overview](overview.md)\n"
    )
    reasons = skipped_reasons(plan)
    assert reasons["docs/guides/training.md:LNK001"].startswith("no unambiguous repair")
    assert "overview.md" in reasons["docs/guides/training.md:LNK001"]


def test_anchor_fixes_safe_by_default_guesses_only_with_unsafe(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[case](docs/guide.md#Training) [typo](docs/guide.md#instaling-linux)\n",
        "docs/guide.md": "# Guide\n\n## Installing Linux\n\n## Training\n",
    })
    safe = make_plan(root)
    assert edited(safe, "README.md") == "# R\n\n[case](docs/guide.md#training) [typo](docs/guide.md#instaling-linux)\n"
    assert "only with --unsafe" in skipped_reasons(safe)["README.md:ANC002"]
    unsafe = make_plan(root, FixOptions(unsafe=True))
    assert edited(unsafe, "README.md") == (
        "# R\n\n[case](docs/guide.md#training) [typo](docs/guide.md#installing-linux)\n"
    )


def test_numbered_destinations_are_unsafe(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[s](SESSION_SUMMARY.md)\n",
        "SESSION_SUMMARY.md": "# New summary\n",
        "notes/session-summary.md": "# Old summary\n",
    })
    assert moves_of(make_plan(root)) == {}
    assert "only with --unsafe" in skipped_reasons(make_plan(root))["SESSION_SUMMARY.md:PLC001"]
    assert moves_of(make_plan(root, FixOptions(unsafe=True))) == {"SESSION_SUMMARY.md": "notes/session-summary-2.md"}


def test_a_destination_taken_by_an_ignored_file_is_refused(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        ".gitignore": "notes/session-summary.md\n",
        "README.md": "# R\n",
        "SESSION_SUMMARY.md": "# Summary\n",
        "notes/session-summary.md": "# Local scratch, ignored\n",
    })
    from tests.odyssey.fix.helpers import git_commit_all

    git_commit_all(root)
    plan = make_plan(root)
    assert moves_of(plan) == {}
    assert "already exists on disk" in skipped_reasons(plan)["SESSION_SUMMARY.md:PLC001"]


def test_an_inbound_link_that_cannot_be_located_blocks_the_move(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[s](SESSION_SUMMARY.md) [r](FINAL_REVIEW.md)\n",
        "SESSION_SUMMARY.md": "# S\n",
        "FINAL_REVIEW.md": "# F\n",
    })
    real = plan_module.locate_target

    def refuse_summary(lines, link):  # type: ignore[no-untyped-def]
        if link.target == "SESSION_SUMMARY.md":
            raise LocateError("simulated: written in a way the locator does not read")
        return real(lines, link)

    monkeypatch.setattr(plan_module, "locate_target", refuse_summary)
    plan = make_plan(root)
    assert moves_of(plan) == {"FINAL_REVIEW.md": "notes/final-review.md"}
    assert edited(plan, "README.md") == "# R\n\n[s](SESSION_SUMMARY.md) [r](notes/final-review.md)\n"
    assert "cannot rewrite the link at README.md:3:1 exactly" in skipped_reasons(plan)["SESSION_SUMMARY.md:PLC001"]


def test_broken_and_escaping_links_of_a_moved_file_keep_their_meaning(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n",
        "REVIEW_NOTES.md": "# Review\n\n[gone](docs/missing.md) [outside](../shared/notes.md)\n",
        "notes/missing.md": "# A different file that must not start to match\n",
    })
    plan = make_plan(root, select=("PLC",))
    assert edited(plan, "REVIEW_NOTES.md") == (
        "# Review\n\n[gone](../docs/missing.md) [outside](../../shared/notes.md)\n"
    )


def test_fragments_follow_the_renderer_of_the_new_place(tmp_path: Path) -> None:
    # docs/ is built by mkdocs ("results_1"); notes/ is read on GitHub ("results-1").
    root = write_tree(tmp_path, {
        "mkdocs.yml": "site_name: x\n",
        "README.md": "# R\n",
        "docs/index.md": "# Docs\n\n[second run](RUN_REPORT.md#results_1)\n",
        "docs/RUN_REPORT.md": "# Run\n\n## Results\n\n## Results\n\nSee [the second](#results_1).\n",
    })
    plan = make_plan(root, select=("PLC",))
    assert moves_of(plan) == {"docs/RUN_REPORT.md": "notes/run-report.md"}
    assert edited(plan, "docs/index.md") == "# Docs\n\n[second run](../notes/run-report.md#results-1)\n"
    assert edited(plan, "docs/RUN_REPORT.md").endswith("See [the second](#results-1).\n")


def test_nav_entries_follow_renames_and_nav_pages_do_not_leave_the_site(tmp_path: Path) -> None:
    mkdocs = (
        "site_name: x  # keep\nnav:\n  - Home: index.md\n  - Setup: Setup_Guide.md  # renamed\n"
        "  - Review: FINAL_REVIEW.md\n"
    )
    root = write_tree(tmp_path, {
        "mkdocs.yml": mkdocs,
        "README.md": "# R\n",
        "docs/index.md": "# Docs\n\n[setup](Setup_Guide.md) [review](FINAL_REVIEW.md)\n",
        "docs/Setup_Guide.md": "# Setup\n",
        "docs/FINAL_REVIEW.md": "# Review\n",
    })
    plan = make_plan(root)
    assert moves_of(plan) == {"docs/Setup_Guide.md": "docs/setup-guide.md"}
    assert edited(plan, "mkdocs.yml") == mkdocs.replace("Setup: Setup_Guide.md", "Setup: setup-guide.md")
    assert "would drop it from the site" in skipped_reasons(plan)["docs/FINAL_REVIEW.md:PLC002"]


def test_a_linked_directory_is_not_emptied(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[reports](docs/reports/)\n",
        "docs/reports/TEST_RESULTS.md": "# Results\n",
    })
    plan = make_plan(root, select=("PLC",))
    assert moves_of(plan) == {}
    assert "would empty docs/reports/" in skipped_reasons(plan)["docs/reports/TEST_RESULTS.md:PLC002"]


def test_files_named_by_mkdocs_settings_do_not_move(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "mkdocs.yml": "site_name: x\nextra_css:\n  - Style Sheets/extra.css\n",
        "README.md": "# R\n",
        "docs/index.md": "# D\n\n[guide](Style%20Sheets/guide.md)\n",
        "docs/Style Sheets/guide.md": "# Guide\n",
        "docs/Style Sheets/extra.css": "body {}\n",
    })
    plan = make_plan(root, select=("NAM",))
    assert "docs/Style Sheets" not in moves_of(plan)
    assert "refers to 'Style Sheets/extra.css'" in skipped_reasons(plan)["docs/Style Sheets:NAM002"]


def test_dedupe_points_links_at_the_canonical_copy(tmp_path: Path) -> None:
    body = "# Setup\n\n## Install\n"
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[setup](docs/setup.md) [copy](docs/setup-copy.md#install)\n",
        "docs/setup.md": body,
        "docs/setup-copy.md": body,
        "docs/other.md": "# Other\n\n![same](setup-copy.md)\n",
        "docs/almost.md": body + "\n",
    })
    duplicates = [duplicate_finding("docs/setup-copy.md", "docs/setup.md"),
                  duplicate_finding("docs/almost.md", "docs/setup.md")]
    without = make_plan(root, extra=duplicates)
    assert without.deletions == [] and "only with --dedupe" in skipped_reasons(without)["docs/setup-copy.md:DUP001"]
    plan = make_plan(root, FixOptions(dedupe=True), extra=duplicates)
    assert [d.path for d in plan.deletions] == ["docs/setup-copy.md"]
    assert edited(plan, "README.md") == "# R\n\n[setup](docs/setup.md) [copy](docs/setup.md#install)\n"
    assert edited(plan, "docs/other.md") == "# Other\n\n![same](setup.md)\n"
    assert "not byte-identical" in skipped_reasons(plan)["docs/almost.md:DUP001"]


def test_a_file_removed_as_duplicate_is_not_also_moved(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "README.md": "# R\n\n[s](SESSION_SUMMARY.md)\n",
        "SESSION_SUMMARY.md": "# S\n",
        "notes/summary.md": "# S\n",
    })
    plan = make_plan(root, FixOptions(dedupe=True), extra=[duplicate_finding("SESSION_SUMMARY.md", "notes/summary.md")])
    assert moves_of(plan) == {}
    assert edited(plan, "README.md") == "# R\n\n[s](notes/summary.md)\n"


def test_an_unreadable_mkdocs_config_keeps_site_pages_in_place(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "mkdocs.yml": "site_name: x\nnav: [unclosed\n",
        "README.md": "# R\n\n[s](SESSION_SUMMARY.md) [g](docs/Setup_Guide.md)\n",
        "SESSION_SUMMARY.md": "# S\n",
        "docs/Setup_Guide.md": "# Setup\n",
    })
    plan = make_plan(root)
    assert moves_of(plan) == {"SESSION_SUMMARY.md": "notes/session-summary.md"}
    assert "mkdocs.yml cannot be read" in skipped_reasons(plan)["docs/Setup_Guide.md:NAM001"]


def test_a_duplicate_finding_without_a_canonical_copy_is_left_alone(tmp_path: Path) -> None:
    from odyssey.findings import Finding, Fix

    root = write_tree(tmp_path, {"README.md": "# R\n", "docs/a.md": "# Same\n", "docs/b.md": "# Same\n"})
    finding = Finding("docs/b.md", 1, 1, "DUP001", "same text as docs/a.md", check="duplicates",
                      fix=Fix("delete", "delete docs/b.md; docs/a.md has the same text", safe=False))
    plan = make_plan(root, FixOptions(dedupe=True), extra=[finding])
    assert plan.deletions == []
    assert "names no canonical copy" in skipped_reasons(plan)["docs/b.md:DUP001"]
