"""Retiring and adopting notes: the frontmatter edits behind ``supersede``, ``archive`` and ``adopt``.

Each function computes every new file text first and writes only when all of them could be computed, so a refusal
(a note without frontmatter, YAML too unusual to edit) leaves every file untouched. Writes are atomic.
"""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odyssey.discovery import FileIndex
from odyssey.frontmatter import parse_frontmatter
from odyssey.notes.edit import EditError, edit_frontmatter, read_note_text, render_frontmatter, write_atomically
from odyssey.notes.model import Note, reference_target, title_from_name
from odyssey.resolve import relative_link

logger = logging.getLogger(__name__)


class NoteError(Exception):
    """A note operation that cannot be done; one line naming the file."""


def require_frontmatter(note: Note) -> None:
    if note.broken:
        raise NoteError(f"{note.path}: its frontmatter is not a readable YAML mapping; fix it first "
                        f"(odyssey check --select INP {note.path})")
    if not note.has_frontmatter:
        raise NoteError(f"{note.path}: has no frontmatter; add it first (odyssey notes adopt {note.path} --kind KIND)")


@dataclass(frozen=True)
class Change:
    """A computed edit: the new text of one note (unchanged when ``text`` equals ``before``)."""

    path: str
    before: str
    text: str

    @property
    def changed(self) -> bool:
        return self.before != self.text


def _read(root: Path, path: str) -> str:
    try:
        return read_note_text(root / path)
    except UnicodeDecodeError:
        raise NoteError(f"{path}: not UTF-8 text; not edited") from None
    except OSError as exc:
        raise NoteError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _edit(root: Path, path: str, updates: dict[str, Any]) -> Change:
    before = _read(root, path)
    try:
        return Change(path, before, edit_frontmatter(before, updates))
    except EditError as exc:
        raise NoteError(f"{path}: {exc}") from None


def apply(root: Path, changes: Sequence[Change]) -> list[str]:
    """Write the changed notes; returns their paths."""
    written = []
    for change in changes:
        if change.changed:
            write_atomically(root / change.path, change.text)
            written.append(change.path)
    return written


def points_to(note: Note, written: str, target: str, files: FileIndex) -> bool:
    return reference_target(note.path, written, files, ()).path == target


def supersede(root: Path, old: Note, new: Note, files: FileIndex, today: datetime.date) -> list[Change]:
    """OLD: status superseded, superseded_by NEW (relative to OLD), updated today. NEW: OLD added to related."""
    if old.path == new.path:
        raise NoteError(f"{old.path}: a note cannot supersede itself")
    if new.superseded_by and points_to(new, new.superseded_by, old.path, files):
        raise NoteError(f"{new.path} is itself superseded by {old.path}; a note cannot supersede its successor")
    if new.status in ("superseded", "archived"):
        raise NoteError(f"{new.path} is {new.status} itself; supersede {old.path} by a note that is active")
    for note in (old, new):
        require_frontmatter(note)
    old_change = _edit(root, old.path, {
        "status": "superseded",
        "superseded_by": relative_link(old.path, new.path),
        "updated": today,
    })
    changes = [old_change]
    if not any(points_to(new, written, old.path, files) for written in new.related):
        related = [*_raw_related(root, new.path), relative_link(new.path, old.path)]
        changes.append(_edit(root, new.path, {"related": related}))
    return changes


def _raw_related(root: Path, path: str) -> list[Any]:
    """The ``related`` list exactly as stored (so that the edit appends to it rather than rewriting it)."""
    text = _read(root, path).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    data = parse_frontmatter(text.split("\n")).data or {}
    related = data.get("related")
    if related is None:
        return []
    if not isinstance(related, list):
        raise NoteError(f"{path}: 'related' is not a list; fix it first (odyssey check)")
    return related


def archive(root: Path, note: Note, today: datetime.date) -> Change:
    require_frontmatter(note)
    if note.status == "archived":
        text = _read(root, note.path)
        return Change(note.path, text, text)
    return _edit(root, note.path, {"status": "archived", "updated": today})


def history_dates(root: Path, path: str) -> tuple[datetime.date, datetime.date] | None:
    """(first, last) commit dates of ``path`` from git, following renames; None when untracked or not a work tree."""
    try:
        log = subprocess.run(
            ["git", "log", "--follow", "--format=%as", "--", path],
            cwd=root, capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    dates = [line.strip() for line in log.stdout.splitlines() if line.strip()] if log.returncode == 0 else []
    try:
        return (datetime.date.fromisoformat(dates[-1]), datetime.date.fromisoformat(dates[0])) if dates else None
    except ValueError:
        return None


def adopt(root: Path, note: Note, kind: str, title: str | None, tags: Sequence[str], today: datetime.date) -> Change:
    """Give a note the frontmatter it lacks: a new block when it has none, else only the missing keys.

    ``created``/``updated`` come from git history (first and last commit of the file), else from the file's
    modification time: adopting a note records when it was written, not when it was adopted.
    """
    dates = history_dates(root, note.path)
    if dates is None:
        try:
            modified = datetime.date.fromtimestamp(os.stat(root / note.path).st_mtime)
        except OSError:
            modified = today
        dates = (modified, modified)
    created, updated = dates
    wanted: dict[str, Any] = {
        "title": title or note.title or title_from_name(note.path),
        "kind": kind,
        "status": "active",
        "created": created,
        "updated": max(updated, created),
        "tags": list(tags),
        "related": [],
    }
    before = _read(root, note.path)
    if not note.has_frontmatter and not before.lstrip("\ufeff").startswith("---"):
        newline = "\r\n" if "\r\n" in before else "\n"
        bom = "\ufeff" if before.startswith("\ufeff") else ""
        return Change(note.path, before, bom + render_frontmatter(wanted, newline) + newline + before[len(bom):])
    missing = {key: value for key, value in wanted.items() if key not in note.keys and key != "related"}
    missing["kind"] = kind
    if title:
        missing["title"] = title
    if tags:
        missing["tags"] = list(dict.fromkeys([*note.tags, *tags]))
    elif "tags" not in note.keys:
        del missing["tags"]
    try:
        return Change(note.path, before, edit_frontmatter(before, missing))
    except EditError as exc:
        raise NoteError(f"{note.path}: {exc}") from None
