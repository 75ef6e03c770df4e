"""mkdocs.yml: docs_dir and the nav, each nav entry with its line.

mkdocs configs routinely carry Python tags (``!!python/name:material.extensions.emoji.twemoji``, ``!ENV``). They are
loaded with a SafeLoader subclass that turns any unknown tag into None: nothing is ever constructed from a tag, so this
stays as safe as ``yaml.safe_load``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from odyssey.frontmatter import alias_bomb


class _TolerantSafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_TolerantSafeLoader.add_multi_constructor("!", _ignore_tag)
_TolerantSafeLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


@dataclass(frozen=True)
class NavEntry:
    title: str | None
    target: str  # as written: a path relative to docs_dir, or a URL
    line: int


@dataclass
class MkdocsConfig:
    path: str
    docs_dir: str = "docs"
    nav: list[NavEntry] | None = None  # None: no nav key, mkdocs lists every page itself
    problem: tuple[int, str] | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _walk_nav(node: yaml.Node, entries: list[NavEntry], title: str | None = None) -> None:
    if isinstance(node, yaml.ScalarNode):
        if node.value:
            entries.append(NavEntry(title, str(node.value), node.start_mark.line + 1))
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _walk_nav(child, entries)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _walk_nav(value, entries, str(key.value) if isinstance(key, yaml.ScalarNode) else None)


def parse_mkdocs_config(path: str, text: str) -> MkdocsConfig:
    config = MkdocsConfig(path=path)
    loader = _TolerantSafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        config.problem = ((mark.line + 1) if mark else 1, f"invalid YAML: {getattr(exc, 'problem', exc)}")
        return config
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        config.problem = (1, "mkdocs config is not a mapping")
        return config
    config.data = data
    docs_dir = data.get("docs_dir", "docs")
    config.docs_dir = str(docs_dir).strip("/") if docs_dir else "docs"
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "nav":
            if alias_bomb(value):
                config.problem = (key.start_mark.line + 1, "nav expands to too many YAML nodes (alias bomb?); not read")
                return config
            entries: list[NavEntry] = []
            _walk_nav(value, entries)
            config.nav = entries
    return config
