"""naming (NAM): file and directory names that work in every URL, on every file system.

Patterns are data: ``naming.patterns`` maps directories to ``kebab``, ``snake``, ``any`` or a regex (the longest
configured prefix wins) and ``naming.allow`` names pass them all; see ``odyssey.kinds`` for how conforming names are
derived. Each file gets at most one naming finding, the most specific: a space (NAM002) before letter case alone
(NAM003) before any other mismatch (NAM001); a file that collides case-insensitively with another path is left to
NAM004, and a file the placement check moves is left alone (its destination already has a conforming name).
Directories are checked once each, by the whole-repository check, with the same precedence.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterator, Sequence

from odyssey.checks.base import DocumentCheck, ProjectCheck
from odyssey.discovery import FileIndex
from odyssey.document import Document
from odyssey.findings import Finding, Fix
from odyssey.kinds import (
    Destination,
    DestinationPlanner,
    NamingConfigError,
    NamingRules,
    PlacementRules,
    has_space,
    planner_for,
)
from odyssey.project import Project
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

NAM001 = Rule(
    code="NAM001",
    name="name-pattern-mismatch",
    family="naming",
    summary="File or directory name does not follow the naming pattern of its directory",
    doc="""
    ## What it does
    Checks the name of every Markdown file against the pattern of its directory (`naming.patterns`; default
    `docs/`, `notes/` and `agents/` are `kebab`: `getting-started.md`). A pattern is `kebab`, `snake`, `any`, or a
    regex matched against the whole file name; the longest configured directory prefix wins, and names in
    `naming.allow` (`README.md`, `index.md`) always pass. Under `kebab`/`snake` the directories holding Markdown
    follow the same style (except `.hidden` and `_underscored` tool directories). The suggested name is derived:
    words split at separators and camelCase, accents transliterated, `.markdown` written `.md`.

    A name that is wrong only in its letter case is NAM003 instead, and one with a space NAM002: one finding per name.

    ## Why is this bad?
    File names become URLs on the docs site and on GitHub. Mixed conventions (`Setup_Guide.md`,
    `training.notes.md`, `API Reference.markdown`) make links impossible to guess and easy to break.

    ## Example
    ```text
    docs/Model_Overview.md
    docs/training.notes.markdown
    ```

    ## Use instead
    ```text
    docs/model-overview.md
    docs/training-notes.md
    ```

    ## Options
    - `naming.patterns`
    - `naming.allow`

    ## Fix safety
    The rename (with every link to the file rewritten) is safe, unless the conforming name was taken and a numbered
    one is suggested. No fix is offered when no conforming name can be derived (a name of CJK letters only).
    """,
)
NAM002 = Rule(
    code="NAM002",
    name="space-in-name",
    family="naming",
    summary="Space in the name of a Markdown file or of a directory holding Markdown",
    doc="""
    ## What it does
    Reports whitespace in the name of any Markdown file, and of any directory that holds Markdown (once per
    directory), wherever it is: no naming pattern is needed. The suggested name follows the directory's pattern
    when there is one, else replaces each run of spaces with a hyphen.

    ## Why is this bad?
    Every link to the file needs `%20` or angle brackets, shells need quoting, and the links agents write by hand
    break. It is the commonest way a generated file name goes wrong.

    ## Example
    ```text
    docs/Meeting Notes/Design Review.md
    ```

    ## Use instead
    ```text
    docs/meeting-notes/design-review.md
    ```

    ## Fix safety
    The rename (with every link to the file rewritten) is safe, unless the conforming name was taken and a numbered
    one is suggested.
    """,
)
NAM003 = Rule(
    code="NAM003",
    name="uppercase-in-name",
    family="naming",
    summary="Upper-case letters in a name whose directory's naming pattern forbids them",
    doc="""
    ## What it does
    Reports a Markdown file (or a directory holding Markdown) whose name breaks its directory's naming pattern only
    through upper-case letters: lower-casing it would make it conform (`Getting-Started.md`, `guide.MD`). Names
    that are wrong in other ways as well (`Getting_Started.md` under `kebab`) are NAM001, never both.

    ## Why is this bad?
    URLs are case-sensitive on the docs site but file systems on macOS and Windows are not, so a link that works on
    the author's laptop (`getting-started.md` for `Getting-Started.md`) is broken in CI and on the site.

    ## Example
    ```text
    docs/Getting-Started.md
    notes/README-Lenet5.md
    ```

    ## Use instead
    ```text
    docs/getting-started.md
    notes/readme-lenet5.md
    ```

    ## Options
    - `naming.patterns`
    - `naming.allow`

    ## Fix safety
    The rename (with every link to the file rewritten) is safe, unless the lower-case name was taken and a numbered
    one is suggested. On case-insensitive file systems the rename must go through a temporary name.
    """,
)
NAM004 = Rule(
    code="NAM004",
    name="case-collision",
    family="naming",
    summary="Two repository paths differ only in letter case",
    doc="""
    ## What it does
    Reports repository paths (files or directories, any type) that are equal when letter case is ignored:
    `docs/Guide.md` and `docs/guide.md`, or `Docs/` and `docs/`. Only the topmost collision is reported (two
    colliding directories, not every file inside them). One path of each group is kept: the one that follows its
    naming pattern, else the one with the fewest capitals; every other path is reported.

    ## Why is this bad?
    On macOS and Windows only one of the two can exist: a clone silently loses one file and shows the other as
    modified. Links to either resolve differently on each machine.

    ## Example
    ```text
    docs/Guide.md
    docs/guide.md
    ```

    ## Use instead
    Merge the two (they are usually two versions of one document), or give one a distinct name:
    ```text
    docs/guide.md
    docs/guide-2.md
    ```

    ## Fix safety
    For a file, a rename to a free, conforming name is offered and is unsafe: the files are probably duplicates
    to merge by hand. Colliding directories get no fix: merge them.
    """,
)


def _rename(destination: Destination) -> str:
    return f"rename it to {destination.path}{destination.note}"


def _rename_fix(path: str, destination: Destination) -> Fix:
    return Fix("move", f"rename {path} to {destination.path}", safe=destination.conflict is None,
               destination=destination.path)


def name_collisions(path: str, files: FileIndex) -> tuple[str, ...]:
    """The paths beside ``path`` (same parent directory) whose names equal its name but for letter case, itself
    included. Paths that collide only because their parent directories do are the parents' collision."""
    parent = posixpath.dirname(path)
    group = files.by_lower_path.get(path.lower(), ())
    return tuple(other for other in group if posixpath.dirname(other) == parent)


def collision_keeper(group: Sequence[str], naming: NamingRules) -> str:
    """Which path of a case-collision group stays: one that follows its naming pattern, else the fewest capitals."""

    def conforms(path: str) -> bool:
        name = posixpath.basename(path)
        pattern = naming.pattern_for(path)
        return pattern is None or naming.is_allowed(path) or pattern.accepts(name)

    return min(group, key=lambda path: (not conforms(path), sum(char.isupper() for char in path), path))


class NamingCheck(DocumentCheck, ProjectCheck):
    """Both kinds of check in one: file names per document (so pre-commit runs see them), directory names and
    case collisions once per whole-repository run. One instance, so both halves share the run's planner."""

    family = "naming"
    summary = "File and directory names: naming patterns, spaces, letter case, case collisions"
    rules = (NAM001, NAM002, NAM003, NAM004)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.placement = PlacementRules(self.config)
        self.planner: DestinationPlanner | None = None
        self.config_error: NamingConfigError | None = None
        try:
            self.planner = planner_for(project)
        except NamingConfigError as exc:  # checks are built outside the engine's error handling: never raise here
            self.config_error = exc

    def _raise_config_error_once(self) -> None:
        error, self.config_error = self.config_error, None
        if error is not None:
            raise error

    def check_document(self, document: Document) -> Iterator[Finding]:
        if self.planner is None:
            self._raise_config_error_once()
            return
        path = document.path
        if self.placement.misplacement(path, document.meta, document.frontmatter.key_lines) is not None:
            return  # the placement move already gives it a conforming name
        name = posixpath.basename(path)
        naming = self.planner.naming
        if has_space(name):
            destination = self.planner.destination(path)
            yield self.finding(NAM002, path, 1, 1, f"'{name}' has a space in its name; {_rename(destination)}",
                               fix=_rename_fix(path, destination))
            return
        colliding = name_collisions(path, self.project.files)
        if len(colliding) > 1 and collision_keeper(colliding, naming) != path:
            return  # NAM004 reports it (whole-repository runs)
        pattern = naming.pattern_for(path)
        if pattern is None or naming.is_allowed(path) or pattern.accepts(name):
            return
        case_only = pattern.accepts(name.lower())
        if case_only:
            problem = f"'{name}' has upper-case letters, which {pattern.described} forbids"
        else:
            problem = f"'{name}' does not follow {pattern.described}"
        if pattern.conform(name) is None:
            yield self.finding(NAM001, path, 1, 1, f"{problem}, and no conforming name can be derived from it")
            return
        destination = self.planner.destination(path, name=name.lower() if case_only else None)
        yield self.finding(NAM003 if case_only else NAM001, path, 1, 1, f"{problem}; {_rename(destination)}",
                           fix=_rename_fix(path, destination))


    def check_project(self) -> Iterator[Finding]:
        if self.planner is None:
            self._raise_config_error_once()
            return
        yield from self._collisions(self.planner)
        yield from self._directories(self.planner)

    def _collisions(self, planner: DestinationPlanner) -> Iterator[Finding]:
        groups: list[tuple[str, ...]] = []
        for paths in self.project.files.by_lower_path.values():
            if len(paths) < 2:
                continue
            by_parent: dict[str, list[str]] = {}
            for path in paths:  # a collision between different parents is the parents' collision, reported there
                by_parent.setdefault(posixpath.dirname(path), []).append(path)
            groups.extend(tuple(group) for group in by_parent.values() if len(group) > 1)
        for group in sorted(groups):
            keeper = collision_keeper(group, planner.naming)
            for path in group:
                if path == keeper:
                    continue
                problem = (
                    f"'{path}' differs from '{keeper}' only in letter case; on case-insensitive file systems "
                    "(macOS, Windows) only one of them survives a checkout"
                )
                if self.project.files.is_file(path):
                    destination = planner.destination(path)
                    fix = Fix("move", f"rename {path} to {destination.path} (or merge it into {keeper})",
                              safe=False, destination=destination.path)
                    yield self.finding(NAM004, path, 1, 1, f"{problem}; merge them, or rename it to {destination.path}",
                                       fix=fix)
                else:
                    yield self.finding(NAM004, path, 1, 1, f"{problem}; merge it into '{keeper}/'")

    def _directories(self, planner: DestinationPlanner) -> Iterator[Finding]:
        files = self.project.files
        naming = planner.naming
        holding_markdown: set[str] = set()
        for path in files.markdown:
            parent = posixpath.dirname(path)
            while parent and parent not in holding_markdown:
                holding_markdown.add(parent)
                parent = posixpath.dirname(parent)
        for directory in sorted(holding_markdown):
            name = posixpath.basename(directory)
            if has_space(name):
                destination = planner.destination(directory, is_dir=True)
                message = f"directory '{directory}' has a space in its name; {_rename(destination)}"
                yield self.finding(NAM002, directory, 1, 1, message, fix=_rename_fix(directory, destination))
                continue
            if len(name_collisions(directory, files)) > 1 or name.startswith((".", "_")):
                continue  # collisions are NAM004's; hidden and underscored directories belong to tools
            pattern = naming.pattern_for(directory)
            if pattern is None or naming.is_allowed(directory) or pattern.accepts_directory(name):
                continue
            case_only = pattern.accepts_directory(name.lower())
            conformed = pattern.conform_directory(name)
            if case_only:
                problem = f"directory '{directory}' has upper-case letters, which {pattern.described} forbids"
            else:
                problem = f"directory '{directory}' does not follow {pattern.described}"
            if conformed is None:
                yield self.finding(NAM001, directory, 1, 1, f"{problem}, and no conforming name can be derived")
                continue
            destination = planner.destination(directory, is_dir=True, name=name.lower() if case_only else None)
            yield self.finding(NAM003 if case_only else NAM001, directory, 1, 1, f"{problem}; {_rename(destination)}",
                               fix=_rename_fix(directory, destination))


CHECKS = (NamingCheck,)
