"""stale (STL): documents that describe a repository that has moved on.

What a document names is compared with what the repository holds:

- Code spans that clearly are repository paths (STL001): they contain ``/`` and start with an existing top-level
  directory, or end in a source suffix (``.py``, ``.md``, ``.toml``, ...). Globs, placeholders (``<name>``),
  commands (anything with a space), URLs and machine paths are not paths. A path counts as existing when it is in
  the file index or on disk (an excluded or ignored file is still there); it is tried from the repository root, then
  from the document's directory.
- Code spans that are dotted Python names whose first component is one of the repository's own packages (STL002),
  looked up by reading the source (``odyssey.pysource``), never by importing it. ``lenet5.npz`` (a package name plus
  a file suffix) is a file name, not a symbol.
- Links to superseded notes from documents that present them as current (STL003), and ``superseded_by`` targets that
  do not exist (STL004; notes below the notes directory are the notes family's NTS004). A document is superseded
  when its frontmatter has ``status: superseded`` or a ``superseded_by`` key; superseded, archived and deprecated
  documents are history and are not checked for STL001, STL002, STL003 or STL005.
- Count claims (STL005): "23 agents" in prose where the repository has 38 agent files. Claim patterns map a noun to a
  counter (``[stale] claims``); the default counts agent definition files for "N agents".
- With ``[stale] git = true`` (STL006, info): code a document references changed in commits after the document's own
  last commit. The history comes from one ``git log --name-only`` over at most ``git-max-commits`` commits plus one
  ``git status`` (documents with uncommitted changes are current), whatever the number of documents.

Links to missing files are the links family's (LNK001) and are not repeated here.
"""

from __future__ import annotations

import difflib
import logging
import os
import posixpath
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odyssey.agents_model import value_position
from odyssey.checks.base import DocumentCheck, ProjectCheck
from odyssey.config import ConfigError
from odyssey.document import Document
from odyssey.findings import Finding, Severity
from odyssey.globs import any_match
from odyssey.project import Project
from odyssey.pysource import Lookup, python_index
from odyssey.resolve import relative_link, resolve
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

SECTION = "stale"
# Suffixes that make a slash-separated code span a repository path even when its first directory does not exist.
DEFAULT_PATH_SUFFIXES = (".py", ".md", ".markdown", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".sh", ".ipynb",
                         ".rst", ".txt", ".json")
# A two-part dotted name ending in one of these is a file name (``lenet5.npz``, ``odyssey.toml``), not a symbol.
FILE_SUFFIXES = frozenset({
    "md", "markdown", "py", "pyi", "toml", "json", "yaml", "yml", "txt", "npz", "npy", "png", "jpg", "jpeg", "gif",
    "svg", "csv", "tsv", "cfg", "ini", "sh", "gz", "zip", "tar", "html", "css", "js", "ts", "lock", "pt", "pth",
    "pkl", "log", "pdf", "whl", "ipynb", "rst", "xml", "db", "sqlite", "h5", "onnx", "bin", "dat", "egg", "spec",
})
RETIRED_STATUSES = frozenset({"superseded", "archived", "deprecated", "obsolete"})
DIRECTORY_PAGES = frozenset({"readme.md", "index.md"})
# Words near a link that tell the reader it is history, not the current state.
HISTORY_WORDS = re.compile(r"supersed|replaced by|archived|historical|formerly|obsolete|deprecated|previous version",
                           re.IGNORECASE)
DEFAULT_CLAIMS: tuple[dict[str, Any], ...] = (
    {"noun": r"(?:sub-?)?agents|agent (?:files|definitions)", "count": "agents"},
)
DEFAULT_CLAIMS_EXCLUDE = ("CHANGELOG.md", "**/CHANGELOG*.md", "HISTORY.md")
DEFAULT_GIT_MAX_COMMITS = 500
MAX_COMMITS_SHOWN = 3
GIT_TIMEOUT = 60

_SYMBOL = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?)(?:\(.*\))?$")
_CODE_SPAN = re.compile(r"(`+)[^`].*?\1")
_DIGIT = re.compile(r"\d")
_PATH = re.compile(r"^[\w.@+~-]+(?:/[\w.@+~-]+)*/?$")
_PATH_TAIL = re.compile(r"(?:::[\w\[\].:-]+|:\d+(?:-\d+)?(?::\d+)?|#L\d+(?:-L?\d+)?)$")
# "up to 4 agents", "4 parallel agents", "4 agents at once": numbers of agents, not a count of the team.
_NOT_A_TOTAL_BEFORE = re.compile(
    r"(?:\b(?:up to|at most|at least|max(?:imum)?|min(?:imum)?|more than|fewer than|less than|over|under|about|"
    r"around|roughly|approximately|nearly|almost|than|other|another|per|each|every|these|those|both|"
    r"(?:each|one|any|some|none|most|many|few|all but \w+) of (?:the|these|those|our|its|their)|"
    r"the (?:first|last|other|remaining|next|top|bottom|new))|[~<>≤≥+])\s*$",
    re.IGNORECASE,
)
_NOT_A_TOTAL_AFTER = re.compile(r"^\s*(?:\+|or more|or fewer|in parallel|at once|at a time|concurrently|"
                                r"simultaneously|per\b|each\b|(?:at|on|in|of) level\b)", re.IGNORECASE)
_NOT_A_TOTAL_ADJECTIVES = frozenset({
    "parallel", "concurrent", "simultaneous", "background", "worker", "new", "additional", "more", "extra", "other",
    "separate", "different", "fewer", "less", "idle", "running", "spawned", "temporary", "of", "or", "and", "to",
})

STL001 = Rule(
    code="STL001",
    name="stale-path-reference",
    family="stale",
    summary="Code span names a repository path that does not exist",
    doc="""
    ## What it does
    Checks inline code that clearly is a repository path -- it contains `/` and starts with an existing top-level
    directory, or ends in a source suffix such as `.py`, `.md` or `.toml` -- and reports paths that exist neither
    from the repository root nor from the document's directory. Globs, placeholders (`<name>`), commands (anything
    with a space), URLs and machine paths are left alone; `path:42` and `tests/test_x.py::test_y` are checked as the
    path. When a file of the same name exists elsewhere (the file moved), or a close name sits in the same
    directory (a typo), it is suggested.

    ## Why is this bad?
    Code moves and docs don't follow. A reader (or an agent loading context) looks for `lenet5/models.py`, finds
    nothing, and either gives up or trusts the rest of the page less.

    ## Example
    ```markdown
    The layers live in `lenet5/nn/conv2d.py`.
    ```

    ## Use instead
    ```markdown
    The layers live in `lenet5/layers/conv2d.py`.
    ```

    ## Options
    - `stale.path-suffixes`: suffixes that make a slash-separated code span a path.
    - `stale.ignore-paths`: globs of written paths never checked (generated output, paths the reader creates).
    """,
)
STL002 = Rule(
    code="STL002",
    name="stale-symbol-reference",
    family="stale",
    summary="Code span names a Python module, function, class or member of this repository that does not exist",
    doc="""
    ## What it does
    Checks inline code that is a dotted Python name starting with one of the repository's own packages
    (`lenet5.model.LeNet5`, `odyssey.resolve.resolve`, `odyssey.cli:main`, trailing `()` allowed) and reports names
    that the source does not define: a missing module, a module without that name, a class without that member.
    Packages come from `[tool.setuptools] package-dir` in pyproject.toml, else from top-level and `src/` package
    directories. The source is read with `ast`, never imported; re-exports are followed, and whenever the source
    cannot tell (a star import, a base class from another library) the name counts as existing. When the name is
    defined in another module of the repository, that module is suggested.

    ## Why is this bad?
    Renames and moves leave the docs pointing at APIs that no longer exist; readers copy them and get an
    `ImportError` or `AttributeError`.

    ## Example
    ```markdown
    Links are interpreted by `odyssey.links.resolve`.
    ```

    ## Use instead
    ```markdown
    Links are interpreted by `odyssey.resolve.resolve`.
    ```
    """,
)
STL003 = Rule(
    code="STL003",
    name="link-to-superseded-note",
    family="stale",
    summary="Link presents a superseded note as current",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports links to a document whose frontmatter says it is superseded (`status: superseded`, or a
    `superseded_by` key), from a document that is itself current. Not reported: links from superseded, archived or
    deprecated documents, from the README/index of the note's directory or a parent directory (the notes index
    lists every note), from the note's successor, and links whose paragraph says it is history ("superseded by",
    "archived", "historical", "formerly", ...).

    ## Why is this bad?
    Readers follow the link and act on a decision that was reversed or a plan that was replaced.

    ## Example
    ```markdown
    Parsing follows the [design decision](../notes/decision-regex-parser.md).
    ```
    where `notes/decision-regex-parser.md` has `status: superseded` and
    `superseded_by: decision-document-model.md`.

    ## Use instead
    ```markdown
    Parsing follows the [design decision](../notes/decision-document-model.md).
    ```
    """,
)
STL004 = Rule(
    code="STL004",
    name="missing-superseding-document",
    family="stale",
    summary="`superseded_by` names a document that does not exist",
    doc="""
    ## What it does
    Reports each `superseded_by` entry (a path relative to the document, `/` for the repository root; a list is
    allowed) that names no file of the repository, at its line in the frontmatter. `.md` may be left out. URLs are
    not checked. When a file of that name exists elsewhere, it is suggested. Notes below the notes directory are
    left to the notes family's `NTS004`, so a broken `superseded_by` is reported once.

    ## Why is this bad?
    The superseded note sends its readers to the replacement, and the replacement is not there: the knowledge
    trail ends in a 404.

    ## Example
    ```yaml
    status: superseded
    superseded_by: decision-parser-v2.md   # renamed to decision-document-model.md
    ```

    ## Use instead
    ```yaml
    status: superseded
    superseded_by: decision-document-model.md
    ```
    """,
)
STL005 = Rule(
    code="STL005",
    name="count-claim-drift",
    family="stale",
    summary="Prose states a count (`23 agents`) that differs from the repository",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Finds counts in prose (headings, paragraphs, table cells; never code) such as "23 agents" or "the 12 agent
    definitions", and compares them with what the repository has. By default "N agents" is compared with the number
    of agent definition files (`agents.paths` minus `agents.exclude`). Phrases that are not a total are skipped:
    "up to 4 agents", "4 parallel agents", "4 agents at once", "20+ agents", "3 new agents". Superseded and
    archived documents and changelogs are history and are not checked.

    ## Why is this bad?
    Counts rot fastest of all: a README said "23 agents" long after the team had grown to 38, and every reader
    (and every agent) planned with the wrong number.

    ## Example
    ```markdown
    The team has 9 agents.
    ```
    with 11 files under `agents/`.

    ## Use instead
    ```markdown
    The team has 11 agents.
    ```
    or no number at all: link the agents index instead.

    ## Options
    - `stale.claims`: claim patterns. Each maps `noun` (a regular expression matched after the number, one
      adjective allowed in between) to a counter: `count = "agents"` (agent definition files), `count = "rules"`
      (odyssey's rules), or `files = [globs]` (repository files matching them, minus `exclude`).
    - `stale.claims-exclude`: globs of documents whose counts are history (default: changelogs).
    """,
)
STL006 = Rule(
    code="STL006",
    name="code-changed-since-document",
    family="stale",
    summary="Code the document references changed in commits after the document's last change (git mode)",
    severity=Severity.INFO,
    doc="""
    ## What it does
    Only with `stale.git = true`. For every repository file a document references -- a code-span path, the module
    of a code-span symbol, a link to a non-Markdown file -- reports when that file changed in commits newer than the
    document's own last commit, naming up to three of them (short hash and subject). Documents with uncommitted
    changes count as current. Directories are not followed (a reference to `lenet5/` would always be "changed").
    Git is called twice per run (one `git log --name-only` over at most `git-max-commits` commits, one
    `git status`), whatever the size of the repository. Severity info: a hint for review, never a failure.

    ## Why is this bad?
    A page that explains `lenet5/train.py` and was last touched before the training loop was rewritten is probably
    wrong somewhere; this says where to look first.

    ## Example
    `docs/training.md` (last changed in `a1b2c3d`) references `lenet5/train.py`, changed since in `e4f5a6b Add
    cosine schedule`.

    ## Use instead
    Review the page against the code and commit the update (even a one-word fix resets the clock).

    ## Options
    - `stale.git`: enable this rule (default false).
    - `stale.git-max-commits`: how far back the history is read (default 500).
    """,
)


# -- settings -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    noun: re.Pattern[str]
    count: str | None
    files: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class StaleSettings:
    path_suffixes: tuple[str, ...] = DEFAULT_PATH_SUFFIXES
    ignore_paths: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()
    claims_exclude: tuple[str, ...] = DEFAULT_CLAIMS_EXCLUDE
    git: bool = False
    git_max_commits: int = DEFAULT_GIT_MAX_COMMITS


def _claim(raw: dict[str, Any], where: str) -> Claim:
    noun = raw["noun"]
    try:
        pattern = re.compile(rf"(?<![\w.,])(\d{{1,6}})\s+(?:([A-Za-z][\w-]*)\s+)??(?:{noun})\b", re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{where}: [stale] claims: noun {noun!r} is not a valid regular expression: {exc}") from None
    return Claim(pattern, raw.get("count"), tuple(raw.get("files", ())), tuple(raw.get("exclude", ())))


def stale_settings(project: Project) -> StaleSettings:
    raw = project.config.extra_section(SECTION)
    where = project.config.source.name if project.config.source is not None else "configuration"
    return StaleSettings(
        path_suffixes=tuple(raw.get("path-suffixes", DEFAULT_PATH_SUFFIXES)),
        ignore_paths=tuple(raw.get("ignore-paths", ())),
        claims=tuple(_claim(item, where) for item in raw.get("claims", DEFAULT_CLAIMS)),
        claims_exclude=tuple(raw.get("claims-exclude", DEFAULT_CLAIMS_EXCLUDE)),
        git=bool(raw.get("git", False)),
        git_max_commits=int(raw.get("git-max-commits", DEFAULT_GIT_MAX_COMMITS)),
    )


def is_retired(document: Document) -> bool:
    """Superseded, archived or deprecated: a document that is history and says so."""
    meta = document.meta
    status = meta.get("status")
    return bool(meta.get("superseded_by")) or (isinstance(status, str) and status.strip().lower() in RETIRED_STATUSES)


def is_superseded(document: Document) -> bool:
    status = document.meta.get("status")
    return bool(document.meta.get("superseded_by")) or (
        isinstance(status, str) and status.strip().lower() == "superseded"
    )


def superseded_by_entries(document: Document) -> list[str]:
    value = document.meta.get("superseded_by")
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


# -- references in code spans ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """One code span that names a repository path or a Python symbol of the repository."""

    kind: str  # "path" or "symbol"
    written: str  # the span's text
    name: str  # the path (tail like ``:42`` removed) or the dotted name
    line: int
    column: int
    exists: bool
    path: str | None = None  # the repository file or directory it names, when it exists
    lookup: Lookup | None = None


def path_candidate(text: str, files_dirs: frozenset[str], suffixes: Sequence[str]) -> str | None:
    """The path a code span names when it clearly is a repository path, else None."""
    written = text.strip()
    if not written or any(char.isspace() for char in written) or "://" in written:
        return None
    if written.startswith(("/", "~", "-")) or any(char in written for char in "*?[]{}<>$|\\`'\"=,;()"):
        return None
    written = _PATH_TAIL.sub("", written)
    while written.startswith("./"):
        written = written[2:]
    if "/" not in written or "..." in written or not _PATH.match(written):
        return None
    first = written.split("/", 1)[0]
    if first in ("..", "."):
        return written
    if first in files_dirs or written.rstrip("/").lower().endswith(tuple(s.lower() for s in suffixes)):
        return written
    return None


class ReferenceReader:
    """Finds the path and symbol references of documents, resolved against one project."""

    def __init__(self, project: Project, settings: StaleSettings) -> None:
        self.project = project
        self.settings = settings
        self.files = project.files
        self.top_dirs = frozenset(d for d in project.files.dirs if "/" not in d)
        self._python = python_index(project)

    def exists(self, path: str) -> bool:
        if self.files.exists(path) or self.files.is_ignored(path):
            return True
        try:  # excluded or ignored files are still there for the reader
            return os.path.lexists(self.project.root / path)
        except (OSError, ValueError):
            return False

    def references(self, document: Document) -> Iterator[Reference]:
        packages = None
        for span in document.code_spans:
            text = span.text.strip()
            path = path_candidate(text, self.top_dirs, self.settings.path_suffixes)
            if path is not None:
                if any_match(path, self.settings.ignore_paths) or any_match(path.rstrip("/"),
                                                                              self.settings.ignore_paths):
                    continue
                found = self.locate(document.path, path)
                if found is not False:
                    yield Reference("path", text, path, span.line, span.column, found is not None, found)
                continue
            match = _SYMBOL.match(text)
            if match is None:
                continue
            if packages is None:
                packages = self._python.top_level_packages
            dotted = match.group(1)
            if dotted.split(".")[0] not in packages:
                continue
            lookup = self._python.lookup(dotted)
            if lookup.status == "not-ours":
                continue
            parts = dotted.replace(":", ".").split(".")
            if not lookup.found and len(parts) == 2 and parts[1].lower() in FILE_SUFFIXES:
                continue  # lenet5.npz, odyssey.toml: file names that start like a package
            yield Reference("symbol", text, dotted, span.line, span.column, lookup.found, lookup.path, lookup)

    def locate(self, source: str, written: str) -> str | None | bool:
        """The existing repository path ``written`` names (from the root, then from ``source``'s directory), None when
        it names nothing, False when it is no repository path at all (it climbs out of the repository)."""
        candidates = []
        if not written.startswith("../"):
            candidates.append(posixpath.normpath(written))
        relative = posixpath.normpath(posixpath.join(posixpath.dirname(source), written))
        if not relative.startswith("../") and relative != "..":
            candidates.append(relative)
        if not candidates:
            return False
        for candidate in candidates:
            if self.exists(candidate):
                return candidate
        return None

    # -- suggestions ----------------------------------------------------------------------------------------------
    def path_suggestion(self, written: str) -> str | None:
        path = posixpath.normpath(written)
        directory = written.endswith("/")
        same_case = self.files.by_lower_path.get(path.lower(), ())
        if len(same_case) == 1:
            return same_case[0] + ("/" if directory else "")
        name = posixpath.basename(path)
        if directory:
            moved = sorted(d for d in self.files.dirs if posixpath.basename(d) == name)
            return moved[0] + "/" if len(moved) == 1 else None
        moved = list(self.files.by_name.get(name, ()))
        if len(moved) == 1:
            return moved[0]
        parent = posixpath.dirname(path)
        if parent and parent in self.files.dirs:
            siblings = [posixpath.basename(p) for p in self.files.files if posixpath.dirname(p) == parent]
            close = difflib.get_close_matches(name, siblings, n=2, cutoff=0.8)
            if len(close) == 1:
                return posixpath.join(parent, close[0])
        return None

    def symbol_suggestion(self, lookup: Lookup, dotted: str) -> str | None:
        """Where the name lives now: another module defining it (or the one module of that name), else a close
        spelling in the same module or class."""
        parts = dotted.replace(":", ".").split(".")
        python = self._python
        if lookup.status == "missing-member":
            assert lookup.owner is not None and lookup.module is not None and lookup.missing is not None
            symbols = python.symbols(lookup.module)
            owner = symbols.classes.get(lookup.owner.rsplit(".", 1)[-1]) if symbols else None
            members = python.class_members(symbols, owner) if symbols and owner else None
            close = difflib.get_close_matches(lookup.missing, sorted(members or ()), n=2, cutoff=0.8)
            return f"{lookup.owner}.{close[0]}" if len(close) == 1 else None
        if lookup.status == "missing-module":
            assert lookup.missing is not None
            missing_depth = len(lookup.missing.split("."))
            rest = parts[missing_depth:]
            last = lookup.missing.rsplit(".", 1)[-1]
            modules = python.modules_named(last)
            if len(modules) == 1:
                return ".".join([modules[0], *rest])
            if rest:
                definers = python.definers(rest[0])
                if len(definers) == 1:
                    return ".".join([definers[0], *rest])
            return None
        assert lookup.missing is not None and lookup.module is not None
        definers = [m for m in python.definers(lookup.missing) if m != lookup.module]
        if len(definers) == 1:
            return f"{definers[0]}.{lookup.missing}"
        modules = [m for m in python.modules_named(lookup.missing) if m != lookup.module]
        if len(modules) == 1:
            return modules[0]
        symbols = python.symbols(lookup.module)
        names = set(symbols.names if symbols else ())
        prefix = f"{lookup.module}."
        names.update(m[len(prefix):] for m in python.own_modules() if m.startswith(prefix) and "." not in
                     m[len(prefix):])  # the package's submodules
        close = difflib.get_close_matches(lookup.missing, sorted(names), n=2, cutoff=0.8)
        return f"{lookup.module}.{close[0]}" if len(close) == 1 else None


def _symbol_message(reference: Reference) -> str:
    lookup = reference.lookup
    assert lookup is not None
    written = f"'{reference.written}'"
    if lookup.status == "missing-module":
        return f"{written} names a module that does not exist: no module '{lookup.missing}' in this repository"
    if lookup.status == "missing-member":
        return f"{written} names a member that does not exist: class '{lookup.owner}' ({lookup.path}) has no " \
               f"'{lookup.missing}'"
    kind = "package" if (lookup.path or "").endswith("__init__.py") else "module"
    what = "module or name" if kind == "package" else "name"
    return f"{written} names something that does not exist: {kind} '{lookup.module}' ({lookup.path}) has no " \
           f"{what} '{lookup.missing}'"


# -- git mode -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Commit:
    hash: str
    subject: str
    files: frozenset[str]


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=root, capture_output=True,
                              timeout=GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("git %s failed: %s", args[0], exc)
        return None
    if done.returncode != 0:
        logger.debug("git %s: %s", args[0], done.stderr.decode("utf-8", "replace").strip())
        return None
    return done.stdout.decode("utf-8", "surrogateescape")


def read_history(root: Path, max_commits: int) -> tuple[list[Commit], set[str]] | None:
    """Commits newest first (paths relative to ``root``) and the paths with uncommitted changes; None outside git."""
    log = _git(root, "log", f"--max-count={max_commits}", "--no-merges", "--relative", "--name-only",
               "--format=%x1e%h%x1f%s")
    if log is None:
        return None
    commits: list[Commit] = []
    for chunk in log.split("\x1e")[1:]:
        header, _, body = chunk.partition("\n")
        short, _, subject = header.partition("\x1f")
        files = frozenset(line.strip() for line in body.splitlines() if line.strip())
        commits.append(Commit(short, subject.strip(), files))
    status = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    dirty: set[str] = set()
    if status:
        prefix = _git(root, "rev-parse", "--show-prefix")
        prefix = (prefix or "").strip()
        entries = status.split("\0")
        skip_next = False
        for entry in entries:
            if skip_next:  # the source path of a rename
                skip_next = False
                continue
            if len(entry) < 4:
                continue
            code, path = entry[:2], entry[3:]
            if "R" in code or "C" in code:
                skip_next = True
            dirty.add(path[len(prefix):] if prefix and path.startswith(prefix) else path)
    return commits, dirty


# -- the checks -----------------------------------------------------------------------------------------------------
class StaleCheck(DocumentCheck, ProjectCheck):
    """Per document (STL001-STL005, on every run) and, in git mode, over the whole repository (STL006)."""

    family = "stale"
    summary = "Documents that name paths, symbols, notes and counts the repository no longer has"
    rules = (STL001, STL002, STL003, STL004, STL005, STL006)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.settings = stale_settings(project)
        self.reader = ReferenceReader(project, self.settings)
        self._counts: dict[int, int] = {}
        self._is_note: Callable[[str], bool] | None = None

    def check_document(self, document: Document) -> Iterator[Finding]:
        if not document.readable:
            return
        yield from self.superseded_targets(document)
        if is_retired(document):
            return
        yield from self.stale_references(document)
        yield from self.superseded_links(document)
        yield from self.count_claims(document)

    # STL001, STL002
    def stale_references(self, document: Document) -> Iterator[Finding]:
        for reference in self.reader.references(document):
            if reference.exists:
                continue
            where = (document.path, reference.line, reference.column)
            if reference.kind == "path":
                message = f"'{reference.written}' names a path that does not exist in the repository"
                suggestion = self.reader.path_suggestion(reference.name)
                if suggestion is not None:
                    message += f"; did you mean '{suggestion}'?"
                yield self.finding(STL001, *where, message)
            else:
                assert reference.lookup is not None
                message = _symbol_message(reference)
                suggestion = self.reader.symbol_suggestion(reference.lookup, reference.name)
                if suggestion is not None:
                    message += f"; did you mean '{suggestion}'?"
                yield self.finding(STL002, *where, message)

    # STL003
    def superseded_links(self, document: Document) -> Iterator[Finding]:
        files = self.project.files
        context: dict[int, str] | None = None
        for link in document.links:
            if not link.checked_for_target or link.kind in ("autolink", "image"):
                continue
            target = resolve(document.path, link.target, files, self.config.machine_path_prefixes)
            if target.status != "local" or not target.path or target.path == document.path:
                continue
            if not files.is_file(target.path) or not target.path.lower().endswith((".md", ".markdown")):
                continue
            linked = self.project.document(target.path)
            if not linked.readable or not is_superseded(linked):
                continue
            if self._is_index_of(document.path, target.path):
                continue
            successors = [p for p in (self._successor(linked, e) for e in superseded_by_entries(linked)) if p]
            if document.path in successors:
                continue
            if context is None:
                context = self._blocks_by_line(document)
            if HISTORY_WORDS.search(context.get(link.line, "")):
                continue
            message = f"link to '{target.path}', which is superseded"
            if successors:
                message += f" by '{successors[0]}'; link to '{relative_link(document.path, successors[0])}' instead"
            else:
                message += "; link to its successor, or say that it is history"
            yield self.finding(STL003, document.path, link.line, link.column, message)

    @staticmethod
    def _is_index_of(linker: str, note: str) -> bool:
        """Is ``linker`` the README/index of ``note``'s directory or of a parent directory (below the root)?"""
        if posixpath.basename(linker).lower() not in DIRECTORY_PAGES:
            return False
        directory = posixpath.dirname(linker)
        return bool(directory) and (note + "/").startswith(directory + "/")

    @staticmethod
    def _blocks_by_line(document: Document) -> dict[int, str]:
        """Line -> text of the prose block covering it (where a link's context is read)."""
        by_line: dict[int, str] = {}
        for block in document.blocks:
            for line in range(block.line, block.end_line + 1):
                by_line[line] = by_line.get(line, "") + "\n" + block.text
        return by_line

    def _successor(self, note: Document, written: str) -> str | None:
        """The existing repository file a ``superseded_by`` entry of ``note`` names, or None."""
        files = self.project.files
        target = resolve(note.path, written, files, self.config.machine_path_prefixes)
        if target.status not in ("local", "same-file"):
            return None
        candidates = []
        if target.path:
            candidates += [target.path, f"{target.path}.md"]
        if not written.startswith(("/", "../", "./")):
            root_relative = posixpath.normpath(written)
            candidates += [root_relative, f"{root_relative}.md"]
        return next((c for c in candidates if files.is_file(c)), None)

    # STL004
    def is_note(self, path: str) -> bool:
        """Is ``path`` a note of the notes family, whose NTS004 already checks its ``superseded_by``?"""
        if self._is_note is None:
            try:
                from odyssey.notes.model import notes_settings
            except ImportError:  # no notes family: every document is ours to check
                self._is_note = lambda path: False
            else:
                self._is_note = notes_settings(self.config).is_note
        return self._is_note(path)

    def superseded_targets(self, document: Document) -> Iterator[Finding]:
        entries = superseded_by_entries(document)
        if not entries or self.is_note(document.path):
            return
        files = self.project.files
        for written in entries:
            target = resolve(document.path, written, files, self.config.machine_path_prefixes)
            if target.status == "external" or self._successor(document, written) is not None:
                continue
            line, column = value_position(document, "superseded_by", written)
            message = f"superseded_by '{written}' names no file of the repository"
            name = posixpath.basename(written)
            moved = [p for p in files.by_name.get(name, ()) + files.by_name.get(f"{name}.md", ()) if p != document.path]
            if len(moved) == 1:
                message += f"; did you mean '{relative_link(document.path, moved[0])}'?"
            yield self.finding(STL004, document.path, line, column, message)

    # STL005
    def count_claims(self, document: Document) -> Iterator[Finding]:
        if not self.settings.claims or any_match(document.path, self.settings.claims_exclude):
            return
        for block in document.blocks:
            if block.kind == "html" or not _DIGIT.search(block.text):
                continue  # every claim pattern starts with the count's digits
            for index, claim in enumerate(self.settings.claims):
                for match in claim.noun.finditer(block.text):
                    if not self._is_total(block.text, match):
                        continue
                    claimed = int(match.group(1))
                    actual = self.count(index, claim)
                    if claimed == actual:
                        continue
                    position = self._position(document, block.line, block.text, match, claim)
                    if position is None:
                        continue
                    line, column = position
                    phrase = " ".join(match.group(0).split())
                    yield self.finding(
                        STL005, document.path, line, column,
                        f"'{phrase}': the repository has {actual} ({self._counter_name(claim)})",
                    )

    @staticmethod
    def _is_total(text: str, match: re.Match[str]) -> bool:
        before = text[: match.start()]
        after = text[match.end() :]
        if _NOT_A_TOTAL_BEFORE.search(before) or _NOT_A_TOTAL_AFTER.match(after):
            return False
        adjective = match.group(2)
        return not (adjective and adjective.lower() in _NOT_A_TOTAL_ADJECTIVES)

    @staticmethod
    def _position(document: Document, first: int, text: str, match: re.Match[str],
                  claim: Claim) -> tuple[int, int] | None:
        """File line and column of a claim found in a block's text (prose lines map one to one onto source lines);
        None when the claim sits in an inline code span, which is code, not prose."""
        line = first + text.count("\n", 0, match.start())
        source = document.lines[line - 1] if 0 < line <= len(document.lines) else ""
        spans = [span.span() for span in _CODE_SPAN.finditer(source)]
        for again in claim.noun.finditer(source):
            if again.group(1) == match.group(1):
                if any(start <= again.start() < end for start, end in spans):
                    return None
                return line, again.start() + 1
        column = source.find(match.group(1))
        return line, column + 1 if column >= 0 else 1

    def count(self, index: int, claim: Claim) -> int:
        """What the repository has of the ``index``-th claim's noun (computed once per run)."""
        if index not in self._counts:
            self._counts[index] = self._compute_count(claim)
        return self._counts[index]

    def _compute_count(self, claim: Claim) -> int:
        if claim.count == "agents":
            return sum(1 for path in self.project.files.markdown if self.project.is_agent_file(path))
        if claim.count == "rules":
            from odyssey.checks import all_rules

            return len(all_rules())
        return sum(1 for path in self.project.files.files
                   if any_match(path, claim.files) and not any_match(path, claim.exclude))

    @staticmethod
    def _counter_name(claim: Claim) -> str:
        if claim.count == "agents":
            return "agent definition files"
        if claim.count == "rules":
            return "odyssey rules"
        return "files matching " + ", ".join(claim.files)

    # STL006
    def check_project(self) -> Iterator[Finding]:
        settings = self.settings
        if not settings.git:
            return
        history = read_history(self.project.root, settings.git_max_commits)
        if history is None:
            logger.debug("stale: no git history; STL006 skipped")
            return
        commits, dirty = history
        last_change: dict[str, int] = {}  # path -> index of its newest commit (0 = newest)
        for index, commit in enumerate(commits):
            for path in commit.files:
                last_change.setdefault(path, index)
        changed_in: dict[str, list[int]] = {}
        for index, commit in enumerate(commits):
            for path in commit.files:
                changed_in.setdefault(path, []).append(index)
        reader = self.reader
        for document in self.project.documents():
            if not document.readable or is_retired(document) or document.path in dirty:
                continue
            doc_index = last_change.get(document.path)
            if doc_index is None:
                continue  # older than the history read, or never committed
            for path, (line, column) in self.referenced_files(reader, document).items():
                newer = [i for i in changed_in.get(path, ()) if i < doc_index]
                if not newer:
                    continue
                shown = "; ".join(f"{commits[i].hash} {commits[i].subject}" for i in newer[:MAX_COMMITS_SHOWN])
                more = f"; and {len(newer) - MAX_COMMITS_SHOWN} more" if len(newer) > MAX_COMMITS_SHOWN else ""
                count = f"{len(newer)} commit{'s' if len(newer) != 1 else ''}"
                yield self.finding(
                    STL006, document.path, line, column,
                    f"'{path}' changed in {count} since this document was last changed ({shown}{more}); "
                    "the document may be stale",
                )

    def referenced_files(self, reader: ReferenceReader, document: Document) -> dict[str, tuple[int, int]]:
        """Existing non-Markdown repository files the document references -> where it first does."""
        found: dict[str, tuple[int, int]] = {}
        files = self.project.files

        def add(path: str | None, line: int, column: int) -> None:
            if path and files.is_file(path) and not path.lower().endswith((".md", ".markdown")):
                if path not in found or (line, column) < found[path]:
                    found[path] = (line, column)

        for reference in reader.references(document):
            if reference.exists:
                add(reference.path, reference.line, reference.column)
        for link in document.links:
            if not link.checked_for_target:
                continue
            target = resolve(document.path, link.target, files, self.config.machine_path_prefixes)
            if target.status == "local":
                add(target.path, link.line, link.column)
        return dict(sorted(found.items(), key=lambda item: item[1]))


CHECKS = (StaleCheck,)
