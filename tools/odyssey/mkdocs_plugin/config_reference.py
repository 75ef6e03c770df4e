"""The configuration reference page, generated from the configuration's JSON Schema so that it never drifts.

Every key of ``odyssey.config.config_schema()`` (the core schema with each family's section fragment merged in) is
listed with its type, its default and its description, one table per TOML table: the top-level keys, then
``[tool.odyssey.<section>]`` for each object-valued key and ``[[tool.odyssey.kinds]]`` for the array of tables.

Where the default comes from, first match wins:

1. the schema's own ``default`` keyword;
2. a trailing ``Default: ...`` sentence in the key's description (how the section fragments state it; the sentence
   moves from the description to the Default column);
3. the value ``odyssey init`` writes for the key (its starter configuration is built from the ``Config`` defaults);
4. otherwise "not stated".

Pure functions over plain data: no mkdocs import, tested without a build.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from odyssey.report.render_md import code_span, escape_text

logger = logging.getLogger(__name__)

TITLE = "Configuration reference"
_DEFAULT_SENTENCE = re.compile(r"\s*\bDefault:\s*(?P<value>.+?)\s*$", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_MARKDOWN_SPECIALS = re.compile(r"([\\*_\[\]#])")
_REF_NAMES = {"globs": "globs", "codes": "rule selectors"}  # $defs the core schema names


# -- text ---------------------------------------------------------------------------------------------------------
def description_markdown(text: str) -> str:
    """A schema description as Markdown on one line: its `code spans` kept, everything else literal text (``**``
    in "globs, ** allowed" is not bold, ``<`` is not HTML, ``|`` does not split the table cell)."""
    text = " ".join(text.split())
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_literal(text[position:match.start()]))
        parts.append(code_span(match.group(2)))
        position = match.end()
    parts.append(_literal(text[position:]))
    return "".join(parts)


def _literal(text: str) -> str:
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "&#124;")


def toml_value(value: Any) -> str:
    """A default value as it is written in TOML (JSON's spelling is TOML's for these values, except booleans and
    tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(key)} = {toml_value(item)}" for key, item in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


# -- types ----------------------------------------------------------------------------------------------------------
def _resolve(node: Mapping[str, Any], schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
    """``node`` with a local ``$ref`` followed, and the name of the definition it referred to."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        target = schema.get("$defs", {}).get(name)
        if isinstance(target, Mapping):
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}, name
    return node, None


def _bounds(node: Mapping[str, Any]) -> str:
    """Numeric limits in words: `` (> 0, <= 1)``, or "" without any."""
    parts: list[str] = []
    for exclusive, inclusive, sign in (("exclusiveMinimum", "minimum", ">"), ("exclusiveMaximum", "maximum", "<")):
        if exclusive in node:
            parts.append(f"{sign} {node[exclusive]}")
        elif inclusive in node:
            parts.append(f"{sign}= {node[inclusive]}")
    return f" ({', '.join(parts)})" if parts else ""


def type_text(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """A schema node's type in words, as Markdown: ``array of strings (globs)``, ``number (> 0, <= 1)``, ``one of
    `auto`, `mkdocs```, ``table: string → array of strings``."""
    node, ref_name = _resolve(node, schema)
    if "enum" in node:
        return "one of " + ", ".join(code_span(toml_value(value)) for value in node["enum"])
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        items = node.get("items")
        if isinstance(items, Mapping):
            items_resolved, _ = _resolve(items, schema)
            if items_resolved.get("type") == "object" and "properties" in items_resolved:
                described = "array of tables"
            else:
                described = f"array of {_plural(type_text(items, schema))}"
        else:
            described = "array"
        if ref_name in _REF_NAMES:
            described += f" ({_REF_NAMES[ref_name]})"
        return described
    if kind == "object":
        values = node.get("additionalProperties")
        if isinstance(values, Mapping):
            return f"table: string → {type_text(values, schema)}"
        return "table"
    if kind in ("integer", "number"):
        return f"{kind}{_bounds(node)}"
    return str(kind) if kind else "any"


def _plural(text: str) -> str:
    head, _, rest = text.partition(" ")
    plural = {"string": "strings", "integer": "integers", "number": "numbers", "boolean": "booleans"}.get(head)
    return f"{plural} {rest}".strip() if plural else text


# -- defaults -------------------------------------------------------------------------------------------------------
def split_default(description: str) -> tuple[str, str | None]:
    """(description without its trailing ``Default: ...`` sentence, that default as written) ."""
    match = _DEFAULT_SENTENCE.search(description)
    if match is None:
        return description, None
    return description[: match.start()].rstrip(), match.group("value").rstrip(".").strip()


def default_markdown(written: str) -> str:
    """A default stated in prose: a leading JSON literal (``["a", "b"]``, ``0.4``, ``{}``) as a TOML code span, any
    words after it as text (``{} (every note directly in the notes directory)``)."""
    try:
        value, end = json.JSONDecoder().raw_decode(written)
    except ValueError:
        return description_markdown(written)
    rest = written[end:].strip()
    return code_span(toml_value(value)) + (f" {description_markdown(rest)}" if rest else "")


def starter_defaults() -> dict[str, Any]:
    """The values ``odyssey init`` writes (commented-out keys are not included: they have no value there)."""
    from odyssey.init_config import starter_config

    try:
        return tomllib.loads(starter_config(pyproject=False))
    except tomllib.TOMLDecodeError as exc:  # the starter is tested elsewhere; never break the docs build on it
        logger.warning("odyssey init's starter configuration does not parse: %s", exc)
        return {}


def _starter_default(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(item, dict) and "name" in item for item in value):
        names = ", ".join(code_span(str(item["name"])) for item in value)
        return f"{len(value)} tables: {names} (`odyssey init` writes them in full)"
    return code_span(toml_value(value))


# -- the page -------------------------------------------------------------------------------------------------------
def _rows(
    properties: Mapping[str, Any],
    schema: Mapping[str, Any],
    starter: Mapping[str, Any] | None,
    required: frozenset[str] = frozenset(),
    unstated: str = "not stated",
) -> list[str]:
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for key, raw_node in properties.items():
        node = raw_node if isinstance(raw_node, Mapping) else {}
        resolved, _ = _resolve(node, schema)
        description, stated = split_default(str(node.get("description", resolved.get("description", ""))))
        if "default" in node:
            default = code_span(toml_value(node["default"]))
        elif stated is not None:
            default = default_markdown(stated)
        elif starter is not None and key in starter:
            default = _starter_default(starter[key])
        elif key in required:
            default = "required"
        else:
            default = unstated
        rows.append(f"| {code_span(key)} | {type_text(node, schema)} | {default} | "
                    f"{description_markdown(description) or '—'} |")
    return rows


def _is_table(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "object" and isinstance(node.get("properties"), Mapping)


def _table_of_tables(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    items = node.get("items")
    if node.get("type") == "array" and isinstance(items, Mapping) and _is_table(items):
        return items
    return None


def config_reference_page(
    schema: Mapping[str, Any], starter: Mapping[str, Any] | None = None, prefix: str = "tool.odyssey"
) -> str:
    """The reference page of ``schema`` (the config JSON Schema); ``starter`` is what ``odyssey init`` writes
    (parsed TOML), used for defaults the schema does not state."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    # Arrays of tables (kinds) are listed here too, with their default; their keys get a section below.
    scalars = {k: v for k, v in properties.items() if not _is_table(v)}
    parts = [
        f"# {TITLE}",
        "Every key of `[" + prefix + "]` in `pyproject.toml` (or the top level of `odyssey.toml`), generated from "
        "the configuration's JSON Schema (`odyssey/schemas/config.schema.json` and the family sections in "
        "`odyssey/schemas/sections/`) when the site is built. Every key is optional; `odyssey init` writes a "
        "commented starter file with the defaults, and an unknown key is an error naming the file and line.",
        "## Top level",
        f"Keys of `[{prefix}]` itself.",
        "\n".join(_rows(scalars, schema, starter)),
    ]
    for key, node in properties.items():
        section_starter = starter.get(key) if starter is not None else None
        items = _table_of_tables(node)
        if _is_table(node):
            header, table = f"[{prefix}.{key}]", node
            section_starter = section_starter if isinstance(section_starter, Mapping) else None
        elif items is not None:
            header, table = f"[[{prefix}.{key}]]", items
            section_starter = None  # an array of tables: its default is the whole list, under Top level
        else:
            continue
        parts.append(f"## {escape_text(header)}")
        description = node.get("description")
        if description:
            parts.append(description_markdown(split_default(str(description))[0]))
        required = frozenset(str(name) for name in table.get("required") or ())
        # A key of an array of tables has no default of its own: the array's default is the whole list.
        unstated = "—" if items is not None else "not stated"
        parts.append("\n".join(_rows(table["properties"], schema, section_starter, required, unstated)))
    return "\n\n".join(parts) + "\n"
