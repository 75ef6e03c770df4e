"""orphans (ORP): every document can be found by following links from an entry point, and the mkdocs nav is sound.

Entry points ("roots"): the files named by ``orphans.roots`` (paths from the repository root, globs allowed; default
README.md, CLAUDE.md, AGENTS.md, CONTRIBUTING.md at the root), the pages of the mkdocs nav, and the site's home page
(``index.md`` or ``README.md`` of the docs directory). When mkdocs.yml has no ``nav:``, mkdocs lists every page of
the docs directory itself, so each of them is an entry point too.

- Pages of the docs directory (when mkdocs.yml has a nav) must be in the nav or linked, through other docs pages, from
  a page that is (ORP001): the site's reader cannot follow a link out of the site and back.
- Every other Markdown file (notes, guides, READMEs of subdirectories) must be reachable by links from a root
  (ORP003). Reachability follows links between all Markdown files; a link to a directory reaches its README/index.
- Exempt: ``orphans.exempt`` globs and agent definition files (the agent graph family checks those).
- Nav entries must name existing pages (ORP002); external URLs are fine. An unreadable or invalid mkdocs.yml is one
  finding in mkdocs.yml at its line (ORP004), and nav-based checks are skipped rather than guessed.

Both checks read the shared link graph (``odyssey.linkgraph``), built once per run: the cost is linear in links.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable, Iterator

from odyssey.checks.base import ProjectCheck
from odyssey.findings import Finding
from odyssey.globs import any_match
from odyssey.linkgraph import LinkGraph, link_graph
from odyssey.mkdocs_config import MkdocsConfig, NavEntry
from odyssey.mkdocs_plugin.generated import generated_pages, plugin_options
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
MAX_NAMED_LINKERS = 3

ORP001 = Rule(
    code="ORP001",
    name="page-not-in-nav",
    family="orphans",
    summary="Docs page is neither in the mkdocs nav nor linked from a page that is",
    doc="""
    ## What it does
    When mkdocs.yml has a `nav:`, reports every Markdown page of the docs directory that is not in the nav and
    cannot be reached by following links between docs pages from a page that is. The site's home page
    (`index.md`) counts as reachable. Without a `nav:`, mkdocs lists every page itself and this rule is silent.

    ## Why is this bad?
    mkdocs builds the page, but no menu entry and no link lead to it: site readers never find it. Such pages are
    usually drafts or leftovers that were meant to be linked (or deleted).

    ## Example
    ```yaml
    # mkdocs.yml
    nav:
      - Home: index.md
      - Training: guides/training.md
    ```
    `docs/guides/evaluation.md` exists, and neither page links to it.

    ## Use instead
    Add it to the nav, or link it from a page in the nav:
    ```markdown
    <!-- docs/guides/training.md -->
    After training, [evaluate the model](evaluation.md).
    ```

    ## Options
    - `orphans.exempt`: globs of documents that need no incoming link.
    """,
)
ORP002 = Rule(
    code="ORP002",
    name="missing-nav-target",
    family="orphans",
    summary="mkdocs nav entry names a page that does not exist",
    doc="""
    ## What it does
    Reports each `nav:` entry of mkdocs.yml whose page (a path relative to the docs directory) is not a file of the
    repository, at its line in mkdocs.yml. External URLs in the nav are fine.

    ## Why is this bad?
    mkdocs turns the entry into a dead link in the site's menu (with only a log line as warning); it happens
    whenever a page is renamed or moved without updating mkdocs.yml.

    ## Example
    ```yaml
    nav:
      - Training: guides/train.md   # the file is docs/guides/training.md
    ```

    ## Use instead
    ```yaml
    nav:
      - Training: guides/training.md
    ```
    """,
)
ORP003 = Rule(
    code="ORP003",
    name="unreachable-document",
    family="orphans",
    summary="Document is not reachable by links from any root document",
    doc="""
    ## What it does
    Reports Markdown files that cannot be reached by following links from a root document: README.md,
    CLAUDE.md, AGENTS.md and CONTRIBUTING.md at the repository root and the mkdocs nav pages by default. Links are
    followed through every Markdown file; a link to a directory reaches its README.md or index.md. When the file is
    linked only from other unreachable files, they are named; when a README or index of its directory (or a parent)
    is reachable, it is named as the natural place for the link.

    ## Why is this bad?
    Nobody finds the document: not a reader browsing from the README, not an agent loading context from CLAUDE.md.
    Agent-written repositories accumulate such files (session notes, status reports, stale plans); each one is
    either knowledge that should be linked or clutter that should go.

    ## Example
    `notes/2024-05-tokenizer-investigation.md`, linked from nowhere.

    ## Use instead
    ```markdown
    <!-- notes/README.md, itself linked from README.md -->
    - [Tokenizer investigation (May 2024)](2024-05-tokenizer-investigation.md)
    ```

    ## Options
    - `orphans.roots`: paths (globs allowed) of the entry-point documents, from the repository root.
    - `orphans.exempt`: globs of documents that need no incoming link.
    """,
)
ORP004 = Rule(
    code="ORP004",
    name="invalid-mkdocs-config",
    family="orphans",
    summary="mkdocs.yml cannot be read (invalid YAML, not a mapping)",
    doc="""
    ## What it does
    Reports an mkdocs.yml that cannot be read as a YAML mapping, at the line of the problem. Python tags that mkdocs
    configs commonly carry (`!!python/name:...`, `!ENV`) are accepted. While mkdocs.yml is unreadable, the nav
    checks (`ORP001`, `ORP002`) are skipped.

    ## Why is this bad?
    `mkdocs build` fails, and the site's nav can't be checked.

    ## Example
    ```yaml
    nav:
      - Home: index.md
     - Training: training.md
    ```

    ## Use instead
    ```yaml
    nav:
      - Home: index.md
      - Training: training.md
    ```
    """,
)


def is_external(target: str) -> bool:
    """A nav entry that is a URL (``https://...``, ``mailto:``) or an absolute URL path of the site (``/api/``)."""
    return bool(_URL.match(target)) or target.startswith("/")


def nav_page(mkdocs: MkdocsConfig, entry: NavEntry) -> str:
    """Repository path of the page a (non-URL) nav entry names."""
    page = entry.target.partition("#")[0].strip()
    joined = posixpath.join(mkdocs.docs_dir, page) if mkdocs.docs_dir not in ("", ".") else page
    return posixpath.normpath(joined)


class NavCheck(ProjectCheck):
    family = "orphans"
    summary = "mkdocs.yml: readable, and every nav entry names an existing page"
    rules = (ORP002, ORP004)

    def check_project(self) -> Iterator[Finding]:
        mkdocs = self.project.mkdocs
        if mkdocs is None:
            return
        if mkdocs.problem is not None:
            line, problem = mkdocs.problem
            yield self.finding(ORP004, mkdocs.path, line, 1, f"{mkdocs.path} cannot be read: {problem}")
            return
        config_lines = (self.project.read_text(mkdocs.path) or "").split("\n")
        files = self.project.files
        # Pages the odyssey mkdocs plugin generates at build time exist for the nav though not in the repository.
        options = plugin_options(mkdocs.data)
        generated = generated_pages(options) if options is not None else set()
        for entry in mkdocs.nav or ():
            if is_external(entry.target) or entry.target.lstrip("/") in generated:
                continue
            page = nav_page(mkdocs, entry)
            if files.is_file(page):
                continue
            text = config_lines[entry.line - 1] if 0 < entry.line <= len(config_lines) else ""
            column = text.find(entry.target) + 1 if entry.target in text else 1
            title = f"'{entry.title}' " if entry.title else ""
            message = f"nav entry {title}names '{entry.target}', but {page} does not exist"
            hint = self.likely_page(mkdocs, page)
            if hint:
                message += f"; did you mean '{hint}'?"
            yield self.finding(ORP002, mkdocs.path, entry.line, column, message)

    def likely_page(self, mkdocs: MkdocsConfig, page: str) -> str | None:
        """The nav entry as it should be written when the page exists under one other path of the docs directory."""
        files = self.project.files
        same_letters = [p for p in files.by_lower_path.get(page.lower(), ()) if files.is_file(p)]
        candidates = same_letters or [
            p for p in files.by_name.get(posixpath.basename(page), ()) if self.project.in_docs_dir(p)
        ]
        if len(candidates) == 1:
            return posixpath.relpath(candidates[0], mkdocs.docs_dir or ".")
        return None


class OrphansCheck(ProjectCheck):
    family = "orphans"
    summary = "Documents no link leads to: docs pages outside the nav, notes and guides unreachable from the README"
    rules = (ORP001, ORP003)

    def check_project(self) -> Iterator[Finding]:
        project = self.project
        graph = link_graph(project)
        mkdocs = project.mkdocs
        entry_points: list[str] = []
        nav_pages: list[str] | None = None  # None: no usable nav (mkdocs then lists every page itself)
        if mkdocs is not None:
            entry_points.extend(self.site_home(mkdocs))
            if mkdocs.problem is None and mkdocs.nav is not None:
                nav_pages = [nav_page(mkdocs, e) for e in mkdocs.nav if not is_external(e.target)]
                entry_points.extend(page for page in nav_pages if project.files.is_file(page))
            else:
                entry_points.extend(path for path in project.files.markdown if project.in_docs_dir(path))
        # Roots are paths from the repository root: a bare "README.md" is the root README, not every README.
        root_globs = ["/" + pattern.lstrip("/") for pattern in self.config.orphan_roots]
        roots = [path for path in project.files.markdown if any_match(path, root_globs)]
        reachable = graph.reachable(roots + entry_points)
        site_reachable = graph.reachable(entry_points, within=project.in_docs_dir) if nav_pages is not None else set()
        for path in project.files.markdown:
            if self.is_exempt(path):
                continue
            if mkdocs is not None and project.in_docs_dir(path):
                if nav_pages is not None and path not in site_reachable:
                    yield self.nav_orphan(graph, path, site_reachable)
            elif path not in reachable:
                site = "" if mkdocs is None else " or a page of the mkdocs nav" if nav_pages else " or an mkdocs page"
                yield self.unreachable(graph, path, reachable, site)

    def site_home(self, mkdocs: MkdocsConfig) -> list[str]:
        """The page mkdocs serves at the site's root: index.md, else README.md, of the docs directory."""
        for name in ("index.md", "README.md"):
            path = posixpath.join(mkdocs.docs_dir, name)
            if self.project.files.is_file(path):
                return [path]
        return []

    def is_exempt(self, path: str) -> bool:
        return any_match(path, self.config.orphan_exempt) or self.project.is_agent_file(path)

    def nav_orphan(self, graph: LinkGraph, path: str, site_reachable: set[str]) -> Finding:
        mkdocs = self.project.mkdocs
        assert mkdocs is not None
        message = f"{path} is not in the nav of {mkdocs.path}, and no page reachable from the nav links to it"
        linked = self.linked_from(graph, path, site_reachable, outside=lambda p: not self.project.in_docs_dir(p))
        parent = None if linked else self.parent_page(graph, path, within=self.project.in_docs_dir)
        where = f"link it from {parent} or add it to the nav" if parent else f"add it to the nav in {mkdocs.path}"
        return self.finding(ORP001, path, 1, 1, f"{message}{linked}; {where}")

    def unreachable(self, graph: LinkGraph, path: str, reachable: set[str], site: str) -> Finding:
        roots = ", ".join(self.config.orphan_roots) + site
        message = f"{path} is not reachable by links from any root document ({roots})"
        linked = self.linked_from(graph, path, reachable)
        parent = None if linked else self.parent_page(graph, path)
        return self.finding(ORP003, path, 1, 1, message + linked + (f"; link it from {parent}" if parent else ""))

    @staticmethod
    def linked_from(graph: LinkGraph, path: str, reached: set[str],
                    outside: Callable[[str], bool] | None = None) -> str:
        """Who links to the orphan, when somebody does: files that are unreached themselves, or (for site pages)
        files outside the site, whose links a site reader never sees."""
        groups: list[tuple[list[str], str]] = [([], "outside the site"), ([], "unreached")]
        for source in graph.linkers(path):
            if source in reached:
                continue
            groups[0 if outside is not None and outside(source) else 1][0].append(source)
        parts = []
        for linkers, why in groups:
            if linkers:
                named = ", ".join(linkers[:MAX_NAMED_LINKERS])
                more = f" and {len(linkers) - MAX_NAMED_LINKERS} more" if len(linkers) > MAX_NAMED_LINKERS else ""
                parts.append(f"{named}{more} ({why})")
        return f"; linked only from {' and '.join(parts)}" if parts else ""

    @staticmethod
    def parent_page(graph: LinkGraph, path: str, within: Callable[[str], bool] | None = None) -> str | None:
        """The README/index nearest to the orphan (its directory's, else a parent's; a README's is its parent's):
        the natural page to link it from. None when that page links to it already (the linker is the problem).
        ``within`` bounds the search (site pages are linked from site pages)."""
        directory: str | None = posixpath.dirname(path)
        while directory is not None:
            pages = [p for p in graph.directory_pages(directory) if p != path and (within is None or within(p))]
            if pages:
                return None if pages[0] in graph.linkers(path) else pages[0]
            directory = posixpath.dirname(directory) if directory else None
        return None


CHECKS = (NavCheck, OrphansCheck)
