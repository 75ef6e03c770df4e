"""The configuration reference page generated from the config JSON Schema: every key, its type, its default (from
the schema, a "Default:" sentence, or ``odyssey init``'s starter file) and its description, rendered as Markdown that
Python-Markdown (mkdocs) reads as intended."""

from __future__ import annotations

import re
from typing import Any

import markdown
from odyssey.config import config_schema
from odyssey.mkdocs_plugin.config_reference import (
    config_reference_page,
    default_markdown,
    description_markdown,
    split_default,
    starter_defaults,
    type_text,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {"globs": {"type": "array", "items": {"type": "string", "minLength": 1}}},
    "properties": {
        "exclude": {"$ref": "#/$defs/globs", "description": "Globs (gitignore-like, ** allowed) never checked."},
        "jobs": {"type": "integer", "minimum": 0, "default": 0, "description": "Parser processes; 0 = one per CPU."},
        "slug-style": {"enum": ["auto", "github"], "description": "How anchors are computed."},
        "plots": {
            "type": "object",
            "description": "The plots family (PLT).",
            "properties": {
                "dpi": {"type": "number", "exclusiveMinimum": 0, "maximum": 600,
                        "description": "Resolution of the figures. Default: 120."},
                "styles": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Figure -> style, e.g. `{ history = \"seaborn\" }`. "
                                          "Default: {} (matplotlib's)."},
                "formats": {"type": "array", "items": {"type": "string"},
                            "description": "File formats | written in order. Default: [\"png\", \"svg\"]."},
            },
        },
        "kinds": {
            "type": "array",
            "description": "Kinds of document.",
            "items": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"}, "dirs": {"type": "array", "items": {"type": "string"},
                                                     "description": "Directories of the kind."}}},
        },
    },
}
STARTER: dict[str, Any] = {"exclude": [], "kinds": [{"name": "agent"}, {"name": "note"}], "plots": {"dpi": 100}}


def rows(page: str, section: str) -> dict[str, list[str]]:
    """The rows of the table under heading ``section``: key -> [type, default, description]."""
    body = page.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, list[str]] = {}
    for line in body.splitlines():
        match = re.match(r"^\| `([^`]+)` \| (.*) \|$", line)
        if match:
            table[match.group(1)] = match.group(2).split(" | ")
    return table


def test_types_are_described_in_words() -> None:
    properties = SCHEMA["properties"]
    assert type_text(properties["exclude"], SCHEMA) == "array of strings (globs)"
    assert type_text(properties["jobs"], SCHEMA) == "integer (>= 0)"
    assert type_text(properties["slug-style"], SCHEMA) == 'one of `"auto"`, `"github"`'
    plots = properties["plots"]["properties"]
    assert type_text(plots["dpi"], SCHEMA) == "number (> 0, <= 600)"
    assert type_text(plots["styles"], SCHEMA) == "table: string → string"
    assert type_text(properties["kinds"], SCHEMA) == "array of tables"


def test_a_default_sentence_moves_from_the_description_to_the_default_column() -> None:
    assert split_default("Resolution of the figures. Default: 120.") == ("Resolution of the figures.", "120")
    assert split_default("No default here.") == ("No default here.", None)
    assert default_markdown('["png", "svg"]') == '`["png", "svg"]`'
    assert default_markdown("{} (matplotlib's)") == "`{}` (matplotlib's)"
    assert default_markdown('the first directory of the `note` kind ("notes")') == (
        'the first directory of the `note` kind ("notes")')


def test_every_key_is_listed_per_table_with_its_default_from_the_best_source() -> None:
    page = config_reference_page(SCHEMA, STARTER)
    top = rows(page, "Top level")
    assert list(top) == ["exclude", "jobs", "slug-style", "kinds"]
    assert top["exclude"][1] == "`[]`"  # from odyssey init's starter
    assert top["jobs"][1] == "`0`"  # the schema's default keyword
    assert top["slug-style"][1] == "not stated"
    assert top["kinds"][1].startswith("2 tables: `agent`, `note`")
    plots = rows(page, r"\[tool.odyssey.plots\]")
    assert plots["dpi"][1:] == ["`120`", "Resolution of the figures."]  # the schema's sentence wins over init's 100
    assert plots["styles"][1] == "`{}` (matplotlib's)"
    kinds = rows(page, r"\[\[tool.odyssey.kinds\]\]")
    assert kinds["name"][1] == "required" and kinds["dirs"][1] == "—"


def test_descriptions_render_as_text_with_their_code_spans() -> None:
    cell = description_markdown("Globs (gitignore-like, ** allowed) for <docs> | Figure -> style, `a|b` and `x*y`.")
    html = markdown.markdown("| D |\n|---|\n| " + cell + " |", extensions=["tables"])
    assert "<strong>" not in html and "<docs>" not in html
    assert "** allowed" in html and "&lt;docs&gt;" in html
    assert "<code>x*y</code>" in html
    assert "a&#124;b" in html  # a code span holding | cannot sit in a table cell everywhere: it becomes text
    assert html.count("<td>") == 1  # the | in the text did not split the cell


def test_the_real_schema_page_lists_every_key_of_every_section() -> None:
    schema = config_schema()
    page = config_reference_page(schema, starter_defaults())
    for key, node in schema["properties"].items():
        if "properties" in node:
            assert f"## \\[tool.odyssey.{key}\\]\n" in page
        else:
            assert f"| `{key}` |" in page
        nested = node.get("properties") or (node.get("items") or {}).get("properties") or {}
        for sub in nested:
            assert f"| `{sub}` |" in page, f"{key}.{sub}"
    assert "## \\[tool.odyssey.notes\\]" in page
    # Defaults from odyssey init's starter where the schema states none.
    assert rows(page, r"\[tool.odyssey.placement\]")["default-destination"][1] == '`"docs"`'
    html = markdown.markdown(page, extensions=["tables"])
    assert html.count("<table>") == 1 + sum(
        1 for node in schema["properties"].values() if "properties" in node or "properties" in node.get("items", {}))
