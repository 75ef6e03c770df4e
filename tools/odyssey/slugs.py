"""Heading anchors as the renderers compute them.

- ``mkdocs``: Python-Markdown's ``toc`` extension (mkdocs' default): NFKD to ASCII, drop what is not a word character,
  space or hyphen, lower-case, runs of spaces/hyphens become one ``-``; duplicates get ``_1``, ``_2``, ...
- ``github``: GitHub's renderer (github-slugger): lower-case, drop punctuation but keep Unicode letters, ``-`` and ``_``,
  each space becomes ``-`` (runs are not collapsed); duplicates get ``-1``, ``-2``, ...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_MKDOCS_DROP = re.compile(r"[^\w\s-]")
_MKDOCS_SEPARATORS = re.compile(r"[-\s]+")
_MKDOCS_COUNTED = re.compile(r"^(.*)_([0-9]+)$")
_GITHUB_DROP = re.compile(r"[^\w\- ]")

SLUG_STYLES = ("mkdocs", "github")


def slugify_mkdocs(text: str) -> str:
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = _MKDOCS_DROP.sub("", value).strip().lower()
    return _MKDOCS_SEPARATORS.sub("-", value)


def slugify_github(text: str) -> str:
    return _GITHUB_DROP.sub("", text.strip().lower()).replace(" ", "-")


def unique_mkdocs(slug: str, seen: set[str]) -> str:
    """Python-Markdown's ``toc.unique``: append or bump ``_N`` until the id is new (an empty id becomes ``_1``)."""
    while slug in seen or not slug:
        counted = _MKDOCS_COUNTED.match(slug)
        slug = f"{counted.group(1)}_{int(counted.group(2)) + 1}" if counted else f"{slug}_1"
    seen.add(slug)
    return slug


def heading_anchors(texts: Iterable[tuple[str, str | None]], style: str) -> list[str]:
    """Anchors of a document's headings in order; each item is (heading text, explicit ``{#id}`` or None)."""
    anchors: list[str] = []
    if style == "mkdocs":
        seen: set[str] = set()
        for text, explicit in texts:
            anchors.append(unique_mkdocs(explicit if explicit else slugify_mkdocs(text), seen))
        return anchors
    if style == "github":
        # github-slugger: bump the base's counter until the slug is new, since a heading may itself read "foo-1".
        occurrences: dict[str, int] = {}
        for text, _explicit in texts:
            base = slug = slugify_github(text)
            while slug in occurrences:
                occurrences[base] += 1
                slug = f"{base}-{occurrences[base]}"
            occurrences[slug] = 0
            anchors.append(slug)
        return anchors
    raise ValueError(f"unknown slug style {style!r}; expected one of {SLUG_STYLES}")
