"""The repository's notes directory, published in the site as generated pages (``notes_pages: true``).

The notes directory (``[notes] directory``, default ``notes/``) usually sits outside ``docs/``, so mkdocs never sees
it. The plugin adds each of its Markdown files as a virtual page under ``notes_dir`` in the site (the notes index,
``README.md``, becomes ``<notes_dir>/index.md``, the section's index page) and every other file under it (images)
as a static file, so links between notes keep working as written.

A link in a note is rewritten, in the Markdown source and nowhere else (``odyssey.fix.rewrite`` finds where each
target is written, byte-exactly), when the site would otherwise reject it:

- to another published note or notes file: the relative link from the page's place in the site (only the index
  changes name: ``README.md`` → ``index.md``);
- to a page or asset of the site (``docs/...``): the relative link mkdocs resolves to that page's URL;
- to any other repository file: the forge URL when the site knows one (``source_url``, or mkdocs ``repo_url`` +
  ``edit_uri``), else plain text: the target becomes ``odyssey-unlinked:<path>``, which mkdocs leaves alone (it
  has a scheme) and ``unlink_html`` turns from ``<a>`` into ``<span>`` (an image into its alt text) in the page's
  HTML. A link that climbs out of the repository, a machine path or an empty target becomes plain text too.

External links, same-page fragments and links whose written form cannot be found exactly are left as they are.

The note's frontmatter is replaced by one that holds only its ``title`` (the page title): the theme reads other keys
(mkdocs-material shows a ``status`` as a page-status icon), and the note's facts -- kind, status, dates, tags --
become one line of text under its first heading. Pure functions over the project: no mkdocs import.
"""

from __future__ import annotations

import html
import json
import logging
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from odyssey.document import Document
from odyssey.fix.rewrite import Edit, EditError, LocateError, apply_edits, locate_target
from odyssey.mkdocs_plugin.links import SiteLinks, relative_href
from odyssey.project import Project
from odyssey.report.links import url_path
from odyssey.report.render_md import escape_text
from odyssey.resolve import resolve

logger = logging.getLogger(__name__)

UNLINKED = "odyssey-unlinked:"
_UNLINKED_ANCHOR = re.compile(
    r'<a\b[^>]*?\bhref="' + re.escape(UNLINKED) + r'(?P<path>[^"]*)"[^>]*>(?P<text>.*?)</a>', re.DOTALL
)
_UNLINKED_IMAGE = re.compile(r'<img\b[^>]*?\bsrc="' + re.escape(UNLINKED) + r'[^"]*"[^>]*>', re.DOTALL)
_ALT = re.compile(r'\balt="(?P<alt>[^"]*)"')


@dataclass(frozen=True)
class NotesLayout:
    """Where the notes go: ``directory`` (repository path of the notes), ``index`` (repository path of the notes
    index), ``site_dir`` (the directory of the docs tree they are published under)."""

    directory: str
    index: str
    site_dir: str

    def site_path(self, path: str) -> str:
        """The docs-tree path of the repository file ``path`` under the notes directory."""
        if path == self.index:
            return posixpath.join(self.site_dir, "index.md")
        inside = path[len(self.directory) + 1:] if self.directory else path
        return posixpath.join(self.site_dir, inside)


def published_files(project: Project, layout: NotesLayout) -> tuple[dict[str, str], dict[str, str]]:
    """(Markdown pages, other files) under the notes directory: repository path → docs-tree path.

    Every Markdown file is published, notes or not (a guide kept beside the notes is still linked from them);
    hidden files and directories are not.
    """
    prefix = f"{layout.directory}/" if layout.directory else ""
    pages: dict[str, str] = {}
    assets: dict[str, str] = {}
    taken: set[str] = set()
    # The index first: a notes/index.md beside it would land on the same page; the index wins, the other is skipped.
    for path in sorted(project.files.files, key=lambda p: (p != layout.index, p)):
        if not path.startswith(prefix) or any(part.startswith(".") for part in path[len(prefix):].split("/")):
            continue
        site_path = layout.site_path(path)
        if site_path in taken:
            logger.info("%s is not published: %s already is %s", path, layout.index, site_path)
            continue
        taken.add(site_path)
        (pages if path.lower().endswith(".md") else assets)[path] = site_path
    return dict(sorted(pages.items())), dict(sorted(assets.items()))


def rewrite_note(
    document: Document,
    project: Project,
    page: str,
    published: Mapping[str, str],
    links: SiteLinks,
) -> str:
    """The Markdown of ``document`` published at ``page``, its links rewritten as the module doc says."""
    text = document.text
    lines = document.lines
    edits: list[Edit] = []
    machine = project.config.machine_path_prefixes
    for link in document.links:
        if link.kind in ("reference", "autolink"):
            continue  # a reference use is rewritten at its definition; autolinks are absolute URLs
        target = resolve(document.path, link.target, project.files, machine)
        new = _new_target(target.status, target.path, target.fragment, page, published, links, link.target)
        if new is None or new == link.target:
            continue
        try:
            span = locate_target(lines, link)
        except LocateError as exc:
            logger.debug("%s:%d: link '%s' left as written: %s", document.path, link.line, link.target, exc)
            continue
        written = html.escape(new, quote=True) if span.syntax == "html" else new
        edits.append(Edit(span.line, span.start, span.end, span.text, written))
    if edits:
        try:
            text = apply_edits(text.encode("utf-8"), _unique(edits)).decode("utf-8")
        except EditError as exc:  # never expected (the spans come from this text); publish the links unchanged
            logger.warning("%s: links not rewritten for the site: %s", document.path, exc)
    return with_site_frontmatter(document, text)


def note_facts(meta: Mapping[str, object]) -> str | None:
    """The note's kind, status, dates and tags as one line of Markdown, or None when it declares none of them."""
    parts = [str(meta[key]).strip() for key in ("kind", "status") if isinstance(meta.get(key), str)]
    if parts:
        parts[0] = parts[0].capitalize()
    parts += [f"{key} {meta[key]}" for key in ("created", "updated") if meta.get(key)]
    tags = meta.get("tags")
    if isinstance(tags, list) and tags:
        parts.append("tags: " + ", ".join(str(tag) for tag in tags))
    return "*" + escape_text(" · ".join(parts)) + "*" if parts else None


def with_site_frontmatter(document: Document, text: str) -> str:
    """``text`` (the note, its lines as in ``document``) with a title-only frontmatter and the facts line under
    the first level-1 heading."""
    lines = text.split("\n")
    frontmatter = document.frontmatter
    skip = frontmatter.end_line if frontmatter.present else 0
    body = lines[skip:]
    facts = note_facts(document.meta)
    if facts is not None:
        first = next((h.line for h in document.headings if h.level == 1 and h.line > skip), None)
        at = first - skip if first is not None else 0  # after the heading, else at the top
        if first is not None and at < len(body) and re.fullmatch(r" {0,3}=+\s*", body[at]):
            at += 1  # a setext heading: after its underline
        before = [""] if first is not None else []
        after = [""] if at < len(body) and body[at].strip() else []
        body[at:at] = [*before, facts, *after]
    title = document.meta.get("title")
    header: list[str] = []
    if isinstance(title, str) and title.strip():
        header = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", "---"]
    return "\n".join(header + body)


def _unique(edits: list[Edit]) -> list[Edit]:
    seen: dict[tuple[int, int], Edit] = {}
    for edit in edits:
        seen.setdefault((edit.line, edit.start), edit)
    return list(seen.values())


def _new_target(
    status: str,
    path: str | None,
    fragment: str | None,
    page: str,
    published: Mapping[str, str],
    links: SiteLinks,
    written: str,
) -> str | None:
    """The target to write instead of ``written``, or None to keep it."""
    if status in ("external", "same-file"):
        return None
    if status != "local" or path is None:  # escape, machine, empty: nowhere a reader of the site can go
        return UNLINKED + url_path(written.strip())
    suffix = f"#{fragment}" if fragment else ""
    if path in published:
        return relative_href(page, published[path]) + suffix
    in_site = links.site_path(path)
    if in_site is not None:
        return relative_href(page, in_site) + suffix
    if links.source_url is not None:
        return f"{links.source_url}{url_path(path)}"
    return UNLINKED + url_path(path)


def unlink_html(page_html: str) -> str:
    """``<a href="odyssey-unlinked:...">text</a>`` → ``<span class="odyssey-unlinked">text</span>``, and such an
    image → its alt text: links to files the site does not publish read as plain text."""

    def anchor(match: re.Match[str]) -> str:
        title = html.escape(f"{_unquote(match.group('path'))} is not part of the site", quote=True)
        return f'<span class="odyssey-unlinked" title="{title}">{match.group("text")}</span>'

    def image(match: re.Match[str]) -> str:
        alt = _ALT.search(match.group(0))
        return alt.group("alt") if alt else ""

    return _UNLINKED_IMAGE.sub(image, _UNLINKED_ANCHOR.sub(anchor, page_html))


def _unquote(path: str) -> str:
    return unquote(html.unescape(path))
