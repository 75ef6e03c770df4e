"""The benchmark's repository generator is deterministic and writes what its manifest claims.

The claims are checked through odyssey's own parser and resolver (the links a reader sees), so a generator that
planted a link inside a code block, or a "broken" link that happens to exist, fails here rather than skewing the
benchmark.
"""

from __future__ import annotations

import importlib.util
import posixpath
import statistics
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from odyssey.project import Project
from odyssey.resolve import resolve
from tests.conftest import require_executable

GENERATOR_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "synthetic_repo.py"
DOCS = 300
SEED = 3
INDEX_KINDS = ("docs/index.md", "/index.md", "notes/README.md", "agents/README.md")


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthetic_repo", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic_repo"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


synthetic_repo = _load_generator()


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def _is_index(path: str) -> bool:
    return path.endswith("/index.md") or (path.startswith(("notes/", "agents/")) and path.endswith("README.md"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("synthetic") / "repo"
    manifest = synthetic_repo.generate(root, DOCS, seed=SEED)
    return root, manifest


@pytest.fixture(scope="module")
def project(generated: tuple[Path, object]) -> Project:
    root, _manifest = generated
    return Project(root)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first = _tree(_generate(tmp_path / "a", seed=11))
    again = _tree(_generate(tmp_path / "b", seed=11))
    other = _tree(_generate(tmp_path / "c", seed=12))
    assert first == again
    assert first != other
    assert sum(path.endswith(".md") for path in other) == 120


def _generate(root: Path, seed: int) -> Path:
    synthetic_repo.generate(root, 120, seed=seed)
    return root


def test_exact_document_count_and_realistic_sizes(generated: tuple[Path, object]) -> None:
    root, manifest = generated
    sizes = {path: len(data) for path, data in _tree(root).items() if path.endswith(".md")}
    assert len(sizes) == DOCS == manifest.docs
    assert sum(sizes.values()) == manifest.markdown_bytes
    assert min(sizes.values()) >= 500
    assert max(sizes.values()) <= 15 * 1024
    assert 2400 <= statistics.mean(sizes.values()) <= 3700  # log-normal, mean about 3 KB
    assert statistics.median(sizes.values()) < statistics.mean(sizes.values())  # skewed right, like real docs


def test_layout_of_an_agent_written_ml_repository(generated: tuple[Path, object]) -> None:
    root, manifest = generated
    files = _tree(root)
    root_markdown = [path for path in files if "/" not in path and path.endswith(".md")]
    assert {"README.md", "CLAUDE.md", "CONTRIBUTING.md"} <= set(root_markdown)
    reports = [path for path in root_markdown if path[:-3].isupper() and "_" in path]  # SESSION_SUMMARY.md
    assert len(reports) >= 3
    docs_dirs = {posixpath.dirname(path) for path in files if path.startswith("docs/") and path.endswith(".md")}
    assert max(path.count("/") for path in docs_dirs) >= 2  # nested sections
    assert all(f"{directory}/index.md" in files for directory in docs_dirs)
    assert any(path.startswith("notes/") for path in files)
    assert any(path.startswith("src/") and path.endswith("/README.md") for path in files)
    assert any(path.startswith("src/") and path.endswith(".py") for path in files)
    agents = [path for path in files if path.startswith("agents/") and path != "agents/README.md"]
    assert len(agents) >= 5
    for path in agents:
        front = files[path].decode().split("---\n")[1]
        data = yaml.safe_load(front)
        assert isinstance(data["level"], int) and data["name"] == posixpath.basename(path)[:-3]
        assert "## Delegates To" in files[path].decode()
    assert any("delegates_to" in yaml.safe_load(files[path].decode().split("---\n")[1]) for path in agents)


def test_links_per_document_and_planted_broken_links_match_what_a_parser_sees(
    generated: tuple[Path, object], project: Project
) -> None:
    _root, manifest = generated
    files = project.files
    prefixes = project.config.machine_path_prefixes
    broken: set[tuple[str, str]] = set()
    written = 0
    per_content_page = []
    for document in project.documents():
        checked = [link for link in document.links if link.checked_for_target]
        written += len(checked)
        if not _is_index(document.path):
            per_content_page.append(len(checked))
        for link in checked:
            target = resolve(document.path, link.target, files, prefixes)
            if target.status == "external":
                continue
            assert target.status in ("local", "same-file", "machine"), (document.path, link.target)
            if target.status == "machine" or not files.exists(target.path or ""):
                broken.add((document.path, link.target))
            elif target.fragment and target.path.endswith(".md"):
                anchors = project.document(target.path).anchors(project.slug_style(target.path))
                if target.fragment not in anchors:
                    broken.add((document.path, link.target))
    planted = {(item["path"], item["target"]) for item in manifest.broken_links}
    assert written == manifest.links
    assert broken == planted
    assert 0.01 <= len(planted) / written <= 0.05  # a few %
    assert {item["reason"] for item in manifest.broken_links} >= {"missing-file", "stale-anchor"}
    assert min(per_content_page) >= 5 and max(per_content_page) <= 20
    assert 7 <= statistics.mean(per_content_page) <= 13
    kinds = {link.kind for document in project.documents() for link in document.links}
    assert kinds >= {"inline", "image", "reference", "definition", "html", "autolink"}


def test_fences_frontmatter_and_orphans_are_where_the_manifest_says(
    generated: tuple[Path, object], project: Project
) -> None:
    _root, manifest = generated
    documents = list(project.documents())
    assert manifest.misclosed_fences
    assert {d.path for d in documents if d.misclosed_fences} == set(manifest.misclosed_fences)
    assert {d.path for d in documents if any(not fence.closed for fence in d.fences)} == set(manifest.unclosed_fences)
    assert {d.path for d in documents if d.frontmatter.present} == set(manifest.frontmatter)
    assert not [d.problems for d in documents if d.problems]
    assert {fence.info for d in documents for fence in d.fences} >= {"python", "bash", "text", "yaml"}
    linked = set()
    for document in documents:
        for link in document.links:
            target = resolve(document.path, link.target, project.files, project.config.machine_path_prefixes)
            if target.status == "local" and target.path:
                linked.add(target.path)
    assert manifest.orphans
    assert not linked & set(manifest.orphans)


def test_mkdocs_nav_covers_most_docs_pages(generated: tuple[Path, object], project: Project) -> None:
    _root, manifest = generated
    mkdocs = project.mkdocs
    assert mkdocs is not None and mkdocs.problem is None and mkdocs.nav is not None
    docs_pages = [path for path in project.files.markdown if path.startswith("docs/")]
    listed = {posixpath.join("docs", entry.target) for entry in mkdocs.nav}
    missing = sorted(path[len("docs/"):] for path in listed - set(project.files.files))
    assert missing == sorted(manifest.broken_nav)
    assert len(listed & set(docs_pages)) == manifest.nav_pages
    assert manifest.nav_pages / len(docs_pages) >= 0.85
    assert not listed & set(manifest.orphans)


def test_cli_git_commit_is_reproducible_and_non_empty_dirs_are_refused(tmp_path: Path) -> None:
    require_executable("git")
    heads = []
    for name in ("one", "two"):
        out = tmp_path / name
        assert synthetic_repo.main(["--docs", "60", "--out", str(out), "--seed", "5", "--git"]) == 0
        status = subprocess.run(["git", "status", "--porcelain"], cwd=out, capture_output=True, text=True, check=True)
        assert status.stdout == ""
        listed = subprocess.run(["git", "ls-files"], cwd=out, capture_output=True, text=True, check=True)
        assert sorted(listed.stdout.split()) == sorted(_tree(out))
        heads.append(subprocess.run(["git", "rev-parse", "HEAD"], cwd=out, capture_output=True, text=True).stdout)
    assert heads[0] == heads[1]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not a synthetic repository\n")
    assert synthetic_repo.main(["--docs", "60", "--out", str(foreign), "--force"]) == 2
    assert (foreign / "keep.txt").is_file()
    assert synthetic_repo.main(["--docs", "60", "--out", str(tmp_path / "one"), "--seed", "6"]) == 2
    assert synthetic_repo.main(["--docs", "60", "--out", str(tmp_path / "one"), "--seed", "6", "--force"]) == 0
    assert synthetic_repo.load_manifest(tmp_path / "one").seed == 6
