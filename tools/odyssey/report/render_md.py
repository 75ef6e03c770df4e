"""The report as Markdown: GitHub-flavoured pipe tables that Python-Markdown (mkdocs) renders the same way.

Everything taken from the repository (messages, paths) is escaped so it stays text: a message quoting
``[guide](setup.md)`` must not become a link (mkdocs would then validate it and fail a strict build), and a ``|``
must not split a table cell. Escapes are limited to what both CommonMark and Python-Markdown understand: backslash
escapes for ``\\ ` * _ [ ] #`` and entities for ``< > & |``.
"""

from __future__ import annotations

import logging
import re

from odyssey.report.model import (
    Badge,
    Block,
    Cell,
    Code,
    Delta,
    Inline,
    ItemList,
    Link,
    LinkPolicy,
    Paragraph,
    Report,
    RuleRef,
    Section,
    SourceRef,
    Strong,
    Table,
    Text,
)

logger = logging.getLogger(__name__)

_BACKSLASHED = re.compile(r"([\\`*_\[\]#])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;"}
_ENTITY_CHARS = re.compile(r"[&<>|]")


def escape_text(text: str) -> str:
    """Literal text as Markdown: on one line, no markup, no raw HTML, safe inside a table cell."""
    one_line = text.replace("\r\n", "\n").replace("\r", "\\r").replace("\n", "\\n")
    escaped = _BACKSLASHED.sub(r"\\\1", one_line)
    return _ENTITY_CHARS.sub(lambda m: _ENTITIES[m.group()], escaped)


def code_span(text: str) -> str:
    """A code span that holds ``text`` whatever backticks it contains; text with ``|`` (which would split a table
    cell even inside a code span on GitHub) or line breaks becomes escaped plain text instead."""
    if "|" in text or "\n" in text or "\r" in text or not text:
        return escape_text(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def escape_href(href: str) -> str:
    """A URL as a Markdown link destination: no spaces, parentheses or angle brackets left to end it early."""
    return (
        href.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    )


def link(label_markdown: str, href: str | None) -> str:
    return f"[{label_markdown}]({escape_href(href)})" if href else label_markdown


class MarkdownRenderer:
    def __init__(self, links: LinkPolicy, heading_level: int = 1) -> None:
        self.links = links
        self.heading_level = heading_level

    # -- inline --------------------------------------------------------------------------------------------------
    def inline(self, piece: Inline) -> str:
        if isinstance(piece, Text):
            return escape_text(piece.text)
        if isinstance(piece, Code):
            return code_span(piece.text)
        if isinstance(piece, Strong):
            return f"**{escape_text(piece.text)}**"
        if isinstance(piece, Link):
            return link(escape_text(piece.text), piece.href)
        if isinstance(piece, SourceRef):
            return link(code_span(piece.label), self.links.source(piece.path, piece.line))
        if isinstance(piece, RuleRef):
            return link(code_span(piece.code), self.links.rule(piece.code))
        if isinstance(piece, Badge):
            return f"**{escape_text(piece.text)}**" if piece.tone in ("error", "ok") else escape_text(piece.text)
        if isinstance(piece, Delta):
            return escape_text(piece.text)
        raise TypeError(f"unknown inline piece {type(piece).__name__}")

    def cell(self, cell: Cell) -> str:
        if isinstance(cell, bool):
            raise TypeError("a table cell cannot be a bool")
        if isinstance(cell, int):
            return str(cell)
        if isinstance(cell, str):
            return escape_text(cell)
        if isinstance(cell, tuple):
            return "".join(self.inline(piece) for piece in cell)
        return self.inline(cell)

    # -- blocks --------------------------------------------------------------------------------------------------
    def block(self, block: Block) -> str:
        if isinstance(block, Paragraph):
            return "".join(self.inline(piece) for piece in block.content)
        if isinstance(block, Table):
            if not block.rows:
                return escape_text(block.empty)
            header = "| " + " | ".join(escape_text(column.title) for column in block.columns) + " |"
            rule = "|" + "|".join("---:" if column.align == "right" else "---" for column in block.columns) + "|"
            rows = ["| " + " | ".join(self.cell(cell) for cell in row) + " |" for row in block.rows]
            return "\n".join([header, rule, *rows])
        if isinstance(block, ItemList):
            if not block.items:
                return escape_text(block.empty)
            return "\n".join("- " + "".join(self.inline(piece) for piece in item) for item in block.items)
        raise TypeError(f"unknown block {type(block).__name__}")

    def section(self, section: Section, level: int) -> list[str]:
        parts = [f"{'#' * min(level, 6)} {escape_text(section.title)}"]
        parts.extend(self.block(block) for block in section.blocks)
        for child in section.children:
            parts.extend(self.section(child, level + 1))
        return parts

    def report(self, report: Report) -> str:
        level = self.heading_level
        parts = [
            f"{'#' * level} {escape_text(report.title)}",
            f"Project {code_span(report.project)}, generated {escape_text(report.generated_at)} by odyssey "
            f"{escape_text(report.odyssey_version)}.",
        ]
        for section in report.sections:
            parts.extend(self.section(section, level + 1))
        return "\n\n".join(parts) + "\n"


def render_markdown(report: Report, links: LinkPolicy, heading_level: int = 1) -> str:
    return MarkdownRenderer(links, heading_level).report(report)
