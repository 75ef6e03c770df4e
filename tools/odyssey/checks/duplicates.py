"""duplicates (DUP): the same text in two places, and documents that say the same thing in different words.

Agent-written repositories say everything twice: a session summary at the root and another in notes/, the README's
installation section pasted into the docs, a guide copied and lightly edited, the same paragraph in every agent file.
Each copy drifts on its own. This family finds them, with the text model and measures of ``odyssey.similarity``
(normalized words; fenced code, frontmatter and license text left out unless configured):

- DUP001 identical documents (the same words, whatever the whitespace, case or markup);
- DUP002 identical passages: a run of paragraphs, lists or tables (a section, often) found word for word in another
  document, at least ``min-words`` long;
- DUP003 near-duplicate documents and DUP004 near-duplicate sections: shingle Jaccard >= ``threshold`` (candidates
  from MinHash/LSH, verified exactly);
- DUP005 topical overlap: documents about the same subject in different words (TF-IDF cosine >= ``topical-threshold``
  and above both documents' background, shingle similarity under 0.15, and ``topical-margin`` times closer to each
  other than to any other document), one finding per group, with the key terms they share;
- DUP006 template scaffolds: ``scaffold-min-files`` or more documents with the same headings and placeholder bodies
  ("TODO"), one finding for the lot instead of a pair for every two of them;
- DUP007 boilerplate: a passage (or near-identical section) repeated in ``boilerplate-min-files`` or more documents,
  one finding naming them all and suggesting one shared file.

Each finding sits on the copy to drop, names the other location (file and lines) and the copy to keep: the one the
placement rules put where it is (the other is misplaced), else the most linked (link graph; a root document such as
README.md, where every reader starts, counts as the most linked), else the oldest by git history (one ``git log`` for
the whole repository, only when needed), else the first by name. Exact matches win over near ones and whole files
over their sections: a pair reported at one level is not reported again below it; boilerplate is found before the
documents are compared, and left out of the comparison (agents that share a "Reporting back" section are not copies
of each other for it). Template files (a ``templates/`` directory or ``template`` in the name) and ``exclude`` globs
never get findings; templates are named as the source of scaffolds and boilerplate.

Cost: about linear in the size of the repository (the sorts of LSH band keys aside). Measured by
``benchmarks/odyssey_duplicates.py`` on the shared 2-core machine: at 20,000 documents this check takes 6.6 s and xref
0.9 s after parsing, and ``odyssey check --select DUP,XRF`` 20 s end to end, parsing (14 s) included. A
whole-repository check (ProjectCheck): it needs every document.
"""

from __future__ import annotations

import datetime
import logging
import math
import posixpath
import re
import subprocess
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from odyssey.checks.base import ProjectCheck
from odyssey.config import Config
from odyssey.findings import Finding, Fix, Severity
from odyssey.globs import any_match, compile_glob
from odyssey.kinds import PlacementRules
from odyssey.linkgraph import link_graph
from odyssey.project import Project
from odyssey.rules import Rule

if TYPE_CHECKING:
    from odyssey.similarity import DocumentText, Passage, Section, SimilarityIndex, SimilarPair, Span

# numpy, scipy and the similarity index are imported where they are used: every `odyssey check` imports this module
# for its rules, and a pre-commit run of the file-local families should not pay for them.

logger = logging.getLogger(__name__)

SECTION = "duplicates"
MAX_NAMED = 4  # files named in one message before "and N more"
MIN_IDENTICAL_WORDS = 10  # two documents of fewer words are not worth a duplicate finding
HISTORY_STATUSES = frozenset({"superseded", "archived", "deprecated", "obsolete"})
DIRECTORY_PAGES = frozenset({"readme.md", "index.md", "readme.markdown", "index.markdown"})
TEMPLATE_DIRS = frozenset({"template", "templates", "_templates", ".templates"})
GIT_TIMEOUT = 60
ENTRY_POINT_LINKS = 1 << 30  # a root document (README.md, ...) outranks any number of links
# "In different words": pairs sharing more shingles than this are copies, partial copies or template siblings
# (npm-start.md / npm-test.md), which the shingle rules judge; a paraphrase shares almost none.
MAX_TOPICAL_SHINGLE_SIMILARITY = 0.15
DEFAULT_EXCLUDE = ("CHANGELOG*", "changelog*", "CHANGES*", "HISTORY*", "changelogs/", "changelog/")

_FIX_SAFETY = """
    ## Fix safety
    No automatic fix: which copy's wording survives, and where the links should point, is a human decision.
"""

DUP001 = Rule(
    code="DUP001",
    name="identical-documents",
    family="duplicates",
    summary="Two documents hold the same text (up to whitespace, case and markup)",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports documents whose text is identical to another document's once whitespace, letter case and Markdown
    markup are normalized away (fenced code, frontmatter and license text are left out unless configured). The
    finding sits on the copy to delete and names the one to keep: the one where the placement rules put it, else
    the most linked, else the oldest in git history, else the first by name.

    ## Why is this bad?
    Agents copy a report into `notes/` and leave the original at the root, or paste the README into the docs. From
    then on every fix lands in one copy and the other one lies.

    ## Example
    `SESSION_SUMMARY.md` at the root and `notes/session-summary.md` with the same text.

    ## Use instead
    Keep `notes/session-summary.md`, delete the root copy and point its links to the note.

    ## Options
    - `duplicates.include-code`, `duplicates.include-frontmatter`, `duplicates.include-license`: compare those too.
    - `duplicates.exclude`: globs of documents never compared.

    ## Fix safety
    The `delete` fix is unsafe (only with `--dedupe`): links to the deleted copy must be repointed.
    """,
)
DUP002 = Rule(
    code="DUP002",
    name="duplicate-passage",
    family="duplicates",
    summary="A section or run of paragraphs appears word for word in another document",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Finds paragraphs, lists and tables that appear word for word (normalized) in another document, and reports each
    run of consecutive repeated passages of at least `min-words` words, with its line range here and there. A run
    that is a whole section is named by its heading. Text repeated in `boilerplate-min-files` or more documents is
    boilerplate (DUP007), not reported here.

    ## Why is this bad?
    The installation steps pasted from the README into a guide, the same explanation in a note and a docs page:
    when one copy is corrected, the other keeps the old, wrong version.

    ## Example
    ```markdown
    <!-- docs/getting-started.md -->
    ## Installation

    Create a virtual environment with Python 3.11, install the package in editable mode with the dev extras,
    and run the test suite once to check that the datasets are found ...
    ```
    and the same section in `README.md`.

    ## Use instead
    ```markdown
    <!-- docs/getting-started.md -->
    ## Installation

    Follow the [installation steps in the README](../README.md#installation).
    ```

    ## Options
    - `duplicates.min-words`: shortest run reported (default 30 words).
    - `duplicates.boilerplate-min-files`: from how many documents on a passage is boilerplate (default 3).
    """ + _FIX_SAFETY,
)
DUP003 = Rule(
    code="DUP003",
    name="near-duplicate-document",
    family="duplicates",
    summary="A document is a lightly edited copy of another",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Compares documents by their word 5-grams (shingles) and reports pairs whose Jaccard similarity is at least
    `threshold` (default 0.7) without being identical: a copy with a new title, a few sentences changed, a
    paragraph added. Candidates come from MinHash signatures and LSH, so the cost grows with the number of documents,
    not pairs; the similarity reported is the exact one. Documents of fewer than `min-words` words are not compared,
    and boilerplate they share (DUP007) is left out of the comparison.

    ## Why is this bad?
    Two versions of one guide, each fixed in different places: the reader cannot tell which is current.

    ## Example
    `docs/guides/training.md`, and `notes/lenet5-training-guide.md` that an agent copied from it and edited.

    ## Use instead
    Merge what the copy added into the document to keep, delete the copy, and repoint its links.

    ## Options
    - `duplicates.threshold`: shingle Jaccard similarity from which documents and sections are near duplicates.
    - `duplicates.shingle-size`: words per shingle (default 5).
    - `duplicates.min-words`: documents and sections shorter than this are not compared.
    """ + _FIX_SAFETY,
)
DUP004 = Rule(
    code="DUP004",
    name="near-duplicate-section",
    family="duplicates",
    summary="A section is a lightly edited copy of a section of another document",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    The same comparison as DUP003 for leaf sections (a heading up to the next heading of any level) of different
    documents whose body has at least `min-words` words. Sections of documents already reported as identical or
    near duplicates, and sections already reported word for word (DUP002), are not reported again; a section with
    near-identical copies in `boilerplate-min-files` or more documents is boilerplate (DUP007).

    ## Why is this bad?
    A troubleshooting section copied from the training guide into a note and edited there: two answers to one
    question, drifting apart.

    ## Example
    `## Debugging a NaN loss` in `docs/guides/training.md`, and `## When the loss becomes NaN` in
    `notes/nan-loss.md` with the same steps slightly reworded.

    ## Use instead
    Keep the section in one place and link to it from the other.

    ## Options
    - `duplicates.threshold`, `duplicates.min-words`, `duplicates.shingle-size`.
    """ + _FIX_SAFETY,
)
DUP005 = Rule(
    code="DUP005",
    name="topical-overlap",
    family="duplicates",
    summary="Documents cover the same subject in different words (consolidation candidates)",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Finds groups of documents about the same subject in different words: the TF-IDF cosine of their words (stop
    words dropped, words stemmed) is at least `topical-threshold` and two robust deviations above what either
    scores with unrelated documents of this repository; they share few word 5-grams (shingle similarity under
    0.15: more is a copy, or siblings generated from one template); and they stand out: each member is
    `topical-margin` times as similar to its group as to any other document. A paraphrase has one obvious
    counterpart; a page in a family of related pages (one per command, one per rule) has several, and is left
    alone. One finding per group, on the document suggested to keep, naming the others and the key terms they share.
    Agent definitions, README/index pages, superseded or archived notes and scaffolds are left out; documents
    already reported as copies are not reported again.

    ## Why is this bad?
    Each agent session writes its own summary of the same investigation, in its own words; copy detection cannot
    see it. Readers find three partial, contradicting accounts of one subject.

    ## Example
    `notes/2024-05-training-speed.md` and `docs/performance/why-training-is-slow.md`, both about the im2col
    convolution, float64 casts and BLAS threads, written in different sessions.

    ## Use instead
    One document per subject: merge the others into it, delete them, and repoint their links.

    ## Options
    - `duplicates.topical-threshold`: TF-IDF cosine from which documents are about the same subject (default 0.4).
    - `duplicates.topical-margin`: how much more similar to each other than to anything else (default 1.5).
    """ + _FIX_SAFETY,
)
DUP006 = Rule(
    code="DUP006",
    name="template-scaffolds",
    family="duplicates",
    summary="Several documents are unfilled copies of one template",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Recognizes documents generated from one template and never filled in: the same headings, and at least half of
    the sections (at least two) holding nothing or only a placeholder ("TODO", "TBD", "Coming soon"). When
    `scaffold-min-files` or more share their headings, one finding (on the first by name) names them all, and the
    template when the repository has it. They are not reported as duplicates of each other.

    ## Why is this bad?
    An agent asked for "API docs" generates a page per module from one template and moves on; the site fills up
    with pages that all say "TODO" under the same headings.

    ## Example
    ```markdown
    # conv2d

    ## Overview

    TODO

    ## Usage

    TODO
    ```
    and the same page for `maxpool`, `linear`, `relu` ...

    ## Use instead
    Write the pages, or delete them until there is something to say: an empty page costs a reader a click.

    ## Options
    - `duplicates.scaffold-min-files`: how many such documents make a finding (default 3).
    """,
)
DUP007 = Rule(
    code="DUP007",
    name="repeated-boilerplate",
    family="duplicates",
    summary="A passage is repeated in many documents (boilerplate to share)",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports text repeated in `boilerplate-min-files` or more documents: passages word for word (at least `min-words`
    words together) and sections with near-identical copies. One finding per boilerplate, on the first document by
    name, naming the others (and the template it comes from, when a template file holds it). Shared structure alone
    (the same headings with different text under them) is not boilerplate.

    ## Why is this bad?
    Every agent file carries the same "how to report back" paragraph; changing the procedure means editing twenty
    files, and some always get missed.

    ## Example
    `agents/data-engineer.md`, `agents/model-engineer.md` and `agents/test-engineer.md` each end with the same
    three paragraphs under `## Reporting`.

    ## Use instead
    Keep the text in one file (`agents/guides/reporting.md`) and link to it from each agent, or include it with a
    snippet include where the site renders one (`--8<-- "agents/guides/reporting.md"`).

    ## Options
    - `duplicates.boilerplate-min-files` (default 3), `duplicates.min-words`.
    """ + _FIX_SAFETY,
)


@dataclass(frozen=True)
class DuplicateSettings:
    """``[tool.odyssey.duplicates]``; the text options (include-*) and shingle size are read by the index itself."""

    threshold: float = 0.7
    min_words: int = 30
    topical_threshold: float = 0.4
    topical_margin: float = 1.5
    boilerplate_min_files: int = 3
    scaffold_min_files: int = 3
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE

    @classmethod
    def from_config(cls, config: Config) -> DuplicateSettings:
        section = config.extra_section(SECTION)
        return cls(
            threshold=float(section.get("threshold", cls.threshold)),
            min_words=int(section.get("min-words", cls.min_words)),
            topical_threshold=float(section.get("topical-threshold", cls.topical_threshold)),
            topical_margin=float(section.get("topical-margin", cls.topical_margin)),
            boilerplate_min_files=int(section.get("boilerplate-min-files", cls.boilerplate_min_files)),
            scaffold_min_files=int(section.get("scaffold-min-files", cls.scaffold_min_files)),
            exclude=tuple(section.get("exclude", DEFAULT_EXCLUDE)),
        )


# -- helpers shared with xref -------------------------------------------------------------------------------------
def is_template(path: str) -> bool:
    """A template file: under a ``templates/`` (or ``template/``) directory, or with "template" in its name."""
    parts = path.lower().split("/")
    return any(part in TEMPLATE_DIRS for part in parts[:-1]) or "template" in parts[-1]


def glob_matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """``any_match(path, patterns)`` as one compiled regex: it is asked for every document and every pair."""
    if not patterns:
        return lambda path: False
    combined = re.compile("|".join(f"(?:{compile_glob(pattern).pattern})" for pattern in patterns))
    return lambda path: combined.match(path) is not None


def is_directory_page(path: str) -> bool:
    return posixpath.basename(path).lower() in DIRECTORY_PAGES


def is_history(meta: dict[str, Any]) -> bool:
    """A note kept as a record of the past (superseded, archived): not a live duplicate of its successor."""
    status = meta.get("status")
    return bool(meta.get("superseded_by")) or (isinstance(status, str) and status.strip().lower() in HISTORY_STATUSES)


def named(paths: Sequence[str], limit: int = MAX_NAMED) -> str:
    """'a.md, b.md and c.md' / 'a.md, b.md, c.md, d.md and 3 more'."""
    paths = list(paths)
    if len(paths) <= 1:
        return "".join(paths)
    if len(paths) <= limit:
        return f"{', '.join(paths[:-1])} and {paths[-1]}"
    return f"{', '.join(paths[:limit])} and {len(paths) - limit} more"


def git_first_added(root: Path) -> dict[str, int]:
    """Commit time (Unix seconds) at which each Markdown file was first added, from one ``git log`` over the whole
    history; {} outside git or when git fails. Paths are relative to ``root`` (``--relative``)."""
    argv = ["git", "-c", "core.quotepath=off", "log", "--diff-filter=A", "--name-only", "--no-renames",
            "--format=%x00%ct", "-z", "--relative", "--", "*.md", "*.markdown", "*.MD"]
    try:
        output = subprocess.run(argv, cwd=root, capture_output=True, check=True, timeout=GIT_TIMEOUT).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        logger.debug("no git history for %s: %s", root, exc)
        return {}
    added: dict[str, int] = {}
    when: int | None = None
    expect_time = False
    for token in output.decode("utf-8", "surrogateescape").split("\0"):
        token = token.lstrip("\n")
        if expect_time:
            expect_time = False
            when = int(token) if token.isdigit() else None
        elif not token:
            expect_time = True
        elif when is not None:
            added[token] = min(added.get(token, when), when)
    return added


class CanonicalChooser:
    """Which of several copies to keep: placement, then incoming links, then age in git, then name."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.placement = PlacementRules(project.config)
        self._misplaced: dict[str, bool] = {}
        self._ages: dict[str, int] | None = None
        roots = ["/" + pattern.lstrip("/") for pattern in project.config.orphan_roots]
        self.entry_points = {path for path in project.files.markdown if any_match(path, roots)}

    def misplaced(self, path: str) -> bool:
        found = self._misplaced.get(path)
        if found is None:
            document = self.project.document(path)
            found = self.placement.misplacement(path, document.meta, document.frontmatter.key_lines) is not None
            self._misplaced[path] = found
        return found

    def links(self, path: str) -> int:
        """Files linking to ``path``; a root document (``orphans.roots``) counts as linked from everywhere."""
        if path in self.entry_points:
            return ENTRY_POINT_LINKS
        return len(link_graph(self.project).linkers(path))

    def ages(self) -> dict[str, int]:
        if self._ages is None:
            self._ages = git_first_added(self.project.root)
        return self._ages

    def _key(self, path: str) -> tuple[bool, int]:
        return self.misplaced(path), -self.links(path)

    def order(self, paths: Iterable[str]) -> list[str]:
        """``paths`` best first (the copy to keep first)."""
        ordered = sorted(set(paths), key=lambda p: (*self._key(p), p))
        if len(ordered) > 1 and self._key(ordered[0]) == self._key(ordered[1]):
            ages = self.ages()
            ordered.sort(key=lambda p: (*self._key(p), ages.get(p, math.inf), p))
        return ordered

    def reason(self, kept: str, others: Sequence[str]) -> str:
        """Why ``kept`` is the copy to keep, for messages."""
        if not self.misplaced(kept) and any(self.misplaced(o) for o in others):
            return "it is where the placement rules put it"
        links = self.links(kept)
        if kept in self.entry_points and not any(o in self.entry_points for o in others):
            return "a root document: readers start there"
        if links > max((self.links(o) for o in others), default=0):
            return f"the most linked: {links} file{'s link' if links != 1 else ' links'} to it"
        ages = self._ages or {}
        if kept in ages and all(ages.get(o, math.inf) > ages[kept] for o in others):
            day = datetime.datetime.fromtimestamp(ages[kept], datetime.timezone.utc).date().isoformat()
            return f"the oldest: in git since {day}"
        return "the first by name"


def section_line_range(section: Section) -> str:
    return f"{section.line}-{section.end_line}" if section.end_line > section.line else str(section.line)


# -- the check ------------------------------------------------------------------------------------------------------
@dataclass
class _Run:
    """What one run has reported so far, so that a pair is reported once, at its highest level."""

    file_pairs: set[frozenset[str]] = field(default_factory=set)  # reported as identical or near-duplicate files
    exact_sections: set[tuple[Section, str]] = field(default_factory=set)  # (section, other path) of DUP002 runs
    boilerplate_sections: set[Section] = field(default_factory=set)  # (mostly) boilerplate, reported by DUP007
    scaffolds: set[str] = field(default_factory=set)


class DuplicatesCheck(ProjectCheck):
    family = "duplicates"
    summary = "The same text in two places: identical or near-duplicate documents and sections, topical overlap, " \
              "template scaffolds, boilerplate"
    rules = (DUP001, DUP002, DUP003, DUP004, DUP005, DUP006, DUP007)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.settings = DuplicateSettings.from_config(self.config)
        self.canonical = CanonicalChooser(project)
        self.run = _Run()
        self.index: SimilarityIndex | None = None
        self.passage_texts: list[DocumentText] = []
        self.occurrences: dict[tuple[str, ...], dict[int, int]] = {}
        self.boilerplate_keys: dict[frozenset[int], list[tuple[str, ...]]] = defaultdict(list)
        self.pair_matches: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        self.remaining_section_pairs: list[SimilarPair] = []
        self.template_passages: dict[tuple[str, ...], str] | None = None
        self._compared: dict[str, bool] = {}
        self.excluded = glob_matcher(self.settings.exclude)

    def check_project(self) -> Iterator[Finding]:
        from odyssey.similarity import BACKGROUND_SPREADS, SimilarityIndex
        self.index = SimilarityIndex.from_project(self.project)
        self.index.warm_topical([(self.settings.topical_threshold, BACKGROUND_SPREADS)])
        yield from self.scaffolds()
        yield from self.identical_documents()
        self.collect_passages()
        yield from self.verbatim_boilerplate()
        yield from self.near_boilerplate(self.section_pairs())
        yield from self.near_duplicate_documents()
        yield from self.duplicate_passages()
        yield from self.near_duplicate_sections()
        yield from self.topical_overlap()

    # -- eligibility -----------------------------------------------------------------------------------------
    def compared(self, path: str) -> bool:
        """Takes part in every comparison: not excluded, not a template (memoized: asked for every pair)."""
        found = self._compared.get(path)
        if found is None:
            found = self._compared[path] = not is_template(path) and not self.excluded(path)
        return found

    def texts(self) -> list[DocumentText]:
        assert self.index is not None
        return [text for text in self.index.texts if self.compared(text.path)]

    # -- DUP006 ----------------------------------------------------------------------------------------------
    @staticmethod
    def headed_sections(text: DocumentText) -> list[Section]:
        """The sections under a heading, the title (a first level-1 heading) left out."""
        headed = [s for s in text.sections if s.level > 0]
        return headed[1:] if headed and headed[0].level == 1 else headed

    def skeleton(self, text: DocumentText) -> tuple[tuple[tuple[int, str], ...], int, int] | None:
        """(headings, placeholder sections, sections) of a scaffold: >= 2 headed sections below the title, at least
        half of them (and two) empty or placeholders. None for a document that is not one."""
        from odyssey.similarity import words
        headed = self.headed_sections(text)
        placeholders = sum(1 for s in headed if s.placeholder)
        if len(headed) < 2 or placeholders < 2 or 2 * placeholders < len(headed):
            return None
        return tuple((s.level, " ".join(words(s.heading or ""))) for s in headed), placeholders, len(headed)

    def scaffolds(self) -> Iterator[Finding]:
        assert self.index is not None
        groups: dict[tuple[tuple[int, str], ...], list[tuple[str, int, int]]] = defaultdict(list)
        templates: dict[tuple[tuple[int, str], ...], str] = {}
        for text in self.index.texts:
            if self.excluded(text.path):
                continue
            shape = self.skeleton(text)
            if shape is None:
                continue
            if is_template(text.path):
                templates.setdefault(shape[0], text.path)
            else:
                groups[shape[0]].append((text.path, shape[1], shape[2]))
        for headings, members in sorted(groups.items(), key=lambda item: min(item[1])[0]):
            if len(members) < self.settings.scaffold_min_files:
                continue
            members.sort()
            paths = [path for path, _p, _s in members]
            self.run.scaffolds.update(paths)
            first = self.index.text(paths[0])
            assert first is not None
            sections = self.headed_sections(first)
            line = next((s.line for s in sections if s.placeholder), 1)
            titles = ", ".join(f"'{s.heading}'" for s in sections[:5]) + (", ..." if len(sections) > 5 else "")
            template = templates.get(headings)
            source = f"the template {template}" if template else "one template"
            empty = min(p for _path, p, _s in members)
            message = (
                f"{len(paths)} documents are unfilled copies of {source} (headings {titles}; at least {empty} of "
                f"{members[0][2]} sections empty or placeholders): {named(paths, 6)}; write them, or delete them "
                "until there is something to say"
            )
            yield self.finding(DUP006, paths[0], line, 1, message)

    # -- DUP001 ----------------------------------------------------------------------------------------------
    def identical_documents(self) -> Iterator[Finding]:
        by_text: dict[tuple[tuple[str, ...], ...], list[str]] = defaultdict(list)
        for text in self.texts():
            if text.path in self.run.scaffolds or text.word_count < MIN_IDENTICAL_WORDS:
                continue
            by_text[tuple(passage.words for passage in text.passages)].append(text.path)
        for paths in by_text.values():
            if len(paths) < 2:
                continue
            ordered = self.canonical.order(paths)
            kept, copies = ordered[0], ordered[1:]
            reason = self.canonical.reason(kept, copies)
            for path in ordered:
                for other in ordered:
                    if other != path:
                        self.run.file_pairs.add(frozenset((path, other)))
            for copy in copies:
                same_bytes = self.project.document(copy).text == self.project.document(kept).text
                how = "byte for byte" if same_bytes else "up to whitespace, case and markup"
                others = [p for p in ordered if p != copy]
                message = (f"same text as {named(others)} ({how}); keep {kept} ({reason}), delete this copy and "
                           "point its links there")
                fix = Fix("delete", f"delete {copy}; {kept} has the same text", safe=False, destination=kept)
                yield self.finding(DUP001, copy, 1, 1, message, fix=fix)

    # -- DUP007 (word for word) and DUP002 ---------------------------------------------------------------------
    def collect_passages(self) -> None:
        """Passages (paragraphs, tight lists, tables, HTML; code when included) found in several documents: those in
        ``boilerplate-min-files`` or more are boilerplate, grouped by the documents holding them; the others are
        matches between two documents."""
        import numpy as np

        from odyssey.similarity import SEED_MIN_WORDS
        texts = [t for t in self.texts() if t.path not in self.run.scaffolds]
        passages = [t.passages for t in texts]
        seeds: list[tuple[int, int, int]] = []  # (hash, text, passage)
        for t, items in enumerate(passages):
            for p, passage in enumerate(items):
                if passage.kind != "heading" and len(passage.words) >= SEED_MIN_WORDS and not passage.placeholder:
                    seeds.append((hash(passage.words), t, p))
        self.passage_texts = texts
        if not seeds:
            return
        hashes = np.fromiter((h for h, _t, _p in seeds), dtype=np.int64, count=len(seeds))
        values, counts = np.unique(hashes, return_counts=True)
        repeated = set(values[counts > 1].tolist())
        occurrences: dict[tuple[str, ...], dict[int, int]] = defaultdict(dict)  # words -> text -> first passage
        for h, t, p in seeds:
            if h in repeated:
                occurrences[passages[t][p].words].setdefault(t, p)
        for key, where in occurrences.items():
            if len(where) < 2:
                continue
            if len(where) >= self.settings.boilerplate_min_files:
                self.boilerplate_keys[frozenset(where)].append(key)
                continue
            holders = sorted(where)
            for i, a in enumerate(holders):
                for b in holders[i + 1 :]:
                    self.pair_matches[(a, b)].append((where[a], where[b]))
        self.occurrences = occurrences

    def verbatim_boilerplate(self) -> Iterator[Finding]:
        texts = self.passage_texts
        for holders, keys in sorted(self.boilerplate_keys.items(),
                                    key=lambda item: sorted(texts[t].path for t in item[0])):
            members = [texts[t] for t in sorted(holders)]
            first = members[0]
            items = first.passages
            number = min(holders)
            runs = self.runs(first, sorted(self.occurrences[key][number] for key in keys))
            paths = [text.path for text in members]
            sections = self.section_of(first)
            for run in runs:
                mine = [items[p] for p in run]
                count = sum(len(p.words) for p in mine)
                if count < self.settings.min_words:
                    continue
                wanted = {p.words for p in mine}
                for text in members:
                    for section in text.sections:
                        body = sum(len(p.words) for p in section.body)
                        shared = sum(len(p.words) for p in section.body if p.words in wanted)
                        if body and 2 * shared >= body:
                            self.run.boilerplate_sections.add(section)
                start, end = self.extent(mine, sections)
                what = self.describe(mine, sections, start, end, count)
                message = (f"{what} is repeated word for word in {len(paths)} documents: "
                           f"{named(paths)}{self.template_note(wanted)}; keep it in one shared file and link to it "
                           "from each (or use a snippet include), so that it changes in one place")
                yield self.finding(DUP007, first.path, start, 1, message, end_line=end)

    def duplicate_passages(self) -> Iterator[Finding]:
        texts = self.passage_texts
        for (a, b), matches in sorted(self.pair_matches.items(),
                                      key=lambda i: (texts[i[0][0]].path, texts[i[0][1]].path)):
            first, second = texts[a], texts[b]
            if frozenset((first.path, second.path)) in self.run.file_pairs:
                continue
            ordered = self.canonical.order([first.path, second.path])
            if ordered[0] == first.path:
                kept, copy, pairs = first, second, [(q, p) for p, q in matches]
            else:
                kept, copy, pairs = second, first, matches
            yield from self.passage_runs(copy, kept, sorted(pairs), self.canonical.reason(kept.path, [copy.path]))

    @staticmethod
    def section_of(text: DocumentText) -> dict[int, Section]:
        return {id(passage): section for section in text.sections for passage in section.passages}

    @staticmethod
    def runs(text: DocumentText, indexes: list[int]) -> list[list[int]]:
        """Sorted passage indexes of ``text`` -> runs with no other passage of seed size between members."""
        import numpy as np

        from odyssey.similarity import SEED_MIN_WORDS
        is_seed = [p.kind != "heading" and len(p.words) >= SEED_MIN_WORDS for p in text.passages]
        seeds_before = np.concatenate([[0], np.cumsum(is_seed)])
        runs: list[list[int]] = []
        for index in indexes:
            if runs and seeds_before[index] - seeds_before[runs[-1][-1] + 1] == 0:
                runs[-1].append(index)
            else:
                runs.append([index])
        return runs

    def passage_runs(self, copy: DocumentText, kept: DocumentText, matches: list[tuple[int, int]],
                     reason: str) -> Iterator[Finding]:
        """Runs of consecutive repeated passages of ``copy`` (no unrepeated passage of seed size between them)."""
        items, other_items = copy.passages, kept.passages
        partner = dict(matches)
        sections, other_sections = self.section_of(copy), self.section_of(kept)
        for run in self.runs(copy, [p for p, _q in matches]):
            mine = [items[p] for p in run]
            theirs = sorted((other_items[partner[p]] for p in run), key=lambda passage: passage.line)
            if all(sections[id(p)] in self.run.boilerplate_sections for p in mine):
                continue
            count = sum(len(p.words) for p in mine)
            if count < self.settings.min_words:
                continue
            for passage in mine:
                self.run.exact_sections.add((sections[id(passage)], kept.path))
            for passage in theirs:
                self.run.exact_sections.add((other_sections[id(passage)], copy.path))
            start, end = self.extent(mine, sections)
            other_start, other_end = self.extent(theirs, other_sections)
            what = self.describe(mine, sections, start, end, count)
            there = f"{kept.path}:{other_start}" + (f"-{other_end}" if other_end > other_start else "")
            message = (f"{what} repeat {there} word for word; keep the text in {kept.path} ({reason}) and link to it "
                       "from here")
            yield self.finding(DUP002, copy.path, start, 1, message, end_line=end)

    @staticmethod
    def whole_section(passages: list[Passage], sections: dict[int, Section]) -> Section | None:
        """The section whose whole body the run is, if it is one."""
        from odyssey.similarity import SEED_MIN_WORDS
        section = sections[id(passages[0])]
        if section.level and all(sections[id(p)] is section for p in passages) and len(passages) == len(
            [p for p in section.body if len(p.words) >= SEED_MIN_WORDS]
        ):
            return section
        return None

    def extent(self, passages: list[Passage], sections: dict[int, Section]) -> tuple[int, int]:
        """Line range of a run, from its section's heading when the run is that whole section's body."""
        whole = self.whole_section(passages, sections)
        return (whole.line if whole else passages[0].line), passages[-1].end_line

    def describe(self, passages: list[Passage], sections: dict[int, Section], start: int, end: int,
                 count: int) -> str:
        """'section 'Setup' (lines 4-20, 85 words)' or 'lines 4-20 (85 words, in section 'Setup')'."""
        lines = f"lines {start}-{end}" if end > start else f"line {start}"
        whole = self.whole_section(passages, sections)
        if whole is not None:
            return f"{whole.label} ({lines}, {count} words)"
        owners = list(dict.fromkeys(sections[id(p)] for p in passages))
        where = f", in {owners[0].label}" if len(owners) == 1 and owners[0].level else ""
        return f"{lines} ({count} words{where})"

    def template_note(self, wanted: set[tuple[str, ...]]) -> str:
        """'; it comes from the template X' when a template holds the text."""
        assert self.index is not None
        if self.template_passages is None:
            self.template_passages = {}
            for text in self.index.texts:
                if is_template(text.path):
                    for passage in text.passages:
                        self.template_passages.setdefault(passage.words, text.path)
        found = sorted({self.template_passages[key] for key in wanted if key in self.template_passages})
        return f"; it comes from the template {named(found)}" if found else ""

    # -- DUP007 (near) and DUP004 ----------------------------------------------------------------------------
    def section_pairs(self) -> list[SimilarPair]:
        """Near-duplicate sections of two documents not already identical, placeholders of scaffolds left out."""
        assert self.index is not None
        scaffolds = self.run.scaffolds
        pairs = []
        for pair in self.index.near_duplicates("section", self.settings.threshold, self.settings.min_words,
                                               eligible=self.compared):
            a, b = pair.first, pair.second
            assert a.section is not None and b.section is not None
            if frozenset((a.path, b.path)) in self.run.file_pairs:
                continue
            if a.section in self.run.boilerplate_sections or b.section in self.run.boilerplate_sections:
                continue  # already reported as verbatim boilerplate
            if (a.path in scaffolds and a.section.placeholder) or (b.path in scaffolds and b.section.placeholder):
                continue
            pairs.append(pair)
        return pairs

    @staticmethod
    def clusters(pairs: list[SimilarPair]) -> list[tuple[list[Span], dict[tuple[Span, Span], float]]]:
        """Connected groups of near-duplicate spans, each with the similarities of its pairs (both orders)."""
        from odyssey.similarity import union_find_groups
        spans = sorted({pair.first for pair in pairs} | {pair.second for pair in pairs},
                       key=lambda s: (s.path, s.line))
        number = {span: n for n, span in enumerate(spans)}
        similarity: dict[tuple[Span, Span], float] = {}
        for pair in pairs:
            similarity[(pair.first, pair.second)] = similarity[(pair.second, pair.first)] = pair.similarity
        groups = union_find_groups(((number[p.first], number[p.second]) for p in pairs), len(spans))
        return [([spans[m] for m in members], similarity) for members in groups]

    def copies(self, pairs: list[SimilarPair], tiebreak: Callable[[Span], Any]
               ) -> Iterator[tuple[Span, Span, float, str, str]]:
        """(copy, its closest partner, their similarity, the kept document, why it is kept) for every span of a
        near-duplicate cluster outside the document to keep; the partner is the kept copy when it is one."""
        for members, similarity in self.clusters(pairs):
            ordered = self.canonical.order({span.path for span in members})
            kept = ordered[0]
            reason = self.canonical.reason(kept, ordered[1:])
            for span in members:
                if span.path == kept:
                    continue
                partners = [other for other in members if (span, other) in similarity]
                other = max(partners, key=lambda o: (o.path == kept, similarity[(span, o)], tiebreak(o)))
                yield span, other, similarity[(span, other)], kept, reason

    def near_boilerplate(self, pairs: list[SimilarPair]) -> Iterator[Finding]:
        """Sections with near-identical copies in ``boilerplate-min-files`` documents; keeps the other pairs."""
        boilerplate: set[Span] = set()
        for members, similarity in self.clusters(pairs):
            paths = list(dict.fromkeys(span.path for span in members))
            if len(paths) < self.settings.boilerplate_min_files:
                continue
            boilerplate.update(members)
            first = members[0]
            assert first.section is not None
            for span in members:
                assert span.section is not None
                self.run.boilerplate_sections.add(span.section)
            values = [similarity[(a, b)] for a in members for b in members if (a, b) in similarity]
            low, high = min(values), max(values)
            spread = f"{low:.2f}" if high - low < 0.005 else f"{low:.2f}-{high:.2f}"
            message = (f"{first.section.label} (lines {section_line_range(first.section)}) has near-identical copies "
                       f"(shingle similarity {spread}) in {len(paths)} documents: {named(paths)}; keep it in one "
                       "shared file and link to it from each (or use a snippet include), so that it changes in one "
                       "place")
            yield self.finding(DUP007, first.path, first.line, 1, message, end_line=first.end_line)
        self.remaining_section_pairs = [pair for pair in pairs
                                        if pair.first not in boilerplate and pair.second not in boilerplate]

    def near_duplicate_sections(self) -> Iterator[Finding]:
        exact = self.run.exact_sections
        boilerplate = self.run.boilerplate_sections
        pairs = []
        for pair in self.remaining_section_pairs:
            a, b = pair.first, pair.second
            if frozenset((a.path, b.path)) in self.run.file_pairs:
                continue
            if (a.section, b.path) in exact or (b.section, a.path) in exact:
                continue
            if a.section in boilerplate or b.section in boilerplate:
                continue
            pairs.append(pair)
        for span, other, value, kept, reason in self.copies(pairs, tiebreak=lambda o: -o.line):
            assert span.section is not None and other.section is not None
            message = (f"{span.section.label} (lines {section_line_range(span.section)}) is a near duplicate of "
                       f"{other.section.label} in {other.where} (shingle similarity {value:.2f}); keep it in "
                       f"{kept} ({reason}) and link to it from here")
            yield self.finding(DUP004, span.path, span.line, 1, message, end_line=span.end_line)

    # -- DUP003 ----------------------------------------------------------------------------------------------
    def near_duplicate_documents(self) -> Iterator[Finding]:
        """Near-duplicate documents, compared without their boilerplate sections (shared boilerplate alone does
        not make two agent files copies of each other)."""
        from odyssey.similarity import SimilarPair
        assert self.index is not None
        index = self.index
        scaffolds = self.run.scaffolds
        boilerplate = self.run.boilerplate_sections
        pairs = []
        for pair in index.near_duplicates("file", self.settings.threshold, self.settings.min_words,
                                          eligible=lambda p: self.compared(p) and p not in scaffolds):
            a, b = pair.first.path, pair.second.path
            if frozenset((a, b)) in self.run.file_pairs:
                continue
            first, second = index.text(a), index.text(b)
            assert first is not None and second is not None
            if any(s in boilerplate for s in first.sections) or any(s in boilerplate for s in second.sections):
                own = [s for s in first.sections if s not in boilerplate]
                other = [s for s in second.sections if s not in boilerplate]
                similarity = index.sections_similarity(own, other)
                if similarity < self.settings.threshold:
                    continue
                pair = SimilarPair(pair.first, pair.second, similarity)
            pairs.append(pair)
        for span, other, value, kept, reason in self.copies(pairs, tiebreak=lambda o: o.path):
            self.run.file_pairs.add(frozenset((span.path, other.path)))
            message = (f"near duplicate of {other.path} (shingle similarity {value:.2f}); keep "
                       f"{kept} ({reason}), merge what this copy adds into it and delete this one")
            yield self.finding(DUP003, span.path, 1, 1, message)

    # -- DUP005 ----------------------------------------------------------------------------------------------
    def topical_candidate(self, path: str) -> bool:
        if not self.compared(path) or path in self.run.scaffolds or is_directory_page(path):
            return False
        if self.project.is_agent_file(path):
            return False
        return not is_history(self.project.document(path).meta)

    def topical_overlap(self) -> Iterator[Finding]:
        from odyssey.similarity import average_linkage_groups
        assert self.index is not None
        index = self.index
        eligible = {text.path for text in index.texts if self.topical_candidate(text.path)}.__contains__
        bar = self.settings.topical_threshold
        margin = self.settings.topical_margin
        scores: dict[tuple[str, str], float] = {}
        for first, second, cosine in index.topical_pairs(bar, eligible=eligible):
            if frozenset((first, second)) in self.run.file_pairs:
                continue
            if index.shingle_similarity(first, second) >= MAX_TOPICAL_SHINGLE_SIMILARITY:
                continue  # shared sentences: a copy (DUP003) or siblings from one template, not a paraphrase
            scores[(first, second)] = cosine
        for group in average_linkage_groups(scores, bar):
            members = set(group)

            def stands_out(member: str) -> bool:
                """Its similarity to the group is ``margin`` times its best similarity to any other document."""
                inside = sum(index.cosine(member, other) for other in members - {member}) / (len(group) - 1)
                outside = index.nearest(member, 1, eligible=lambda p: eligible(p) and p not in members)
                return inside >= margin * (outside[0][1] if outside else 0.0)

            if all(stands_out(member) for member in group):
                yield self.topical_finding(group, scores)

    def topical_finding(self, group: list[str], scores: dict[tuple[str, str], float]) -> Finding:
        assert self.index is not None
        ordered = self.canonical.order(group)
        kept, others = ordered[0], ordered[1:]
        pairs = [(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]
        known = [v for v in (scores.get((a, b), scores.get((b, a))) for a, b in pairs) if v is not None]
        low, high = min(known), max(known)
        cosine = f"{low:.2f}" if high - low < 0.005 else f"{low:.2f}-{high:.2f}"
        overlap = max(self.index.shingle_similarity(a, b) for a, b in pairs)
        terms = self.index.shared_terms(group, 6)
        shared = f"; shared key terms: {', '.join(terms)}" if terms else ""
        message = (f"this document and {named(others)} cover the same subject in different words (TF-IDF cosine "
                   f"{cosine}, shingle similarity {overlap:.2f}{shared}); consolidate them into one document, e.g. "
                   f"this one ({self.canonical.reason(kept, others)})")
        return self.finding(DUP005, kept, 1, 1, message)


CHECKS = (DuplicatesCheck,)
