"""xref (XRF): documents about the same subject link each other, and ``related:`` frontmatter holds.

- XRF001: two documents are related -- their TF-IDF cosine (``odyssey.similarity``) is at least ``threshold``, three
  robust deviations above what either scores with unrelated documents, and each is among the other's two nearest
  documents; or they share ``min-shared-tags`` specific tags -- and neither links the other, by a link in the text
  or a ``related:`` entry. The suggestion is "link A <-> B". Pairs similar enough to be consolidation candidates
  (DUP005) or copies (DUP001/DUP003) are left to the duplicates family; at most ``max-suggestions`` per document,
  strongest first.
- XRF002: a ``related:`` entry names no file of the repository. Entries are read like links written in the
  document: relative to it, ``/x`` from the repository root; URLs are not checked. Entries of notes are left to the
  notes family (NTS004), which checks them the same way, so that one broken entry is one finding.
- XRF003 (``reciprocal``, default on): A lists B in ``related:`` but B neither lists A nor links to it.

Which documents take part in XRF001: not agent definitions (the agent graph relates those), not README/index pages
(they link their directory anyway), not templates, not superseded or archived notes, not ``exclude`` globs. Tags
that a quarter or more of the tagged documents carry ("odyssey", "training") relate nothing; shared tags relate a
pair only when few documents (at most 5) carry all of them and the two texts agree (their cosine two robust
deviations above what either scores with unrelated documents): a combination thirty documents share is a cluster,
not a pair.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from odyssey.checks.base import ProjectCheck
from odyssey.checks.duplicates import (
    MAX_TOPICAL_SHINGLE_SIMILARITY,
    DuplicateSettings,
    glob_matcher,
    is_directory_page,
    is_history,
    is_template,
)
from odyssey.config import Config, ConfigError
from odyssey.document import Document
from odyssey.findings import Finding, Severity
from odyssey.linkgraph import LinkGraph, link_graph
from odyssey.project import Project
from odyssey.resolve import likely_fix, resolve
from odyssey.rules import Rule
logger = logging.getLogger(__name__)

SECTION = "xref"
COMMON_TAG_SHARE = 0.25  # a tag on at least this share of the tagged documents relates nothing
MIN_COMMON_TAG_DOCS = 4  # ... and on at least this many (with few tagged documents every tag is "common")
MAX_TAG_CARRIERS = 5  # shared tags relate a pair only when at most this many documents carry all of them
TOPICAL_BACKGROUND_SPREADS = 3.0  # an unlinked pair stands this far above both documents' typical similarity
TAG_AGREEMENT_SPREADS = 2.0  # shared tags relate two documents whose texts are this much more similar than typical
MUTUAL_NEIGHBOURS = 2  # a topical pair must be among each other's this many nearest documents
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")

XRF001 = Rule(
    code="XRF001",
    name="unlinked-related-documents",
    family="xref",
    summary="Two documents about the same subject do not link each other",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Finds pairs of documents that are related -- the TF-IDF cosine of their words is at least `threshold`, well
    above what either scores with unrelated documents, and each is among the other's two closest documents; or they
    share `min-shared-tags` tags that few documents carry and their texts agree -- while neither links the other, in
    its text or in `related:` frontmatter. The finding, on the first of the two by name, suggests linking them both
    ways. Pairs close enough to merge are DUP005's, copies DUP001/DUP003's. Agent definitions, README/index pages,
    templates and superseded notes take no part; at most `max-suggestions` findings involve one document.

    ## Why is this bad?
    A reader of the training-speed analysis never learns that a note on BLAS threading explains half of it. Links
    between related documents are how knowledge in a repository stays connected; agents write each document in a
    separate session and rarely add them.

    ## Example
    `notes/emnist-loader-review.md` and `docs/data/emnist.md`, both about the EMNIST loader (tags `emnist`,
    `data-loading`), with no link between them.

    ## Use instead
    ```markdown
    <!-- docs/data/emnist.md -->
    The loader was reviewed in [the EMNIST loader review](../../notes/emnist-loader-review.md).
    ```
    and a link (or a `related:` entry) back.

    ## Options
    - `xref.threshold` (default 0.3), `xref.min-shared-tags` (default 2), `xref.max-suggestions` (default 3).
    - `xref.exclude`: globs of documents that get no suggestion.
    """,
)
XRF002 = Rule(
    code="XRF002",
    name="missing-related-target",
    family="xref",
    summary="A `related:` entry names a document that does not exist",
    severity=Severity.ERROR,
    doc="""
    ## What it does
    Resolves every entry of `related:` (the keys in `xref.related-keys`) like a link written in the document --
    relative to it, `/path` from the repository root -- and reports entries that name no file of the repository,
    climb out of it, or are paths on one machine, at the entry's line. A close existing path is suggested. URLs are
    not checked. Notes are the notes family's (NTS004 checks their `related` the same way).

    ## Why is this bad?
    `related:` is how a reader (or an agent loading context) gets from one document to the ones it builds on; a
    dangling entry, usually left by a rename, ends the trail.

    ## Example
    ```yaml
    # docs/guides/training.md
    related: [evaluation.md]   # the page is docs/guides/evaluating.md
    ```

    ## Use instead
    ```yaml
    related: [evaluating.md]
    ```
    """,
)
XRF003 = Rule(
    code="XRF003",
    name="one-sided-related",
    family="xref",
    summary="Document A lists B in `related:`, but B neither lists A nor links to it",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    When `xref.reciprocal` is on (the default), reports each `related:` entry whose document does not relate back:
    it has no `related:` entry for the first document and no link to it. The finding is at the entry.

    ## Why is this bad?
    Relations are symmetric: a reader who lands on B is as interested in A as the other way round. One-sided
    entries are what is left when a new document is related to an old one and the old one is never updated.

    ## Example
    ```yaml
    # notes/decision-checkpoint-format.md
    related: [analysis-checkpoint-size.md]
    ```
    and `notes/analysis-checkpoint-size.md` with no `related:` and no link back.

    ## Use instead
    ```yaml
    # notes/analysis-checkpoint-size.md
    related: [decision-checkpoint-format.md]
    ```

    ## Options
    - `xref.reciprocal = false` turns the rule off.
    """,
)


@dataclass(frozen=True)
class XrefSettings:
    threshold: float = 0.3
    min_shared_tags: int = 2
    max_suggestions: int = 3
    reciprocal: bool = True
    related_keys: tuple[str, ...] = ("related",)
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> XrefSettings:
        section = config.extra_section(SECTION)
        return cls(
            threshold=float(section.get("threshold", cls.threshold)),
            min_shared_tags=int(section.get("min-shared-tags", cls.min_shared_tags)),
            max_suggestions=int(section.get("max-suggestions", cls.max_suggestions)),
            reciprocal=bool(section.get("reciprocal", cls.reciprocal)),
            related_keys=tuple(section.get("related-keys", cls.related_keys)),
            exclude=tuple(section.get("exclude", ())),
        )


@dataclass(frozen=True)
class RelatedEntry:
    """One entry of a ``related:`` list: as written, where, and the repository path it names (None: it names none)."""

    source: str
    key: str
    written: str
    line: int
    column: int
    target: str | None
    problem: str | None = None  # why it names nothing (None for URLs, which are not checked)


def tags_of(meta: dict[str, Any]) -> frozenset[str]:
    """``tags:`` as a set of lower-case tags: a list, or a comma- or space-separated string."""
    value = meta.get("tags")
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        items = value
    else:
        return frozenset()
    return frozenset(str(item).strip().lower().lstrip("#") for item in items if str(item).strip())


def _entry_position(document: Document, key: str, written: str, after: tuple[int, int]) -> tuple[int, int]:
    """(line, column) of an entry's text in the frontmatter, searched from the key's line onwards."""
    frontmatter = document.frontmatter
    start = frontmatter.key_lines.get(key, frontmatter.start_line or 1)
    lines = document.lines
    for number in range(max(start, after[0]), max(frontmatter.end_line, start) + 1):
        if number - 1 >= len(lines):
            break
        text = lines[number - 1]
        from_column = after[1] if number == after[0] else 0
        found = text.find(written, from_column)
        if found >= 0:
            return number, found + 1
    return start, 1


def related_entries(project: Project, document: Document, keys: tuple[str, ...]) -> list[RelatedEntry]:
    """The ``related:`` entries of a document, resolved like links written in it."""
    entries: list[RelatedEntry] = []
    files = project.files
    prefixes = project.config.machine_path_prefixes
    for key in keys:
        value = document.meta.get(key)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        position = (0, 0)
        for item in items:
            if not isinstance(item, str) or not item.strip():
                line = document.frontmatter.key_lines.get(key, 1)
                entries.append(RelatedEntry(document.path, key, str(item), line, 1, None,
                                            f"'{key}' entry {item!r} is not a path"))
                continue
            written = item.strip()
            line, column = _entry_position(document, key, written, position)
            position = (line, column + len(written) - 1)
            if _URL.match(written) and not written.lower().startswith("file:"):
                entries.append(RelatedEntry(document.path, key, written, line, column, None))
                continue
            target = resolve(document.path, written, files, prefixes)
            if target.status == "same-file" or (target.status == "local" and target.path == document.path):
                entries.append(RelatedEntry(document.path, key, written, line, column, None,
                                            f"'{key}' entry '{written}' names this document itself"))
                continue
            if target.status == "local" and target.path is not None and files.exists(target.path):
                entries.append(RelatedEntry(document.path, key, written, line, column, target.path))
                continue
            problem = {
                "escape": "climbs out of the repository",
                "machine": "is a path on one machine",
                "empty": "is empty",
            }.get(target.status, f"names {target.path or written}, which does not exist")
            message = f"'{key}' entry '{written}' {problem}"
            if target.status == "local" and target.path is not None:
                repair = likely_fix(document.path, target, files)
                if repair is not None:
                    message += f"; did you mean '{repair[0]}'? ({repair[1]})"
            entries.append(RelatedEntry(document.path, key, written, line, column, None, message))
    return entries


def _note_filter(config: Config) -> Callable[[str], bool]:
    """Is a path a note of the notes family (whose NTS004 checks its ``related``)? Never, without that family."""
    try:
        from odyssey.notes.model import notes_settings
    except ImportError:  # the notes family is not part of this installation
        return lambda path: False
    try:
        return notes_settings(config).is_note
    except ConfigError:
        return lambda path: False


class XrefCheck(ProjectCheck):
    family = "xref"
    summary = "Related documents link each other; `related:` entries exist and are mutual"
    rules = (XRF001, XRF002, XRF003)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.settings = XrefSettings.from_config(self.config)
        self.duplicates = DuplicateSettings.from_config(self.config)

    def check_project(self) -> Iterator[Finding]:
        project = self.project
        graph = link_graph(project)
        documents = {d.path: d for d in project.documents() if d.readable}
        is_note = _note_filter(self.config)
        related: dict[str, list[RelatedEntry]] = {}
        for path, document in documents.items():
            if document.meta:
                entries = related_entries(project, document, self.settings.related_keys)
                if entries:
                    related[path] = entries
        for path, entries in related.items():
            if is_note(path):
                continue
            for entry in entries:
                if entry.problem is not None:
                    yield self.finding(XRF002, path, entry.line, entry.column, entry.problem)
        relations = {path: {e.target for e in entries if e.target} for path, entries in related.items()}
        if self.settings.reciprocal:
            yield from self.one_sided(related, relations, graph, documents)
        yield from self.unlinked(documents, relations, graph)

    # -- XRF003 ----------------------------------------------------------------------------------------------
    def one_sided(self, related: dict[str, list[RelatedEntry]], relations: dict[str, set[str | None]],
                  graph: LinkGraph, documents: dict[str, Document]) -> Iterator[Finding]:
        for path, entries in related.items():
            for entry in entries:
                other = entry.target
                if other is None or other == path or other not in documents:
                    continue
                if path in relations.get(other, set()) or path in set(graph.successors(other)):
                    continue
                if path in self.superseded_by(documents[other]):
                    continue  # an old note that names its successor in `superseded_by:` relates back already
                keys = self.settings.related_keys
                message = (f"{other} does not relate back: it neither lists this document in '{keys[0]}:' nor "
                           f"links to it; add '{self.relative(other, path)}' to its '{keys[0]}:' (or link to it)")
                yield self.finding(XRF003, path, entry.line, entry.column, message)

    def superseded_by(self, document: Document) -> set[str]:
        if not document.meta.get("superseded_by"):
            return set()
        return {e.target for e in related_entries(self.project, document, ("superseded_by",)) if e.target}

    @staticmethod
    def relative(source: str, target: str) -> str:
        return posixpath.relpath(target, posixpath.dirname(source) or ".")

    # -- XRF001 ----------------------------------------------------------------------------------------------
    def candidate(self, documents: dict[str, Document]) -> Callable[[str], bool]:
        excluded = glob_matcher((*self.settings.exclude, *self.duplicates.exclude))

        def eligible(path: str) -> bool:
            document = documents.get(path)
            if document is None or is_template(path) or is_directory_page(path):
                return False
            if excluded(path):
                return False
            if self.project.is_agent_file(path):
                return False
            return not is_history(document.meta)

        return eligible

    def tag_pairs(self, documents: dict[str, Document], eligible: Callable[[str], bool]) -> dict[
            tuple[str, str], tuple[float, tuple[str, ...]]]:
        """(a, b) -> (Jaccard of their specific tags, shared tags) for pairs sharing ``min-shared-tags`` of them."""
        import numpy as np
        import scipy.sparse as sparse
        tags = {path: tags_of(document.meta) for path, document in documents.items()}
        tagged = [path for path, found in tags.items() if found]
        frequency: dict[str, int] = defaultdict(int)
        for path in tagged:
            for tag in tags[path]:
                frequency[tag] += 1
        common = {tag for tag, count in frequency.items()
                  if count >= MIN_COMMON_TAG_DOCS and count >= COMMON_TAG_SHARE * len(tagged)}
        paths = [path for path in tagged if eligible(path) and tags[path] - common]
        specific = [tags[path] - common for path in paths]
        if len(paths) < 2:
            return {}
        names = sorted({tag for found in specific for tag in found})
        column = {tag: n for n, tag in enumerate(names)}
        rows = [n for n, found in enumerate(specific) for _tag in found]
        columns = [column[tag] for found in specific for tag in found]
        incidence = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(paths), len(names)))
        shared = sparse.triu(incidence @ incidence.T, k=1).tocoo()
        holders: dict[str, set[int]] = defaultdict(set)
        for n, found in enumerate(specific):
            for tag in found:
                holders[tag].add(n)
        carriers: dict[frozenset[str], int] = {}
        pairs: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
        for a, b, count in zip(shared.row.tolist(), shared.col.tolist(), shared.data.tolist()):
            if count < self.settings.min_shared_tags:
                continue
            both = frozenset(specific[a] & specific[b])
            if both not in carriers:
                carriers[both] = len(set.intersection(*(holders[tag] for tag in both)))
            if carriers[both] > MAX_TAG_CARRIERS:
                continue  # a whole cluster carries these tags: they say nothing about this pair
            first, second = sorted((paths[a], paths[b]))
            pairs[(first, second)] = (len(both) / len(specific[a] | specific[b]), tuple(sorted(both)))
        return pairs

    def unlinked(self, documents: dict[str, Document], relations: dict[str, set[str | None]],
                 graph: LinkGraph) -> Iterator[Finding]:
        from odyssey.similarity import SimilarityIndex
        index = SimilarityIndex.from_project(self.project)
        is_candidate = self.candidate(documents)
        eligible = {path for path in documents if is_candidate(path)}.__contains__
        consolidate = self.duplicates.topical_threshold
        ranked: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for a, b, cosine in index.topical_pairs(self.settings.threshold, eligible=eligible,
                                                 spreads=TOPICAL_BACKGROUND_SPREADS):
            ranked[a].append((cosine, b))
            ranked[b].append((cosine, a))
        nearest = {path: {other for _c, other in sorted(found, key=lambda x: (-x[0], x[1]))[:MUTUAL_NEIGHBOURS]}
                   for path, found in ranked.items()}
        topical: dict[tuple[str, str], float] = {}
        for path, found in ranked.items():
            for cosine, other in found:
                a, b = min(path, other), max(path, other)
                if (a, b) in topical or b not in nearest[a] or a not in nearest[b]:
                    continue  # not each other's nearest: one page of a family of similar pages
                if cosine >= consolidate and index.shingle_similarity(a, b) < MAX_TOPICAL_SHINGLE_SIMILARITY:
                    continue  # a consolidation candidate: DUP005's
                topical[(a, b)] = cosine
        # Shared tags count when the texts agree: two robust deviations above what each document scores with
        # unrelated ones.
        tagged = {}
        candidates = {pair: found for pair, found in self.tag_pairs(documents, eligible).items()
                      if pair[0] in index.position and pair[1] in index.position}
        for (pair, found), cosine in zip(candidates.items(), index.cosines(list(candidates)).tolist()):
            if cosine < max(index.background_bar(path, TAG_AGREEMENT_SPREADS) for path in pair):
                continue
            if cosine >= consolidate and index.shingle_similarity(*pair) < MAX_TOPICAL_SHINGLE_SIMILARITY:
                continue  # a consolidation candidate: DUP005's
            tagged[pair] = found
        successors: dict[str, set[str]] = {}

        def linked(a: str, b: str) -> bool:
            for source, target in ((a, b), (b, a)):
                if target in relations.get(source, set()):
                    return True
                if source not in successors:
                    successors[source] = set(graph.successors(source))
                if target in successors[source]:
                    return True
            return False

        strength = dict(topical)
        for pair, (jaccard, _shared) in tagged.items():
            strength[pair] = max(strength.get(pair, 0.0), jaccard)
        suggested: dict[str, int] = defaultdict(int)
        for (a, b), _value in sorted(strength.items(), key=lambda item: (-item[1], item[0])):
            if linked(a, b):
                continue
            if a in index.position and b in index.position and \
                    index.shingle_similarity(a, b) >= self.duplicates.threshold:
                continue  # a copy: DUP001/DUP003
            if suggested[a] >= self.settings.max_suggestions or suggested[b] >= self.settings.max_suggestions:
                continue
            suggested[a] += 1
            suggested[b] += 1
            reasons = []
            if (a, b) in topical:
                terms = index.shared_terms([a, b], 5)
                listed = f"; shared key terms: {', '.join(terms)}" if terms else ""
                reasons.append(f"are about the same subject (TF-IDF cosine {topical[(a, b)]:.2f}{listed})")
            if (a, b) in tagged:
                reasons.append(f"share the tags {', '.join(tagged[(a, b)][1])}")
            line = min((documents[a].frontmatter.key_lines[k] for k in self.settings.related_keys
                        if k in documents[a].frontmatter.key_lines), default=1)
            message = (f"this document and {b} {' and '.join(reasons)}, but neither links the other; link them "
                       f"both ways (a link in the text, or a '{self.settings.related_keys[0]}:' entry in each)")
            yield self.finding(XRF001, a, line, 1, message)


CHECKS = (XrefCheck,)
