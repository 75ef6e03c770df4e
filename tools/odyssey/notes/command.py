"""``odyssey notes``: new, supersede, archive, adopt, list, index.

Exit status: 0 done; 1 when ``new`` found an existing note that covers the topic (its path and the evidence are
printed; nothing is written) or ``index --check`` found the index out of date; 2 for usage and configuration errors
(one line on stderr). Commands that change notes regenerate the index afterwards unless given ``--no-index``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from odyssey.cli import EXIT_CLEAN, EXIT_FINDINGS, UsageError, find_root
from odyssey.config import load_config
from odyssey.notes import create, lifecycle
from odyssey.notes.index import generate_index, write_index
from odyssey.notes.model import STATUSES, Note, NotesSettings, load_notes, notes_settings, reference_target
from odyssey.project import Project
from odyssey.resolve import relative_link
from odyssey.suggest import did_you_mean

if TYPE_CHECKING:
    from odyssey.notes.matching import Cover

logger = logging.getLogger(__name__)


# -- shared ---------------------------------------------------------------------------------------------------------
class Workspace:
    """The repository a notes command works on: root, configuration, settings, and a Project to read notes from."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
        self.config = load_config(self.root)
        self.settings = notes_settings(self.config)
        self.project = Project(self.root, self.config)

    def refresh(self) -> None:
        """Re-read the repository (after files were written)."""
        self.project = Project(self.root, self.config)

    def notes(self) -> list[Note]:
        return load_notes(self.project, self.settings)

    def resolver(self) -> Callable[[Note, str], str | None]:
        """Repository path a note's ``related``/``superseded_by`` entry names (None for URLs and the like)."""
        files, prefixes = self.project.files, self.config.machine_path_prefixes

        def resolve_path(note: Note, written: str) -> str | None:
            target = reference_target(note.path, written, files, prefixes)
            return target.path if target.status == "local" else None

        return resolve_path

    def repository_path(self, raw: str, *, note: bool, what: str) -> str:
        """A path from the command line as a repository path. Tried relative to the working directory, then to the
        repository root, then to the notes directory (so ``supersede old.md new.md`` works from the root)."""
        candidates = [Path(os.path.abspath(raw)), self.root / raw, self.root / self.settings.directory / raw]
        for candidate in candidates:
            if not candidate.exists():
                continue
            try:  # the path as written (a symlinked note keeps its own name), else as the file system resolves it
                relative = Path(os.path.normpath(candidate)).relative_to(self.root).as_posix()
            except ValueError:
                try:
                    relative = candidate.resolve().relative_to(self.root).as_posix()
                except ValueError:
                    continue
            if note and not self.settings.is_note(relative):
                raise UsageError(f"{relative}: not a note (notes are the Markdown files below "
                                 f"{self.settings.directory}/, other than {self.settings.index})")
            return relative
        raise UsageError(f"{what} {raw}: no such file (looked relative to the working directory, the repository root "
                         f"and {self.settings.directory}/)")

    def note(self, raw: str) -> Note:
        path = self.repository_path(raw, note=True, what="note")
        found = next((note for note in self.notes() if note.path == path), None)
        if found is None:
            raise UsageError(f"{path}: cannot be read as a note (see odyssey check --select INP)")
        return found

    def reindex(self, args: argparse.Namespace) -> None:
        if getattr(args, "no_index", False):
            return
        self.refresh()
        try:
            path, changed = write_index(self.project, self.settings)
        except OSError as exc:
            raise UsageError(f"{self.settings.index}: cannot write the index: {exc.strerror or exc}") from None
        if changed:
            print(f"odyssey: regenerated {path}", file=sys.stderr)


def today() -> datetime.date:
    return datetime.date.today()


def check_kind(kind: str, settings: NotesSettings) -> str:
    if kind in settings.kinds:
        return kind
    hint = did_you_mean(kind, list(settings.kinds))
    suggestion = f"; did you mean '{hint}'?" if hint else ""
    raise UsageError(f"--kind {kind}: not a note kind (one of {', '.join(settings.kinds)}){suggestion}")


# -- new ------------------------------------------------------------------------------------------------------------
def read_body(raw: str | None) -> str:
    if raw is None:
        return ""
    try:
        if raw == "-":
            body = sys.stdin.read()
        else:
            with open(raw, "rb") as handle:
                body = handle.read().decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"--body-file {raw}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"--body-file {raw}: cannot read: {exc.strerror or exc}") from None
    body = body.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if body.startswith("---\n"):
        raise UsageError(f"--body-file {raw}: starts with frontmatter; pass the body only (odyssey writes the "
                         "frontmatter from --kind, --title, --tags and --related)")
    return body


def cmd_new(args: argparse.Namespace) -> int:
    workspace = Workspace(args)
    settings = workspace.settings
    kind = check_kind(args.kind, settings)
    title = " ".join(args.title.split())
    if not title:
        raise UsageError("--title: empty")
    tags = create.split_tags(args.tags)
    body = read_body(args.body_file)
    related_paths = [workspace.repository_path(raw, note=False, what="--related") for raw in args.related or ()]
    replaced = [workspace.note(raw) for raw in args.supersedes or ()]
    for old in replaced:  # refuse before anything is written
        try:
            lifecycle.require_frontmatter(old)
        except lifecycle.NoteError as exc:
            raise UsageError(f"--supersedes {exc}") from None
    notes = workspace.notes()
    if not args.force:
        # Similarity pulls in numpy/scipy: import it only when a note is being created, not for every `odyssey` run.
        from odyssey.notes.matching import Query, find_covering
        from odyssey.notes.similarity_source import topical_scorer

        query = Query(title=title, kind=kind, tags=tags, body=create.body_prose(body) if body else "")
        exempt = frozenset(related_paths) | {note.path for note in replaced}
        covers = find_covering(query, notes, settings.duplicate_threshold, workspace.resolver(),
                               topical_scorer(workspace.project), exempt=exempt)
        if covers:
            print_covers(covers)
            return EXIT_FINDINGS
    placeholder = create.NewNote(title, kind, tags, (), body, today())
    path = create.destination(workspace.project, settings, placeholder)
    related_paths += [note.path for note in replaced]
    related = tuple(dict.fromkeys(relative_link(path, target) for target in related_paths))
    note = create.NewNote(title, kind, tags, related, body, today())
    try:
        create.write_new_note(workspace.root, path, note)
    except FileExistsError:
        raise UsageError(f"{path}: appeared while the note was being written; run the command again") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(path)
    if not body.strip():
        print(f"odyssey: {path} has a title and no text yet: write it before committing", file=sys.stderr)
    if replaced:
        workspace.refresh()
        created = workspace.note(path)
        try:
            files = workspace.project.files
            changes = [change for old in replaced
                       for change in lifecycle.supersede(workspace.root, old, created, files, today())]
        except lifecycle.NoteError as exc:
            raise UsageError(f"{path} was created, but: {exc}") from None
        _apply(workspace, changes)
        for old in replaced:
            print(f"{old.path} is superseded by {path}", file=sys.stderr)
    workspace.reindex(args)
    return EXIT_CLEAN


def print_covers(covers: Sequence[Cover]) -> None:
    print("An existing note already covers this topic; update it instead of writing a new one:")
    for cover in covers:
        note = cover.note
        facts = ", ".join(part for part in (note.kind, f"updated {note.updated}" if note.updated else None) if part)
        print(f"  {note.path}" + (f" ({facts})" if facts else "") + f" — \"{note.title}\"")
        print(f"    why: {'; '.join(cover.reasons)}")
    print("Edit that note and bump its `updated` date. If the new note replaces it, pass --supersedes PATH; if it "
          "is a separate topic, name the existing note with --related PATH; or pass --force.")


# -- supersede / archive / adopt ------------------------------------------------------------------------------------
def _apply(workspace: Workspace, changes: Sequence[lifecycle.Change]) -> list[str]:
    try:
        return lifecycle.apply(workspace.root, changes)
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror or exc}") from None


def cmd_supersede(args: argparse.Namespace) -> int:
    workspace = Workspace(args)
    old, new = workspace.note(args.old), workspace.note(args.new)
    try:
        changes = lifecycle.supersede(workspace.root, old, new, workspace.project.files, today())
    except lifecycle.NoteError as exc:
        raise UsageError(str(exc)) from None
    _apply(workspace, changes)
    print(f"{old.path} is superseded by {new.path}")
    workspace.reindex(args)
    return EXIT_CLEAN


def cmd_archive(args: argparse.Namespace) -> int:
    workspace = Workspace(args)
    notes = [workspace.note(raw) for raw in args.notes]
    try:
        changes = [lifecycle.archive(workspace.root, note, today()) for note in notes]
    except lifecycle.NoteError as exc:
        raise UsageError(str(exc)) from None
    _apply(workspace, changes)
    for change in changes:
        print(f"archived {change.path}" if change.changed else f"{change.path} was archived already")
    workspace.reindex(args)
    return EXIT_CLEAN


def cmd_adopt(args: argparse.Namespace) -> int:
    workspace = Workspace(args)
    kind = check_kind(args.kind, workspace.settings)
    note = workspace.note(args.note)
    title = " ".join(args.title.split()) if args.title else None
    try:
        change = lifecycle.adopt(workspace.root, note, kind, title, create.split_tags(args.tags), today())
    except lifecycle.NoteError as exc:
        raise UsageError(str(exc)) from None
    _apply(workspace, [change])
    print(f"adopted {note.path}" if change.changed else f"{note.path} has its frontmatter already")
    workspace.reindex(args)
    return EXIT_CLEAN


# -- list / index ---------------------------------------------------------------------------------------------------
def age_in_days(note: Note, day: datetime.date) -> int | None:
    last = note.updated or note.created
    return (day - last).days if last is not None else None


def cmd_list(args: argparse.Namespace) -> int:
    workspace = Workspace(args)
    day = today()
    if args.kind is not None:
        check_kind(args.kind, workspace.settings)
    notes = []
    for note in workspace.notes():
        age = age_in_days(note, day)
        if args.kind is not None and note.kind != args.kind:
            continue
        if args.status is not None and note.effective_status != args.status:
            continue
        if args.stale is not None and (note.effective_status != "active" or (age is not None and age < args.stale)):
            continue
        notes.append((note, age))
    if args.format == "json":
        print(json.dumps([note_record(note, age) for note, age in notes], indent=2))
        return EXIT_CLEAN
    if not notes:
        print("no notes" + (" match" if args.kind or args.status or args.stale is not None else ""))
        return EXIT_CLEAN
    rows = [(note.path, note.kind or "-", note.status or "-", note.updated.isoformat() if note.updated else "-",
             "?" if age is None else f"{age}d", note.title + ("" if note.has_frontmatter else " (no frontmatter)"))
            for note, age in notes]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[5])
    return EXIT_CLEAN


def note_record(note: Note, age: int | None) -> dict[str, Any]:
    return {
        "path": note.path,
        "title": note.title,
        "kind": note.kind,
        "status": note.status,
        "created": note.created.isoformat() if note.created else None,
        "updated": note.updated.isoformat() if note.updated else None,
        "age_days": age,
        "tags": list(note.tags),
        "related": list(note.related),
        "superseded_by": note.superseded_by,
        "has_frontmatter": note.has_frontmatter,
    }


def cmd_index(args: argparse.Namespace) -> int:
    workspace = Workspace(args)
    settings = workspace.settings
    if args.check:
        wanted = generate_index(workspace.project, settings)
        try:
            current = (workspace.root / settings.index).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != wanted:
            print(f"{settings.index} is out of date; run `odyssey notes index`")
            return EXIT_FINDINGS
        print(f"{settings.index} is up to date")
        return EXIT_CLEAN
    try:
        path, changed = write_index(workspace.project, settings)
    except OSError as exc:
        raise UsageError(f"{settings.index}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {path}" if changed else f"{path} is up to date")
    return EXIT_CLEAN


# -- the parser -----------------------------------------------------------------------------------------------------
def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if days < 0:
        raise argparse.ArgumentTypeError("days must not be negative")
    return days


def register(subparsers: Any) -> None:
    """Add ``odyssey notes ...`` to the ``odyssey`` command's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", help="repository root (default: the git work tree of the current directory)")
    changes = argparse.ArgumentParser(add_help=False)
    changes.add_argument("--no-index", action="store_true", help="do not regenerate the notes index afterwards")

    notes = subparsers.add_parser(
        "notes", help="structured notes: new, supersede, archive, adopt, list, index",
        description="Structured notes that are updated instead of duplicated. Paths in related and superseded_by "
                    "are relative to the note.",
    )
    actions = notes.add_subparsers(dest="notes_command", metavar="ACTION")

    def usage(_args: argparse.Namespace) -> int:
        notes.print_help(sys.stderr)
        return 2

    notes.set_defaults(handler=usage)

    new = actions.add_parser("new", parents=[common, changes], help="write a new note, unless one covers the topic")
    new.add_argument("--kind", required=True, help="the note's kind (see [notes] kinds)")
    new.add_argument("--title", required=True, help="one-line title; the file name is derived from it")
    new.add_argument("--tags", action="append", metavar="A,B", help="comma-separated tags (repeatable)")
    new.add_argument("--related", action="append", metavar="PATH", help="a related file (repeatable); a note named "
                     "here never blocks the new one")
    new.add_argument("--supersedes", action="append", metavar="NOTE", help="a note the new one replaces "
                     "(repeatable): it is marked superseded by the new note")
    new.add_argument("--body-file", metavar="PATH", help="Markdown body of the note ('-' reads standard input)")
    new.add_argument("--force", action="store_true", help="create the note even when an existing one covers the topic")
    new.set_defaults(handler=cmd_new)

    supersede = actions.add_parser("supersede", parents=[common, changes], help="mark OLD as superseded by NEW")
    supersede.add_argument("old", metavar="OLD")
    supersede.add_argument("new", metavar="NEW")
    supersede.set_defaults(handler=cmd_supersede)

    archive = actions.add_parser("archive", parents=[common, changes], help="mark notes as archived")
    archive.add_argument("notes", metavar="NOTE", nargs="+")
    archive.set_defaults(handler=cmd_archive)

    adopt = actions.add_parser("adopt", parents=[common, changes],
                               help="give an existing note the frontmatter it lacks")
    adopt.add_argument("note", metavar="NOTE")
    adopt.add_argument("--kind", required=True)
    adopt.add_argument("--title", help="title (default: the frontmatter's, else the first heading, else the name)")
    adopt.add_argument("--tags", action="append", metavar="A,B")
    adopt.set_defaults(handler=cmd_adopt)

    listing = actions.add_parser("list", parents=[common], help="list notes (path, kind, status, updated, age, title)")
    listing.add_argument("--stale", type=_positive_days, metavar="DAYS",
                         help="only active notes not updated for DAYS days (or with no date at all)")
    listing.add_argument("--kind")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=cmd_list)

    index = actions.add_parser("index", parents=[common], help="regenerate the notes index (notes/README.md)")
    index.add_argument("--check", action="store_true", help="only report whether the index is current (exit 1 if not)")
    index.set_defaults(handler=cmd_index)
