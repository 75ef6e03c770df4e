"""The repository's link graph: which file every Markdown link leads to, and who links to each file.

Built once per run from the parsed documents (``link_graph(project)`` caches it on the Project), shared by the orphans
check, the fixer (which rewrites the links *to* a file it moves) and the other whole-repository checks. Links are
interpreted by ``odyssey.resolve.resolve`` so every consumer agrees with the links check on what a link means.

Only links that land on an existing repository file or directory become edges: broken links are the links check's
business, and same-file links (``#section``) lead nowhere new. Reference uses (``[text][label]``) add no edge of their
own; their definition does. A link to a directory reaches the page a reader sees there: its README (GitHub shows it)
or index.md (mkdocs serves it).

Cost: one ``resolve`` per link plus dictionary work, linear in the number of links; resolutions are memoized per
(source directory, written target), which is what a link's meaning depends on, because repositories repeat the same
links (``../README.md``, the glossary) from many files of one directory.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import posixpath
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from odyssey.discovery import FileIndex
from odyssey.document import Document
from odyssey.project import Project
from odyssey.resolve import Target, resolve

logger = logging.getLogger(__name__)

# Statuses whose resolution does not depend on the linking file: memoized on the written target alone.
SOURCE_INDEPENDENT = frozenset({"external", "machine", "empty"})
# What a reader lands on when a link names a directory, in order of preference (compared case-insensitively).
DIRECTORY_PAGES = ("readme.md", "index.md", "readme.markdown", "index.markdown")


class Edge(NamedTuple):
    """One link from the Markdown file ``source`` to the repository path ``target`` (a file or a directory).

    A named tuple rather than a dataclass: a large repository has hundreds of thousands, and they are built in a loop.
    """

    source: str
    target: str
    line: int
    column: int
    written: str  # the link target exactly as written in ``source``
    fragment: str | None
    kind: str  # Link.kind: inline, definition, image, autolink, html


class LinkGraph:
    """Directed graph of resolved links between repository files, with reverse edges.

    ``outgoing[source]`` lists the edges of one Markdown file in document order; ``incoming[target]`` lists every edge
    that lands on ``target`` (exactly that path: links to a directory are listed under the directory).
    """

    def __init__(self, files: FileIndex) -> None:
        self.files = files
        self.outgoing: dict[str, list[Edge]] = {}
        self.incoming: dict[str, list[Edge]] = {}
        self._directory_pages: dict[str, tuple[str, ...]] = {}

    def add(self, edge: Edge) -> None:
        self.outgoing.setdefault(edge.source, []).append(edge)
        self.incoming.setdefault(edge.target, []).append(edge)

    @property
    def sources(self) -> tuple[str, ...]:
        """Every Markdown file the graph was built from (with or without links)."""
        return tuple(self.outgoing)

    def links_from(self, path: str) -> list[Edge]:
        return self.outgoing.get(path, [])

    def links_to(self, path: str) -> list[Edge]:
        """Edges landing on ``path``, including links to its directory when ``path`` is that directory's page."""
        edges = list(self.incoming.get(path, ()))
        directory = posixpath.dirname(path)
        if path in self.directory_pages(directory):
            edges.extend(self.incoming.get(directory, ()))
        return edges

    def linkers(self, path: str) -> list[str]:
        """Distinct files that link to ``path`` (itself excluded), sorted."""
        return sorted({edge.source for edge in self.links_to(path)} - {path})

    def directory_pages(self, directory: str) -> tuple[str, ...]:
        """The README/index page(s) a link to ``directory`` shows (``""`` is the repository root)."""
        pages = self._directory_pages.get(directory)
        if pages is None:
            prefix = f"{directory}/" if directory else ""
            found: list[str] = []
            for name in DIRECTORY_PAGES:
                found.extend(self.files.by_lower_path.get(f"{prefix}{name}".lower(), ()))
            pages = tuple(p for p in found if self.files.is_file(p))
            self._directory_pages[directory] = pages
        return pages

    def successors(self, path: str) -> Iterable[str]:
        """Files a reader reaches in one click from ``path``: link targets, directories replaced by their page."""
        for edge in self.outgoing.get(path, ()):
            if self.files.is_file(edge.target):
                yield edge.target
            else:
                yield from self.directory_pages(edge.target)

    def reachable(self, roots: Iterable[str], within: Callable[[str], bool] | None = None) -> set[str]:
        """Every file reachable from ``roots`` by following links (roots included), breadth-first.

        ``within`` restricts the walk: a file for which it returns False is neither entered nor reported (roots too).
        """
        seen: set[str] = set()
        queue: deque[str] = deque()
        for root in roots:
            if root not in seen and (within is None or within(root)):
                seen.add(root)
                queue.append(root)
        while queue:
            for successor in self.successors(queue.popleft()):
                if successor not in seen and (within is None or within(successor)):
                    seen.add(successor)
                    queue.append(successor)
        return seen


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building creates no cycles, but its many small objects would trigger
    full collections that walk every parsed document of the run (measured: ~40% of the build on 20,000 files)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_link_graph(documents: Iterable[Document], files: FileIndex, machine_prefixes: tuple[str, ...]) -> LinkGraph:
    """The link graph of ``documents`` (parsed already: pass a list), links resolved against ``files``."""
    with _cyclic_gc_paused():
        return _build(documents, files, machine_prefixes)


def _build(documents: Iterable[Document], files: FileIndex, machine_prefixes: tuple[str, ...]) -> LinkGraph:
    graph = LinkGraph(files)
    anywhere: dict[str, Target] = {}  # external URLs and machine paths mean the same from every file
    memo: dict[tuple[str, str], Target] = {}  # the rest depends on the linking file's directory only
    for document in documents:
        graph.outgoing.setdefault(document.path, [])
        directory = posixpath.dirname(document.path)
        for link in document.links:
            written = link.target
            if not link.checked_for_target or written.startswith("#"):
                continue
            target = anywhere.get(written) or memo.get((directory, written))
            if target is None:
                target = resolve(document.path, written, files, machine_prefixes)
                if target.status in SOURCE_INDEPENDENT:
                    anywhere[written] = target
                else:
                    memo[(directory, written)] = target
            if target.status != "local" or target.path is None or target.path == document.path:
                continue
            if not files.exists(target.path):
                continue
            graph.add(Edge(document.path, target.path, link.line, link.column, link.target, target.fragment,
                           link.kind))
    return graph


_GRAPHS: weakref.WeakKeyDictionary[Project, LinkGraph] = weakref.WeakKeyDictionary()


def link_graph(project: Project) -> LinkGraph:
    """The link graph of every Markdown file of ``project``, built on first use and cached for the project's life."""
    graph = _GRAPHS.get(project)
    if graph is None:
        documents = list(project.documents())  # parse first: parsing is not done with the collector paused
        graph = build_link_graph(documents, project.files, project.config.machine_path_prefixes)
        _GRAPHS[project] = graph
        logger.debug("link graph: %d documents, %d edges", len(graph.outgoing),
                     sum(len(edges) for edges in graph.outgoing.values()))
    return graph
