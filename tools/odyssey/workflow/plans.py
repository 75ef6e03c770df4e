"""Plan notes: notes of the plan kind whose frontmatter lists the components they plan.

A plan note is a note (``odyssey.notes``: below the notes directory, with note frontmatter) whose ``kind`` is
``[workflow] plan-kind`` (``plan``) and whose ``[workflow] plan-key`` (``components``) lists component names::

    ---
    title: LeNet-5 layers with forward/backward and reference loops
    kind: plan
    status: active
    created: 2026-11-26
    updated: 2026-11-26
    components: [lenet5.layers.*, lenet5.model]
    ---

An entry names a component by its name (``lenet5.model``), its dotted module or its path (``lenet5/model.py``), or
is an fnmatch pattern over names (``lenet5.layers.*``). A plan of any status counts: a superseded plan was still made
before the work; the date that matters is when the first plan existed.
"""

from __future__ import annotations

import datetime
import fnmatch
import logging
from dataclasses import dataclass

from odyssey.agents_model import value_positions
from odyssey.notes.model import as_date, as_strings, note_paths, notes_settings
from odyssey.project import Project
from odyssey.workflow.components import Component
from odyssey.workflow.settings import WorkflowSettings

logger = logging.getLogger(__name__)

PATTERN_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class PlanEntry:
    note: str  # the plan note's path
    written: str  # the entry as written
    line: int
    column: int
    created: datetime.date | None  # the note's created date


def entry_matches(written: str, component: Component) -> bool:
    candidates = (component.name, component.module, component.path)
    if PATTERN_CHARS & set(written):
        return any(fnmatch.fnmatchcase(candidate, written) for candidate in candidates)
    return written in candidates


class PlanIndex:
    """Every entry of every plan note, and which components each names."""

    def __init__(self, project: Project, settings: WorkflowSettings) -> None:
        self.entries: list[PlanEntry] = []
        notes = notes_settings(project.config)
        for document in project.documents(note_paths(project, notes)):
            if not document.readable or document.frontmatter.problem is not None:
                continue
            meta = document.meta
            if meta.get("kind") != settings.plan_kind or settings.plan_key not in meta:
                continue
            created = as_date(meta.get("created"))
            written = list(as_strings(meta.get(settings.plan_key)))
            for value, (line, column) in zip(written, value_positions(document, settings.plan_key, written)):
                self.entries.append(PlanEntry(document.path, value, line, column, created))

    def plans_for(self, component: Component) -> list[PlanEntry]:
        """The entries naming ``component``, one per note, sorted by path."""
        by_note: dict[str, PlanEntry] = {}
        for entry in self.entries:
            if entry.note not in by_note and entry_matches(entry.written, component):
                by_note[entry.note] = entry
        return [by_note[note] for note in sorted(by_note)]

    def unmatched(self, components: list[Component]) -> list[PlanEntry]:
        """Entries that name no component (a typo, or a component that was renamed or deleted)."""
        return [entry for entry in self.entries
                if not any(entry_matches(entry.written, component) for component in components)]
