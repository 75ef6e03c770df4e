"""mkdocs.yml nav entries are edited in place: comments, tags, quoting and line endings survive."""

from __future__ import annotations

import pytest
from odyssey.fix.navedit import NavEditError, edit_nav, nav_scalars, written_scalar
from odyssey.mkdocs_config import parse_mkdocs_config

MKDOCS = """\
site_name: ML Odyssey  # the manual
theme:
  name: material
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
extra:
  token: !ENV [GITHUB_TOKEN, ""]
nav:
  - Home: index.md
  # Guides first
  - Guides:
      - 'Setup Guide': 'guides/Setup_Guide.md'   # the old name
      - "Training": "guides/Training.md#schedule"
      - guides/plain_entry.md
  - GitHub: https://github.com/example/odyssey
"""


def test_nav_scalars_match_mkdocs_config_entries() -> None:
    scalars = nav_scalars(MKDOCS)
    entries = parse_mkdocs_config("mkdocs.yml", MKDOCS).nav
    assert entries is not None
    assert [(s.value, s.line) for s in scalars] == [(e.target, e.line) for e in entries]


def test_only_the_edited_scalars_change() -> None:
    raw = MKDOCS.replace("\n", "\r\n").encode()
    scalars = nav_scalars(raw.decode())
    index = {s.value: i for i, s in enumerate(scalars)}
    changes = {
        index["guides/Setup_Guide.md"]: "guides/setup-guide.md",
        index["guides/Training.md#schedule"]: "guides/training.md#schedule",
        index["guides/plain_entry.md"]: "guides/plain-entry.md",
    }
    updated = edit_nav("mkdocs.yml", raw, changes)
    expected = (
        MKDOCS.replace("'guides/Setup_Guide.md'", "'guides/setup-guide.md'")
        .replace('"guides/Training.md#schedule"', '"guides/training.md#schedule"')
        .replace("- guides/plain_entry.md", "- guides/plain-entry.md")
        .replace("\n", "\r\n")
    )
    assert updated == expected.encode()


def test_a_plain_entry_that_cannot_stay_plain_is_quoted() -> None:
    raw = b"\xef\xbb\xbfnav:\n  - Notes: notes.md\n"
    updated = edit_nav("mkdocs.yml", raw, {0: "notes/a: b.md"})
    assert updated == b"\xef\xbb\xbfnav:\n  - Notes: 'notes/a: b.md'\n"
    assert written_scalar("it's.md", "'") == "'it''s.md'"


def test_block_scalars_and_unreadable_configs_are_refused() -> None:
    with pytest.raises(NavEditError, match="spans lines|block scalar"):
        edit_nav("mkdocs.yml", b"nav:\n  - Home: |\n      index.md\n", {0: "home.md"})
    with pytest.raises(NavEditError, match="not valid UTF-8"):
        edit_nav("mkdocs.yml", b"nav:\n  - Home: \xff.md\n", {0: "home.md"})
