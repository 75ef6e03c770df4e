"""fences (FEN): code fences that swallow the rest of the file.

Two ways a fenced code block runs past where its author meant it to end:

- it is never closed (FEN001): CommonMark keeps it open to the end of the document (or of the list item or quote that
  holds it), so every heading, link and paragraph after it renders as code;
- its closing fence carries an info string (FEN002), as agents write them (```` ```python ```` ... ```` ```text ````):
  CommonMark reads ```` ```text ```` as a line of code, not as a close, so the block runs on to the next bare fence or
  to the end of the file.

The parser re-reads a mis-closed document as a human does (``Document.misclosed_fences``), so the other checks still
see the links after such a fence; this family reports what every renderer shows instead. On a real 1,858-file
repository a quarter of the files had a mis-closed fence, and every other tool silently skipped the rest of them.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

from odyssey.checks.base import DocumentCheck
from odyssey.document import Document, Fence
from odyssey.findings import Finding
from odyssey.markdown import create_parser
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

# A fence line, possibly inside quotes or list items: marker characters and the info string after them.
FENCE_LINE = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(`{3,}|~{3,})[ \t]*(.*?)[ \t]*$")

FEN001 = Rule(
    code="FEN001",
    name="unclosed-code-fence",
    family="fences",
    summary="Code fence is never closed, so the rest of the file renders as code",
    doc="""
    ## What it does
    Reports a fenced code block (```` ``` ```` or `~~~`) that has no closing fence. When a fence line inside it
    looks like the intended close but cannot be one (shorter than the opening fence, or made of the other fence
    character), that line is named.

    ## Why is this bad?
    Renderers keep the block open to the end of the file (or of the list item or quote holding it): every heading,
    link and paragraph after the opening line renders as one grey code block, and tools that read the rendered
    structure (link checkers, tables of contents) skip it all.

    ## Example
    ````markdown
    ```bash
    pip install -e .

    ## Usage
    Run the [training script](scripts/train.md).
    ````

    ## Use instead
    ````markdown
    ```bash
    pip install -e .
    ```

    ## Usage
    Run the [training script](scripts/train.md).
    ````

    ## Fix safety
    No automatic fix: only the author knows where the code was meant to end.
    """,
)
FEN002 = Rule(
    code="FEN002",
    name="misclosed-code-fence",
    family="fences",
    summary="Closing code fence carries an info string (```` ```text ````), so it does not close the block",
    doc="""
    ## What it does
    Reports a line inside a fenced code block that is meant as its closing fence but carries an info string, like
    ```` ```text ```` or ```` ```python ````. CommonMark allows an info string on the opening fence only, so every
    renderer shows this line as code and keeps the block open until the next bare fence or the end of the file.

    ## Why is this bad?
    Everything after that line renders as code: prose turns grey, links stop being links, and the blocks that follow
    pair up the wrong way round (code shows as prose and prose as code). Agents write such closes often; most other
    tools then silently skip the rest of the file.

    ## Example
    ````markdown
    ```python
    model = LeNet5()
    ```python

    See the [training guide](training.md).
    ````

    ## Use instead
    ````markdown
    ```python
    model = LeNet5()
    ```

    See the [training guide](training.md).
    ````

    ## Fix safety
    Replacing the closing line with a bare fence of the same characters is safe: it is how every reader of the
    source already reads it.
    """,
)


def fence_marker(line: str) -> tuple[str, str] | None:
    """(fence characters, info string) when ``line`` is a fence line, else None."""
    match = FENCE_LINE.match(line)
    return (match.group(1), match.group(2)) if match else None


def marker_column(line: str) -> int:
    """1-based column where the fence characters start (after indentation and quote markers)."""
    match = FENCE_LINE.match(line)
    return match.start(1) + 1 if match else 1


@functools.lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    return create_parser(inline=False)


def lines_span(first: int, last: int) -> str:
    return f"line {first} renders" if first == last else f"lines {first}-{last} render"


def original_fences(document: Document) -> list[Token]:
    """Fence tokens of the document as CommonMark reads it, before the parser's repair of mis-closed fences."""
    body = list(document.lines)
    frontmatter = document.frontmatter
    if frontmatter.present:
        for index in range(frontmatter.start_line - 1, min(frontmatter.end_line, len(body))):
            body[index] = ""
    tokens = _block_parser().parse("\n".join(body))
    return [token for token in tokens if token.type == "fence" and token.map is not None]


def last_content_line(document: Document) -> int:
    """1-based number of the last non-blank line."""
    for index in range(len(document.lines) - 1, -1, -1):
        if document.lines[index].strip():
            return index + 1
    return 1


class FencesCheck(DocumentCheck):
    family = "fences"
    summary = "Code fences that are never closed or are closed with an info string"
    rules = (FEN001, FEN002)

    def check_document(self, document: Document) -> Iterator[Finding]:
        for fence in document.fences:
            if not fence.closed:
                yield self.unclosed(document, fence)
        if document.misclosed_fences:
            tokens = original_fences(document)
            for line in document.misclosed_fences:
                yield self.misclosed(document, line, tokens)

    def unclosed(self, document: Document, fence: Fence) -> Finding:
        opening = fence_marker(document.lines[fence.line - 1])
        written = opening[0] + opening[1] if opening else fence.marker
        if fence.end_line >= last_content_line(document):
            what = f"everything after line {fence.line} renders as code"
        else:
            what = (f"{lines_span(fence.line + 1, fence.end_line)} as code, up to the end of the list item or quote "
                    "that holds it")
        message = f"code fence '{written}' opened on line {fence.line} is never closed: {what}"
        near_miss = self.near_miss_close(document, fence)
        if near_miss is not None:
            message += f"; {near_miss}"
        else:
            message += f"; add a closing '{fence.marker}' line where the code ends"
        column = marker_column(document.lines[fence.line - 1])
        return self.finding(FEN001, document.path, fence.line, column, message, end_line=fence.end_line)

    def near_miss_close(self, document: Document, fence: Fence) -> str | None:
        """A bare fence line inside the block that its author probably meant as the close."""
        for number in range(fence.line + 1, fence.end_line + 1):
            found = fence_marker(document.lines[number - 1])
            if found is None or found[1]:
                continue
            marker = found[0]
            if marker[0] != fence.marker[0]:
                return f"line {number} ('{marker}') cannot close it: the block was opened with '{fence.marker}'"
            if len(marker) < len(fence.marker):
                return (f"line {number} ('{marker}') cannot close it: a closing fence must be at least as long as "
                        f"the opening '{fence.marker}'")
        return None

    def misclosed(self, document: Document, line: int, tokens: list[Token]) -> Finding:
        written = document.lines[line - 1].strip().lstrip("> \t")
        found = fence_marker(document.lines[line - 1])
        bare = found[0] if found else "```"
        # The block its author closes here, as the repaired document reads it; and the block CommonMark sees.
        intended = next((fence for fence in document.fences if fence.end_line == line), None)
        opened = f" opened on line {intended.line}" if intended is not None else ""
        block = next((t for t in tokens if t.map is not None and t.map[0] < line - 1 < t.map[1]), None)
        ends_at = self.bare_close_of(document, block)
        block_end = min(block.map[1], len(document.lines)) if block is not None and block.map is not None else 0
        if ends_at is not None:
            what = f"{lines_span(line, ends_at - 1)} as code, up to the bare fence on line {ends_at}"
        elif block_end and block_end < last_content_line(document):
            what = f"{lines_span(line, block_end)} as code, up to the end of the list item or quote that holds it"
        else:
            what = f"line {line} and everything after it renders as code"
        message = (f"closing fence '{written}' carries an info string, so it does not close the code block{opened}: "
                   f"{what}; replace it with a bare '{bare}'")
        return self.finding(FEN002, document.path, line, marker_column(document.lines[line - 1]), message)

    @staticmethod
    def bare_close_of(document: Document, block: Token | None) -> int | None:
        """1-based line of the bare fence that really closes ``block`` in CommonMark, or None when nothing does."""
        if block is None or block.map is None:
            return None
        last = min(block.map[1], len(document.lines))
        found = fence_marker(document.lines[last - 1]) if last - 1 > block.map[0] else None
        if found and not found[1] and found[0][0] == block.markup[0] and len(found[0]) >= len(block.markup):
            return last
        return None


CHECKS = (FencesCheck,)
