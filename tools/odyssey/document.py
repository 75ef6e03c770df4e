"""The document model: each Markdown file parsed once into what every check reads.

``parse_document(path, raw)`` never raises for bad input: undecodable, binary or oversized files and broken
frontmatter become ``problems`` on the document (the ``inputs`` check turns them into findings).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from odyssey.frontmatter import Frontmatter, parse_frontmatter
from odyssey.htmlattrs import scan_html
from odyssey.markdown import create_parser
from odyssey.slugs import heading_anchors

MAX_FENCE_REPAIRS = 200
_ATTR_LIST = re.compile(r"\s*\{:?\s*([^}]*)\}\s*$")
_FENCE_LINE = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(`{3,}|~{3,})[ \t]*(.*?)[ \t]*$")
_SUPPRESSION = re.compile(r"^odyssey:\s*(ignore-file|ignore)\b(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Problem:
    """A defect found while reading or parsing a file; reported by the ``inputs`` check family."""

    code: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # without a trailing ``{#id}`` attribute list
    line: int
    explicit_id: str | None = None
    source_text: str = ""  # as written, attribute list included (what GitHub slugs)


@dataclass(frozen=True)
class Link:
    """A link as written. ``kind``: inline, reference (a use of a definition), definition, image, autolink, html."""

    target: str
    line: int
    column: int
    kind: str
    text: str = ""
    label: str | None = None

    @property
    def checked_for_target(self) -> bool:
        """Reference uses resolve through their definition, which is checked (and reported) once instead."""
        return self.kind != "reference"


@dataclass(frozen=True)
class Fence:
    line: int  # opening fence
    end_line: int  # closing fence, or the last line when unclosed
    info: str
    marker: str
    closed: bool
    content: str = ""


@dataclass(frozen=True)
class Block:
    """A block of prose for content checks: kind is paragraph, heading, table-cell or html."""

    kind: str
    line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class CodeSpan:
    text: str
    line: int
    column: int


@dataclass
class Document:
    path: str
    text: str = ""
    frontmatter: Frontmatter = field(default_factory=Frontmatter)
    headings: list[Heading] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    misclosed_fences: list[int] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    code_spans: list[CodeSpan] = field(default_factory=list)
    html_ids: list[tuple[str, int]] = field(default_factory=list)
    suppressions: dict[int, frozenset[str] | None] = field(default_factory=dict)
    file_suppressions: frozenset[str] | None = frozenset()
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True

    @property
    def meta(self) -> dict[str, Any]:
        """Frontmatter data, or an empty mapping when absent or invalid."""
        return self.frontmatter.data or {}

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def title(self) -> str | None:
        for heading in self.headings:
            if heading.level == 1:
                return heading.text
        title = self.meta.get("title")
        return str(title) if title is not None else None

    def anchors(self, style: str) -> frozenset[str]:
        """Every fragment that lands somewhere in this document under a slug style (mkdocs, github, or any)."""
        if style == "any":
            return self.anchors("mkdocs") | self.anchors("github")
        cache = self.__dict__.setdefault("_anchor_cache", {})
        if style not in cache:
            if style == "github":  # GitHub ignores attribute lists: they are part of the heading text
                slugs = heading_anchors(((h.source_text or h.text, None) for h in self.headings), style)
            else:
                slugs = heading_anchors(((h.text, h.explicit_id) for h in self.headings), style)
            cache[style] = frozenset(slugs) | {anchor for anchor, _line in self.html_ids}
        return cache[style]


def human_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1_000_000 else f"{size / 1e3:.1f} KB"


def decode(raw: bytes) -> tuple[str | None, Problem | None]:
    """UTF-8 text with BOM removed and newlines normalized, or a problem naming why it is not text."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem("INP001", 1, 1, "file is UTF-16 encoded; re-save it as UTF-8 (not checked)")
    if b"\0" in raw[:8192]:
        return None, Problem("INP001", 1, 1, "binary file with a Markdown name (contains NUL bytes); not checked")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem("INP001", line, 1, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); not checked")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


@functools.lru_cache(maxsize=2)
def _parser(inline: bool) -> MarkdownIt:
    return create_parser(inline=inline)


def _fence_marker(line: str) -> tuple[str, str] | None:
    match = _FENCE_LINE.match(line)
    return (match.group(1), match.group(2)) if match else None


def _first_misclosed_fence(tokens: list[Token], lines: list[str]) -> int | None:
    """0-based index of the first line inside a fence that a human reads as its closing fence but CommonMark does
    not: the same fence characters, at least as long, followed by an info string (```` ```text ````)."""
    for token in tokens:
        if token.type != "fence" or token.map is None:
            continue
        start, end = token.map
        opener = token.markup
        for index in range(start + 1, end):
            found = _fence_marker(lines[index])
            if found and found[1] and found[0][0] == opener[0] and len(found[0]) >= len(opener):
                return index
    return None


def _repair_fences(lines: list[str], first: int) -> tuple[list[str], list[int]]:
    """Rewrite mis-closed fences as bare closing fences so that links a human sees are still checked.

    ``first`` is the first mis-closed line (0-based) found in the full parse; each repair can change how the rest of
    the file pairs up, so the next one is looked for in a fresh (block-only, cheap) parse.
    """
    repaired = list(lines)
    misclosed: list[int] = []
    block_parser = _parser(False)
    index: int | None = first
    for _ in range(MAX_FENCE_REPAIRS):
        if index is None:
            break
        misclosed.append(index + 1)
        marker = _fence_marker(repaired[index])
        assert marker is not None
        repaired[index] = repaired[index][: repaired[index].index(marker[0]) + len(marker[0])]
        index = _first_misclosed_fence(block_parser.parse("\n".join(repaired)), repaired)
    return repaired, misclosed


class _Builder:
    """Walks the token stream once and fills a Document."""

    def __init__(self, document: Document, lines: list[str]) -> None:
        self.doc = document
        self.lines = lines

    def position(self, token: Token, offset: int) -> tuple[int, int]:
        """1-based (line, column) of ``offset`` inside an inline token's content."""
        assert token.map is not None
        content = token.content
        line_index = token.map[0] + content.count("\n", 0, offset)
        line_start = content.rfind("\n", 0, offset) + 1
        segment_end = content.find("\n", line_start)
        segment = content[line_start : segment_end if segment_end >= 0 else len(content)].rstrip()
        source = self.lines[line_index] if line_index < len(self.lines) else ""
        start = len(source.rstrip()) - len(segment)
        if start < 0 or source[start : start + len(segment)] != segment:
            # markdown-it expanded a tab or dropped indentation: find the text, then step back over the segment's
            # own leading spaces, which the offset counts.
            found = source.find(segment.strip())
            start = max(found - (len(segment) - len(segment.lstrip())), 0) if found >= 0 else 0
        return line_index + 1, start + (offset - line_start) + 1

    def block_column(self, token: Token) -> int:
        """1-based column where a block token's content starts on its first line (after quote/list markers)."""
        assert token.map is not None
        first = token.content.split("\n", 1)[0].rstrip()
        source = self.lines[token.map[0]] if token.map[0] < len(self.lines) else ""
        start = len(source.rstrip()) - len(first)
        if start < 0 or source[start : start + len(first)] != first:
            start = max(source.find(first.strip()), 0)
        return start + 1

    def add_html(self, fragment: str, line: int, column: int) -> None:
        for item in scan_html(fragment):
            item_line = line + item.line - 1
            item_column = item.column + (column - 1 if item.line == 1 else 0)
            if item.kind == "link":
                self.doc.links.append(Link(item.value, item_line, item_column, "html"))
            elif item.kind == "id":
                self.doc.html_ids.append((item.value, item_line))
            else:
                self.add_suppression(item.value, item_line, line + fragment.count("\n", 0, len(fragment.rstrip())))

    def add_suppression(self, comment: str, line: int, end_line: int) -> None:
        match = _SUPPRESSION.match(comment)
        if not match:
            return
        codes = frozenset(re.findall(r"[A-Z]{1,3}\d{0,3}|ALL", match.group(2))) or None
        if codes is not None and "ALL" in codes:
            codes = None
        if match.group(1) == "ignore-file":
            current = self.doc.file_suppressions
            self.doc.file_suppressions = None if (codes is None or current is None) else current | codes
            return
        # A comment covers its own line(s); a comment alone on its line(s) also covers the next non-blank line.
        targets = set(range(line, end_line + 1))
        alone = self.lines[line - 1].lstrip().startswith("<!--") and self.lines[end_line - 1].rstrip().endswith("-->")
        if alone:
            following = end_line
            while following < len(self.lines) and not self.lines[following].strip():
                following += 1
            targets.add(following + 1)
        for target in targets:
            current_codes = self.doc.suppressions.get(target, frozenset())
            self.doc.suppressions[target] = None if codes is None or current_codes is None else current_codes | codes

    def inline(self, token: Token, block_kind: str) -> str:
        """Collect links, images, code spans and HTML of one inline token; return its plain text.

        In headings an image's alt text is not text: renderers slug the heading's text content, which has no alt.
        """
        text_parts: list[str] = []
        children = token.children or []
        cursor = 0  # source offset in the content that the children before this one have reached
        for index, child in enumerate(children):
            if child.type == "text":
                text_parts.append(child.content)
            elif child.type == "code_inline":
                text_parts.append(child.content)
                cursor = self.add_code_span(token, child, cursor)
            elif child.type in ("softbreak", "hardbreak"):
                text_parts.append("\n")
            elif child.type == "link_open":
                self.add_link(token, child, children, index)
                cursor = child.meta.get("pos", cursor)  # the link text's own code spans follow
            elif child.type == "image":
                line, column = self.position(token, child.meta.get("pos", 0))
                self.doc.links.append(Link(str(child.attrs.get("src", "")), line, column, "image", child.content))
                if block_kind != "heading":
                    text_parts.append(child.content)
                cursor = child.meta.get("end", cursor)
            elif child.type == "html_inline":
                line, column = self.position(token, child.meta.get("pos", 0))
                self.add_html(child.content, line, column)
                cursor = child.meta.get("end", cursor)
        return "".join(text_parts)

    def add_code_span(self, token: Token, child: Token, cursor: int) -> int:
        """Record a code span; return the offset just past it. Code spans carry no source offset, so the span's
        text is looked for after ``cursor`` (where the previous children ended)."""
        content = token.content
        offset = content.find(child.content, cursor)
        if offset < 0:  # markdown-it trimmed a space or joined lines inside the span
            offset = content.find(child.content.strip(), cursor)
        if offset < 0:
            offset = cursor
        line, column = self.position(token, offset)
        self.doc.code_spans.append(CodeSpan(child.content, line, column))
        return offset + len(child.content)

    def add_link(self, token: Token, opener: Token, children: list[Token], index: int) -> None:
        pos, end = opener.meta.get("pos", 0), opener.meta.get("end", 0)
        line, column = self.position(token, pos)
        source = token.content[pos:end]
        label_parts = []
        for child in children[index + 1 :]:
            if child.type == "link_close":
                break
            label_parts.append(child.content)
        text = "".join(label_parts)
        if opener.markup == "autolink":
            kind = "autolink"
        elif source.endswith(")") and "](" in source:
            kind = "inline"
        else:
            kind = "reference"
        label = None
        if kind == "reference":
            label = source.rsplit("[", 1)[-1].rstrip("]") or text
        self.doc.links.append(Link(str(opener.attrs.get("href", "")), line, column, kind, text, label))

    def heading(self, opener: Token, inline: Token) -> None:
        assert opener.map is not None
        text = source_text = self.inline(inline, "heading").strip()
        explicit = None
        attrs = _ATTR_LIST.search(text)
        if attrs:
            ids = [part[1:] for part in attrs.group(1).split() if part.startswith("#")]
            if ids:
                explicit = ids[0]
                text = text[: attrs.start()]
        line = opener.map[0] + 1
        self.doc.headings.append(Heading(int(opener.tag[1]), text.strip(), line, explicit, source_text))
        self.doc.blocks.append(Block("heading", line, opener.map[1], text.strip()))

    def fence(self, token: Token) -> None:
        assert token.map is not None
        start, end = token.map
        last = min(end, len(self.lines)) - 1
        closing = _fence_marker(self.lines[last]) if last > start else None
        closed = bool(
            closing and not closing[1] and closing[0][0] == token.markup[0] and len(closing[0]) >= len(token.markup)
        )
        self.doc.fences.append(Fence(start + 1, last + 1, token.info.strip(), token.markup, closed, token.content))

    def build(self, tokens: list[Token]) -> None:
        previous: Token | None = None
        cell_kind = "paragraph"
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "heading_open":
                self.heading(token, tokens[index + 1])
            elif kind == "inline" and previous is not None and previous.type != "heading_open":
                assert token.map is not None
                text = self.inline(token, cell_kind)
                block_kind = "table-cell" if previous.type in ("th_open", "td_open") else "paragraph"
                self.doc.blocks.append(Block(block_kind, token.map[0] + 1, token.map[1], text))
            elif kind in ("fence", "code_block"):
                if kind == "fence":
                    self.fence(token)
            elif kind == "html_block" and token.map is not None:
                self.add_html(token.content, token.map[0] + 1, self.block_column(token))
                self.doc.blocks.append(Block("html", token.map[0] + 1, token.map[1], token.content))
            elif kind == "definition" and token.map is not None:
                meta = token.meta
                line = token.map[0] + 1
                source = self.lines[token.map[0]]
                column = max(source.find("["), 0) + 1
                self.doc.links.append(Link(str(meta.get("url", "")), line, column, "definition", label=meta.get("label")))
            previous = token


def parse_document(path: str, raw: bytes, max_size: int = 4 * 1024 * 1024) -> Document:
    """Parse one Markdown file's bytes into a Document (never raises on bad content)."""
    document = Document(path=path)
    if len(raw) > max_size:
        document.readable = False
        document.problems.append(
            Problem("INP004", 1, 1, f"file is {human_size(len(raw))}, over the {human_size(max_size)} limit; not checked")
        )
        return document
    text, problem = decode(raw)
    if text is None:
        assert problem is not None
        document.readable = False
        document.problems.append(problem)
        return document
    document.text = text
    lines = text.split("\n")
    document.frontmatter = parse_frontmatter(lines)
    fm = document.frontmatter
    if fm.problem is not None:
        document.problems.append(Problem(fm.problem.code, fm.problem.line, 1, fm.problem.message))
    body = list(lines)
    if fm.present:
        # Blank the frontmatter instead of cutting it, so token line numbers are file line numbers.
        for index in range(fm.start_line - 1, fm.end_line):
            body[index] = ""
    tokens = _parser(True).parse("\n".join(body))
    first_misclosed = _first_misclosed_fence(tokens, body)
    if first_misclosed is not None:
        body, document.misclosed_fences = _repair_fences(body, first_misclosed)
        tokens = _parser(True).parse("\n".join(body))
    _Builder(document, body).build(tokens)
    return document
