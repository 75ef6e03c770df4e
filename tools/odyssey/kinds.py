"""What a document is, where it belongs, and what it should be called.

Shared by the placement (PLC) and naming (NAM) checks, the fixer and ``odyssey notes``, so that all of them agree.
Everything here is driven by configuration (``kinds``, ``placement``, ``naming``); nothing opens files.

Kinds
    A kind (config ``kinds``; default ``agent``, ``note``, ``report``) is recognized by, in order of precedence:

    1. frontmatter ``type:`` equal to the kind's ``type`` (compared case-insensitively);
    2. frontmatter carrying every one of the kind's frontmatter keys (default: the ``agent`` kind is
       ``name`` + ``description`` + ``tools``, the shape of a Claude Code subagent);
    3. the path matching one of the kind's ``paths`` globs;
    4. the file name matching the kind's ``name-regex`` (``re.search``; a ``.markdown`` file is also tried as ``.md``).

    What a document says about itself beats where it is, which beats what it is called: a ``type:`` that names no
    declared kind (``type: tutorial``) makes the document of no kind, the lower tiers are not consulted. Within one
    tier the kind declared first wins. A path matching a kind's ``exclude`` globs is never that kind, whatever the
    tier.

Placement
    A root Markdown file is allowed when its name matches ``root-allow`` (case-insensitively, ``.markdown`` counting
    as ``.md``); any other belongs in its kind's first directory, or in ``default-destination`` when it has no kind.
    Below the root, only a document of a kind is ever misplaced: outside all of its kind's directories. Markdown of
    no kind elsewhere (package READMEs such as ``lenet5/README.md``, design notes beside code) is left alone, and so
    is everything under a hidden directory (``.github/``, ``.claude/``, ...): tools dictate those layouts.

Naming
    ``naming-patterns`` maps directories to a pattern for the Markdown file names below them: ``kebab``
    (``getting-started.md``), ``snake`` (``getting_started.md``), ``any``, or a regex matched against the whole file
    name. The longest configured directory prefix wins. ``naming-allow`` globs (default ``README.md``, ``index.md``)
    pass every pattern. Under ``kebab``/``snake`` the names of the directories that hold Markdown follow the same
    style (without suffix), except ``.hidden`` and ``_underscored`` tool directories; a regex describes file names
    only. Conforming names are derived: camelCase and SCREAMING_CASE split into words, accents transliterated
    (``naïve`` -> ``naive``), dots, underscores and spaces become separators, ``.markdown`` becomes ``.md``.

Destinations
    ``DestinationPlanner`` hands out the path a file (or directory) should move to: a conforming name in the right
    directory that collides, case-insensitively, neither with an existing repository path nor with another
    destination handed out in the same run (``notes/summary.md`` taken -> ``notes/summary-2.md``).
"""

from __future__ import annotations

import logging
import posixpath
import re
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from odyssey.config import DEFAULT_AGENT_EXCLUDE, DEFAULT_AGENT_PATHS, DEFAULT_KINDS, Config, DocumentKind
from odyssey.discovery import FileIndex
from odyssey.globs import compile_glob

if TYPE_CHECKING:
    from odyssey.project import Project

logger = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = (".md", ".markdown")
KEBAB_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.md")
SNAKE_NAME = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*\.md")
KEBAB_DIR = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SNAKE_DIR = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
PRESETS = {"kebab": (KEBAB_NAME, KEBAB_DIR, "-"), "snake": (SNAKE_NAME, SNAKE_DIR, "_")}

# camelCase -> camel|Case, HTTPServer -> HTTP|Server, Net5Results -> Net5|Results
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_WHITESPACE = re.compile(r"\s+")
# Letters NFKD does not decompose into ASCII.
_TRANSLITERATION = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "\u0131": "i",  # dotless i
})


class NamingConfigError(ValueError):
    """A naming pattern in the configuration is not a valid regex (one line, for the run's error list)."""


# -- names ----------------------------------------------------------------------------------------------------------
def split_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix) with a Markdown suffix (any case) split off; the suffix is "" for other names."""
    lowered = name.lower()
    for suffix in MARKDOWN_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], name[-len(suffix):]
    return name, ""


def as_md(name: str) -> str:
    """``name`` with a ``.markdown``/``.MD`` suffix written as ``.md`` (other names unchanged)."""
    stem, suffix = split_suffix(name)
    return f"{stem}.md" if suffix else name


def has_space(name: str) -> bool:
    return _WHITESPACE.search(name) is not None


def words(stem: str) -> list[str]:
    """The words of a name stem, ASCII only: accents dropped, camelCase and separators split, in original case."""
    ascii_text = unicodedata.normalize("NFKD", stem.translate(_TRANSLITERATION)).encode("ascii", "ignore").decode()
    return [word for part in _NOT_ALNUM.split(ascii_text) for word in _CAMEL_BOUNDARY.split(part) if word]


def kebab_case(stem: str) -> str:
    """``ImplementationSummary`` / ``IMPLEMENTATION_SUMMARY`` / ``Implementation Summary`` -> implementation-summary."""
    return "-".join(word.lower() for word in words(stem))


def title_slug(title: str) -> str:
    """A title as a kebab-case stem. The words of a title are already apart, so one word keeps its case run
    together ("LeNet-5 results" -> lenet-5-results, not le-net-5-...); a title of one word is a name (kebab_case)."""
    if not _WHITESPACE.search(title.strip()):
        return kebab_case(title)
    ascii_text = unicodedata.normalize("NFKD", title.translate(_TRANSLITERATION)).encode("ascii", "ignore").decode()
    return "-".join(part.lower() for part in _NOT_ALNUM.split(ascii_text) if part)


def snake_case(stem: str) -> str:
    return "_".join(word.lower() for word in words(stem))


def despaced(name: str) -> str:
    """Whitespace runs replaced by one hyphen: the least change that takes the spaces out of a name."""
    return _WHITESPACE.sub("-", name.strip())


@dataclass(frozen=True)
class NamingPattern:
    """The naming rule of one directory: ``spec`` as configured (kebab, snake, any, or a regex)."""

    directory: str
    spec: str
    regex: re.Pattern[str] | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.spec.lower() in (*PRESETS, "any"):
            object.__setattr__(self, "spec", self.spec.lower())
        else:
            try:
                object.__setattr__(self, "regex", re.compile(self.spec))
            except re.error as exc:
                where = self.directory or "the repository root"
                message = f"naming pattern of {where} is not a valid regex: {self.spec!r}: {exc}"
                raise NamingConfigError(message) from None

    @property
    def style(self) -> str:
        """kebab, snake, any, or regex."""
        return self.spec if self.spec in PRESETS or self.spec == "any" else "regex"

    @property
    def described(self) -> str:
        """For messages: 'kebab-case naming of docs/'."""
        what = {"kebab": "kebab-case naming", "snake": "snake_case naming", "any": "naming"}.get(
            self.spec, f"naming pattern '{self.spec}'"
        )
        return f"the {what} of {self.directory + '/' if self.directory else 'the repository'}"

    @property
    def separator(self) -> str:
        return PRESETS[self.spec][2] if self.spec in PRESETS else "-"

    def accepts(self, name: str) -> bool:
        """Does the file name ``name`` follow this pattern? (Spaces are NAM002's business, not the pattern's.)"""
        if self.spec in PRESETS:
            return PRESETS[self.spec][0].fullmatch(name) is not None
        return self.regex is None or self.regex.fullmatch(name) is not None

    def accepts_directory(self, name: str) -> bool:
        """Directory names follow kebab/snake presets; ``any`` and regex patterns describe file names only."""
        if self.spec in PRESETS:
            return PRESETS[self.spec][1].fullmatch(name) is not None
        return True

    def conform(self, name: str) -> str | None:
        """The conforming file name closest to ``name``, or None when none can be derived (e.g. only CJK letters)."""
        if self.spec in PRESETS:
            stem = split_suffix(name)[0]
            converted = kebab_case(stem) if self.spec == "kebab" else snake_case(stem)
            return f"{converted}.md" if converted else None
        if self.spec == "any":
            return despaced(name)
        stem = split_suffix(name)[0]
        candidates = (name, name.lower(), despaced(name), despaced(name).lower(), as_md(name), as_md(name).lower(),
                      f"{kebab_case(stem)}.md", f"{snake_case(stem)}.md")
        return next((c for c in candidates if not has_space(c) and self.accepts(c)), None)

    def conform_directory(self, name: str) -> str | None:
        if self.spec in PRESETS:
            converted = kebab_case(name) if self.spec == "kebab" else snake_case(name)
            return converted or None
        return despaced(name)


class NamingRules:
    """The configured naming patterns and allowed names; the pattern of a path is its longest configured prefix."""

    def __init__(self, patterns: Sequence[tuple[str, str]], allow: Sequence[str]) -> None:
        self._by_dir: dict[str, NamingPattern] = {}
        for directory, spec in patterns:
            directory = "" if directory in (".", "./") else directory.strip("/")
            self._by_dir[directory] = NamingPattern(directory, spec)
        self._allow = tuple(compile_glob(glob) for glob in allow)

    @classmethod
    def from_config(cls, config: Config) -> NamingRules:
        return cls(config.naming_patterns, config.naming_allow)

    def pattern_for(self, path: str) -> NamingPattern | None:
        """The pattern that governs the file or directory ``path`` (that of its nearest configured ancestor)."""
        directory = posixpath.dirname(path)
        while True:
            pattern = self._by_dir.get(directory)
            if pattern is not None or not directory:
                return pattern
            directory = posixpath.dirname(directory)

    def is_allowed(self, path: str) -> bool:
        return any(glob.match(path) for glob in self._allow)

    def conforming_name(self, path: str, is_dir: bool = False) -> str | None:
        """The name ``path`` should have where it is (its current name if that conforms), or None if underivable."""
        name = posixpath.basename(path)
        pattern = self.pattern_for(path)
        if is_dir:
            if pattern is None or (pattern.accepts_directory(name) and not has_space(name)):
                return despaced(name)
            return pattern.conform_directory(name)
        if self.is_allowed(path) and not has_space(name):
            return name
        if pattern is None:
            return despaced(name)
        if pattern.accepts(name) and not has_space(name):
            return name
        return pattern.conform(name)


# -- kinds ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KindMatch:
    """Why a document is of a kind. ``by``: type, frontmatter, path, or name; ``line`` the frontmatter key's line."""

    kind: DocumentKind
    by: str
    line: int = 1

    @property
    def reason(self) -> str:
        kind = self.kind
        if self.by == "type":
            return f"frontmatter type: {kind.type}"
        if self.by == "frontmatter":
            return f"its frontmatter has {', '.join(frontmatter_keys(kind))}"
        if self.by == "path":
            return "its path matches the kind's paths"
        return f"its file name matches the {kind.name} name-regex"


def frontmatter_keys(kind: DocumentKind) -> tuple[str, ...]:
    """The frontmatter keys that mark ``kind`` (all must be present); () when the kind declares none."""
    return kind.frontmatter_keys


def glob_base(glob: str) -> str | None:
    """The literal directory a glob starts with (``agents/**/*.md`` -> agents), or None when it matches anywhere."""
    if "/" not in glob.rstrip("/"):
        return None
    parts: list[str] = []
    for part in glob.strip("/").split("/")[:-1]:
        if any(char in part for char in "*?["):
            break
        parts.append(part)
    return "/".join(parts) or None


def effective_kinds(config: Config) -> tuple[DocumentKind, ...]:
    """The configured kinds. With the default kinds, the agent kind follows ``[agents]`` paths and exclude, so the
    agents family and placement never disagree about which files are agents."""
    kinds = config.kinds
    agents = config.agents
    if kinds != DEFAULT_KINDS or (agents.paths, agents.exclude) == (DEFAULT_AGENT_PATHS, DEFAULT_AGENT_EXCLUDE):
        return kinds
    dirs = tuple(dict.fromkeys(base for base in map(glob_base, agents.paths) if base))
    return tuple(
        replace(kind, paths=agents.paths, exclude=agents.exclude, dirs=dirs or kind.dirs) if kind.name == "agent"
        else kind
        for kind in kinds
    )


class KindRecognizer:
    """Recognizes the kind of a document from its path and frontmatter; globs and regexes are compiled once."""

    def __init__(self, kinds: Sequence[DocumentKind]) -> None:
        self.kinds = tuple(kinds)
        self._by_type: dict[str, list[DocumentKind]] = {}
        for kind in self.kinds:
            if kind.type:
                self._by_type.setdefault(kind.type.strip().lower(), []).append(kind)
        self._keyed = [(kind, keys) for kind in self.kinds if (keys := frontmatter_keys(kind))]
        self._paths = [(kind, tuple(map(compile_glob, kind.paths))) for kind in self.kinds if kind.paths]
        self._names = [(kind, re.compile(kind.name_regex)) for kind in self.kinds if kind.name_regex]
        self._exclude = {kind.name: tuple(map(compile_glob, kind.exclude)) for kind in self.kinds}
        self._dirs = {kind.name: tuple(d.strip("/") for d in kind.dirs) for kind in self.kinds}

    @classmethod
    def from_config(cls, config: Config) -> KindRecognizer:
        return cls(effective_kinds(config))

    def _excluded(self, path: str, kind: DocumentKind) -> bool:
        return any(glob.match(path) for glob in self._exclude[kind.name])

    def recognize(
        self, path: str, meta: Mapping[str, Any] | None = None, key_lines: Mapping[str, int] | None = None
    ) -> KindMatch | None:
        """The kind of the document at ``path`` with frontmatter ``meta``, or None when it is of no declared kind."""
        key_lines = key_lines or {}
        declared = meta.get("type") if meta else None
        if isinstance(declared, str) and declared.strip():
            for kind in self._by_type.get(declared.strip().lower(), ()):
                if not self._excluded(path, kind):
                    return KindMatch(kind, "type", key_lines.get("type", 1))
            return None  # the document says what it is, and that is no declared kind: no guessing from path or name
        if meta:
            for kind, keys in self._keyed:
                if all(key in meta for key in keys) and not self._excluded(path, kind):
                    return KindMatch(kind, "frontmatter", key_lines.get(keys[0], 1))
        for kind, globs in self._paths:
            if any(glob.match(path) for glob in globs) and not self._excluded(path, kind):
                return KindMatch(kind, "path")
        if self._names:
            name = posixpath.basename(path)
            md_name = as_md(name)
            for kind, regex in self._names:
                if (regex.search(name) or regex.search(md_name)) and not self._excluded(path, kind):
                    return KindMatch(kind, "name")
        return None

    def is_home(self, path: str, kind: DocumentKind) -> bool:
        """Does ``path`` lie in one of the directories ``kind`` may live in (at any depth)?"""
        return any(not d or path.startswith(d + "/") for d in self._dirs[kind.name])


# -- placement ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Misplacement:
    """A document that does not belong where it is; ``directory`` is where it should go."""

    path: str
    directory: str
    match: KindMatch | None
    at_root: bool


def is_hidden(path: str) -> bool:
    """Does any component of ``path`` start with a dot (a tool's directory such as .github/ or .claude/)?"""
    return path.startswith(".") or "/." in path


class PlacementRules:
    """Decides whether a document is misplaced and where it belongs (config ``placement`` and ``kinds``)."""

    def __init__(self, config: Config, recognizer: KindRecognizer | None = None) -> None:
        self.recognizer = recognizer or KindRecognizer.from_config(config)
        self.default_destination = config.default_destination.strip("/")
        self._root_allow = tuple(compile_glob(glob.lower()) for glob in config.root_allow)

    def root_allowed(self, name: str) -> bool:
        lowered = name.lower()
        md_name = as_md(lowered)
        return any(glob.match(lowered) or glob.match(md_name) for glob in self._root_allow)

    def misplacement(
        self, path: str, meta: Mapping[str, Any] | None = None, key_lines: Mapping[str, int] | None = None
    ) -> Misplacement | None:
        """Where the Markdown file at ``path`` belongs, when that is not where it is; None when it is fine."""
        if is_hidden(path):
            return None
        at_root = "/" not in path
        if at_root and self.root_allowed(path):
            return None
        match = self.recognizer.recognize(path, meta, key_lines)
        if at_root:
            directory = match.kind.dirs[0].strip("/") if match else self.default_destination
            return Misplacement(path, directory, match, at_root=True) if directory else None
        if match is None or self.recognizer.is_home(path, match.kind):
            return None
        return Misplacement(path, match.kind.dirs[0].strip("/"), match, at_root=False)


# -- destinations ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Destination:
    """Where ``source`` should move. ``wanted`` is the conforming path; ``path`` differs from it when that was taken,
    and ``conflict`` then says why (``already exists`` / ``is the destination suggested for 'X'``)."""

    source: str
    path: str
    wanted: str
    conflict: str | None = None

    @property
    def note(self) -> str:
        """For messages: '' or ' (notes/x.md already exists)'."""
        return f" ({self.wanted} {self.conflict})" if self.conflict else ""


class DestinationPlanner:
    """Hands out non-colliding destinations; one planner serves a whole run (see ``planner_for``)."""

    MAX_NUMBER = 10_000

    def __init__(self, files: FileIndex, naming: NamingRules) -> None:
        self.files = files
        self.naming = naming
        self._given: dict[tuple[str, str], Destination] = {}
        self._reserved: dict[str, str] = {}  # lower-cased destination -> source it was given to

    def _conflict(self, source: str, candidate: str) -> str | None:
        lowered = candidate.lower()
        existing = [p for p in self.files.by_lower_path.get(lowered, ()) if p != source]
        if existing:
            return "already exists" if existing[0] == candidate else f"collides with '{existing[0]}'"
        holder = self._reserved.get(lowered)
        if holder is not None and holder != source:
            return f"is the destination suggested for '{holder}'"
        return None

    def destination(
        self, source: str, directory: str | None = None, is_dir: bool = False, name: str | None = None
    ) -> Destination:
        """Where ``source`` should go: into ``directory`` (default: where it is) under a conforming, free name
        (``name`` when given: the caller's own conforming name, e.g. the lower-cased one)."""
        directory = posixpath.dirname(source) if directory is None else directory.strip("/")
        key = (source, directory)
        if key in self._given:
            return self._given[key]
        wanted_name = name
        if wanted_name is None:
            current = posixpath.basename(source)
            wanted_name = self.naming.conforming_name(posixpath.join(directory, current), is_dir) or despaced(current)
        wanted = posixpath.join(directory, wanted_name)
        conflict = self._conflict(source, wanted)
        chosen = wanted
        if conflict is not None:
            chosen = self._numbered(source, directory, wanted_name, is_dir)
        given = Destination(source, chosen, wanted, conflict)
        self._given[key] = given
        self._reserved[chosen.lower()] = source
        return given

    def _numbered(self, source: str, directory: str, name: str, is_dir: bool) -> str:
        stem, suffix = (name, "") if is_dir else split_suffix(name)
        if not suffix and not is_dir:
            stem, dot, extension = name.rpartition(".")
            stem, suffix = (stem, dot + extension) if stem else (name, "")
        pattern = self.naming.pattern_for(posixpath.join(directory, name))
        separators = [pattern.separator] if pattern is not None else ["-"]
        if pattern is not None and pattern.style == "regex":
            separators = ["-", "_", ""]
        for number in range(2, self.MAX_NUMBER):
            fallback = None
            for separator in separators:
                candidate_name = f"{stem}{separator}{number}{suffix}"
                candidate = posixpath.join(directory, candidate_name)
                if self._conflict(source, candidate) is not None:
                    continue
                fallback = fallback or candidate
                if is_dir or pattern is None or pattern.accepts(candidate_name):
                    return candidate
            if fallback is not None:
                return fallback
        raise RuntimeError(f"no free name for {source} in {directory or 'the repository root'}")


_PLANNERS: weakref.WeakKeyDictionary[Project, DestinationPlanner] = weakref.WeakKeyDictionary()


def planner_for(project: Project) -> DestinationPlanner:
    """The planner of ``project``'s run, shared by every check so their suggested destinations never collide."""
    planner = _PLANNERS.get(project)
    if planner is None:
        planner = DestinationPlanner(project.files, NamingRules.from_config(project.config))
        _PLANNERS[project] = planner
    return planner
