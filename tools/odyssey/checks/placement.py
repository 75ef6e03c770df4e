"""placement (PLC): every document lives where its kind belongs.

The rules are data: the repository declares its kinds of document (config ``kinds``), the Markdown allowed at its
root (``placement.root-allow``) and where documents of no kind go (``placement.default-destination``). Recognition,
its precedence (frontmatter ``type:`` > frontmatter keys > path > file-name regex) and the destination logic live in
``odyssey.kinds``, shared with the naming check and the fixer. Every finding carries a ``move`` fix whose destination
already has a conforming, non-colliding name.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterator

from odyssey.checks.base import DocumentCheck
from odyssey.document import Document
from odyssey.findings import Finding, Fix
from odyssey.kinds import (
    Destination,
    DestinationPlanner,
    Misplacement,
    NamingConfigError,
    PlacementRules,
    planner_for,
)
from odyssey.project import Project
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

PLC001 = Rule(
    code="PLC001",
    name="misplaced-root-document",
    family="placement",
    summary="Markdown file at the repository root that the root does not allow",
    doc="""
    ## What it does
    Reports a Markdown file at the repository root whose name is not in `placement.root-allow` (default:
    `README.md`, `CONTRIBUTING.md`, `CHANGELOG.md`, `CODE_OF_CONDUCT.md`, `SECURITY.md`, `LICENSE*`, `CLAUDE.md`,
    `AGENTS.md`; matched case-insensitively, `.markdown` counting as `.md`). The suggested destination is the first
    directory of the document's kind (a screaming-case report such as `SESSION_SUMMARY.md` goes to `notes/`, a
    `type: agent` file to `agents/`), else `placement.default-destination` (`docs/`), under a name that follows that
    directory's naming pattern. Hidden files (`.name.md`) belong to tools and are not reported.

    ## Why is this bad?
    The root is the front page of the repository. Every report an agent leaves there (`IMPLEMENTATION_SUMMARY.md`,
    `FINAL_REVIEW.md`, ...) pushes the README further down and buries the files people actually need.

    ## Example
    ```text
    README.md
    SESSION_SUMMARY.md
    ARCHITECTURE.md
    ```

    ## Use instead
    ```text
    README.md
    notes/session-summary.md
    docs/architecture.md
    ```

    ## Options
    - `placement.root-allow`
    - `placement.default-destination`
    - `kinds`
    - `naming.patterns` (the destination's file name)

    ## Fix safety
    The move (with every link to the file rewritten) is safe. When the conforming destination is already taken, a
    numbered name is suggested (`notes/session-summary-2.md`) and the fix is unsafe: the two files may be duplicates.
    """,
)
PLC002 = Rule(
    code="PLC002",
    name="document-outside-kind-directory",
    family="placement",
    summary="Document of a declared kind outside the directories of its kind",
    doc="""
    ## What it does
    Recognizes the kind of each Markdown document below the root and reports one that lies outside every
    directory its kind may live in (config `kinds`). A kind is recognized, in this order: frontmatter `type:`
    (`type: note`), frontmatter keys (a Claude Code subagent's `name` + `description` + `tools`), path globs, and
    the file-name regex (screaming-case reports: `SESSION_SUMMARY.md`, `TEST_RESULTS.md`). What a document says
    about itself beats where it is, which beats what it is called (a `type:` naming no declared kind, such as
    `type: tutorial`, makes the document of no kind); within one tier the first declared kind wins; a kind's
    `exclude` globs (`agents/README.md`, `agents/guides/**`) never count as that kind.

    Markdown of no declared kind is never reported outside the root: package READMEs (`lenet5/README.md`), design
    notes beside code and `docs/` pages are legitimate wherever they are. Nothing under a hidden directory
    (`.github/` issue templates, `.claude/` commands and skills) is reported: tools dictate those layouts.

    ## Why is this bad?
    Notes and reports scattered through `docs/` end up in the published site and in search results; an agent
    definition outside `agents/` or `.claude/agents/` is never loaded, and the agent checks never see it.

    ## Example
    ```text
    docs/SESSION_SUMMARY.md                 # a report
    docs/agents/reviewer.md                 # frontmatter: name, description, tools
    lenet5/training-log.md                  # frontmatter: type: note
    ```

    ## Use instead
    ```text
    notes/session-summary.md
    agents/reviewer.md
    notes/training-log.md
    ```

    ## Options
    - `kinds` (name, dirs, type, paths, name-regex, exclude)
    - `naming.patterns` (the destination's file name)

    ## Fix safety
    The move (with every link to the file rewritten) is safe. When the conforming destination is already taken, a
    numbered name is suggested and the fix is unsafe.
    """,
)


def _dirs_text(dirs: tuple[str, ...]) -> str:
    shown = [f"{d}/" if d else "the repository root" for d in dirs]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


class PlacementCheck(DocumentCheck):
    family = "placement"
    summary = "Documents in the wrong place: reports at the root, notes and agents outside their directories"
    rules = (PLC001, PLC002)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.placement = PlacementRules(self.config)
        self.planner: DestinationPlanner | None = None
        self.config_error: NamingConfigError | None = None
        try:
            self.planner = planner_for(project)
        except NamingConfigError as exc:  # checks are built outside the engine's error handling: never raise here
            self.config_error = exc

    def check_document(self, document: Document) -> Iterator[Finding]:
        if self.planner is None:
            error, self.config_error = self.config_error, None
            if error is not None:
                raise error  # reported once as this run's error; the destinations need the naming patterns
            return
        misplaced = self.placement.misplacement(document.path, document.meta, document.frontmatter.key_lines)
        if misplaced is None:
            return
        destination = self.planner.destination(document.path, misplaced.directory)
        fix = Fix(
            "move",
            f"move {document.path} to {destination.path}",
            safe=destination.conflict is None,
            destination=destination.path,
        )
        if misplaced.at_root:
            message = f"'{document.path}' does not belong at the repository root; {self._move(destination)}"
            yield self.finding(PLC001, document.path, 1, 1, message, fix=fix)
        else:
            yield self.finding(PLC002, document.path, self._line(misplaced), 1, self._outside(misplaced, destination),
                               fix=fix)

    @staticmethod
    def _move(destination: Destination) -> str:
        return f"move it to {destination.path}{destination.note}"

    def _outside(self, misplaced: Misplacement, destination: Destination) -> str:
        assert misplaced.match is not None
        kind = misplaced.match.kind
        name = posixpath.basename(misplaced.path)
        return (
            f"'{name}' is {_article(kind.name)} {kind.name} ({misplaced.match.reason}) outside "
            f"{_dirs_text(kind.dirs)}; {self._move(destination)}"
        )

    @staticmethod
    def _line(misplaced: Misplacement) -> int:
        return misplaced.match.line if misplaced.match is not None else 1


CHECKS = (PlacementCheck,)
