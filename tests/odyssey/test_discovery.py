"""Which files make up the repository: git-aware listing, configured excludes, the walk outside git, and the queries
the checks use."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from odyssey.discovery import FileIndex, discover, is_markdown

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True, timeout=60)


def write(root: Path, *paths: str) -> None:
    for path in paths:
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(f"# {path}\n", encoding="utf-8")


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, "README.md", "docs/index.md", "docs/guide.md", "site/index.md", "notes/draft.md", ".gitignore")
    (root / ".gitignore").write_text("site/\n*.log\n", encoding="utf-8")
    git(root, "add", "README.md", "docs/index.md", "docs/guide.md", ".gitignore")
    git(root, "commit", "-q", "-m", "initial")
    return root


def test_git_lists_tracked_and_untracked_but_not_ignored_or_deleted(git_repo: Path) -> None:
    (git_repo / "docs" / "guide.md").unlink()  # deleted in the work tree, still in the index
    write(git_repo, "run.log")
    index = discover(git_repo)
    assert index.files == {".gitignore", "README.md", "docs/index.md", "notes/draft.md"}
    assert index.markdown == ("README.md", "docs/index.md", "notes/draft.md")


def test_configured_excludes_apply_on_top_of_gitignore(git_repo: Path) -> None:
    index = discover(git_repo, exclude=("notes/**", "README.md"))
    assert index.markdown == ("docs/guide.md", "docs/index.md")


def test_outside_git_the_walk_skips_environments_and_caches(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "docs/a.md", ".venv/lib/site.md", "node_modules/pkg/README.md",
          "docs/__pycache__/x.md", "site/index.md", "docs/site-notes.md")
    index = discover(tmp_path)
    assert index.markdown == ("README.md", "docs/a.md", "docs/site-notes.md")


def test_walk_lists_symlinks_without_following_them(tmp_path: Path) -> None:
    write(tmp_path, "docs/real.md")
    os.symlink("real.md", tmp_path / "docs" / "alias.md")
    os.symlink("..", tmp_path / "docs" / "up")  # a directory loop: docs/up/docs/up/...
    os.symlink("loop-b.md", tmp_path / "docs" / "loop-a.md")
    os.symlink("loop-a.md", tmp_path / "docs" / "loop-b.md")
    index = discover(tmp_path)
    assert index.files == {"docs/real.md", "docs/alias.md", "docs/up", "docs/loop-a.md", "docs/loop-b.md"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_walk_leaves_out_fifos(tmp_path: Path) -> None:
    """git ignores FIFOs; the walk must too, since reading one named x.md would block forever."""
    write(tmp_path, "README.md")
    os.mkfifo(tmp_path / "pipe.md")
    assert discover(tmp_path).files == {"README.md"}


def test_git_repository_with_a_directory_named_like_markdown(git_repo: Path) -> None:
    write(git_repo, "docs/api.md/index.md")
    index = discover(git_repo)
    assert "docs/api.md/index.md" in index.markdown
    assert "docs/api.md" in index.dirs and not index.is_file("docs/api.md")


def test_file_index_queries() -> None:
    index = FileIndex(root=Path("/repo"), files=frozenset({
        "README.md", "docs/Guide.md", "docs/guide.md", "docs/api/layers.md", "notes/layers.md", "img/logo.PNG",
    }))
    assert index.dirs == {"docs", "docs/api", "notes", "img"}
    assert index.exists("") and index.exists("docs/api") and index.exists("docs/api/layers.md")
    assert not index.exists("docs/missing.md") and not index.is_file("docs")
    assert index.by_name["layers.md"] == ("docs/api/layers.md", "notes/layers.md")
    assert index.by_lower_path["docs/guide.md"] == ("docs/Guide.md", "docs/guide.md")
    assert index.markdown == ("README.md", "docs/Guide.md", "docs/api/layers.md", "docs/guide.md", "notes/layers.md")


@pytest.mark.parametrize(
    ("path", "expected"),
    [("README.md", True), ("docs/x.markdown", True), ("NOTES.MD", True), ("docs/x.mdx", False),
     ("docs/md", False), ("x.md.bak", False)],
)
def test_is_markdown(path: str, expected: bool) -> None:
    assert is_markdown(path) is expected
