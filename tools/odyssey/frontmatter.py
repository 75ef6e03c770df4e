"""YAML frontmatter: split it from the body, load it safely, remember where each top-level key is.

Loading goes through PyYAML's safe loader (the C one when available) in two steps, compose then construct, so that
(1) every top-level key keeps its line for findings and (2) an alias bomb ("billion laughs") is refused before it is
expanded by anything that walks the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FRONTMATTER_BYTES = 64 * 1024
MAX_EXPANDED_NODES = 10_000


@dataclass(frozen=True)
class FrontmatterProblem:
    line: int
    code: str
    message: str


@dataclass
class Frontmatter:
    """The parsed block: ``data`` is None when absent or invalid; ``end_line`` is its closing ``---`` line (1-based)."""

    data: dict[str, Any] | None = None
    start_line: int = 0
    end_line: int = 0
    key_lines: dict[str, int] = field(default_factory=dict)
    problem: FrontmatterProblem | None = None

    @property
    def present(self) -> bool:
        return self.end_line > 0


def split_frontmatter(lines: list[str]) -> tuple[int, int] | None:
    """Line indexes (0-based, inclusive) of the opening and closing ``---`` fences, if the file starts with one."""
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return 0, index
    return None


def distinct_size(node: yaml.Node) -> int:
    """Number of distinct nodes (an aliased node counts once)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
    return len(seen)


def alias_bomb(node: yaml.Node) -> bool:
    """Do aliases multiply this tree by more than MAX_EXPANDED_NODES extra nodes, or make it recursive?"""
    limit = distinct_size(node) + MAX_EXPANDED_NODES
    try:
        return expanded_size(node, {}, limit) > limit
    except RecursionError:  # nesting deeper than Python's stack: refuse it like a bomb
        return True


def expanded_size(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Node count of the tree once aliases are expanded (capped just above ``limit``)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = limit + 1  # a cycle (recursive alias) counts as too large
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(expanded_size(child, memo, limit) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(expanded_size(k, memo, limit) + expanded_size(v, memo, limit) for k, v in node.value)
    else:
        size = 1
    memo[key] = min(size, limit + 1)
    return memo[key]


def parse_frontmatter(lines: list[str]) -> Frontmatter:
    span = split_frontmatter(lines)
    if span is None:
        if lines and lines[0].rstrip() == "---" and len(lines) > 1:
            # An opening fence with no closing one: mkdocs and GitHub render it as a rule, the YAML is lost.
            return Frontmatter(problem=FrontmatterProblem(1, "INP002", "frontmatter opened with '---' is never closed"))
        return Frontmatter()
    start, end = span
    result = Frontmatter(start_line=start + 1, end_line=end + 1)
    text = "\n".join(lines[start + 1 : end])
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FRONTMATTER_BYTES:
        result.problem = FrontmatterProblem(1, "INP002", f"frontmatter is larger than {MAX_FRONTMATTER_BYTES} bytes")
        return result
    if not text.strip():
        result.data = {}
        return result
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            result.data = {}
            return result
        if alias_bomb(node):
            result.problem = FrontmatterProblem(
                1 + 1, "INP002", "frontmatter expands to too many YAML nodes (alias bomb?); not loaded"
            )
            return result
        if not isinstance(node, yaml.MappingNode):
            kind = {"SequenceNode": "a list", "ScalarNode": "a scalar"}.get(type(node).__name__, "not a mapping")
            result.problem = FrontmatterProblem(2, "INP003", f"frontmatter is {kind}, not a mapping of keys to values")
            return result
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = start + 2 + (mark.line if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        result.problem = FrontmatterProblem(line, "INP002", f"invalid YAML frontmatter: {problem}")
        return result
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        # Constructors can raise plain Python errors on hostile input (unhashable keys, huge ints, deep nesting).
        result.problem = FrontmatterProblem(start + 2, "INP002", f"invalid YAML frontmatter: {exc}")
        return result
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        result.problem = FrontmatterProblem(2, "INP003", "frontmatter is not a mapping of keys to values")
        return result
    result.data = data
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            result.key_lines[str(key_node.value)] = start + 2 + key_node.start_mark.line
    return result
