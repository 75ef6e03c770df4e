"""``odyssey notes`` end to end through ``main([...])`` in temporary repositories: new (placement, names, frontmatter,
the "update that one instead" refusal with a paraphrase), supersede, archive, adopt, list, and one-line errors.
A final test walks a messy agent-written tree to a clean ``odyssey check``."""

from __future__ import annotations

import datetime
import io
import json
import subprocess
from pathlib import Path

import pytest

from odyssey.cli import main
from odyssey.engine import run_checks
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.notes.corpus import NOTES, OTHER_DOCUMENTS, PARAPHRASES
from tests.odyssey.notes.test_index import write_tree

TODAY = datetime.date.today().isoformat()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", {**NOTES, **OTHER_DOCUMENTS})


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- new ------------------------------------------------------------------------------------------------------------
def test_new_writes_a_conforming_note_with_frontmatter_and_indexes_it(repo: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "body.md"
    body.write_text("We clip the global gradient norm at 1.0; 0.5 and 2.0 behaved the same.\n", encoding="utf-8")
    status, out, err = run(capsys, "notes", "new", "--root", str(repo), "--kind", "decision",
                           "--title", "Gradient Clipping: threshold 1.0", "--tags", "training, optimizer",
                           "--tags", "training", "--related", "notes/learning-rate-warmup.md",
                           "--body-file", str(body))
    assert (status, out) == (0, "notes/gradient-clipping-threshold-1-0.md\n")
    assert err == "odyssey: regenerated notes/README.md\n"
    assert (repo / "notes/gradient-clipping-threshold-1-0.md").read_text(encoding="utf-8") == (
        '---\ntitle: "Gradient Clipping: threshold 1.0"\nkind: decision\nstatus: active\n'
        f"created: {TODAY}\nupdated: {TODAY}\n"
        "tags: [training, optimizer]\nrelated: [learning-rate-warmup.md]\n"
        "---\n\n# Gradient Clipping: threshold 1.0\n\n"
        "We clip the global gradient norm at 1.0; 0.5 and 2.0 behaved the same.\n"
    )
    assert "[Gradient Clipping: threshold 1.0](gradient-clipping-threshold-1-0.md)" in (
        repo / "notes/README.md").read_text(encoding="utf-8")


def test_new_refuses_a_paraphrase_of_an_existing_note_and_names_it(repo: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    title, kind, tags, body, restated = PARAPHRASES[2]  # a review of the data loader, in other words
    (tmp_path / "body.md").write_text(body, encoding="utf-8")
    before = snapshot(repo)
    status, out, err = run(capsys, "notes", "new", "--root", str(repo), "--kind", kind, "--title", title,
                           "--tags", tags, "--body-file", str(tmp_path / "body.md"))
    assert status == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == "An existing note already covers this topic; update it instead of writing a new one:"
    assert lines[1] == f'  {restated} (review, updated 2026-10-15) — "Review of the data loader"'
    assert lines[2].startswith("    why: similar content (topical similarity 0.")
    assert "shared tags: data" in lines[2]
    assert "--supersedes PATH" in lines[-1] and "--related PATH" in lines[-1] and "--force" in lines[-1]
    assert snapshot(repo) == before  # nothing written

    status, out, _err = run(capsys, "notes", "new", "--root", str(repo), "--kind", kind, "--title", title,
                            "--body-file", str(tmp_path / "body.md"), "--force")
    assert (status, out) == (0, "notes/problems-in-the-dataset-loading-code.md\n")


def test_new_with_supersedes_retires_the_old_note(repo: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Finish the evaluation harness and publish the model card.\n"))
    status, out, err = run(capsys, "notes", "new", "--root", str(repo), "--kind", "plan", "--title", "Q4 plan",
                           "--tags", "planning", "--supersedes", "plan-q3-revised.md", "--body-file", "-")
    assert (status, out) == (0, "notes/q4-plan.md\n")
    assert "notes/plan-q3-revised.md is superseded by notes/q4-plan.md" in err
    old = (repo / "notes/plan-q3-revised.md").read_text(encoding="utf-8")
    assert f"status: superseded\ncreated: 2026-08-02\nupdated: {TODAY}\n" in old
    assert "superseded_by: q4-plan.md\n" in old
    assert "related: [plan-q3-revised.md]\n" in (repo / "notes/q4-plan.md").read_text(encoding="utf-8")


def test_new_names_never_collide_and_kind_dirs_place_notes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "odyssey.toml").write_text('[notes]\nkind-dirs = { journal = "journal" }\n', encoding="utf-8")
    (repo / "notes/journal").mkdir()
    (repo / "notes/journal/Standup.md").write_text("# standup\n", encoding="utf-8")
    args = ["notes", "new", "--root", str(repo), "--kind", "journal", "--title", "Standup", "--force", "--no-index"]
    assert run(capsys, *args)[1] == "notes/journal/standup-2.md\n"
    assert run(capsys, *args)[1] == "notes/journal/standup-3.md\n"
    assert not (repo / "notes/README.md").exists()  # --no-index


def test_new_in_a_repository_without_notes_creates_the_directory(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "# Project\n"})
    status, out, _err = run(capsys, "notes", "new", "--root", str(root), "--kind", "plan", "--title", "日本語")
    assert (status, out) == (0, f"notes/plan-{TODAY}.md\n")  # no ASCII letters in the title: kind and date
    assert (root / "notes/README.md").is_file()


@pytest.mark.parametrize("args, message", [
    (["--kind", "reveiw", "--title", "X"], "--kind reveiw: not a note kind (one of review, decision, analysis, "
                                           "journal, plan); did you mean 'review'?"),
    (["--kind", "plan", "--title", "  "], "--title: empty"),
    (["--kind", "plan", "--title", "X", "--related", "nowhere.md"], "--related nowhere.md: no such file"),
    (["--kind", "plan", "--title", "X", "--supersedes", "README.md"], "README.md: not a note"),
    (["--kind", "plan", "--title", "X", "--body-file", "missing.md"], "--body-file missing.md: cannot read: "),
])
def test_new_usage_errors_are_one_line(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                       message: str) -> None:
    before = snapshot(repo)
    status, out, err = run(capsys, "notes", "new", "--root", str(repo), *args)
    assert status == 2 and out == ""
    assert err.startswith("odyssey: error: ") and message in err and err.count("\n") == 1
    assert snapshot(repo) == before


def test_a_body_with_its_own_frontmatter_is_refused(repo: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "body.md").write_text("---\ntitle: X\n---\n# X\n", encoding="utf-8")
    status, _out, err = run(capsys, "notes", "new", "--root", str(repo), "--kind", "plan", "--title", "X",
                            "--body-file", str(tmp_path / "body.md"))
    assert status == 2 and "starts with frontmatter; pass the body only" in err


# -- supersede / archive / adopt ------------------------------------------------------------------------------------
def test_supersede_edits_only_the_touched_keys(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_before = (repo / "notes/learning-rate-warmup.md").read_text(encoding="utf-8")
    new_before = (repo / "notes/decision-mixed-precision.md").read_text(encoding="utf-8")
    status, out, _err = run(capsys, "notes", "supersede", "--root", str(repo), "notes/learning-rate-warmup.md",
                            "decision-mixed-precision.md")
    assert (status, out) == (0, "notes/learning-rate-warmup.md is superseded by notes/decision-mixed-precision.md\n")
    old_after = (repo / "notes/learning-rate-warmup.md").read_text(encoding="utf-8")
    assert old_after == old_before.replace("status: active", "status: superseded").replace(
        "updated: 2026-10-10", f"updated: {TODAY}").replace(
        "tags: [training, optimizer]\n", "tags: [training, optimizer]\nsuperseded_by: decision-mixed-precision.md\n")
    new_after = (repo / "notes/decision-mixed-precision.md").read_text(encoding="utf-8")
    assert new_after == new_before.replace("tags: [training, performance]\n",
                                           "tags: [training, performance]\nrelated: [learning-rate-warmup.md]\n")


@pytest.mark.parametrize("old, new, message", [
    ("notes/plan-q3.md", "notes/plan-q3.md", "a note cannot supersede itself"),
    ("notes/plan-q3-revised.md", "notes/plan-q3.md", "a note cannot supersede its successor"),
    ("notes/gpu-memory.md", "notes/decision-mixed-precision.md", "notes/gpu-memory.md: has no frontmatter"),
    ("notes/README.md", "notes/plan-q3.md", "notes/README.md: no such file"),
    ("docs/guide.md", "notes/plan-q3.md", "docs/guide.md: not a note"),
])
def test_supersede_refusals_change_nothing(repo: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                                           message: str) -> None:
    before = snapshot(repo)
    status, _out, err = run(capsys, "notes", "supersede", "--root", str(repo), old, new)
    assert status == 2 and message in err and err.count("\n") == 1
    assert snapshot(repo) == before


def test_archive_and_archive_again(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (repo / "notes/journal-cluster-outage.md").read_text(encoding="utf-8")
    status, out, _err = run(capsys, "notes", "archive", "--root", str(repo), "--no-index",
                            "notes/journal-cluster-outage.md")
    assert (status, out) == (0, "archived notes/journal-cluster-outage.md\n")
    after = (repo / "notes/journal-cluster-outage.md").read_text(encoding="utf-8")
    assert after == before.replace("status: active", "status: archived").replace(
        "updated: 2026-11-03", f"updated: {TODAY}")
    assert run(capsys, "notes", "archive", "--root", str(repo), "journal-cluster-outage.md")[1] == (
        "notes/journal-cluster-outage.md was archived already\n")


def test_adopt_writes_frontmatter_with_dates_from_git(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "# Project\n",
                                          "notes/gpu-memory.md": NOTES["notes/gpu-memory.md"]})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "notes", "--date", "2026-03-04T10:00:00"], cwd=root, check=True,
                   env={"GIT_COMMITTER_DATE": "2026-03-04T10:00:00", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    status, out, _err = run(capsys, "notes", "adopt", "--root", str(root), "notes/gpu-memory.md", "--kind",
                            "analysis", "--tags", "memory")
    assert (status, out) == (0, "adopted notes/gpu-memory.md\n")
    text = (root / "notes/gpu-memory.md").read_text(encoding="utf-8")
    assert text == ("---\ntitle: GPU memory notes\nkind: analysis\nstatus: active\ncreated: 2026-03-04\n"
                    "updated: 2026-03-04\ntags: [memory]\nrelated: []\n---\n\n" + NOTES["notes/gpu-memory.md"])
    assert run(capsys, "notes", "adopt", "--root", str(root), "notes/gpu-memory.md", "--kind", "analysis")[1] == (
        "notes/gpu-memory.md has its frontmatter already\n")


def test_adopt_fills_in_only_the_missing_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "---\ntitle: Loader review\nowner: data-team\n---\n\n# Loader review\n\nWorkers share a seed.\n"
    root = write_tree(tmp_path / "repo", {"notes/loader.md": text})
    assert run(capsys, "notes", "adopt", "--root", str(root), "notes/loader.md", "--kind", "review")[0] == 0
    after = (root / "notes/loader.md").read_text(encoding="utf-8")
    assert after.startswith("---\ntitle: Loader review\nkind: review\nstatus: active\ncreated: ")
    assert after.endswith("owner: data-team\n---\n\n# Loader review\n\nWorkers share a seed.\n")


# -- list -----------------------------------------------------------------------------------------------------------
def test_list_filters_and_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = run(capsys, "notes", "list", "--root", str(repo), "--kind", "plan")
    assert status == 0
    assert [line.split()[:3] for line in out.splitlines()] == [
        ["notes/plan-evaluation-harness.md", "plan", "active"],
        ["notes/plan-q3-revised.md", "plan", "active"],
        ["notes/plan-q3.md", "plan", "superseded"],
    ]
    status, out, _err = run(capsys, "notes", "list", "--root", str(repo), "--status", "superseded", "--format", "json")
    records = json.loads(out)
    assert [r["path"] for r in records] == ["notes/plan-q3.md"]
    assert records[0]["superseded_by"] == "plan-q3-revised.md" and records[0]["updated"] == "2026-08-01"


def test_list_stale_shows_active_notes_by_age_and_undated_ones(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    today = datetime.date.today()
    days = (today - datetime.date(2026, 10, 6)).days  # anything updated before 2026-10-06 is stale
    status, out, _err = run(capsys, "notes", "list", "--root", str(repo), "--stale", str(days), "--format", "json")
    records = {r["path"]: r for r in json.loads(out)}
    assert set(records) == {
        "notes/gpu-memory.md",  # no date at all
        "notes/decision-mixed-precision.md",  # updated 2026-09-20
        "notes/plan-q3-revised.md",  # 2026-08-02
        "notes/tokenizer-merge-analysis.md",  # 2026-10-05
        "notes/decision-vocabulary-size.md",  # 2026-10-06: exactly DAYS old
    }
    assert records["notes/gpu-memory.md"]["age_days"] is None
    assert "notes/plan-q3.md" not in records  # superseded notes are not stale, they are retired


# -- a messy tree, end to end ---------------------------------------------------------------------------------------
MESSY = {
    "README.md": "# Tokenizer lab\n\nSee the [notes](notes/README.md).\n",
    "notes/README.md": "# Notes\n\n- [Merges](tokenizer-merge-analysis.md)\n",
    "notes/tokenizer-merge-analysis.md": NOTES["notes/tokenizer-merge-analysis.md"],
    "notes/tokenizer-merges-copy.md": NOTES["notes/tokenizer-merge-analysis.md"].replace(
        "BPE merge table growth in the tokenizer", "Tokenizer merges (copy)"),
    "notes/session-2026-11-20.md": "# Session 2026-11-20\n\nFixed the shard reader.\n",
    "notes/plan-q3.md": NOTES["notes/plan-q3.md"].replace("superseded_by: plan-q3-revised.md\n", ""),
    "notes/review-loader.md": NOTES["notes/review-data-loader.md"].replace("created: 2026-10-15",
                                                                           "created: 2026-12-15"),
}


def test_a_messy_tree_is_brought_to_a_clean_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", MESSY)
    result = run_checks(Project(root), None, Selection(select=("NTS",)))
    assert sorted(f"{f.path} {f.code}" for f in result.findings) == [
        "notes/README.md NTS001",
        "notes/plan-q3.md NTS006",
        "notes/review-loader.md NTS005",
        "notes/session-2026-11-20.md NTS002",
    ]
    # An agent about to write the merge analysis a third time is sent to the existing notes; the copy is deleted.
    title, kind, tags, body, _restated = PARAPHRASES[0]
    (tmp_path / "merges.md").write_text(body, encoding="utf-8")
    status, out, _err = run(capsys, "notes", "new", "--root", str(root), "--kind", kind, "--title", title,
                            "--body-file", str(tmp_path / "merges.md"))
    assert status == 1 and "  notes/tokenizer-merge-analysis.md (analysis, updated 2026-10-05)" in out
    (root / "notes/tokenizer-merges-copy.md").unlink()
    # The plan gets its successor, the session note its frontmatter, the review its date; then the index.
    (tmp_path / "plan.md").write_text("The data loader fixes shipped; the harness moves to Q4.\n", encoding="utf-8")
    assert run(capsys, "notes", "new", "--root", str(root), "--kind", "plan", "--title", "Q3 plan, revised",
               "--supersedes", "notes/plan-q3.md", "--body-file", str(tmp_path / "plan.md"))[0] == 0
    assert run(capsys, "notes", "adopt", "--root", str(root), "notes/session-2026-11-20.md",
               "--kind", "journal")[0] == 0
    review = root / "notes/review-loader.md"
    review.write_text(review.read_text(encoding="utf-8").replace("created: 2026-12-15", "created: 2026-10-15"),
                      encoding="utf-8")
    assert run(capsys, "notes", "index", "--root", str(root))[0] == 0
    # The families that judge notes, their names, places, links and reachability all pass.
    status, out, _err = run(capsys, "check", "--root", str(root), "--select", "NTS,INP,PLC,NAM,LNK,ANC,FEN,ORP")
    assert (status, out.splitlines()[-1]) == (0, "All checks passed (7 files)."), out


def test_notes_without_an_action_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "notes")
    assert status == 2 and out == ""
    assert "new" in err and "supersede" in err and "index" in err


def test_list_in_a_repository_without_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", OTHER_DOCUMENTS)
    assert run(capsys, "notes", "list", "--root", str(root)) == (0, "no notes\n", "")
    assert run(capsys, "notes", "list", "--root", str(root), "--format", "json") == (0, "[]\n", "")


def test_a_note_with_broken_yaml_is_refused_and_listed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "notes/broken.md").write_text("---\ntitle: [unclosed\nkind: plan\n---\n\n# Broken\n", encoding="utf-8")
    before = snapshot(repo)
    for args in (["archive", "notes/broken.md"], ["supersede", "notes/broken.md", "notes/plan-q3-revised.md"],
                 ["adopt", "notes/broken.md", "--kind", "plan"]):
        status, _out, err = run(capsys, "notes", *args, "--root", str(repo))
        assert status == 2 and err.startswith("odyssey: error: notes/broken.md: ") and err.count("\n") == 1, err
    assert snapshot(repo) == before
    assert main(["notes", "index", "--root", str(repo)]) == 0
    assert "- [Broken](broken.md) — frontmatter is not valid YAML" in (repo / "notes/README.md").read_text("utf-8")
