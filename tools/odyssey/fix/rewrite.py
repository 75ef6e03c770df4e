"""Byte-exact edits of link targets: find where a target is written, write the new one there, touch nothing else.

The document model gives each link as markdown-it read it (``Link.target``, unescaped) and where it starts
(``line``/``column`` of the ``[``, ``!`` or ``<``). ``locate_target`` goes back to the source text from that position
and re-reads the link with markdown-it's own helpers (``parseLinkLabel``, ``parseLinkDestination``), so angle brackets,
titles, backslash escapes, nested brackets and destinations on the next line are read exactly as the parser read them;
raw-HTML attributes are read with either quote (or none). The written form found there must unescape to
``Link.target`` or the link is refused (``LocateError``): a fix never guesses where a target is. When the recorded
column does not lead to the link (tabs, table cells, HTML inside list items), every candidate start on that line is
tried, and exactly one must match.

``encode_path`` writes a repository path for one syntax (percent-encoding only what that syntax needs), and
``apply_edits`` replaces character spans of lines in the file's *bytes*: line endings (CRLF, CR, LF, mixed), a BOM,
trailing spaces and tabs all survive because only the replaced spans are re-encoded.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.helpers import parseLinkDestination, parseLinkLabel
from markdown_it.rules_inline import StateInline

from odyssey.document import Link
from odyssey.htmlattrs import LINK_ATTRIBUTES
from odyssey.markdown import create_parser

logger = logging.getLogger(__name__)

# A link's label and destination may continue on the following lines of its paragraph; never read further.
WINDOW_LINES = 40
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TAG_NAME = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_ATTRIBUTE = re.compile(
    r"""[\s/]*(?P<name>[^\s"'>/=]+)(?:\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s"'=<>`]+)))?"""
)
_ENTITY_LIKE = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")

# Characters each syntax cannot carry as written; they are percent-encoded (resolution decodes %xx).
_ALWAYS = frozenset("%#?\\<>")
_UNSAFE = {
    "markdown": _ALWAYS | frozenset(" ()\"'"),  # a bare destination ends at a space; parentheses must balance
    "angle": _ALWAYS,  # <...> allows spaces and parentheses
    "html": _ALWAYS | frozenset(" \"'`="),
}


class LocateError(Exception):
    """The written form of a link target could not be found exactly; the message says why (one line)."""


@dataclass(frozen=True)
class TargetSpan:
    """Where a link target is written: ``line`` (1-based), characters ``start:end`` of that line (0-based).

    ``syntax``: ``markdown`` (bare destination), ``angle`` (inside ``<...>``; the brackets are not in the span) or
    ``html`` (an attribute value; ``quote`` is ``"``, ``'`` or "" for an unquoted value). ``text`` is the target
    exactly as written there.
    """

    line: int
    start: int
    end: int
    syntax: str
    text: str
    quote: str = ""


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return create_parser()


class _Window:
    """The source from one line on, as one string, with offset <-> (line, column) conversion."""

    def __init__(self, lines: Sequence[str], first_line: int) -> None:
        self.first_line = first_line
        taken: list[str] = []
        for index in range(first_line - 1, min(len(lines), first_line - 1 + WINDOW_LINES)):
            if taken and not lines[index].strip():
                break  # a blank line ends the paragraph: no link continues past it
            taken.append(lines[index])
        self.starts: list[int] = []
        offset = 0
        for line in taken:
            self.starts.append(offset)
            offset += len(line) + 1
        self.text = "\n".join(taken)

    def position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based column) of ``offset``."""
        index = 0
        while index + 1 < len(self.starts) and self.starts[index + 1] <= offset:
            index += 1
        return self.first_line + index, offset - self.starts[index]

    def span(self, start: int, end: int, syntax: str, quote: str = "") -> TargetSpan:
        line, column = self.position(start)
        text = self.text[start:end]
        if "\n" in text:
            raise LocateError("the link target spans lines")
        return TargetSpan(line, column, column + (end - start), syntax, text, quote)


def _skip_spaces(text: str, pos: int, newlines: int) -> int:
    """Skip spaces and tabs and at most ``newlines`` line breaks (markdown-it's rule between the parts of a link)."""
    while pos < len(text):
        char = text[pos]
        if char == "\n":
            if newlines == 0:
                break
            newlines -= 1
        elif char not in " \t":
            break
        pos += 1
    return pos


def _destination(window: _Window, pos: int, target: str) -> TargetSpan:
    result = parseLinkDestination(window.text, pos, len(window.text))
    if not result.ok:
        raise LocateError("no link destination where the link starts")
    if result.str != target:
        raise LocateError(f"the destination written there reads '{result.str}', not '{target}'")
    if window.text.startswith("<", pos):
        return window.span(pos + 1, result.pos - 1, "angle")
    return window.span(pos, result.pos, "markdown")


def _inline_at(window: _Window, start: int, link: Link) -> TargetSpan:
    """``[text](dest ...)`` or ``![alt](dest ...)`` starting at ``start``."""
    bracket = start + 1 if link.kind == "image" else start
    if link.kind == "image" and not window.text.startswith("![", start):
        raise LocateError("no image starts at the recorded position")
    if not window.text.startswith("[", bracket):
        raise LocateError("no link starts at the recorded position")
    state = StateInline(window.text, _parser(), {}, [])
    label_end = parseLinkLabel(state, bracket, link.kind != "image")
    if label_end < 0:
        raise LocateError("the link text does not close")
    pos = label_end + 1
    if not window.text.startswith("(", pos):
        raise ReferenceUse()
    return _destination(window, _skip_spaces(window.text, pos + 1, 1), link.target)


class ReferenceUse(LocateError):
    """An image written ``![alt][label]``: its target is written at the definition, which is edited instead."""

    def __init__(self) -> None:
        super().__init__("a reference-style use; its definition holds the target")


def _definition_at(window: _Window, start: int, link: Link) -> TargetSpan:
    """``[label]: dest "title"`` starting at ``start`` (the destination may be on the next line)."""
    text = window.text
    if not text.startswith("[", start):
        raise LocateError("no reference definition starts at the recorded position")
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "[":
            raise LocateError("unexpected '[' in a definition label")
        if char == "]":
            break
        pos += 1
    if not text.startswith("]:", pos):
        raise LocateError("no ']:' after the definition label")
    return _destination(window, _skip_spaces(text, pos + 2, 1), link.target)


def _html_at(window: _Window, start: int, link: Link) -> TargetSpan:
    """The link attribute (``href``/``src``) of the tag starting at ``start``, read with either quote or none."""
    text = window.text
    match = _TAG_NAME.match(text, start)
    if match is None:
        raise LocateError("no HTML tag starts at the recorded position")
    wanted = LINK_ATTRIBUTES.get(match.group(1).lower())
    if wanted is None:
        raise LocateError(f"<{match.group(1)}> carries no link attribute")
    found: list[TargetSpan] = []
    pos = match.end()
    while pos < len(text):
        attribute = _ATTRIBUTE.match(text, pos)
        if attribute is None or attribute.end() == pos:
            break
        pos = attribute.end()
        if attribute.group("name").lower() != wanted:
            continue
        for group, quote_char in (("double", '"'), ("single", "'"), ("bare", "")):
            raw = attribute.group(group)
            if raw is None:
                continue
            if html.unescape(raw).strip() != link.target:
                raise LocateError(f"the {wanted} written there reads '{html.unescape(raw).strip()}'")
            leading = len(raw) - len(raw.lstrip())
            value_start = attribute.start(group) + leading
            found.append(window.span(value_start, value_start + len(raw.strip()), "html", quote_char))
    if len(found) != 1:
        raise LocateError(f"the tag has {len(found)} {wanted} attributes")
    return found[0]


_Reader = Callable[[_Window, int, Link], TargetSpan]
_READERS: dict[str, _Reader] = {
    "inline": _inline_at, "image": _inline_at, "definition": _definition_at, "html": _html_at,
}
_STARTS = {"inline": "[", "image": "!", "definition": "[", "html": "<"}


def _reader(link: Link, lines: Sequence[str]) -> _Reader:
    reader = _READERS.get(link.kind)
    if reader is None:
        raise LocateError(f"{link.kind} links are not rewritten")
    if not 0 < link.line <= len(lines):
        raise LocateError("the link's line is outside the file")
    return reader


def candidate_spans(lines: Sequence[str], link: Link) -> list[TargetSpan]:
    """Every place on ``link``'s line where a link of its kind with its target starts, in order."""
    reader = _reader(link, lines)
    window = _Window(lines, link.line)
    spans: list[TargetSpan] = []
    for column, char in enumerate(lines[link.line - 1]):
        if char != _STARTS[link.kind]:
            continue
        try:
            spans.append(reader(window, column, link))
        except (LocateError, IndexError):
            continue
    return spans


def locate_target(lines: Sequence[str], link: Link) -> TargetSpan:
    """Where ``link``'s target is written in ``lines`` (the document's lines, newlines normalized).

    Raises ``ReferenceUse`` for ``![alt][label]`` and ``LocateError`` when the written form cannot be found exactly.
    """
    reader = _reader(link, lines)
    window = _Window(lines, link.line)
    try:
        return reader(window, link.column - 1, link)
    except ReferenceUse:
        raise
    except (LocateError, IndexError) as first:
        # The recorded column can be off (tabs, table cells, HTML in list items): try every start on the line.
        matches = candidate_spans(lines, link)
        if len(matches) == 1:
            return matches[0]
        reason = first if not matches else LocateError(f"the target is written {len(matches)} times on the line")
        raise LocateError(str(reason)) from None


# -- writing targets ------------------------------------------------------------------------------------------------
def encode_path(path: str, syntax: str) -> str:
    """``path`` as written in ``syntax``: only characters that syntax cannot carry are percent-encoded."""
    unsafe = _UNSAFE[syntax]
    last = len(path) - 1

    def needs_encoding(index: int, char: str) -> bool:
        if char in unsafe or ord(char) < 0x20 or ord(char) == 0x7F:
            return True
        # Whitespace: resolution strips it from the ends, and only <...> carries plain spaces.
        return char.isspace() and (char != " " or syntax != "angle" or index in (0, last))

    encoded = "".join(quote(char, safe="") if needs_encoding(i, char) else char for i, char in enumerate(path))
    if _ENTITY_LIKE.search(encoded):  # "&amp;" would be read as "&"
        encoded = encoded.replace("&", "%26")
    if syntax == "html":
        encoded = encoded.replace("&", "&amp;")
    return encoded


def encode_fragment(fragment: str, syntax: str) -> str:
    """A heading anchor as written after ``#`` (anchors are word characters and hyphens; the rest is encoded)."""
    return encode_path(fragment, syntax)


def read_as(written: str, syntax: str) -> str:
    """What the parser reads from ``written`` in ``syntax`` (what ``Link.target`` will be)."""
    if syntax == "html":
        return html.unescape(written).strip()
    return unescapeAll(written)


def split_written(written: str) -> tuple[str, str]:
    """(path part, rest): the rest starts at the first ``?`` or ``#`` and is kept as written."""
    match = re.search(r"[?#]", written)
    return (written, "") if match is None else (written[: match.start()], written[match.start():])


# -- applying edits -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edit:
    """Replace characters ``start:end`` of 1-based ``line`` (which must read ``old``) with ``new``."""

    line: int
    start: int
    end: int
    old: str
    new: str


class EditError(Exception):
    """The edits do not fit the file (overlap, or the text is not where the document model put it)."""


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """Lines and the separators after them (``\\r\\n``, ``\\r``, ``\\n`` or "" after the last line)."""
    parts = _LINE_BREAK.split(text)
    separators = _LINE_BREAK.findall(text) + [""]
    return parts, separators


def apply_edits(raw: bytes, edits: Iterable[Edit]) -> bytes:
    """``raw`` with each edit made; every other byte (line endings, BOM, whitespace) stays as it was."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditError(f"not valid UTF-8 at byte {exc.start}") from None
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines, separators = split_lines(text[len(bom):])
    by_line: dict[int, list[Edit]] = {}
    for edit in edits:
        by_line.setdefault(edit.line, []).append(edit)
    for number, line_edits in by_line.items():
        if not 0 < number <= len(lines):
            raise EditError(f"line {number} is outside the file")
        line = lines[number - 1]
        line_edits.sort(key=lambda e: e.start, reverse=True)
        limit = len(line) + 1
        for edit in line_edits:
            if edit.end > limit:
                raise EditError(f"overlapping edits on line {number}")
            if line[edit.start : edit.end] != edit.old:
                raise EditError(f"line {number} does not read '{edit.old}' at column {edit.start + 1}")
            line = line[: edit.start] + edit.new + line[edit.end :]
            limit = edit.start
        lines[number - 1] = line
    return (bom + "".join(line + separator for line, separator in zip(lines, separators, strict=True))).encode("utf-8")
