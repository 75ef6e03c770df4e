"""stubs (STB): pages that look written but say nothing.

A test suite once overwrote twenty real documents with "Content here." and nobody noticed for months: every other
check passed, because a stub has valid links, a title and a place. This family reads what the document says:

- STB001: the whole document is a stub -- empty, only frontmatter, only a title (and other headings), or only
  placeholder text ("Content here.", "TODO", "TBD", "Coming soon", lorem ipsum) besides headings and comments.
- STB002: a paragraph of an otherwise real document is only a placeholder.
- STB003: a heading with nothing under it before the next heading of the same or a higher rank. A heading whose
  section holds only subsections is fine (the subsections are checked themselves).

What counts as content: paragraphs, list items, table cells, code blocks (fenced or indented) and HTML other than
comments. What is never a placeholder: a TODO inside a sentence of real prose, anything in code (a fence, an inline
code span), list items of a real list (plans list TODO items on purpose), table cells (``TBD`` in a results table is
data). A README that is mostly links has content: its link texts. Placeholders are matched against the whole
paragraph with emphasis, brackets and final punctuation removed, case-insensitively.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from odyssey.checks.base import DocumentCheck
from odyssey.config import ConfigError
from odyssey.document import Block, Document, Heading
from odyssey.findings import Finding, Severity
from odyssey.project import Project
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

SECTION = "stubs"
DEFAULT_ALLOW_EMPTY_HEADINGS = ("Unreleased",)  # Keep a Changelog's section for changes not released yet
_NOUNS = (r"content|text|description|details|documentation|docs|info|information|summary|overview|explanation|"
          r"examples?|notes|diagram|image|screenshot|code|instructions|steps|body|paragraph|intro|introduction")
_VERBS = r"add|insert|put|write|place|enter|paste|fill in"
PLACEHOLDER_PATTERNS = (
    rf"(?:(?:{_VERBS})\s+)?(?:your|the|some|a|an|more|real|actual)?\s*(?:[\w-]+\s+)?(?:{_NOUNS})\s+"
    rf"(?:goes\s+|will\s+go\s+|comes\s+)?here",
    r"todo|tbd|tba|tbc|wip|fixme|xxx|placeholder|stub|coming soon|under construction|work in progress|"
    r"to be (?:written|added|completed|determined|done|documented|decided|filled in|announced|continued)",
    r"(?:this\s+)?(?:section|page|document|file|chapter|part)\s+(?:is\s+|will\s+be\s+)?(?:coming soon|"
    r"under construction|a stub|a placeholder|a work in progress|(?:intentionally\s+)?left blank|empty|"
    r"to be (?:written|added|completed|filled in|expanded)|(?:written|added|completed|expanded) later)",
    rf"(?:more\s+)?(?:{_NOUNS})\s+(?:coming soon|to follow|to come|tbd|todo|later|pending|soon)",
    r"(?:[\w-]+\s+){0,3}(?:goes|go|will go|comes|come)\s+here",  # "Results go here."
    r"lorem ipsum(?: dolor\b.*)?",  # the filler itself, not a sentence about it
    r"(?:\.\s*){3}|…",
)
# A note instead of the content ("TODO: explain the schedule"): a placeholder in prose, a task in a list.
NOTE_PATTERN = r"(?:todo|tbd|fixme|xxx)\s*[:\-–—]\s*.+"
_TASK_BOX = re.compile(r"^\s*\[[ xX]\]\s")
_STRIP = "*_~`[]()\"' \t\n"
_LIST_ITEM = re.compile(r"^\s*(?:>\s*)*(?:[-*+]|\d{1,9}[.)])\s")
_COMMENT_ONLY = re.compile(r"^\s*(?:<!--.*?-->\s*)+$", re.DOTALL)
_THEMATIC_BREAK = re.compile(r"^\s{0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")

STB001 = Rule(
    code="STB001",
    name="stub-document",
    family="stubs",
    summary="Document has no content: empty, only a title, or only placeholder text",
    doc="""
    ## What it does
    Reports a Markdown file whose body says nothing: it is empty, holds only frontmatter, only headings (a title
    and nothing under it), or only placeholder text besides headings and HTML comments -- "Content here.",
    "TODO", "TBD", "Coming soon", "Lorem ipsum ...", "Add description here". Code blocks, tables, lists of links
    and real HTML are content.

    ## Why is this bad?
    A stub passes every structural check -- it has a title, valid links and a proper place -- while the knowledge
    it should hold is gone. On a real repository a test suite overwrote 20 documents with "Content here." and nobody
    noticed for months.

    ## Example
    ```markdown
    # Training guide

    Content here.
    ```

    ## Use instead
    Write the page, restore it from history (`git log -p -- docs/training.md`), or delete it and the links to it.

    ## Options
    - `stubs.placeholders`: more placeholder texts (regular expressions matched against a whole paragraph).
    """,
)
STB002 = Rule(
    code="STB002",
    name="placeholder-text",
    family="stubs",
    summary="Paragraph is placeholder text (\"TODO\", \"Content here.\", lorem ipsum) in a real document",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports a paragraph that is nothing but a placeholder -- "TODO", "TBD", "TODO: explain the schedule", "Coming
    soon", "Description goes here", lorem ipsum -- in a document that has real content elsewhere. A TODO inside a
    sentence of real prose, in code, in a list item or in a table cell is not reported.

    ## Why is this bad?
    The section looks finished in the table of contents; readers who open it find a promise instead of the
    content.

    ## Example
    ```markdown
    ## Evaluation

    TODO: describe the per-class metrics.
    ```

    ## Use instead
    Write the section, or remove it until there is something to say (track the work in an issue, not in the page).

    ## Options
    - `stubs.placeholders`: more placeholder texts (regular expressions matched against a whole paragraph).
    """,
)
STB003 = Rule(
    code="STB003",
    name="empty-section",
    family="stubs",
    summary="Heading with no content under it",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports a heading followed by nothing -- no paragraph, list, table, code or HTML other than comments -- before
    the next heading of the same or a higher rank, or the end of the file. A heading whose section holds only
    subsections is not reported (the subsections are checked themselves). Headings listed in
    `stubs.allow-empty-headings` (default: `Unreleased`, for changelogs) are never reported.

    ## Why is this bad?
    The table of contents promises a section the page does not have; it is usually a skeleton that was never
    filled in, or content lost in an edit.

    ## Example
    ```markdown
    ## Installation

    ## Usage

    Run `lenet5 train`.
    ```

    ## Use instead
    ```markdown
    ## Installation

    `pip install -e .` from a clone.

    ## Usage

    Run `lenet5 train`.
    ```

    ## Options
    - `stubs.allow-empty-headings`: heading texts that may stay empty.
    """,
)


@dataclass(frozen=True)
class StubSettings:
    placeholder: re.Pattern[str]  # a whole paragraph that is only a placeholder
    placeholder_or_note: re.Pattern[str]  # the same, or a "TODO: ..." note
    allow_empty_headings: frozenset[str]


def stub_settings(project: Project) -> StubSettings:
    raw = project.config.extra_section(SECTION)
    extra = tuple(raw.get("placeholders", ()))
    where = project.config.source.name if project.config.source is not None else "configuration"
    for pattern in extra:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{where}: [stubs] placeholders: {pattern!r} is not a valid regular expression: "
                              f"{exc}") from None
    combined = "|".join(f"(?:{pattern})" for pattern in (*PLACEHOLDER_PATTERNS, *extra))
    allowed = raw.get("allow-empty-headings", DEFAULT_ALLOW_EMPTY_HEADINGS)
    flags = re.IGNORECASE | re.DOTALL
    return StubSettings(re.compile(combined, flags), re.compile(f"{combined}|(?:{NOTE_PATTERN})", flags),
                        frozenset(normalize(text) for text in allowed))


def normalize(text: str) -> str:
    """Paragraph text as compared with placeholders: no emphasis, brackets, quotes or final punctuation."""
    text = " ".join(text.split()).strip(_STRIP)
    text = text.rstrip(".!:;,").strip(_STRIP) if not re.fullmatch(r"[.\s…]+", text) else text
    return text.casefold()


class StubsCheck(DocumentCheck):
    family = "stubs"
    summary = "Placeholder pages and sections: empty, title only, \"Content here.\", TODO, lorem ipsum"
    rules = (STB001, STB002, STB003)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.settings = stub_settings(project)

    def is_placeholder(self, document: Document, block: Block) -> bool:
        """Is ``block`` a paragraph that is only a placeholder? In a list item only the bare words count: "- TODO:
        write the tests" and "- [ ] docs" are tasks of a plan."""
        if block.kind != "paragraph":
            return False
        if self._in_list(document, block):
            if _TASK_BOX.match(block.text) or not self.settings.placeholder.fullmatch(normalize(block.text)):
                return False
        elif not self.settings.placeholder_or_note.fullmatch(normalize(block.text)):
            return False
        source = "\n".join(document.lines[block.line - 1 : block.end_line])
        return "`" not in source  # a `TODO` in a code span is code, not a placeholder

    def check_document(self, document: Document) -> Iterator[Finding]:
        if not document.readable:
            return
        content = [block for block in document.blocks if self._is_content(block)]
        has_code = bool(document.fences) or self._has_indented_code(document)
        placeholders = [block for block in content if self.is_placeholder(document, block)]
        if not has_code and len(placeholders) == len(content):
            yield self._stub(document, placeholders)
            return
        for block in placeholders:
            if not self._in_list(document, block):
                column = self._column(document, block)
                yield self.finding(STB002, document.path, block.line, column,
                                   f"placeholder text instead of content: '{_quote(block.text)}'")
        yield from self.empty_sections(document)

    @staticmethod
    def _is_content(block: Block) -> bool:
        if block.kind == "heading":
            return False
        if block.kind == "html":
            return not _COMMENT_ONLY.match(block.text)
        return bool(block.text.strip())

    def _stub(self, document: Document, placeholders: list[Block]) -> Finding:
        if placeholders:
            first = placeholders[0]
            return self.finding(STB001, document.path, first.line, self._column(document, first),
                                f"document is a stub: its only text is placeholder '{_quote(first.text)}'")
        if document.headings:
            title = document.headings[0]
            what = "only a title" if len(document.headings) == 1 else "only headings"
            return self.finding(STB001, document.path, title.line, 1,
                                f"document is a stub: {what}, no content under '{title.text}'")
        if document.frontmatter.present:
            return self.finding(STB001, document.path, 1, 1, "document is a stub: only frontmatter, no content")
        return self.finding(STB001, document.path, 1, 1, "document is empty")

    # -- sections -------------------------------------------------------------------------------------------------
    def empty_sections(self, document: Document) -> Iterator[Finding]:
        headings = document.headings
        heading_ends = {block.line: block.end_line for block in document.blocks if block.kind == "heading"}
        blank = self._non_content_lines(document)
        for index, heading in enumerate(headings):
            following = headings[index + 1] if index + 1 < len(headings) else None
            if following is not None and following.level > heading.level:
                continue  # only subsections: they are checked themselves
            if normalize(heading.text) in self.settings.allow_empty_headings:
                continue
            start = heading_ends.get(heading.line, heading.line) + 1
            end = following.line - 1 if following is not None else len(document.lines)
            if any(document.lines[line - 1].strip() and line not in blank for line in range(start, end + 1)):
                continue
            yield self.finding(STB003, document.path, heading.line, _heading_column(document, heading),
                               f"section '{heading.text}' is empty: nothing under the heading")

    @staticmethod
    def _non_content_lines(document: Document) -> set[int]:
        """Lines that render nothing: frontmatter, comment-only HTML, link reference definitions, thematic breaks."""
        lines: set[int] = set()
        fm = document.frontmatter
        if fm.present:
            lines.update(range(fm.start_line, fm.end_line + 1))
        for block in document.blocks:
            if block.kind == "html" and _COMMENT_ONLY.match(block.text):
                lines.update(range(block.line, block.end_line + 1))
        for link in document.links:
            if link.kind == "definition":
                lines.add(link.line)
        fenced = {line for fence in document.fences for line in range(fence.line, fence.end_line + 1)}
        for number, text in enumerate(document.lines, start=1):
            if number not in fenced and _THEMATIC_BREAK.match(text):
                lines.add(number)
        return lines

    @staticmethod
    def _has_indented_code(document: Document) -> bool:
        """An indented code block (not recorded as a fence): a 4-space line after a blank one, outside lists."""
        previous_blank = True
        in_list = False
        fm = document.frontmatter
        for number, text in enumerate(document.lines, start=1):
            if fm.present and fm.start_line <= number <= fm.end_line:
                continue
            if not text.strip():
                previous_blank = True
                continue
            if _LIST_ITEM.match(text):
                in_list = True
            elif not text.startswith((" ", "\t")):
                in_list = False
            if previous_blank and not in_list and (text.startswith("    ") or text.startswith("\t")):
                return True
            previous_blank = False
        return False

    @staticmethod
    def _in_list(document: Document, block: Block) -> bool:
        return bool(_LIST_ITEM.match(document.lines[block.line - 1])) if block.line <= len(document.lines) else False

    @staticmethod
    def _column(document: Document, block: Block) -> int:
        source = document.lines[block.line - 1] if block.line <= len(document.lines) else ""
        first_word = block.text.strip().split()[0] if block.text.strip() else ""
        found = source.find(first_word) if first_word else -1
        return found + 1 if found >= 0 else len(source) - len(source.lstrip()) + 1


def _heading_column(document: Document, heading: Heading) -> int:
    source = document.lines[heading.line - 1] if heading.line <= len(document.lines) else ""
    return len(source) - len(source.lstrip()) + 1


def _quote(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


CHECKS = (StubsCheck,)
