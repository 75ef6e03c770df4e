"""Locating link targets as written, writing new ones per syntax, and byte-exact edits."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from odyssey.document import parse_document
from odyssey.fix.rewrite import (
    Edit,
    EditError,
    LocateError,
    ReferenceUse,
    apply_edits,
    candidate_spans,
    encode_path,
    locate_target,
    read_as,
)

SOURCE = """\
# Training notes

See the [guide](<docs/My Guide.md> "The guide") and [results](docs/run%201.md#final 'Final').
![loss](img/loss\\_curve.png) and [nested ![icon](icon.png)](docs/target.md).
A [`code]` label](docs/code.md) and [parens](docs/a(b).md).
A [link that
wraps](docs/wrapped.md) and [late](
docs/next-line.md).

| Page | Also |
|------|------|
| [t](docs/table.md) | [t](docs/table.md) |

> Quoted [quote](docs/quote.md), <a href="docs/html.md" title="x">html</a>, <img src='img/single.png'>,
> <a href=docs/bare.md>bare</a>.

[ref]: <docs/Space Def.md> "Title"
[ref2]:
   docs/next-def.md
- item <a  HREF = "docs/a&amp;b.md">entity</a>

\t[tabbed](docs/tab.md)
![by reference][ref]
"""

# (target as parsed, written text at the located span, syntax)
EXPECTED = [
    ("docs/My Guide.md", "docs/My Guide.md", "angle"),
    ("docs/run%201.md#final", "docs/run%201.md#final", "markdown"),
    ("img/loss_curve.png", "img/loss\\_curve.png", "markdown"),
    ("docs/target.md", "docs/target.md", "markdown"),
    ("icon.png", "icon.png", "markdown"),
    ("docs/code.md", "docs/code.md", "markdown"),
    ("docs/a(b).md", "docs/a(b).md", "markdown"),
    ("docs/wrapped.md", "docs/wrapped.md", "markdown"),
    ("docs/next-line.md", "docs/next-line.md", "markdown"),
    ("docs/table.md", "docs/table.md", "markdown"),
    ("docs/table.md", "docs/table.md", "markdown"),
    ("docs/quote.md", "docs/quote.md", "markdown"),
    ("docs/html.md", "docs/html.md", "html"),
    ("img/single.png", "img/single.png", "html"),
    ("docs/bare.md", "docs/bare.md", "html"),
    ("docs/Space Def.md", "docs/Space Def.md", "angle"),
    ("docs/next-def.md", "docs/next-def.md", "markdown"),
    ("docs/a&b.md", "docs/a&amp;b.md", "html"),
    ("docs/tab.md", "docs/tab.md", "markdown"),
]


@pytest.fixture(scope="module")
def document():  # type: ignore[no-untyped-def]
    return parse_document("notes/training.md", SOURCE.replace("\\t", "\t").encode("utf-8"))


def test_every_syntax_is_located_at_its_written_form(document) -> None:  # type: ignore[no-untyped-def]
    located = []
    for link in document.links:
        try:
            span = locate_target(document.lines, link)
        except ReferenceUse:
            assert link.kind == "image" and link.target == "docs/Space Def.md"
            continue
        line = document.lines[span.line - 1]
        assert line[span.start : span.end] == span.text  # the span is exactly the written target
        located.append((link.target, span.text, span.syntax))
    assert located == EXPECTED


def test_identical_links_in_one_table_row_have_two_distinct_spans(document) -> None:  # type: ignore[no-untyped-def]
    table_link = next(link for link in document.links if link.target == "docs/table.md")
    spans = candidate_spans(document.lines, table_link)
    assert len(spans) == 2 and spans[0].start < spans[1].start


def test_a_link_that_does_not_read_as_recorded_is_refused() -> None:
    document = parse_document("a.md", b"# A\n\nSee [guide](docs/guide.md).\n")
    link = document.links[0]
    changed = ["# A", "", "See [guide](docs/other.md)."]  # the file changed under the model
    with pytest.raises(LocateError, match="reads 'docs/other.md'"):
        locate_target(changed, link)


def test_ambiguous_fallback_is_refused() -> None:
    # The recorded column is wrong and the same link is written twice on the line: no guessing.
    document = parse_document("a.md", b"[x](b.md) and [x](b.md)\n")
    link = document.links[0].__class__("b.md", 1, 3, "inline")
    with pytest.raises(LocateError, match="2 times"):
        locate_target(document.lines, link)


def test_edits_keep_crlf_bom_trailing_spaces_and_tabs() -> None:
    raw = "\ufeff# T\r\n\r\nSee [a](old.md)  \r\n\tand [b](old.md)\t\r\nend".encode()
    updated = apply_edits(raw, [Edit(3, 8, 14, "old.md", "../notes/new.md"), Edit(4, 9, 15, "old.md", "new.md")])
    assert updated == "\ufeff# T\r\n\r\nSee [a](../notes/new.md)  \r\n\tand [b](new.md)\t\r\nend".encode()


def test_edits_keep_lone_cr_and_mixed_endings() -> None:
    raw = b"a [x](one.md)\rb [y](one.md)\nc\r\n"
    updated = apply_edits(raw, [Edit(1, 6, 12, "one.md", "two.md"), Edit(2, 6, 12, "one.md", "three.md")])
    assert updated == b"a [x](two.md)\rb [y](three.md)\nc\r\n"


def test_edits_that_do_not_fit_are_refused() -> None:
    with pytest.raises(EditError, match="does not read"):
        apply_edits(b"[x](a.md)\n", [Edit(1, 4, 8, "b.md", "c.md")])
    with pytest.raises(EditError, match="overlapping"):
        apply_edits(b"[x](a.md)\n", [Edit(1, 4, 8, "a.md", "c.md"), Edit(1, 5, 8, ".md", "x")])
    with pytest.raises(EditError, match="UTF-8"):
        apply_edits(b"\xff[x](a.md)\n", [Edit(1, 5, 9, "a.md", "c.md")])


@pytest.mark.parametrize(("path", "syntax", "written"), [
    ("docs/getting-started.md", "markdown", "docs/getting-started.md"),
    ("docs/My Guide.md", "markdown", "docs/My%20Guide.md"),
    ("docs/My Guide.md", "angle", "docs/My Guide.md"),
    ("docs/a(b).md", "markdown", "docs/a%28b%29.md"),
    ("docs/100%.md", "markdown", "docs/100%25.md"),
    ("docs/naïve.md", "markdown", "docs/naïve.md"),
    ("docs/R&D.md", "html", "docs/R&amp;D.md"),
    ("docs/q?.md", "angle", "docs/q%3F.md"),
])
def test_encode_path_encodes_only_what_the_syntax_needs(path: str, syntax: str, written: str) -> None:
    assert encode_path(path, syntax) == written


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"),
               min_size=1, max_size=30), st.sampled_from(["markdown", "angle", "html"]))
def test_encoded_paths_read_back_as_the_path(path: str, syntax: str) -> None:
    # What the parser reads from the written form, percent-decoded as resolution does, is the path itself.
    assert unquote(read_as(encode_path(path, syntax), syntax)) == path


@given(st.text(alphabet="abc-_ ./()%#?<>&;\\", min_size=1, max_size=20))
def test_encoded_markdown_destinations_parse_as_one_link(path: str) -> None:
    written = encode_path(path, "markdown")
    document = parse_document("a.md", f"[x]({written})\n".encode())
    assert [link.target for link in document.links] == [read_as(written, "markdown")]
