"""The document parser: unit tests on realistic files and hypothesis properties on arbitrary and mutated Markdown.

Properties: ``parse_document`` never raises; every position it reports is a real line and column of the file (and
points at the link's first character); the links it finds are exactly the ``<a href>``/``<img src>`` markdown-it
renders (for input without raw HTML); nothing inside a code span or fence is a link.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from odyssey.document import Document, parse_document

PROPERTY_SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Realistic blocks of agent-written Markdown; mutations then break them in the ways real files are broken.
BLOCKS = [
    "# LeNet-5 on Fashion-MNIST\n",
    "## Setup {#setup}\n",
    "Read the [training guide](docs/training.md) and look at ![the plot](img/loss.png).\n",
    "- item [one](one.md)\n  - nested [two](two.md#frag)\n",
    "> quoted [q](notes/q.md)\n> more <https://example.com/x>\n",
    "```python\nx = '[not a link](a.md)'\n```\n",
    "```python\nmodel = LeNet5()\n```text\n",
    "~~~\n[no](no.md)\n~~~\n",
    "| file | link |\n|---|---|\n| [c](c.md) | `[d](d.md)` [e](e.md) |\n",
    '[ref]: ref/target.md "Title"\n',
    "See [ref] and [the same][ref].\n",
    "Inline `code [x](y.md)` then [z](z.md).\n",
    "    indented [code](c.md)\n",
    "Setext heading\n==============\n",
    "1. first\n2. [second](s.md)\n",
    "Line with\ttab [t](t.md)\n",
    "[spaces](<path with spaces.md>) and [title](b.md 'T') and [padded]( d.md )\n",
    "Hard  \nbreak [h](h2.md)\n",
    "&amp; &#x5B;not](link.md) \\[escaped](e.md)\n",
    "* * *\n",
    "Contact <ops@example.com> or see [mail](mailto:ops@example.com).\n",
]
HTML_BLOCKS = [
    '<a href="h.md" id="anchor">h</a>\n',
    '<div align="center">\n<img src="img/logo.png" alt="logo">\n</div>\n',
    "<!-- odyssey: ignore LNK001 -->\n",
]
FRONTMATTER = "---\ntitle: Training\ntags: [ml, cnn]\n---\n"
INSERTIONS = ["```", "```text", "~~~", "\n", "\r\n", "\r", "\t", "[", "](", ")", "`", "\\", "*", "|", "    ", "> ",
              "  - ", "{#id}", "---\n", "#", "!", "\ufeff", "\x00"]
HTML_INSERTIONS = ["<", ">", "<!--", "-->", "<a href='x.md'>", "</a>", '<img src="p.png">']


@st.composite
def realistic_markdown(draw: st.DrawFn, html: bool = True) -> str:
    blocks = BLOCKS + (HTML_BLOCKS if html else [])
    insertions = INSERTIONS + (HTML_INSERTIONS if html else [])
    text = "\n".join(draw(st.lists(st.sampled_from(blocks), min_size=1, max_size=10)))
    if draw(st.booleans()):
        text = FRONTMATTER + text
    for _ in range(draw(st.integers(0, 6))):
        operation = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 24)))
        if operation == "insert":
            text = text[:start] + draw(st.sampled_from(insertions)) + text[start:]
        elif operation == "delete":
            text = text[:start] + text[end:]
        else:
            text = text[:end] + text[start:end] + text[end:]
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


def encode(text: str, bom: bool) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass")


def assert_positions_valid(document: Document) -> None:
    lines = document.lines
    for link in document.links:
        assert 1 <= link.line <= len(lines), link
        source = lines[link.line - 1]
        assert 1 <= link.column <= len(source) + 1, (link, source)
    for heading in document.headings:
        assert 1 <= heading.line <= len(lines), heading
    for fence in document.fences:
        assert 1 <= fence.line <= fence.end_line <= len(lines), fence
    for line in document.misclosed_fences:
        assert 1 <= line <= len(lines)
    for _anchor, line in document.html_ids:
        assert 1 <= line <= len(lines)


# -- never raises, positions are real ----------------------------------------------------------------------------------
@PROPERTY_SETTINGS
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_arbitrary_input_never_raises(raw: bytes) -> None:
    document = parse_document("notes/x.md", raw)
    assert_positions_valid(document)
    document.anchors("mkdocs")
    document.anchors("github")


@PROPERTY_SETTINGS
@given(realistic_markdown(), st.booleans())
def test_mutated_markdown_never_raises_and_positions_are_real(text: str, bom: bool) -> None:
    document = parse_document("docs/page.md", encode(text, bom))
    assert_positions_valid(document)
    for link in document.links:
        source = document.lines[link.line - 1]
        if "\t" in source:
            continue  # markdown-it expands tabs; see test_link_after_a_tab_in_a_lazy_line_has_its_column
        first = source[link.column - 1 : link.column]
        if link.kind in ("inline", "image", "reference", "autolink"):
            assert first in ("[", "!", "<"), (link, source)
        elif link.kind == "definition":
            assert first == "[", (link, source)
        else:
            assert first == "<", (link, source)  # a raw-HTML tag


# -- the links are what markdown-it renders --------------------------------------------------------------------------
class _RenderedLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href") is not None:
            self.targets.append(str(attributes["href"]))
        if tag == "img" and attributes.get("src") is not None:
            self.targets.append(str(attributes["src"]))

    handle_startendtag = handle_starttag


def _reference_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # keep file:/javascript: links, as we do
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]  # targets as written, not percent-encoded
    return md


RENDERER = _reference_renderer()
FENCE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(?:`{3,}|~{3,})")


def as_a_reader_sees_it(document: Document) -> str:
    """The text markdown-it must render to show the document's links: frontmatter blanked, mis-closed fences
    closed (the parser reads them as a human does; without any, this is the file's text)."""
    lines = list(document.lines)
    if document.frontmatter.present:
        for index in range(document.frontmatter.start_line - 1, document.frontmatter.end_line):
            lines[index] = ""
    for line in document.misclosed_fences:
        prefix = FENCE_PREFIX.match(lines[line - 1])
        assert prefix is not None, "a mis-closed fence is a fence line"
        lines[line - 1] = prefix.group(0)
    return "\n".join(lines)


@PROPERTY_SETTINGS
@given(realistic_markdown(html=False), st.booleans())
def test_links_are_the_links_markdown_it_renders(text: str, bom: bool) -> None:
    document = parse_document("docs/page.md", encode(text, bom))
    if not document.readable:
        return
    rendered = _RenderedLinks()
    rendered.feed(RENDERER.render(as_a_reader_sees_it(document)))
    rendered.close()
    found = [link.target for link in document.links if link.kind != "definition"]
    assert sorted(found) == sorted(rendered.targets)


# -- nothing inside code is a link -------------------------------------------------------------------------------------
SAFE_SURROUNDINGS = [block for block in BLOCKS if "```" not in block and "~~~" not in block]


@st.composite
def document_with_code(draw: st.DrawFn) -> tuple[str, int]:
    """Realistic blocks with code spans and fences holding links to ``inside-code-N.md`` among them."""
    parts: list[str] = []
    count = draw(st.integers(1, 5))
    for number in range(count):
        parts.extend(draw(st.lists(st.sampled_from(SAFE_SURROUNDINGS), max_size=3)))
        form = draw(st.sampled_from(["span", "double-span", "fence", "tilde", "long-fence", "indented"]))
        link = f"[code](inside-code-{number}.md)"
        parts.append({
            "span": f"Use `{link}` in the docs.\n",
            "double-span": f"Write ``{link} `x` `` like this.\n",
            "fence": f"```markdown\n{link}\n<a href=\"inside-code-{number}.md\">x</a>\n```\n",
            "tilde": f"~~~\n{link}\n~~~\n",
            "long-fence": f"````markdown\n```python\n{link}\n```\n````\n",
            "indented": f"## Example\n\n    {link}\n",  # after a heading: a list above cannot absorb it
        }[form])
    return "\n".join(parts), count


@PROPERTY_SETTINGS
@given(document_with_code())
def test_links_inside_code_are_never_reported(case: tuple[str, int]) -> None:
    text, _count = case
    document = parse_document("docs/page.md", text.encode())
    assert [link for link in document.links if "inside-code" in link.target] == []
    assert "inside-code" not in " ".join(link.target for link in document.links)


@PROPERTY_SETTINGS
@given(realistic_markdown())
def test_no_link_lies_inside_a_fence(text: str) -> None:
    document = parse_document("docs/page.md", text.encode("utf-8", "surrogatepass"))
    for fence in document.fences:
        last_code_line = fence.end_line - 1 if fence.closed else fence.end_line
        for link in document.links:
            assert not (fence.line < link.line <= last_code_line), (link, fence)


# -- realistic unit cases ----------------------------------------------------------------------------------------------
TRAINING_PAGE = """\
---
title: Training
---
# Training

Read the [setup](setup.md#install) first.

```python
model = LeNet5()  # [not a link](model.md)
```text

After the mis-closed fence, [evaluation](evaluation.md) is still a link.

<a id="schedule"></a>

## Learning rate {#lr}

[glossary]: ../glossary.md
See the [glossary][glossary].
"""


def test_realistic_page_is_parsed_with_file_positions() -> None:
    document = parse_document("docs/training.md", TRAINING_PAGE.encode())
    assert document.meta == {"title": "Training"}
    assert [(link.target, link.line, link.column, link.kind) for link in document.links] == [
        ("setup.md#install", 6, 10, "inline"),
        ("evaluation.md", 12, 29, "inline"),
        ("../glossary.md", 18, 1, "definition"),
        ("../glossary.md", 19, 9, "reference"),
    ]
    assert document.misclosed_fences == [10]
    assert [(f.line, f.end_line, f.info, f.closed) for f in document.fences] == [(8, 10, "python", True)]
    assert [(h.level, h.text, h.line, h.explicit_id) for h in document.headings] == [
        (1, "Training", 4, None), (2, "Learning rate", 16, "lr")
    ]
    assert document.html_ids == [("schedule", 14)]
    assert document.anchors("mkdocs") == {"training", "lr", "schedule"}
    assert document.anchors("github") == {"training", "learning-rate-lr", "schedule"}


@pytest.mark.parametrize("variant", ["crlf", "bom", "cr"])
def test_crlf_bom_and_old_mac_line_ends_keep_positions(variant: str) -> None:
    raw = TRAINING_PAGE.encode()
    if variant == "crlf":
        raw = raw.replace(b"\n", b"\r\n")
    elif variant == "bom":
        raw = b"\xef\xbb\xbf" + raw
    else:
        raw = raw.replace(b"\n", b"\r")
    plain = parse_document("docs/training.md", TRAINING_PAGE.encode())
    varied = parse_document("docs/training.md", raw)
    assert varied.links == plain.links
    assert varied.headings == plain.headings
    assert varied.misclosed_fences == plain.misclosed_fences


def test_unclosed_fence_at_the_end_is_recorded() -> None:
    document = parse_document("README.md", b"# Usage\n\n```bash\npip install .\n\n## Next [link](x.md)\n")
    assert [(f.line, f.end_line, f.closed) for f in document.fences] == [(3, 6, False)]
    assert document.links == []
    assert [h.text for h in document.headings] == ["Usage"]


def test_undecodable_and_binary_files_are_problems_not_errors() -> None:
    latin1 = parse_document("notes/x.md", "# Résumé\n".encode("latin-1"))
    binary = parse_document("notes/y.md", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not latin1.readable and [p.code for p in latin1.problems] == ["INP001"]
    assert not binary.readable and [p.code for p in binary.problems] == ["INP001"]


@pytest.mark.parametrize(
    ("source", "position"),
    [
        (b'> <img src="img/logo.png">\n', (1, 3)),
        (b'- Results:\n\n  <a href="notes/results.md">table</a>\n', (3, 3)),
        (b'<div>\n  <a href="notes/results.md">table</a>\n</div>\n', (2, 3)),
    ],
)
def test_raw_html_block_links_have_their_columns(source: bytes, position: tuple[int, int]) -> None:
    (link,) = parse_document("README.md", source).links
    assert (link.line, link.column) == position


def test_link_after_a_tab_in_a_lazy_line_has_its_column() -> None:
    document = parse_document("README.md", b"1. first\n\t2. [second](s.md)\n")
    (link,) = document.links
    assert (link.line, link.column) == (2, 5)


def test_links_in_admonitions_are_seen_past_blank_lines() -> None:
    # mkdocs-material admonitions: without the admonition plugin, the body after its first blank line is an indented
    # code block, and these links would never be checked.
    source = (
        "# Guide\n\n"
        "!!! note \"Read first\"\n"
        "    The first paragraph.\n\n"
        "    See [the model](missing.md) and ![plot](img/x.png).\n\n"
        "    ```python\n    print('[not a link](nowhere.md)')\n    ```\n\n"
        "???+ tip\n"
        "    [collapsible](y.md#part)\n\n"
        "    Code as such: `[span](span.md)`\n"
    )
    document = parse_document("docs/guide.md", source.encode())
    assert [(link.target, link.line, link.column) for link in document.links] == [
        ("missing.md", 6, 9), ("img/x.png", 6, 37), ("y.md#part", 13, 5)]
    assert [heading.text for heading in document.headings] == ["Guide"]
