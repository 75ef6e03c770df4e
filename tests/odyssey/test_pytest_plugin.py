"""odyssey.pytest_plugin: a pytest session that changes the git working tree fails and names the files.

The unit tests compare snapshots of temporary git repositories; the end-to-end tests run pytest in a subprocess on a
small repository whose tests write "Content here." over a real document (what happened on a real project).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from odyssey.pytest_plugin import DEFAULT_IGNORE, TreeGuard, compare, snapshot
from tests.conftest import require_executable
from tests.odyssey.helpers import write_tree


def git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "PYTEST_"))}
    env.update({"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.invalid", "GIT_COMMITTER_NAME": "Ada",
                "GIT_COMMITTER_EMAIL": "ada@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_CONFIG_NOSYSTEM": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=git_env(), check=True, capture_output=True, timeout=60)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    require_executable("git")
    root = tmp_path / "repo"
    write_tree(root, {"docs/guide.md": "# Guide\n\nHow to train.\n", "docs/api.md": "# API\n\nThe model.\n",
                      "README.md": "# Project\n\nSee docs/.\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Initial docs")
    return root


# -- snapshots --------------------------------------------------------------------------------------------------------
def test_clean_session_has_no_changes(repo: Path) -> None:
    before = snapshot(repo)
    assert before is not None and before.status == {}
    assert compare(before, snapshot(repo)) == []  # type: ignore[arg-type]


def test_every_kind_of_change_is_named(repo: Path) -> None:
    write_tree(repo, {"notes/draft.md": "draft\n", "docs/api.md": "# API\n\nEdited by hand.\n", "scratch.md": "x\n"})
    before = snapshot(repo)
    assert before is not None
    write_tree(repo, {"docs/guide.md": "Content here.\n",  # clean -> modified
                      "docs/api.md": "Content here.\n",  # already modified -> modified again
                      "docs/new.md": "Content here.\n"})  # created
    (repo / "README.md").unlink()  # deleted
    (repo / "notes/draft.md").unlink()  # untracked before -> gone
    git(repo, "checkout", "--", "docs/api.md")  # and then restored: still a change from the session's start
    after = snapshot(repo)
    assert after is not None
    assert compare(before, after) == [
        ("deleted", "README.md"), ("restored to the committed version", "docs/api.md"),
        ("modified", "docs/guide.md"), ("created", "docs/new.md"), ("deleted", "notes/draft.md"),
    ]


def test_staged_files_and_commits_are_changes(repo: Path) -> None:
    before = snapshot(repo)
    assert before is not None
    write_tree(repo, {"docs/guide.md": "Content here.\n"})
    git(repo, "commit", "-qam", "A test committed this")
    after = snapshot(repo)
    assert after is not None
    changes = compare(before, after)
    assert changes[0][1] == "HEAD" and changes[0][0].startswith("moved from ")
    assert changes[1:] == [("staged", "docs/guide.md")]


def test_guard_ignores_caches(repo: Path) -> None:
    guard = TreeGuard(repo, DEFAULT_IGNORE)
    assert guard.start()
    write_tree(repo, {"tests/__pycache__/test_x.cpython-311.pyc": "", ".hypothesis/examples/x": "",
                      "docs/__pycache__/y.pyc": "", "docs/guide.md": "Content here.\n"})
    assert guard.finish() == [("modified", "docs/guide.md")]


def test_no_effect_outside_git(tmp_path: Path) -> None:
    guard = TreeGuard(tmp_path, DEFAULT_IGNORE)
    assert not guard.start()
    assert guard.finish() == []


# -- pytest sessions --------------------------------------------------------------------------------------------------
OVERWRITING_TESTS = '''\
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_renders_docs(tmp_path):
    (ROOT / "docs" / "guide.md").write_text("Content here.\\n")
    assert (ROOT / "docs" / "guide.md").exists()
'''
CAREFUL_TESTS = '''\
def test_renders_docs(tmp_path):
    (tmp_path / "guide.md").write_text("Content here.\\n")
    assert (tmp_path / "guide.md").read_text() == "Content here.\\n"
'''


def run_pytest(root: Path, *args: str, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """pytest in ``root``; installed plugins load only with ``extra_path`` (a site directory holding the entry
    point), otherwise the session has just the plugins named with ``-p``."""
    env = git_env()
    if extra_path is None:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    else:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=root,
                          env=env, capture_output=True, text=True, timeout=300)


def add_tests(root: Path, source: str) -> None:
    write_tree(root, {"tests/test_docs.py": source})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Add tests")


def test_session_that_overwrites_a_document_fails(repo: Path) -> None:
    add_tests(repo, OVERWRITING_TESTS)
    done = run_pytest(repo, "-p", "odyssey.pytest_plugin")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "odyssey: the tests changed the repository" in done.stdout
    assert "modified: docs/guide.md" in done.stdout


def test_careful_session_passes_and_plugin_is_opt_in(repo: Path) -> None:
    add_tests(repo, CAREFUL_TESTS)
    done = run_pytest(repo, "-p", "odyssey.pytest_plugin")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "odyssey:" not in done.stdout
    add_tests(repo, OVERWRITING_TESTS)
    assert run_pytest(repo).returncode == 0  # not requested: no effect


def test_outside_git_the_plugin_does_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/guide.md": "# Guide\n", "tests/test_docs.py": OVERWRITING_TESTS})
    done = run_pytest(tmp_path, "-p", "odyssey.pytest_plugin")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ini_option_through_the_entry_point(repo: Path, tmp_path: Path) -> None:
    # An installed distribution that declares the entry point, as pyproject.toml would.
    dist = tmp_path / "site" / "odyssey_guard_example-1.0.dist-info"
    write_tree(dist, {"METADATA": "Metadata-Version: 2.1\nName: odyssey-guard-example\nVersion: 1.0\n",
                      "entry_points.txt": "[pytest11]\nodyssey.pytest_plugin = odyssey.pytest_plugin\n"})
    add_tests(repo, OVERWRITING_TESTS)
    assert run_pytest(repo, extra_path=tmp_path / "site").returncode == 0  # loaded, but not enabled
    git(repo, "checkout", "--", "docs/guide.md")
    write_tree(repo, {"pytest.ini": "[pytest]\nodyssey_guard_tree = true\n"})
    git(repo, "add", "pytest.ini")
    git(repo, "commit", "-qm", "Guard the tree")
    done = run_pytest(repo, extra_path=tmp_path / "site")
    assert done.returncode == 1 and "modified: docs/guide.md" in done.stdout
    git(repo, "checkout", "--", "docs/guide.md")
    # -p with the entry point installed loads it once (no "Plugin already registered" error).
    done = run_pytest(repo, "-p", "odyssey.pytest_plugin", extra_path=tmp_path / "site")
    assert done.returncode == 1 and "modified: docs/guide.md" in done.stdout, done.stdout + done.stderr
