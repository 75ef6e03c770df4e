"""All-or-nothing apply (``apply`` + ``journal``): failures at any step roll back, a crash at any step is recovered,
byte for byte."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from odyssey.fix import apply as apply_module
from odyssey.fix.apply import Applier, build_steps
from odyssey.fix.gitindex import GitIndex
from odyssey.fix.journal import Journal, JournalBusy, JournalError, recover_interrupted_fix
from odyssey.fix.plan import FixOptions, Plan
from odyssey.fix.recovery import JOURNAL_DIR, recover_at_startup

from tests.odyssey.fix.helpers import duplicate_finding, git, git_commit_all, make_plan, snapshot, write_tree

TREE: dict[str, str | bytes] = {
    "README.md": "# Project\n\n[summary](SESSION_SUMMARY.md) [design](docs/Meeting%20Notes/Design%20Review.md)\n",
    "SESSION_SUMMARY.md": "# Summary\r\n\r\n[guide](docs/guide.md)  \r\n",
    "docs/guide.md": "\ufeff# Guide\n\n[summary](../SESSION_SUMMARY.md) [copy](guide-copy.md)\n",
    "docs/guide-copy.md": "# Copy\n",
    "docs/copies/guide-copy.md": "# Copy\n",
    "docs/Meeting Notes/Design Review.md": "# Design\n\n[guide](../guide.md)\n",
    "docs/Meeting Notes/agenda.md": "# Agenda\n",
    "docs/reports/TEST_RESULTS.md": "# Results\n\n\tsee [guide](../guide.md)\n",
    "docs/img/plot.png": b"\x89PNG\r\n\x1a\n",
}
DUPLICATES = [duplicate_finding("docs/copies/guide-copy.md", "docs/guide-copy.md")]


class Killed(BaseException):
    """Stands in for SIGKILL in-process: nothing after it runs (rollback and cleanup are switched off)."""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", TREE)
    git_commit_all(root)
    return root


def plan_of(root: Path) -> Plan:
    return make_plan(root, FixOptions(dedupe=True), extra=DUPLICATES)


def test_the_plan_exercises_every_kind_of_step(repo: Path) -> None:
    kinds = {step.kind for step in build_steps(repo, plan_of(repo), tracked=True)}
    assert kinds == {"write", "mkdir", "rename", "delete", "rmdir", "index"}


def test_apply_moves_as_git_mv_does(repo: Path) -> None:
    report = Applier(repo, plan_of(repo), GitIndex.detect(repo)).apply()
    assert report.moved == 4 and report.removed == 1
    status = git(repo, "status", "--porcelain").splitlines()
    assert "RM SESSION_SUMMARY.md -> notes/session-summary.md" in status
    assert 'R  "docs/Meeting Notes/agenda.md" -> docs/meeting-notes/agenda.md' in status
    assert "D  docs/copies/guide-copy.md" in status
    assert (repo / "docs/guide.md").read_bytes() == (
        "\ufeff# Guide\n\n[summary](../notes/session-summary.md) [copy](guide-copy.md)\n".encode()
    )
    assert (repo / "notes/session-summary.md").read_bytes() == b"# Summary\r\n\r\n[guide](../docs/guide.md)  \r\n"
    assert not (repo / "docs/copies").exists() and not (repo / "docs/reports").exists()  # emptied, removed
    assert not (repo / JOURNAL_DIR).exists()


def test_a_failure_at_any_step_rolls_everything_back(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(repo)
    plan = plan_of(repo)
    total = len(build_steps(repo, plan, tracked=True))
    real_run = Applier._run
    for failing in range(1, total + 1):
        calls = {"n": 0}

        def run(self, step, *args, _failing=failing, _calls=calls):  # type: ignore[no-untyped-def]
            _calls["n"] += 1
            if _calls["n"] == _failing:
                raise OSError(28, "No space left on device", str(repo / step.path))
            return real_run(self, step, *args)

        monkeypatch.setattr(Applier, "_run", run)
        with pytest.raises(JournalError, match="No space left on device.*nothing was changed"):
            Applier(repo, plan, GitIndex.detect(repo)).apply()
        assert snapshot(repo) == before, f"not restored after a failure at step {failing}"


def test_a_crash_at_any_step_is_recovered_by_the_next_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(repo)
    plan = plan_of(repo)
    total = len(build_steps(repo, plan, tracked=True))
    for crash_after in range(0, total + 1):
        monkeypatch.setattr(apply_module, "_pause_after",
                            lambda step, _n=crash_after: (_ for _ in ()).throw(Killed()) if step == _n else None)
        monkeypatch.setattr(apply_module, "rollback", lambda *args: None)
        monkeypatch.setattr(Journal, "remove", lambda self: None)
        applier = Applier(repo, plan, GitIndex.detect(repo))
        with pytest.raises(Killed):
            applier.apply()
        applier.journal.release()  # what the kernel does when the process dies
        monkeypatch.undo()
        assert (repo / JOURNAL_DIR / "journal.json").exists()
        notice = recover_interrupted_fix(repo)
        assert notice is not None and "rolled back" in notice
        assert snapshot(repo) == before, f"not restored after a crash after step {crash_after}"


def test_a_committed_journal_is_only_cleaned_up(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_of(repo)
    monkeypatch.setattr(Journal, "remove", lambda self: None)
    applier = Applier(repo, plan, GitIndex.detect(repo))
    applier.apply()  # the process "dies" right after writing state: committed
    applier.journal.release()
    monkeypatch.undo()
    after = snapshot(repo)
    assert recover_interrupted_fix(repo) is None
    assert not (repo / JOURNAL_DIR).exists()
    assert {k: v for k, v in snapshot(repo).items() if not k.startswith(JOURNAL_DIR)} == {
        k: v for k, v in after.items() if not k.startswith(JOURNAL_DIR)}


def test_a_journal_killed_while_being_written_changed_nothing(repo: Path) -> None:
    before = snapshot(repo)
    (repo / JOURNAL_DIR / "backups").mkdir(parents=True)
    (repo / JOURNAL_DIR / "backups" / "1").write_bytes(b"partial")
    (repo / JOURNAL_DIR / "journal.json.tmp").write_text("{\"version\": 1, \"ste")
    notice = recover_interrupted_fix(repo)
    assert notice is not None and "before it changed anything" in notice
    assert snapshot(repo) == before


def test_a_live_fix_is_not_rolled_back(repo: Path) -> None:
    journal = Journal(repo)
    journal.directory.mkdir()
    assert journal.lock(create=True)  # held, as by a fix applying right now
    (journal.directory / "journal.json").write_text('{"version": 1, "state": "applying", "steps": []}')
    with pytest.raises(JournalBusy):
        recover_interrupted_fix(repo)
    stream = io.StringIO()
    assert recover_at_startup(repo, stream) is True
    assert "being applied" in stream.getvalue()
    journal.release()
    assert recover_at_startup(repo, stream) is True
    assert not journal.directory.exists()


def test_a_file_changed_after_planning_aborts_without_changes(repo: Path) -> None:
    plan = plan_of(repo)
    (repo / "docs/guide.md").write_text("# Guide, edited meanwhile\n")
    before = snapshot(repo)
    with pytest.raises(JournalError, match="changed since the fix was planned"):
        Applier(repo, plan, GitIndex.detect(repo)).apply()
    assert snapshot(repo) == before


def test_nothing_is_written_through_a_symlink_leading_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = write_tree(tmp_path / "repo", {"README.md": "# R\n\n[s](SESSION_SUMMARY.md)\n",
                                          "SESSION_SUMMARY.md": "# S\n"})
    os.symlink(outside, root / "notes")
    plan = make_plan(root)
    assert plan.moves == []
    assert any("not a directory (or is a symlink)" in skip.reason for skip in plan.skipped)
    assert list(outside.iterdir()) == []


def test_a_root_below_the_git_top_level(tmp_path: Path) -> None:
    write_tree(tmp_path, {"site/README.md": "# R\n\n[s](SESSION_SUMMARY.md)\n", "site/SESSION_SUMMARY.md": "# S\n",
                          "other.txt": "not part of the docs\n"})
    git_commit_all(tmp_path)
    root = tmp_path / "site"
    Applier(root, make_plan(root), GitIndex.detect(root)).apply()
    status = git(tmp_path, "status", "--porcelain").splitlines()
    assert status == [" M site/README.md", "R  site/SESSION_SUMMARY.md -> site/notes/session-summary.md"]
