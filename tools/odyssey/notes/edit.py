"""Surgical, atomic frontmatter edits: only the touched keys change, every other byte stays as it was.

``edit_frontmatter(text, updates)`` locates each top-level key's value in the YAML node tree (positions from PyYAML's
composer, never a regex over the text) and rewrites only that span:

- an existing scalar or flow value is replaced in place (a trailing ``# comment`` survives);
- a block sequence (``- item`` lines) that only gains items gets new item lines in the same style;
- a missing key is inserted as one line after the key that precedes it in the canonical order (``KEY_ORDER``), or
  before the closing ``---``.

Line endings (LF or CRLF) and a byte-order mark are kept. The result is re-parsed and compared with what was asked
for; any difference (an exotic YAML layout) is an ``EditError`` rather than a silently damaged file.

``write_atomically`` writes through a temporary file in the same directory and ``os.replace``, so a crash leaves
either the old file or the new one, never half of each; ``create_exclusively`` refuses to overwrite.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from odyssey.frontmatter import SafeLoader, split_frontmatter
from odyssey.notes.model import KEY_ORDER

logger = logging.getLogger(__name__)

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")
_ENDING = re.compile(r"(\r\n|\n|\r)$")


class EditError(Exception):
    """The frontmatter cannot be edited safely; phrased as one line (without the file name)."""


# -- rendering values -----------------------------------------------------------------------------------------------
def _plain_ok(text: str, in_flow: bool) -> bool:
    """Does ``text`` survive as a plain (unquoted) YAML scalar, where it will be written? Asked of both PyYAML
    loaders (libyaml and pure Python), which disagree on corner cases such as ``[0?]``."""
    if not text or text != text.strip() or "\n" in text or "#" in text or text.startswith(("'", '"', "&", "*", "!")):
        return False
    probe = f"k: [{text}]" if in_flow else f"k: {text}"
    wanted = {"k": [text] if in_flow else text}
    for loader in dict.fromkeys((SafeLoader, yaml.SafeLoader)):
        try:
            if yaml.load(probe, Loader=loader) != wanted:  # noqa: S506 - safe loaders only
                return False
        except yaml.YAMLError:
            return False
    return True


def render_scalar(value: Any, in_flow: bool = False) -> str:
    """A YAML scalar for ``value``: plain when that reads back identically, else a double-quoted (JSON) string."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return text if _plain_ok(text, in_flow) else json.dumps(text, ensure_ascii=False)


def render_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_scalar(item, in_flow=True) for item in value) + "]"
    return render_scalar(value)


def render_frontmatter(data: Mapping[str, Any], newline: str = "\n") -> str:
    """A whole frontmatter block (``---`` ... ``---``), keys in canonical order, then any others as given."""
    keys = [key for key in KEY_ORDER if key in data] + [key for key in data if key not in KEY_ORDER]
    lines = ["---", *(f"{key}: {render_value(data[key])}" for key in keys), "---"]
    return newline.join(lines) + newline


# -- locating keys --------------------------------------------------------------------------------------------------
@dataclass
class _Span:
    """Where a key's value sits in the frontmatter lines (0-based, relative to the first line after ``---``)."""

    key_line: int
    start: tuple[int, int]
    end: tuple[int, int]
    node: yaml.Node


def split_lines(text: str) -> list[str]:
    """Lines with their endings kept (LF, CRLF or CR)."""
    return _LINE.findall(text)


def _content(line: str) -> str:
    return _ENDING.sub("", line)


def _locate(yaml_lines: list[str]) -> dict[str, _Span]:
    text = "\n".join(yaml_lines)
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise EditError(f"frontmatter is not valid YAML ({getattr(exc, 'problem', exc)}); fix it first") from None
    finally:
        loader.dispose()
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise EditError("frontmatter is not a mapping of keys to values; fix it first")
    if node.flow_style:
        raise EditError("frontmatter is one {flow: mapping}; write it as one key per line, or edit it by hand")
    spans: dict[str, _Span] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        start = (value_node.start_mark.line, value_node.start_mark.column)
        end = _trim_end(yaml_lines, start, (value_node.end_mark.line, value_node.end_mark.column))
        spans[str(key_node.value)] = _Span(key_node.start_mark.line, start, end, value_node)
    return spans


def _trim_end(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> tuple[int, int]:
    """A block value ends where the next token starts (column 0 of a later line): pull the end back to the end of
    the last line holding the value, so that blank lines and comments after it stay outside the span."""
    line, column = end
    while column == 0 and line > start[0]:
        line -= 1
        stripped = lines[line].rstrip()
        if stripped and not stripped.lstrip().startswith("#"):
            column = len(stripped)
    return line, column


def _load(yaml_lines: list[str]) -> dict[str, Any]:
    try:
        loaded = yaml.load("\n".join(yaml_lines), Loader=SafeLoader)  # noqa: S506 - safe loader
    except yaml.YAMLError:
        raise EditError("the frontmatter layout is too unusual to edit safely; edit it by hand") from None
    return loaded if isinstance(loaded, dict) else {}


# -- editing --------------------------------------------------------------------------------------------------------
def edit_frontmatter(text: str, updates: Mapping[str, Any]) -> str:
    """``text`` (a whole note, as read from disk) with the frontmatter keys in ``updates`` set to their values.

    Raises EditError when the file has no frontmatter, when it is not valid YAML, or when the edit would not read
    back as intended.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = split_lines(text[len(bom):])
    contents = [_content(line) for line in lines]
    fence = split_frontmatter(contents)
    if fence is None:
        raise EditError("has no frontmatter (--- ... --- at the top); add it first (odyssey notes adopt)")
    opening, closing = fence
    newline = next((m.group(1) for line in lines if (m := _ENDING.search(line))), "\n")
    yaml_lines = contents[opening + 1 : closing]
    spans = _locate(yaml_lines)
    before = _load(yaml_lines)
    expected = dict(before)
    expected.update(updates)

    # Operations on yaml line indexes, applied bottom-up so that earlier positions stay valid: (position, kind, end
    # line, start column, end column, texts). Kind 2 replaces a span; 1 inserts missing keys and 0 appends list items
    # before line ``position``. At one position the higher kind goes first, so it ends up below: a replaced line
    # stays below keys inserted before it, and appended items stay above a key inserted after their list.
    operations: list[tuple[int, int, int, int, int, list[str]]] = []
    inserted: dict[int, list[tuple[int, str]]] = {}  # position -> (canonical rank, line) of missing keys
    for key, value in updates.items():
        if key in before and _same(before[key], value):
            continue
        span = spans.get(key)
        if span is None:
            rank = KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER)
            position = _insertion_point(key, spans, len(yaml_lines)) + 1
            inserted.setdefault(position, []).append((rank, f"{render_key(key)}: {render_value(value)}"))
            continue
        node = span.node
        (line, column), (end_line, end_column) = span.start, span.end
        if isinstance(node, yaml.SequenceNode) and not node.flow_style:
            if node.value and _extends(before[key], value):  # appended items: new lines in the same style
                first = node.value[0].start_mark
                prefix = yaml_lines[first.line][: first.column]
                added = [f"{prefix}{render_scalar(item)}" for item in list(value)[len(before[key]):]]
                operations.append((end_line + 1, 0, 0, 0, 0, added))
                continue
            # Otherwise the block list becomes a flow list after the key's colon.
            key_text = yaml_lines[span.key_line]
            line = span.key_line
            column = key_text.index(":", len(key_text) - len(key_text.lstrip())) + 1
        replacement = render_value(value)
        if column > 0 and yaml_lines[line][column - 1] == ":":
            replacement = " " + replacement  # `key:` with nothing after the colon yet
        operations.append((line, 2, end_line, column, end_column, [replacement]))

    for position, texts in inserted.items():
        operations.append((position, 1, 0, 0, 0, [text for _rank, text in sorted(texts, key=lambda t: t[0])]))
    # Each yaml line as [content, ending]: untouched lines keep their own ending, byte for byte.
    rows = [[contents[index], lines[index][len(contents[index]):]] for index in range(opening + 1, closing)]
    for position, kind, end_line, column, end_column, texts in sorted(operations, key=lambda o: o[:2], reverse=True):
        if kind == 2:
            merged = rows[position][0][:column] + texts[0] + rows[end_line][0][end_column:]
            rows[position : end_line + 1] = [[merged, rows[end_line][1]]]
        else:
            rows[position:position] = [[text, newline] for text in texts]
    result = _load([content for content, _ending in rows])
    if not _same_mapping(result, expected):
        raise EditError("the frontmatter layout is too unusual to edit safely; edit it by hand")
    rebuilt = lines[: opening + 1] + [content + ending for content, ending in rows] + lines[closing:]
    return bom + "".join(rebuilt)


def render_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else json.dumps(key)


def _insertion_point(key: str, spans: Mapping[str, _Span], count: int) -> int:
    """The yaml line after which a missing ``key`` goes: after the nearest earlier key of KEY_ORDER that is present,
    else before the nearest later one, else at the end."""
    if key in KEY_ORDER:
        position = KEY_ORDER.index(key)
        for earlier in reversed(KEY_ORDER[:position]):
            if earlier in spans:
                return spans[earlier].end[0]
        for later in KEY_ORDER[position + 1:]:
            if later in spans:
                return spans[later].key_line - 1
    return count - 1


def _normal(value: Any) -> Any:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_normal(v) for v in value]
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _same(old: Any, new: Any) -> bool:
    return _normal(old) == _normal(new)


def _same_mapping(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return set(left) == set(right) and all(_same(left[key], right[key]) for key in left)


def _extends(old: Any, new: Any) -> bool:
    """Is ``new`` the list ``old`` with items appended?"""
    return isinstance(old, list) and isinstance(new, (list, tuple)) and len(new) > len(old) and \
        _same(old, list(new)[: len(old)])


# -- writing --------------------------------------------------------------------------------------------------------
def read_note_text(path: Path) -> str:
    """A note's text exactly as stored (line endings kept); OSError/UnicodeDecodeError for the caller to phrase."""
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8")


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) through a temporary file in the same directory; mode kept."""
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with _quietly():
            os.unlink(temporary)
        raise


def create_exclusively(path: Path, text: str) -> None:
    """Write a new file, atomically, failing with FileExistsError when ``path`` exists (never overwrites)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.link(temporary, path)  # atomic, and refuses an existing path
    finally:
        with _quietly():
            os.unlink(temporary)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class _quietly:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]
