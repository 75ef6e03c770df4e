"""Writing a new note: where it goes, what it is called, what its file holds.

Placement follows the configuration (``odyssey.kinds``): the notes directory, or the subdirectory ``[notes] kind-dirs``
maps the kind to; the name is the title in the naming style of that directory (kebab-case by default), made unique
by the shared ``DestinationPlanner`` (``-2``, ``-3``, ... case-insensitively, as the placement and naming fixes do);
the file is created exclusively, so an existing file is never overwritten.
"""

from __future__ import annotations

import datetime
import logging
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from odyssey.document import parse_document
from odyssey.kinds import NamingRules, PlacementRules, planner_for, title_slug
from odyssey.notes.edit import create_exclusively, render_frontmatter
from odyssey.notes.model import NotesSettings, prose

if TYPE_CHECKING:
    from odyssey.project import Project

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 60  # characters of the stem; longer titles are cut at a word boundary
_H1 = re.compile(r"^\s{0,3}#\s")


@dataclass(frozen=True)
class NewNote:
    """Everything ``odyssey notes new`` writes; ``related`` is already relative to the new note."""

    title: str
    kind: str
    tags: tuple[str, ...]
    related: tuple[str, ...]
    body: str
    today: datetime.date

    def frontmatter(self) -> dict[str, object]:
        return {
            "title": self.title,
            "kind": self.kind,
            "status": "active",
            "created": self.today,
            "updated": self.today,
            "tags": list(self.tags),
            "related": list(self.related),
        }

    def text(self) -> str:
        """The whole file: frontmatter, then the body under an H1 of the title (unless the body brings its own)."""
        body = self.body.strip("\n")
        if not _H1.match(body.split("\n", 1)[0]):
            body = f"# {self.title}\n\n{body}" if body else f"# {self.title}"
        return render_frontmatter(self.frontmatter()) + "\n" + body.rstrip() + "\n"


def body_prose(body: str) -> str:
    """The prose of a Markdown body (what similarity compares), parsed like any document."""
    return prose(parse_document("<new note>", body.encode("utf-8")))


def file_stem(title: str) -> str:
    """The title as a name stem: kebab-case, at most MAX_NAME_LENGTH characters, cut between words."""
    stem = title_slug(title.replace("/", " "))
    if len(stem) <= MAX_NAME_LENGTH:
        return stem
    # One character more than allowed: if it is a hyphen, the cut falls exactly between two words.
    head = stem[: MAX_NAME_LENGTH + 1]
    return head.rsplit("-", 1)[0] if "-" in head else stem[:MAX_NAME_LENGTH]


def destination(project: Project, settings: NotesSettings, note: NewNote) -> str:
    """Repository path for the new note: configured directory, conforming and non-colliding name."""
    directory = settings.directory_for(note.kind)
    stem = file_stem(note.title) or f"{note.kind}-{note.today.isoformat()}"
    naming = NamingRules.from_config(project.config)
    name = naming.conforming_name(posixpath.join(directory, f"{stem}.md")) or f"{stem}.md"
    # The source is a placeholder that exists nowhere, so every existing path counts as a collision.
    chosen = planner_for(project).destination(f"\0new-note/{name}", directory, name=name).path
    misplaced = PlacementRules(project.config).misplacement(chosen, note.frontmatter())
    if misplaced is not None:
        logger.warning("%s: the placement rules would move it to %s/ (check [notes] directory and the kinds)",
                       chosen, misplaced.directory)
    return chosen


def write_new_note(root: Path, path: str, note: NewNote) -> None:
    """Create the file (and its directory); FileExistsError when something appeared at ``path`` meanwhile."""
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    create_exclusively(full, note.text())


def split_tags(values: Sequence[str] | None) -> tuple[str, ...]:
    """``--tags a,b --tags c`` -> (a, b, c), stripped, without duplicates or empties."""
    tags = (tag.strip() for value in values or () for tag in value.split(","))
    return tuple(dict.fromkeys(tag for tag in tags if tag))
