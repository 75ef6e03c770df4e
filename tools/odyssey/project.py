"""The repository as the checks see it: configuration, file index, and documents parsed once.

Documents are parsed lazily and cached, so a pre-commit run over five files parses those five (and any document whose
anchors they link to); a whole-repository run parses everything up front, in worker processes when there are many.
A check never opens files itself: it asks the Project.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import posixpath
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from odyssey.cache import DocumentCache
from odyssey.config import Config, load_config
from odyssey.discovery import FileIndex, discover
from odyssey.document import Document, Problem, human_size, parse_document
from odyssey.globs import any_match
from odyssey.mkdocs_config import MkdocsConfig, parse_mkdocs_config

logger = logging.getLogger(__name__)

PARALLEL_THRESHOLD = 400  # below this, starting workers costs more than it saves
CHUNK_SIZE = 64


def read_repository_file(root: Path, path: str) -> tuple[bytes | None, str | None]:
    """Bytes of a repository file, or a reason it cannot be read. Symlinks are followed only inside the root."""
    full = os.path.join(root, path)  # a string, not a Path: this runs for every document of every run
    try:
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            resolved = Path(os.path.realpath(full))
            if not resolved.is_relative_to(root.resolve()):
                return None, "symlink points outside the repository; not followed"
            info = os.stat(full)  # a symlink loop raises ELOOP here
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            return None, "not a regular file; not read"
        with open(full, "rb") as handle:
            return handle.read(), None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == 40:  # ELOOP
            reason = "symlink loop"
        return None, f"cannot read: {reason}"


def load_document(root: Path, path: str, max_size: int, cache: DocumentCache | None = None) -> Document:
    """Read and parse one document, or take it from ``cache`` when the same bytes were parsed before."""
    try:
        size = os.stat(os.path.join(root, path)).st_size
    except OSError:
        size = 0
    if size > max_size:
        return _too_large(path, size, max_size)  # refused without reading it
    raw, reason = read_repository_file(root, path)
    if raw is None:
        document = Document(path=path, readable=False)
        document.problems.append(Problem("INP005", 1, 1, reason or "cannot read"))
        return document
    if cache is None:
        return parse_document(path, raw, max_size=max_size)
    key = DocumentCache.key(path, raw, max_size)
    cached = cache.get(key)
    if cached is not None:
        return cached
    document = parse_document(path, raw, max_size=max_size)
    cache.put(key, document)
    return document


def _too_large(path: str, size: int, max_size: int) -> Document:
    document = Document(path=path, readable=False)
    document.problems.append(
        Problem("INP004", 1, 1, f"file is {human_size(size)}, over the {human_size(max_size)} limit; not checked")
    )
    return document


def _load_chunk(root: Path, paths: list[str], max_size: int, cache: DocumentCache | None) -> list[Document]:
    return [load_document(root, path, max_size, cache) for path in paths]


class Project:
    """One repository under check."""

    def __init__(
        self,
        root: Path,
        config: Config | None = None,
        files: FileIndex | None = None,
        cache: DocumentCache | None = None,
    ) -> None:
        self.root = root.resolve()
        self.cache = cache  # parsed documents by content (odyssey.cache); None parses everything
        self.config = config if config is not None else load_config(self.root)
        self.files = files if files is not None else discover(self.root, self.config.exclude)
        self._documents: dict[str, Document] = {}
        self._mkdocs: MkdocsConfig | None | bool = False
        generated = self.generated_pages()
        if generated:
            from odyssey.mkdocs_plugin.generated import published_sources

            self.files = self.files.with_virtual(generated, published_sources(self))

    def generated_pages(self) -> frozenset[str]:
        """Repository-relative paths of the pages the odyssey mkdocs plugin adds to the site at build time."""
        from odyssey.mkdocs_plugin.generated import generated_repo_paths

        return generated_repo_paths(self)

    # -- documents ---------------------------------------------------------------------------------------------
    def document(self, path: str) -> Document:
        """The parsed document at ``path`` (parsed on first use, then cached)."""
        document = self._documents.get(path)
        if document is None:
            document = load_document(self.root, path, self.config.max_file_size, self.cache)
            self._documents[path] = document
        return document

    def documents(self, paths: Iterable[str] | None = None) -> Iterator[Document]:
        """Documents for ``paths`` (default: every Markdown file), parsing what is missing in parallel when many."""
        wanted = list(self.files.markdown if paths is None else paths)
        self.prefetch(wanted)
        for path in wanted:
            yield self.document(path)

    def prefetch(self, paths: list[str]) -> None:
        """Parse many documents at once: this process takes a share while worker processes parse the rest.

        Returning documents from a worker costs a pickle round-trip, so this process parses its share itself
        instead of idling while the workers do everything.
        """
        missing = [path for path in paths if path not in self._documents]
        if self.cache is not None and len(missing) >= PARALLEL_THRESHOLD:
            # Cached documents load ~15x faster than they parse: take them first, parse only the rest.
            missing = [path for path in missing if not self._from_cache(path)]
        jobs = min(self.config.jobs or os.cpu_count() or 1, 8)
        if len(missing) < PARALLEL_THRESHOLD or jobs < 2:
            return
        # Interleaved equal shares (similar mixes of file sizes), one for this process. Unpickling what the workers
        # return is cheap with the CLI's gc thresholds (~0.05 ms a document against ~0.65 ms to parse one), so an
        # equal share keeps both cores busy: notes/analysis-markdown-parse-cost.md.
        shares = [missing[start::jobs] for start in range(jobs)]
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        try:
            with concurrent.futures.ProcessPoolExecutor(max_workers=jobs - 1, mp_context=context) as pool:
                futures = [
                    pool.submit(_load_chunk, self.root, share[i : i + CHUNK_SIZE], self.config.max_file_size,
                                self.cache)
                    for share in shares[1:]
                    for i in range(0, len(share), CHUNK_SIZE)
                ]
                for path in shares[0]:
                    self.document(path)
                for future in futures:
                    for document in future.result():
                        self._documents[document.path] = document
        except (OSError, concurrent.futures.process.BrokenProcessPool) as exc:
            logger.warning("parallel parsing failed (%s); parsing in this process", exc)

    def _from_cache(self, path: str) -> bool:
        """Put ``path``'s cached document in place if the cache has these bytes; False when it must be parsed."""
        assert self.cache is not None
        max_size = self.config.max_file_size
        try:
            if os.stat(os.path.join(self.root, path)).st_size > max_size:
                return False  # never read: load_document refuses it unread
        except OSError:
            return False
        raw, _reason = read_repository_file(self.root, path)
        if raw is None:
            return False
        document = self.cache.get(DocumentCache.key(path, raw, max_size))
        if document is None:
            return False
        self._documents[path] = document
        return True

    # -- repository facts --------------------------------------------------------------------------------------
    @property
    def mkdocs(self) -> MkdocsConfig | None:
        """The parsed mkdocs.yml, or None when the repository has none."""
        if self._mkdocs is False:
            path = self.config.mkdocs_config
            self._mkdocs = None
            if self.files.is_file(path):
                raw, reason = read_repository_file(self.root, path)
                text = raw.decode("utf-8", "replace") if raw is not None else ""
                config = parse_mkdocs_config(path, text)
                if raw is None:
                    config.problem = (1, reason or "cannot read")
                base = posixpath.dirname(path)
                config.docs_dir = posixpath.normpath(posixpath.join(base, config.docs_dir)) if base else config.docs_dir
                self._mkdocs = config
        assert self._mkdocs is not False
        return self._mkdocs

    @property
    def docs_dir(self) -> str:
        mkdocs = self.mkdocs
        return mkdocs.docs_dir if mkdocs is not None else self.config.docs_dir

    def in_docs_dir(self, path: str) -> bool:
        return path.startswith(self.docs_dir + "/")

    def is_agent_file(self, path: str) -> bool:
        agents = self.config.agents
        return any_match(path, agents.paths) and not any_match(path, agents.exclude)

    def slug_style(self, path: str) -> str:
        """Which renderer's anchors apply to ``path``: mkdocs for pages it builds, GitHub for the rest."""
        style = self.config.slug_style
        if style != "auto":
            return style
        return "mkdocs" if self.mkdocs is not None and self.in_docs_dir(path) else "github"

    def read_text(self, path: str) -> str | None:
        """Text of a non-Markdown repository file (Python sources, configs) for checks that need it."""
        raw, _reason = read_repository_file(self.root, path)
        if raw is None:
            return None
        return raw.decode("utf-8", "replace")
