"""Which pages the ``odyssey`` mkdocs plugin generates, read from mkdocs.yml data alone (no mkdocs import).

The pages exist only in the built site, so a nav entry naming one (``- validation/report.md``) points at no file of
the repository. ``generated_pages`` lets a check tell such an entry from a broken one (the orphans family's
ORP002), and the plugin itself uses ``nav_lines_naming`` to drop those findings from its build.
``generated_repo_paths(project)`` gives the same pages (and the published notes files) as repository paths under
the docs directory, for checks of links written in docs pages (``[report](../validation/report.md)``).
"""

from __future__ import annotations

import logging
import posixpath
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from odyssey.project import Project

logger = logging.getLogger(__name__)

PLUGIN_NAME = "odyssey"
DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "report_page": "validation/report.md",
    "rules_pages": True,
    "rules_dir": "validation/rules",
    "agents_pages": True,
    "agents_page": "validation/agents.md",
    "notes_pages": False,
    "notes_dir": "notes",
    "config_reference_page": None,
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


def generated_pages(
    options: Mapping[str, Any], families: Iterable[str] | None = None, notes: Iterable[str] = ()
) -> set[str]:
    """Paths (relative to the docs directory) of the pages the plugin generates with ``options``.

    ``families`` defaults to the check families of the rule registry, one page each. With ``notes_pages`` the notes
    index (``<notes_dir>/index.md``) is always one; ``notes`` adds the docs-tree paths of the individual notes (the
    plugin knows them; a caller with only mkdocs.yml data does not).
    """
    pages = {str(options.get("report_page", DEFAULTS["report_page"]))}
    if options.get("config_reference_page"):
        pages.add(str(options["config_reference_page"]))
    if options.get("notes_pages", False):
        pages.add(posixpath.join(str(options.get("notes_dir", DEFAULTS["notes_dir"])).strip("/"), "index.md"))
        pages.update(notes)
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


_REPO_PATHS: weakref.WeakKeyDictionary[Project, frozenset[str]] = weakref.WeakKeyDictionary()


def generated_repo_paths(project: Project) -> frozenset[str]:
    """Repository paths (``docs/validation/report.md``, ``docs/notes/decision-x.md``, ...) that the odyssey plugin's
    generated pages and published notes files take in the site's docs tree; empty when mkdocs.yml does not enable
    the plugin. A link from a docs page to one of them lands in the built site although no such file exists.
    Cached for the project's life."""
    cached = _REPO_PATHS.get(project)
    if cached is not None:
        return cached
    paths: frozenset[str] = frozenset()
    mkdocs = project.mkdocs
    options = plugin_options(mkdocs.data) if mkdocs is not None and mkdocs.problem is None else None
    if mkdocs is not None and options is not None:
        notes: list[str] = []
        if options.get("notes_pages", False):
            notes = _published_notes(project, str(options.get("notes_dir", DEFAULTS["notes_dir"])).strip("/"))
        docs = mkdocs.docs_dir.strip("/")
        paths = frozenset(posixpath.normpath(posixpath.join(docs, page)) if docs not in ("", ".") else page
                          for page in generated_pages(options, notes=notes))
    _REPO_PATHS[project] = paths
    return paths


def _published_notes(project: Project, site_dir: str) -> list[str]:
    """Docs-tree paths of the notes directory's files as the plugin publishes them (pages and other files)."""
    return list(_notes_publication(project, site_dir))


def _notes_publication(project: Project, site_dir: str) -> dict[str, str]:
    """Docs-tree path -> repository path of every notes-directory file the plugin publishes."""
    from odyssey.config import ConfigError
    from odyssey.mkdocs_plugin.notes_pages import NotesLayout, published_files
    from odyssey.notes.model import notes_settings

    try:
        settings = notes_settings(project.config)
    except ConfigError:
        return {}  # reported by the notes family; the plugin refuses to build
    pages, assets = published_files(project, NotesLayout(settings.directory, settings.index, site_dir))
    return {site: repo for repo, site in (*pages.items(), *assets.items())}


def published_sources(project: Project) -> dict[str, str]:
    """Repository path of a generated page that publishes a repository file -> that file (notes in the site)."""
    mkdocs = project.mkdocs
    options = plugin_options(mkdocs.data) if mkdocs is not None and mkdocs.problem is None else None
    if mkdocs is None or options is None or not options.get("notes_pages", False):
        return {}
    docs = mkdocs.docs_dir.strip("/")
    site_dir = str(options.get("notes_dir", DEFAULTS["notes_dir"])).strip("/")
    return {
        posixpath.normpath(posixpath.join(docs, site)) if docs not in ("", ".") else site: repo
        for site, repo in _notes_publication(project, site_dir).items()
    }
