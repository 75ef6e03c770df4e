"""SIGKILL in the middle of ``odyssey fix --apply`` (a real process), then a normal ``odyssey`` run: the tree, the
git index included, is back byte for byte."""

from __future__ import annotations

import inspect
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from odyssey import cli as odyssey_cli
from odyssey.fix.apply import PAUSE_ENV, PAUSE_SECONDS_ENV, build_steps
from odyssey.fix.plan import FixOptions
from odyssey.fix.recovery import JOURNAL_DIR

from tests.odyssey.fix.helpers import git, git_commit_all, make_plan, snapshot, write_tree

TREE: dict[str, str | bytes] = {
    "README.md": (
        "# Vision lab\n\n- [Session summary](SESSION_SUMMARY.md)\n- [Review](FINAL_REVIEW_REPORT.md#findings)\n"
        "- [Design](docs/Design%20Notes/Model_Overview.md)\n"
    ),
    "SESSION_SUMMARY.md": "# Session summary\r\n\r\nSee the [overview](docs/Design%20Notes/Model_Overview.md).\r\n",
    "FINAL_REVIEW_REPORT.md": "\ufeff# Final review\n\n## Findings\n\nBack to the [summary](SESSION_SUMMARY.md).\n",
    "docs/index.md": (
        "# Docs\n\n- [Overview](Design%20Notes/Model_Overview.md)\n- [Review](../FINAL_REVIEW_REPORT.md)\n"
    ),
    "docs/Design Notes/Model_Overview.md": "# Model overview\n\n[index](../index.md) [plot](plot.png)\n",
    "docs/Design Notes/plot.png": b"\x89PNG\r\n\x1a\n\x00",
    "mkdocs.yml": "site_name: Vision lab  # keep this comment\nnav:\n  - Home: index.md\n"
                  "  - Overview: 'Design Notes/Model_Overview.md'\n",
}
PAUSE_SECONDS = "120"


def run_odyssey(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "odyssey", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})}, **kwargs)


def kill_after_step(root: Path, step: int) -> None:
    """Start ``odyssey fix --apply``, wait until it pauses after ``step``, SIGKILL it."""
    pause = {PAUSE_ENV: str(step), PAUSE_SECONDS_ENV: PAUSE_SECONDS}
    process = run_odyssey("fix", "--apply", "--root", str(root), env=pause)
    assert process.stderr is not None
    try:
        line = process.stderr.readline()  # blocks until the pause notice (or the process ends)
        assert line.strip() == f"odyssey fix: paused after step {step}", (line, process.stderr.read())
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert (root / JOURNAL_DIR / "journal.json").exists()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", TREE)
    git_commit_all(root)
    (root / "SESSION_SUMMARY.md").write_bytes((root / "SESSION_SUMMARY.md").read_bytes() + b"Uncommitted line.\r\n")
    git(root, "add", "SESSION_SUMMARY.md")  # a staged change, so the index differs from HEAD
    return root


def step_count(root: Path) -> int:
    return len(build_steps(root, make_plan(root, FixOptions()), tracked=True))


def test_kill_at_random_points_then_odyssey_fix_restores_everything(repo: Path) -> None:
    before = snapshot(repo)
    total = step_count(repo)
    assert total >= 8
    rng = random.Random(os.environ.get("PYTEST_XDIST_WORKER", "") + "kill")
    points = sorted({0, total, *rng.sample(range(1, total), 2)})  # before any change, after the index, two between
    for step in points:
        kill_after_step(repo, step)
        assert snapshot(repo) != before or step == 0
        recovery = run_odyssey("fix", "--root", str(repo))  # any command recovers first; this one then dry-runs
        out, err = recovery.communicate(timeout=120)
        assert "was rolled back" in err, err
        assert not (repo / JOURNAL_DIR).exists()
        assert snapshot(repo) == before, f"tree not restored after a kill after step {step}"
        assert recovery.returncode == 1 and "Would fix:" in out  # the dry run then plans the same fix again


def test_after_recovery_the_fix_applies_cleanly(repo: Path) -> None:
    kill_after_step(repo, step_count(repo) // 2)
    applied = run_odyssey("fix", "--apply", "--root", str(repo))
    out, err = applied.communicate(timeout=120)
    assert applied.returncode == 0, err
    assert "was rolled back" in err and "Fixed:" in out
    status = git(repo, "status", "--porcelain")
    assert "R  docs/Design Notes/plot.png -> docs/design-notes/plot.png" in status.replace('"', "")
    assert (repo / "mkdocs.yml").read_text() == (
        "site_name: Vision lab  # keep this comment\nnav:\n  - Home: index.md\n"
        "  - Overview: 'design-notes/model-overview.md'\n"
    )


def _cli_recovers() -> bool:
    return "recover_at_startup" in inspect.getsource(odyssey_cli)


@pytest.mark.parametrize("command", [["check"], ["rules"]])
def test_any_odyssey_command_recovers_first(repo: Path, command: list[str]) -> None:
    if not _cli_recovers():
        if os.environ.get("ODYSSEY_REQUIRE_ALL") == "1":
            pytest.fail("odyssey.cli.main does not call odyssey.fix.recovery.recover_at_startup")
        pytest.skip("odyssey.cli.main does not call odyssey.fix.recovery.recover_at_startup yet (wired by the lead)")
    before = snapshot(repo)
    kill_after_step(repo, step_count(repo) - 1)
    run = run_odyssey(*command, *(["--root", str(repo)] if command == ["check"] else []), cwd=repo)
    _out, err = run.communicate(timeout=120)
    assert "was rolled back" in err
    assert snapshot(repo) == before
