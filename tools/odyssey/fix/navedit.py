"""In-place edits of mkdocs.yml nav entries: the YAML text is edited at each entry's scalar, never re-dumped.

Re-dumping would drop comments, reorder keys and turn ``!!python/name:`` and ``!ENV`` tags into nothing. Instead the
file is composed (pure-Python PyYAML, whose marks are character offsets into the text exactly as read, CRLF and BOM
included) to find each nav scalar's span, and only those characters are replaced. A plain scalar stays plain when the
new path can be written plain; otherwise, and for quoted scalars, the entry is written in its own (or single) quotes.
Block scalars (``|``, ``>``) and entries spanning lines are refused. The edited text is parsed again and its nav must
list exactly the expected targets, or the edit is refused.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from odyssey.fix.rewrite import Edit, EditError, apply_edits
from odyssey.mkdocs_config import parse_mkdocs_config

logger = logging.getLogger(__name__)

_PLAIN_SAFE = re.compile(r"[\w./-][\w./#%+~@-]*")


class NavEditError(Exception):
    """A nav entry cannot be rewritten exactly (one line)."""


class _ComposeLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Pure-Python loader (its marks index characters); unknown tags compose like any node."""


@dataclass(frozen=True)
class NavScalar:
    """One nav entry's target as written: characters ``start:end`` of the decoded file, 1-based ``line``."""

    value: str
    line: int
    start: int
    end: int
    style: str | None  # None (plain), "'", '"', "|" or ">"


def _walk(node: yaml.Node, found: list[NavScalar]) -> None:
    # The same walk as odyssey.mkdocs_config._walk_nav, so scalar i is NavEntry i.
    if isinstance(node, yaml.ScalarNode):
        if node.value:
            found.append(NavScalar(str(node.value), node.start_mark.line + 1, node.start_mark.index,
                                   node.end_mark.index, node.style))
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _walk(child, found)
    elif isinstance(node, yaml.MappingNode):
        for _key, value in node.value:
            _walk(value, found)


def nav_scalars(text: str) -> list[NavScalar]:
    """Every nav entry target of the mkdocs config ``text``, in the order mkdocs_config lists them."""
    loader = _ComposeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise NavEditError(f"cannot read the YAML: {getattr(exc, 'problem', exc)}") from None
    finally:
        loader.dispose()
    found: list[NavScalar] = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "nav":
                _walk(value, found)
    return found


def written_scalar(value: str, style: str | None) -> str:
    """``value`` written as a YAML scalar of ``style`` (plain when it stays plain, else quoted)."""
    if style is None:
        try:
            plain = _PLAIN_SAFE.fullmatch(value) is not None and yaml.safe_load(value) == value
        except yaml.YAMLError:
            plain = False
        if plain:
            return value
        style = "'"
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(value, ensure_ascii=False)
    raise NavEditError(f"a {style} block scalar in the nav is not rewritten")


def edit_nav(path: str, raw: bytes, changes: Mapping[int, str], scalars: list[NavScalar] | None = None) -> bytes:
    """``raw`` (the mkdocs config's bytes) with nav entry ``i`` (index into ``nav_scalars``) set to ``changes[i]``
    (``scalars``: the config's ``nav_scalars``, when the caller has them already)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NavEditError(f"{path} is not valid UTF-8") from None
    if scalars is None:
        scalars = nav_scalars(text)
    edits: list[Edit] = []
    line_starts = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
    bom = 1 if text.startswith("\ufeff") else 0
    for index, new_value in sorted(changes.items()):
        scalar = scalars[index]
        first_line = scalar.line - 1
        line_start = line_starts[first_line]
        next_start = line_starts[first_line + 1] if first_line + 1 < len(line_starts) else len(text) + 1
        if scalar.end >= next_start:
            raise NavEditError(f"{path}:{scalar.line}: the nav entry spans lines")
        old = text[scalar.start : scalar.end]
        column = scalar.start - line_start - (bom if first_line == 0 else 0)
        edits.append(Edit(scalar.line, column, column + len(old), old, written_scalar(new_value, scalar.style)))
    try:
        updated = apply_edits(raw, edits)
    except EditError as exc:
        raise NavEditError(f"{path}: {exc}") from None
    expected = [changes.get(index, scalar.value) for index, scalar in enumerate(scalars)]
    reread = parse_mkdocs_config(path, updated.decode("utf-8"))
    if reread.problem is not None or [entry.target for entry in reread.nav or ()] != expected:
        raise NavEditError(f"{path}: the edited nav does not read back as planned")
    return updated
