"""What a note is: the ``[notes]`` settings, which files are notes, and a tolerant reading of their frontmatter.

Reading never fails: a note without frontmatter, or with values of the wrong type, still becomes a ``Note`` (with
``None``/empty fields) so that ``list`` and ``index`` show the whole messy tree. Judging the frontmatter is the job of
``odyssey.notes.schema`` and the NTS checks.
"""

from __future__ import annotations

import datetime
import logging
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from odyssey.config import Config, ConfigError
from odyssey.discovery import FileIndex
from odyssey.document import Document
from odyssey.globs import any_match
from odyssey.kinds import effective_kinds, is_hidden, split_suffix
from odyssey.resolve import Target, resolve

if TYPE_CHECKING:
    from odyssey.project import Project

logger = logging.getLogger(__name__)

SECTION = "notes"
DEFAULT_DIRECTORY = "notes"
DEFAULT_KINDS = ("review", "decision", "analysis", "journal", "plan")
STATUSES = ("active", "superseded", "archived")
# Frontmatter keys in the order `odyssey notes` writes them (and inserts missing ones).
KEY_ORDER = ("title", "kind", "status", "created", "updated", "tags", "related", "superseded_by")
DEFAULT_INDEX = "README.md"
DEFAULT_DUPLICATE_THRESHOLD = 0.4
DIRECTORY_PAGES = frozenset({"readme.md", "index.md"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class NotesSettings:
    """The ``[tool.odyssey.notes]`` table with its defaults applied."""

    directory: str = DEFAULT_DIRECTORY
    kinds: tuple[str, ...] = DEFAULT_KINDS
    kind_dirs: tuple[tuple[str, str], ...] = ()
    index_name: str = DEFAULT_INDEX
    exclude: tuple[str, ...] = ()
    extra_keys: tuple[str, ...] = ()
    duplicate_threshold: float = DEFAULT_DUPLICATE_THRESHOLD

    @property
    def index(self) -> str:
        """Repository path of the generated index (``notes/README.md``)."""
        return posixpath.join(self.directory, self.index_name) if self.directory else self.index_name

    def directory_for(self, kind: str) -> str:
        """Where ``odyssey notes new`` puts a note of ``kind``."""
        sub = dict(self.kind_dirs).get(kind, "")
        return posixpath.join(self.directory, sub) if sub else self.directory

    def is_note(self, path: str) -> bool:
        """Is the repository path ``path`` a note (a Markdown file below the notes directory, not a directory page,
        not the index, not excluded)?"""
        prefix = f"{self.directory}/" if self.directory else ""
        if not path.startswith(prefix) or path == self.index:
            return False
        name = posixpath.basename(path)
        stem, suffix = split_suffix(name)
        if not suffix or f"{stem.lower()}.md" in DIRECTORY_PAGES:
            return False
        return not is_hidden(path[len(prefix):]) and not any_match(path, self.exclude)


def notes_directory_default(config: Config) -> str:
    """The first directory of the ``note`` document kind (kinds.py), else ``notes``: notes live where placement
    says notes belong."""
    for kind in effective_kinds(config):
        if kind.name == "note" and kind.dirs:
            return kind.dirs[0].strip("/")
    return DEFAULT_DIRECTORY


def notes_settings(config: Config) -> NotesSettings:
    """Settings from ``[notes]`` (validated by schemas/sections/notes.json), defaults for what is not set."""
    raw: Mapping[str, Any] = config.extra_section(SECTION)
    directory = str(raw.get("directory", notes_directory_default(config))).strip("/")
    kinds = tuple(raw.get("kinds", DEFAULT_KINDS))
    kind_dirs = tuple((str(k), str(v).strip("/")) for k, v in sorted(raw.get("kind-dirs", {}).items()))
    where = config.source.name if config.source is not None else "configuration"
    for kind, _sub in kind_dirs:
        if kind not in kinds:
            raise ConfigError(f"{where}: [notes] kind-dirs names '{kind}', which is not one of the note kinds "
                              f"({', '.join(kinds)})")
    index_name = str(raw.get("index", DEFAULT_INDEX)).strip("/")
    return NotesSettings(
        directory=directory,
        kinds=kinds,
        kind_dirs=kind_dirs,
        index_name=index_name,
        exclude=tuple(raw.get("exclude", ())),
        extra_keys=tuple(raw.get("extra-keys", ())),
        duplicate_threshold=float(raw.get("duplicate-threshold", DEFAULT_DUPLICATE_THRESHOLD)),
    )


# -- values ---------------------------------------------------------------------------------------------------------
def as_date(value: Any) -> datetime.date | None:
    """A frontmatter date: YAML's unquoted ``2026-11-26`` (a date) or the same text quoted; None for anything else."""
    if isinstance(value, datetime.datetime):
        return None  # a timestamp is not the day the schema asks for
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def as_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def as_strings(value: Any) -> tuple[str, ...]:
    """A list of non-empty strings (other items dropped); a lone string counts as a one-item list."""
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())
    return ()


def jsonable(value: Any) -> Any:
    """Frontmatter data as JSON Schema sees it: dates become their ISO text, timestamps their ISO text too (which
    the date pattern then rejects), nested containers converted throughout."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def title_from_name(path: str) -> str:
    """``notes/tokenizer-merge-review.md`` -> ``Tokenizer merge review`` (for notes without a title)."""
    stem = split_suffix(posixpath.basename(path))[0]
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


# -- notes ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Note:
    """One note as read (tolerantly) from its document. ``has_frontmatter`` is False when it has none (or its YAML is
    broken); the other fields are then derived (title) or empty."""

    path: str
    has_frontmatter: bool
    title: str
    kind: str | None
    status: str | None
    created: datetime.date | None
    updated: datetime.date | None
    tags: tuple[str, ...]
    related: tuple[str, ...]
    superseded_by: str | None
    text: str  # the prose (headings, paragraphs, table cells) without frontmatter and code, for similarity
    keys: frozenset[str] = frozenset()  # the frontmatter keys present, whatever their values
    broken: bool = False  # the frontmatter is there but is not a readable YAML mapping (INP002/INP003)

    @property
    def effective_status(self) -> str:
        """The status for grouping and matching: a note without a valid one counts as active (nobody retired it)."""
        return self.status if self.status in STATUSES else "active"


def reference_target(note_path: str, written: str, files: FileIndex, machine_prefixes: tuple[str, ...]) -> Target:
    """What a ``related``/``superseded_by`` entry of the note at ``note_path`` names: resolved like a link written
    in the note (relative to it; ``/x`` from the repository root), by the same resolver the links check uses."""
    return resolve(note_path, written, files, machine_prefixes)


def prose(document: Document) -> str:
    """The readable text of a document: headings, paragraphs and table cells (no code, no link targets)."""
    return "\n".join(block.text for block in document.blocks if block.kind != "html")


def note_from_document(document: Document) -> Note:
    meta = document.frontmatter.data if document.frontmatter.problem is None else None
    has_frontmatter = bool(document.frontmatter.present and meta)
    meta = meta or {}
    heading = next((h.text for h in document.headings if h.level == 1), None)
    title = as_text(meta.get("title")) or heading or title_from_name(document.path)
    return Note(
        path=document.path,
        has_frontmatter=has_frontmatter,
        title=title,
        kind=as_text(meta.get("kind")),
        status=as_text(meta.get("status")),
        created=as_date(meta.get("created")),
        updated=as_date(meta.get("updated")),
        tags=tuple(dict.fromkeys(as_strings(meta.get("tags")))),
        related=as_strings(meta.get("related")),
        superseded_by=as_text(meta.get("superseded_by")),
        text=prose(document),
        keys=frozenset(str(key) for key in meta),
        broken=document.frontmatter.problem is not None,
    )


def note_paths(project: Project, settings: NotesSettings) -> list[str]:
    return [path for path in project.files.markdown if settings.is_note(path)]


def load_notes(project: Project, settings: NotesSettings) -> list[Note]:
    """Every note of the project, sorted by path; unreadable files (binary, too large) are skipped."""
    return list(_readable_notes(project, note_paths(project, settings)))


def _readable_notes(project: Project, paths: list[str]) -> Iterator[Note]:
    for document in project.documents(paths):
        if document.readable:
            yield note_from_document(document)
        else:
            logger.debug("%s: unreadable; not a note for this run", document.path)
