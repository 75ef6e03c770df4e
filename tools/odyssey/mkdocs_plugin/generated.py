"""Which pages the ``odyssey`` mkdocs plugin generates, read from mkdocs.yml data alone (no mkdocs import).

The pages exist only in the built site, so a nav entry naming one (``- validation/report.md``) points at no file of
the repository. ``generated_pages`` lets a check tell such an entry from a broken one (the orphans family's
ORP002), and the plugin itself uses ``nav_lines_naming`` to drop those findings from its build.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

PLUGIN_NAME = "odyssey"
DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "report_page": "validation/report.md",
    "rules_pages": True,
    "rules_dir": "validation/rules",
    "agents_pages": True,
    "agents_page": "validation/agents.md",
}


def family_page_name(family: str) -> str:
    """The file name of a rule family's page: ``agent_graph`` → ``agent-graph.md``."""
    return family.replace("_", "-") + ".md"


def plugin_options(mkdocs_data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The plugin's options (defaults filled in) when mkdocs.yml enables it, else None.

    ``plugins`` is a list of names or one-key mappings (``- odyssey: {...}``), or a mapping of name to options.
    """
    plugins = mkdocs_data.get("plugins")
    entries: Iterable[Any] = plugins.items() if isinstance(plugins, Mapping) else plugins or ()
    for entry in entries:
        if isinstance(entry, tuple):
            name, options = entry
        elif isinstance(entry, Mapping) and len(entry) == 1:
            name, options = next(iter(entry.items()))
        else:
            name, options = entry, None
        if name == PLUGIN_NAME:
            merged = {**DEFAULTS, **(options if isinstance(options, Mapping) else {})}
            return merged if merged.get("enabled", True) else None
    return None


def generated_pages(options: Mapping[str, Any], families: Iterable[str] | None = None) -> set[str]:
    """Paths (relative to the docs directory) of the pages the plugin generates with ``options``.

    ``families`` defaults to the check families of the rule registry, one page each.
    """
    pages = {str(options.get("report_page", DEFAULTS["report_page"]))}
    if options.get("agents_pages", True):
        pages.add(str(options.get("agents_page", DEFAULTS["agents_page"])))
    if options.get("rules_pages", True):
        if families is None:
            from odyssey.checks import all_rules

            families = {rule.family for rule in all_rules()}
        directory = str(options.get("rules_dir", DEFAULTS["rules_dir"])).strip("/")
        pages.add(posixpath.join(directory, "index.md"))
        pages.update(posixpath.join(directory, family_page_name(family)) for family in families)
    return pages


def nav_lines_naming(nav: Iterable[Any], pages: set[str]) -> set[int]:
    """Lines of mkdocs.yml nav entries (``NavEntry(title, target, line)``) that name one of ``pages``."""
    return {entry.line for entry in nav if entry.target.lstrip("/") in pages}
