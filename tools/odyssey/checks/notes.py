"""notes (NTS): structured notes keep valid frontmatter, their references hold, and the index is current.

A note is a Markdown file below the notes directory (``notes/`` by default) other than the generated index and
directory pages; see ``odyssey.notes`` for the format. Paths in ``related`` and ``superseded_by`` are relative to the
note, like links written in it.

- NTS001 compares the index file with what ``odyssey notes index`` would generate (a whole-repository check).
- NTS002–NTS006 look at one note at a time: frontmatter missing (NTS002) or against the schema (NTS003), references
  to files that do not exist (NTS004), ``updated`` before ``created`` (NTS005), and a status that disagrees with
  ``superseded_by`` (NTS006). Invalid YAML is the inputs family's (INP002/INP003) and is not reported twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from odyssey.checks.base import DocumentCheck, ProjectCheck
from odyssey.document import Document
from odyssey.findings import Finding
from odyssey.notes.index import first_difference, generate_index
from odyssey.notes.model import (
    NotesSettings,
    as_date,
    as_strings,
    as_text,
    note_paths,
    notes_settings,
    reference_target,
)
from odyssey.notes.schema import NoteValidator
from odyssey.project import Project
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

NTS001 = Rule(
    code="NTS001",
    name="notes-index-outdated",
    family="notes",
    summary="The notes index is missing or differs from what `odyssey notes index` generates",
    doc="""
    ## What it does
    Generates the notes index (`notes/README.md` by default) from the notes' frontmatter, exactly as
    `odyssey notes index` would, and reports the committed file when it differs (at the first differing line) or
    is missing while notes exist. Runs on whole-repository checks only.

    ## Why is this bad?
    The index is how people and agents find the notes. A stale one hides new notes, lists notes that were
    renamed or deleted, and shows superseded notes as current: readers act on memory that has rotted.

    ## Example
    `notes/tokenizer-merge-analysis.md` was added, and `notes/README.md` does not list it.

    ## Use instead
    ```bash
    odyssey notes index     # regenerate; commit the result
    ```
    `odyssey notes new`, `supersede`, `archive` and `adopt` regenerate the index themselves.

    ## Options
    - `notes.directory`, `notes.index`, `notes.kinds` (section order)
    """,
)
NTS002 = Rule(
    code="NTS002",
    name="note-without-frontmatter",
    family="notes",
    summary="Note has no frontmatter",
    doc="""
    ## What it does
    Reports a Markdown file below the notes directory (not the index, not a README/index page, not excluded) that
    has no YAML frontmatter, or an empty one.

    ## Why is this bad?
    Without `kind`, `status` and dates a note cannot be grouped, found as covering a topic, retired when it is
    superseded, or recognised as stale: it is exactly the loose Markdown memory that rots.

    ## Example
    ```markdown
    # Tokenizer merges

    The BPE merge table doubles in size when ...
    ```

    ## Use instead
    ```markdown
    ---
    title: Tokenizer merges
    kind: analysis
    status: active
    created: 2026-11-20
    updated: 2026-11-20
    tags: [tokenizer]
    ---

    # Tokenizer merges
    ```
    `odyssey notes adopt notes/tokenizer-merges.md --kind analysis` writes it, with dates from git history.

    ## Options
    - `notes.exclude`: globs of Markdown files below the notes directory that are not notes
    """,
)
NTS003 = Rule(
    code="NTS003",
    name="invalid-note-frontmatter",
    family="notes",
    summary="Note frontmatter does not match the note schema (missing key, unknown key, bad value)",
    doc="""
    ## What it does
    Validates each note's frontmatter against `note.schema.json`: `title`, `kind`, `status`, `created` and
    `updated` are required; `kind` must be one of the configured kinds, `status` one of active, superseded,
    archived; dates are written `YYYY-MM-DD`; `tags` and `related` are lists; no other keys. One finding per key at
    fault, at its line, with a did-you-mean for misspellings.

    ## Why is this bad?
    `odyssey notes` and the index read these keys: a misspelt `staus:` or a `kind: reveiw` silently drops a note
    from its group, and `date:` instead of `created:` leaves it undated.

    ## Example
    ```yaml
    ---
    title: Tokenizer merges
    kind: reveiw
    status: active
    date: 2026-11-20
    ---
    ```

    ## Use instead
    ```yaml
    ---
    title: Tokenizer merges
    kind: review
    status: active
    created: 2026-11-20
    updated: 2026-11-20
    ---
    ```

    ## Options
    - `notes.kinds`: the allowed kinds
    - `notes.extra-keys`: further keys a note may carry
    """,
)
NTS004 = Rule(
    code="NTS004",
    name="missing-note-reference",
    family="notes",
    summary="A `related` or `superseded_by` path names a file that does not exist",
    doc="""
    ## What it does
    Resolves every path in `related` and `superseded_by` relative to the note (like a link written in it; a
    leading `/` means the repository root) and reports those that name no file or directory of the repository,
    that climb out of it, or that are paths on one machine. URLs are not checked.

    ## Why is this bad?
    The relation is how a reader gets from an old note to the one that replaced it, or to the analysis behind a
    decision. A dangling one ends the trail, usually because a note was renamed or deleted.

    ## Example
    ```yaml
    # notes/decision-bpe-vocabulary.md
    related: [notes/tokenizer-merges.md]   # resolves to notes/notes/tokenizer-merges.md
    ```

    ## Use instead
    ```yaml
    related: [tokenizer-merges.md]
    ```
    """,
)
NTS005 = Rule(
    code="NTS005",
    name="updated-before-created",
    family="notes",
    summary="Note's `updated` date is earlier than its `created` date",
    doc="""
    ## What it does
    Reports a note whose `updated` date lies before its `created` date (both valid `YYYY-MM-DD` dates).

    ## Why is this bad?
    One of the dates is wrong, usually `updated` left at a template's value or `created` retyped when the note was
    copied; stale-note listings (`odyssey notes list --stale`) then misjudge the note's age.

    ## Example
    ```yaml
    created: 2026-11-20
    updated: 2026-10-02
    ```

    ## Use instead
    ```yaml
    created: 2026-11-20
    updated: 2026-11-24
    ```
    """,
)
NTS006 = Rule(
    code="NTS006",
    name="supersession-mismatch",
    family="notes",
    summary="Note is superseded without `superseded_by`, or has `superseded_by` without being superseded",
    doc="""
    ## What it does
    Reports a note with `status: superseded` that does not say what superseded it (`superseded_by`), and a note
    with `superseded_by` whose status is not `superseded`.

    ## Why is this bad?
    A superseded note without a successor is a dead end: the reader learns the note is wrong but not where the
    current answer is. A successor on an active note leaves readers unsure which of the two holds.

    ## Example
    ```yaml
    title: Tokenizer merges (first pass)
    status: superseded
    ```

    ## Use instead
    ```yaml
    title: Tokenizer merges (first pass)
    status: superseded
    superseded_by: tokenizer-merges.md
    ```
    `odyssey notes supersede OLD NEW` sets both (and adds OLD to NEW's `related`).
    """,
)


def _settings(project: Project) -> NotesSettings:
    return notes_settings(project.config)


class NotesCheck(DocumentCheck):
    family = "notes"
    summary = "Notes carry valid frontmatter whose references and dates hold together"
    rules = (NTS002, NTS003, NTS004, NTS005, NTS006)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.settings = _settings(project)
        self.validator = NoteValidator(self.settings)

    def check_document(self, document: Document) -> Iterator[Finding]:
        if not self.settings.is_note(document.path) or not document.readable:
            return
        frontmatter = document.frontmatter
        if frontmatter.problem is not None:
            return  # invalid YAML or not a mapping: the inputs check reports it (INP002, INP003)
        if not frontmatter.present or not frontmatter.data:
            what = "empty frontmatter" if frontmatter.present else "no frontmatter"
            yield self.finding(NTS002, document.path, 1, 1,
                               f"note has {what} (title, kind, status, created, updated); add it with "
                               f"`odyssey notes adopt {document.path} --kind KIND`")
            return
        data = frontmatter.data
        start = max(frontmatter.start_line, 1)
        for problem in self.validator.problems(data):
            line = frontmatter.key_lines.get(problem.key, start) if problem.key else start
            yield self.finding(NTS003, document.path, line, 1, problem.message)
        yield from self.reference_findings(document, data)
        yield from self.date_findings(document, data)
        yield from self.supersession_findings(document, data)

    def reference_findings(self, document: Document, data: dict[str, Any]) -> Iterator[Finding]:
        files = self.project.files
        prefixes = self.config.machine_path_prefixes
        entries = [("related", written) for written in as_strings(data.get("related"))]
        successor = as_text(data.get("superseded_by"))
        if successor is not None:
            entries.append(("superseded_by", successor))
        for key, written in entries:
            target = reference_target(document.path, written, files, prefixes)
            if target.status in ("external", "same-file"):
                continue
            if target.status == "local" and target.path is not None and files.exists(target.path):
                continue
            line, column = self.value_position(document, key, written)
            if target.status == "machine":
                problem = "is a path on one machine, not a repository path"
            elif target.status == "escape":
                problem = "climbs out of the repository"
            else:
                problem = f"names {target.path}, which does not exist"
            yield self.finding(NTS004, document.path, line, column,
                               f"'{key}' entry '{written}' {problem} (paths are relative to the note)")

    @staticmethod
    def value_position(document: Document, key: str, written: str) -> tuple[int, int]:
        """Line and column of a value of ``key`` in the frontmatter: its first occurrence as a whole YAML item (not
        inside a longer path) from the key's line on."""
        frontmatter = document.frontmatter
        first = frontmatter.key_lines.get(key, frontmatter.start_line)
        item = re.compile(r"(?<![^\s\[,'\"])" + re.escape(written) + r"(?![^\s\],'\"#])")
        for number in range(first, frontmatter.end_line):
            text = document.lines[number - 1]
            found = item.search(text, len(f"{key}:") if number == first else 0)
            if found:
                return number, found.start() + 1
        return first, 1

    def date_findings(self, document: Document, data: dict[str, Any]) -> Iterator[Finding]:
        created, updated = as_date(data.get("created")), as_date(data.get("updated"))
        if created is not None and updated is not None and updated < created:
            line = document.frontmatter.key_lines.get("updated", 1)
            yield self.finding(NTS005, document.path, line, 1,
                               f"'updated' ({updated.isoformat()}) is earlier than 'created' ({created.isoformat()})")

    def supersession_findings(self, document: Document, data: dict[str, Any]) -> Iterator[Finding]:
        status = data.get("status")
        successor = data.get("superseded_by")
        lines = document.frontmatter.key_lines
        if status == "superseded" and not as_text(successor):
            yield self.finding(NTS006, document.path, lines.get("status", 1), 1,
                               "note is superseded but does not say by what: add 'superseded_by' (a path relative "
                               "to the note), e.g. with `odyssey notes supersede OLD NEW`")
        elif as_text(successor) and status in ("active", "archived"):
            yield self.finding(NTS006, document.path, lines.get("superseded_by", 1), 1,
                               f"note has 'superseded_by' but its status is {status}; set status: superseded, or "
                               f"remove 'superseded_by'")


class NotesIndexCheck(ProjectCheck):
    family = "notes"
    summary = "The generated notes index matches the notes"
    rules = (NTS001,)

    def check_project(self) -> Iterator[Finding]:
        settings = _settings(self.project)
        index = settings.index
        files = self.project.files
        if not files.is_file(index):
            if note_paths(self.project, settings):
                yield self.finding(NTS001, index, 1, 1,
                                   f"{index} is missing; generate it with `odyssey notes index`")
            return
        document = self.project.document(index)
        if not document.readable:
            return  # the inputs check reports why
        wanted = generate_index(self.project, settings)
        if document.text != wanted:
            line = first_difference(document.text, wanted)
            yield self.finding(NTS001, index, line, 1,
                               f"{index} is out of date (first difference at line {line}); regenerate it with "
                               f"`odyssey notes index`")


CHECKS = (NotesIndexCheck, NotesCheck)
