"""The link graph: edges as the links check resolves them, reverse edges, directory pages, reachability."""

from __future__ import annotations

from pathlib import Path

from odyssey.discovery import FileIndex
from odyssey.document import parse_document
from odyssey.linkgraph import Edge, build_link_graph, link_graph
from odyssey.project import Project
from tests.odyssey.helpers import make_repo

PREFIXES = ("/home/", "/Users/", "~/", "file:")


REPOSITORY = {
    "README.md": (
        "# Project\n\n"
        "[guide](docs/guide.md#setup) [notes](notes/) [code](lenet5/model.py) [web](https://example.com)\n"
        "[self](README.md#project) [same](#project) [broken](docs/gone.md) [home](/home/alice/x.md)\n"
        "[ref use][glossary]\n\n[glossary]: docs/glossary.md\n"
    ),
    "docs/guide.md": '# Guide\n\n<a href="../README.md">back</a> ![plot](img/plot.png) [root](/)\n',
    "docs/glossary.md": "# Glossary\n",
    "docs/img/plot.png": "png",
    "notes/README.md": "# Notes\n\n[sweep](2024-05-sweep.md)\n",
    "notes/2024-05-sweep.md": "# Sweep\n",
    "notes/orphan.md": "# Orphan\n\n[sweep](2024-05-sweep.md)\n",
    "lenet5/model.py": "x = 1\n",
}


def test_edges_and_reverse_edges(tmp_path: Path) -> None:
    graph = link_graph(make_repo(tmp_path, REPOSITORY))
    assert [(e.target, e.line, e.column, e.written, e.fragment, e.kind) for e in graph.links_from("README.md")] == [
        ("docs/guide.md", 3, 1, "docs/guide.md#setup", "setup", "inline"),
        ("notes", 3, 30, "notes/", None, "inline"),
        ("lenet5/model.py", 3, 46, "lenet5/model.py", None, "inline"),
        ("docs/glossary.md", 7, 1, "docs/glossary.md", None, "definition"),
    ]
    assert [(e.target, e.kind) for e in graph.links_from("docs/guide.md")] == [
        ("README.md", "html"), ("docs/img/plot.png", "image"), ("", "inline")
    ]
    assert graph.linkers("notes/2024-05-sweep.md") == ["notes/README.md", "notes/orphan.md"]
    # A link to a directory reaches the page shown there; the root ("/") shows README.md.
    assert graph.linkers("notes/README.md") == ["README.md"]
    assert graph.linkers("README.md") == ["docs/guide.md"]
    assert set(graph.sources) == {p for p in REPOSITORY if p.endswith(".md")}


def test_reachability_follows_directories_and_respects_bounds(tmp_path: Path) -> None:
    graph = link_graph(make_repo(tmp_path, REPOSITORY))
    reached = graph.reachable(["README.md"])
    assert "notes/2024-05-sweep.md" in reached and "docs/img/plot.png" in reached
    assert "notes/orphan.md" not in reached
    assert graph.reachable(["README.md"], within=lambda path: path.startswith("docs/") or path == "README.md") == {
        "README.md", "docs/guide.md", "docs/glossary.md", "docs/img/plot.png"
    }
    assert graph.reachable(["notes/orphan.md"], within=lambda path: not path.startswith("notes/")) == set()


def test_graph_is_built_once_per_project(tmp_path: Path) -> None:
    project = make_repo(tmp_path, REPOSITORY)
    assert link_graph(project) is link_graph(project)
    assert link_graph(Project(tmp_path)) is not link_graph(project)


def test_same_written_link_means_different_files_from_different_directories(tmp_path: Path) -> None:
    """Resolutions are memoized per (directory, written target): the memo must not leak across directories."""
    project = make_repo(tmp_path, {
        "a/index.md": "[x](x.md) [web](https://example.com) [m](/home/alice/x.md)\n",
        "a/other.md": "[x](x.md)\n",
        "b/index.md": "[x](x.md) [web](https://example.com)\n",
        "a/x.md": "# A\n",
        "b/x.md": "# B\n",
    })
    graph = link_graph(project)
    assert [e.target for e in graph.links_from("a/index.md")] == ["a/x.md"]
    assert [e.target for e in graph.links_from("a/other.md")] == ["a/x.md"]
    assert [e.target for e in graph.links_from("b/index.md")] == ["b/x.md"]


def test_long_chains_have_no_recursion_limit() -> None:
    count = 5000
    documents = [parse_document(f"d/{i}.md", f"[next]({i + 1}.md)\n".encode()) for i in range(count)]
    files = FileIndex(Path("/repo"), frozenset(f"d/{i}.md" for i in range(count)))
    graph = build_link_graph(documents, files, PREFIXES)
    assert len(graph.reachable(["d/0.md"])) == count
    assert graph.links_to(f"d/{count - 1}.md") == [
        Edge(f"d/{count - 2}.md", f"d/{count - 1}.md", 1, 1, f"{count - 1}.md", None, "inline")
    ]
