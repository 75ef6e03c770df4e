"""Heading anchors: mkdocs' against Python-Markdown's own ``toc`` code, GitHub's against known GitHub outputs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odyssey.document import parse_document
from odyssey.slugs import heading_anchors, slugify_github, slugify_mkdocs, unique_mkdocs
from tests.conftest import require_module


def python_markdown_toc() -> ModuleType:
    """Python-Markdown's toc extension module (installed with mkdocs, a dev dependency)."""
    return require_module("markdown.extensions.toc")


PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _HeadingIds(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.ids.append(dict(attrs).get("id") or "")


def python_markdown_ids(source: str) -> list[str]:
    """Heading ids exactly as mkdocs makes them: Python-Markdown with its toc (and attr_list) extensions."""
    collector = _HeadingIds()
    collector.feed(require_module("markdown").markdown(source, extensions=["toc", "attr_list"]))
    return collector.ids


# -- mkdocs: the same functions as Python-Markdown ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("Step 1: Setup", "step-1-setup"),
        ("Über uns", "uber-uns"),  # NFKD, then ASCII: accents go, letters stay
        ("C++ & CUDA", "c-cuda"),  # runs of spaces and hyphens collapse
        ("snake_case_name", "snake_case_name"),
        ("Version 2.0.1", "version-201"),
        ("Ligature ﬁle", "ligature-file"),
        ("日本語", ""),  # nothing ASCII survives; unique() then makes "_1"
    ],
)
def test_mkdocs_slugs_of_known_headings(text: str, slug: str) -> None:
    assert slugify_mkdocs(text) == slug
    assert slugify_mkdocs(text) == python_markdown_toc().slugify(text, "-")


@PROPERTY_SETTINGS
@given(st.text(max_size=60))
def test_mkdocs_slugify_is_python_markdowns(text: str) -> None:
    assert slugify_mkdocs(text) == python_markdown_toc().slugify(text, "-")


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(["setup", "setup_1", "setup_2", "usage", "", "x_9", "x_10"]), max_size=12))
def test_mkdocs_unique_is_python_markdowns(ids: list[str]) -> None:
    ours: set[str] = set()
    theirs: set[str] = set()
    unique = python_markdown_toc().unique
    assert [unique_mkdocs(i, ours) for i in ids] == [unique(i, theirs) for i in ids]


def test_mkdocs_duplicate_headings_get_underscore_suffixes() -> None:
    source = "# Usage\n\n## Usage\n\n## Usage\n\n## Usage 1\n\n## 日本語\n\n## 中文\n"
    texts = ["Usage", "Usage", "Usage", "Usage 1", "日本語", "中文"]
    assert heading_anchors(((text, None) for text in texts), "mkdocs") == [
        "usage", "usage_1", "usage_2", "usage-1", "_1", "_2"
    ]
    assert sorted(parse_document("p.md", source.encode()).anchors("mkdocs")) == sorted(python_markdown_ids(source))


def test_mkdocs_explicit_ids_match_attr_list() -> None:
    source = (
        "# Title {#top-of-page}\n\n## Preparing the environment {#setup}\n\n## Setup\n\n## Cls {: .wide #tables }\n"
    )
    document = parse_document("p.md", source.encode())
    assert sorted(document.anchors("mkdocs")) == sorted(python_markdown_ids(source))
    assert {"setup", "setup_1", "tables", "top-of-page"} <= document.anchors("mkdocs")


# Heading text made of realistic pieces, separated by spaces (CommonMark and Python-Markdown disagree on emphasis
# runs glued to words; that is a difference of parsers, not of slugs).
HEADING_PIECES = st.sampled_from(
    ["Training", "setup", "v2.0", "`train()`", "**bold**", "*em*", "[link](x.md)", "&amp;", "&copy;", "\\*", "é",
     "Über", "日本", "🎉", "C++", "Q&A", ":", "?", "(beta)", "'quoted'", "<b>raw</b>", "x_1", "a-b", "--", "½",
     "<https://example.com>", "&#35;", "ﬁ", "1."]
)


@PROPERTY_SETTINGS
@given(st.lists(st.lists(HEADING_PIECES, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=6))
def test_document_mkdocs_anchors_match_python_markdown(headings: list[str]) -> None:
    source = "\n\n".join(f"## {heading}" for heading in headings) + "\n"
    document = parse_document("page.md", source.encode())
    expected = python_markdown_ids(source)
    assert len(document.headings) == len(expected)
    assert document.anchors("mkdocs") == frozenset(expected)


def test_image_alt_text_is_not_part_of_the_mkdocs_slug() -> None:
    source = "## ![logo](logo.png) Results\n"
    assert python_markdown_ids(source) == ["results"]
    assert parse_document("p.md", source.encode()).anchors("mkdocs") == {"results"}


# -- GitHub ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("What's new in v2.0?", "whats-new-in-v20"),
        ("C++ & CUDA", "c--cuda"),  # each space becomes a hyphen; runs are not collapsed
        ("A -- B", "a----b"),
        ("Step 1: Setup", "step-1-setup"),
        ("snake_case_name", "snake_case_name"),
        ("Über uns", "über-uns"),  # letters beyond ASCII are kept
        ("🎉 Release party", "-release-party"),  # the emoji goes, its space stays
        ("Title {#custom}", "title-custom"),  # GitHub knows no attribute lists
    ],
)
def test_github_slugs_of_known_headings(text: str, slug: str) -> None:
    assert slugify_github(text) == slug


def test_github_duplicate_headings_get_hyphen_suffixes() -> None:
    source = "# Example\n\n## Example\n\n## Example\n\n## Setup {#setup}\n"
    document = parse_document("README.md", source.encode())
    assert document.anchors("github") == {"example", "example-1", "example-2", "setup-setup"}


def test_github_suffixes_skip_slugs_a_heading_already_took() -> None:
    # github-slugger: the third "Foo" cannot be foo-1, which the literal "Foo 1" heading took.
    texts = [("Foo", None), ("Foo-1", None), ("Foo", None), ("Foo", None)]
    assert heading_anchors(texts, "github") == ["foo", "foo-1", "foo-2", "foo-3"]
    assert heading_anchors([("Foo", None), ("Foo", None), ("Foo-1", None)], "github") == ["foo", "foo-1", "foo-1-1"]


def test_document_github_anchors_use_rendered_text() -> None:
    source = "## The `train()` function\n\n## **Bold** and [linked](x.md) words\n"
    assert parse_document("README.md", source.encode()).anchors("github") == {
        "the-train-function", "bold-and-linked-words"
    }


def test_unknown_style_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown slug style"):
        heading_anchors([("x", None)], "gitlab")
