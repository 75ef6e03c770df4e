"""Surgical frontmatter edits: only the touched keys change, every other byte (body, other keys, comments, line
endings, byte-order mark) stays; what cannot be edited safely is refused; writes are atomic."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from odyssey.notes.edit import (
    EditError,
    create_exclusively,
    edit_frontmatter,
    render_frontmatter,
    render_scalar,
    write_atomically,
)

NOTE = """\
---
title: Where odyssey's time goes when parsing Markdown
kind: analysis
status: active   # nobody has revisited this yet
created: 2026-11-26
updated: 2026-11-26
tags: [odyssey, performance, markdown-it-py]
related:
  - decision-document-model.md

# owner: the parsing team
---

# Where odyssey's time goes when parsing Markdown

| parser configuration | ms per document |
|---|---|
| full CommonMark parse | 2.15–2.21 |
"""


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]


def load_frontmatter(text: str) -> dict[str, object]:
    inner = text.lstrip("\ufeff").replace("\r\n", "\n").split("---\n")[1]
    data = yaml.safe_load(inner)
    assert isinstance(data, dict)
    return data


def test_replacing_values_touches_only_their_lines_and_keeps_a_comment() -> None:
    after = edit_frontmatter(NOTE, {"status": "superseded", "updated": datetime.date(2026, 12, 1)})
    assert changed_lines(NOTE, after) == [
        ("status: active   # nobody has revisited this yet", "status: superseded   # nobody has revisited this yet"),
        ("updated: 2026-11-26", "updated: 2026-12-01"),
    ]
    assert len(after.splitlines()) == len(NOTE.splitlines())


def test_a_missing_key_is_inserted_after_its_predecessor_in_canonical_order() -> None:
    after = edit_frontmatter(NOTE, {"superseded_by": "analysis-parse-cost-2.md"})
    lines = after.splitlines()
    assert lines[lines.index("  - decision-document-model.md") + 1] == "superseded_by: analysis-parse-cost-2.md"
    assert after.replace("superseded_by: analysis-parse-cost-2.md\n", "") == NOTE
    assert load_frontmatter(after)["superseded_by"] == "analysis-parse-cost-2.md"


def test_appending_to_a_block_list_adds_an_item_line_in_the_same_style() -> None:
    after = edit_frontmatter(NOTE, {"related": ["decision-document-model.md", "reviews/parser review.md"]})
    assert after.replace("  - reviews/parser review.md\n", "") == NOTE
    assert "  - decision-document-model.md\n  - reviews/parser review.md\n" in after


def test_a_block_list_that_loses_items_becomes_a_flow_list_on_the_key_line() -> None:
    after = edit_frontmatter(NOTE, {"related": []})
    assert "related: []\n\n# owner: the parsing team\n" in after
    assert load_frontmatter(after)["related"] == []
    assert after.split("---\n", 2)[2] == NOTE.split("---\n", 2)[2]  # the body is untouched


def test_crlf_line_endings_and_the_byte_order_mark_survive() -> None:
    text = "\ufeff" + NOTE.replace("\n", "\r\n")
    after = edit_frontmatter(text, {"status": "archived", "superseded_by": "x.md"})
    assert after.startswith("\ufeff---\r\n")
    assert "\n" not in after.replace("\r\n", "")  # every line still ends with CRLF, the inserted one too
    assert "status: archived   # nobody" in after and "superseded_by: x.md\r\n" in after


def test_mixed_line_endings_of_untouched_lines_are_kept_byte_for_byte() -> None:
    text = "---\ntitle: A\r\nkind: plan\nstatus: active\r\n---\r\nbody\n"
    after = edit_frontmatter(text, {"kind": "review"})
    assert after == "---\ntitle: A\r\nkind: review\nstatus: active\r\n---\r\nbody\n"


def test_an_empty_value_gets_a_space_after_the_colon() -> None:
    text = "---\ntitle: Plan\nsuperseded_by:\nkind: plan\n---\n"
    after = edit_frontmatter(text, {"superseded_by": "b.md"})
    assert after == "---\ntitle: Plan\nsuperseded_by: b.md\nkind: plan\n---\n"


def test_a_multi_line_scalar_is_replaced_by_one_line() -> None:
    text = "---\ntitle: >\n  A very long\n  folded title\nkind: plan\n---\n# x\n"
    assert edit_frontmatter(text, {"title": "Short"}) == "---\ntitle: Short\nkind: plan\n---\n# x\n"


def test_unchanged_values_leave_the_text_identical() -> None:
    assert edit_frontmatter(NOTE, {"status": "active", "created": datetime.date(2026, 11, 26)}) == NOTE


def test_values_that_need_quotes_are_quoted_and_read_back() -> None:
    after = edit_frontmatter(NOTE, {"title": "Q&A: the #1 parse cost", "tags": ["yes", "a,b", "2026-01-01"]})
    data = load_frontmatter(after)
    assert data["title"] == "Q&A: the #1 parse cost"
    assert data["tags"] == ["yes", "a,b", "2026-01-01"]


@pytest.mark.parametrize("text, problem", [
    ("# No frontmatter\n", "has no frontmatter"),
    ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
    ("---\n- a\n- b\n---\n", "not a mapping"),
    ("---\n{title: A, kind: plan}\n---\n", "flow: mapping"),
])
def test_files_that_cannot_be_edited_are_refused(text: str, problem: str) -> None:
    with pytest.raises(EditError, match=problem):
        edit_frontmatter(text, {"status": "archived"})


def test_render_scalar_quotes_only_what_yaml_would_misread() -> None:
    assert render_scalar("decision-document-model.md") == "decision-document-model.md"
    assert render_scalar("no") == '"no"'
    assert render_scalar("12") == '"12"'
    assert render_scalar("a: b") == '"a: b"'
    assert render_scalar("x, y", in_flow=True) == '"x, y"'
    assert render_scalar(datetime.date(2026, 1, 2)) == "2026-01-02"


def test_render_frontmatter_orders_the_keys() -> None:
    text = render_frontmatter({"tags": ["a"], "title": "T", "owner": "me", "kind": "plan"})
    assert text == "---\ntitle: T\nkind: plan\ntags: [a]\nowner: me\n---\n"


_KEYS = st.sampled_from(["title", "kind", "status", "created", "updated", "tags", "related", "owner"])
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)


def dump_key(key: str, value: object, flow: bool) -> str:
    """One key as PyYAML writes it: a list in flow style ([a, b]) or block style (- a lines)."""
    if isinstance(value, list) and flow:
        flow_list = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1000).strip()
        return f"{key}: {flow_list}\n"
    return yaml.safe_dump({key: value}, default_flow_style=False, allow_unicode=True, width=1000)


@settings(max_examples=120, deadline=None)
@given(
    existing=st.dictionaries(_KEYS, st.tuples(st.one_of(_TEXT, st.lists(_TEXT, max_size=3)), st.booleans()),
                             max_size=6),
    updates=st.dictionaries(_KEYS, st.one_of(_TEXT, st.lists(_TEXT, max_size=3), st.dates()), min_size=1, max_size=3),
    body=st.text(max_size=80),
)
def test_any_edit_reads_back_as_asked_and_keeps_the_body(existing: dict, updates: dict, body: str) -> None:
    text = "".join(dump_key(key, value, flow) for key, (value, flow) in existing.items())
    existing = {key: value for key, (value, _flow) in existing.items()}
    note = f"---\n{text}---\n{body}"
    after = edit_frontmatter(note, updates)
    assert after.endswith(f"---\n{body}")
    expected = {**existing, **{k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in updates.items()}}
    loaded = load_frontmatter(after) if after.count("---\n") >= 2 else {}
    normal = {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in loaded.items()}
    assert normal == expected


def test_write_atomically_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("old\n", encoding="utf-8")
    os.chmod(path, 0o640)
    write_atomically(path, "new ✓\n")
    assert path.read_text(encoding="utf-8") == "new ✓\n"
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["note.md"]  # no temporary file left behind


def test_create_exclusively_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    create_exclusively(path, "first\n")
    with pytest.raises(FileExistsError):
        create_exclusively(path, "second\n")
    assert path.read_text(encoding="utf-8") == "first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["note.md"]
