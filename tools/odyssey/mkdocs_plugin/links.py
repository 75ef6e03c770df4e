"""Where links on generated pages lead, and the heading ids the site will give those pages.

Generated pages live in the site's virtual docs tree, so a link is good only if mkdocs can resolve it: a repository
file that is a page (or asset) of the site gets a relative link mkdocs rewrites to its URL; any other file gets the
forge URL (``source_url``) when one is known, and no link otherwise — a relative link out of the docs directory
would be reported by mkdocs and fail a ``--strict`` build.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable, Collection, Mapping

from odyssey.report.links import url_path

logger = logging.getLogger(__name__)

_ID_COUNT = re.compile(r"^(.*)_([0-9]+)$")


def relative_href(from_page: str, to_path: str, fragment: str = "") -> str:
    """A link from the page ``from_page`` to ``to_path`` (both relative to the docs directory)."""
    if to_path == from_page:
        return f"#{fragment}" if fragment else "#"
    relative = posixpath.relpath(to_path, posixpath.dirname(from_page) or ".")
    return url_path(relative) + (f"#{fragment}" if fragment else "")


class HeadingIds:
    """The ids Python-Markdown's ``toc`` extension gives a page's headings, predicted in document order with the
    site's own ``slugify`` and ``separator`` (a site may configure e.g. ``pymdownx.slugs``), so that links to
    generated headings match whatever slug style the site uses. Repeats get ``_1``, ``_2`` as toc does."""

    def __init__(self, slugify: Callable[[str, str], str], separator: str = "-") -> None:
        self.slugify = slugify
        self.separator = separator
        self.used: set[str] = set()

    def add(self, text: str) -> str:
        candidate = self.slugify(text, self.separator)
        while candidate in self.used or not candidate:
            match = _ID_COUNT.match(candidate)
            candidate = f"{match.group(1)}_{int(match.group(2)) + 1}" if match else f"{candidate}_1"
        self.used.add(candidate)
        return candidate


class SiteLinks:
    """The LinkPolicy of one generated page at ``page`` (a path in the docs tree)."""

    def __init__(
        self,
        page: str,
        docs_prefix: str | None,
        site_files: Collection[str],
        source_url: str | None = None,
        rule_anchors: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.page = page
        self.docs_prefix = docs_prefix  # the docs directory relative to the repository root; None: outside it
        self.site_files = site_files
        self.source_url = source_url.rstrip("/") + "/" if source_url else None
        self.rule_anchors = rule_anchors or {}  # code -> (family page, heading id)

    def site_path(self, path: str) -> str | None:
        """``path`` (repository-relative) as a file of the site, or None when the site does not publish it."""
        if self.docs_prefix is None:
            return None
        prefix = f"{self.docs_prefix}/" if self.docs_prefix else ""
        if not path.startswith(prefix):
            return None
        inside = path[len(prefix):]
        return inside if inside in self.site_files else None

    def source(self, path: str, line: int) -> str | None:
        in_site = self.site_path(path)
        if in_site is not None:
            return relative_href(self.page, in_site)
        if self.source_url is not None:
            return f"{self.source_url}{url_path(path)}" + (f"#L{line}" if line >= 1 else "")
        return None

    def rule(self, code: str) -> str | None:
        target = self.rule_anchors.get(code)
        return relative_href(self.page, target[0], target[1]) if target else None


def forge_source_url(repo_url: str | None, edit_uri: str | None, docs_prefix: str | None) -> str | None:
    """The forge's file-view base URL derived from mkdocs' ``repo_url`` and ``edit_uri``: ``edit/main/docs/``
    (GitHub) or ``-/edit/main/docs/`` (GitLab) becomes ``blob/main/`` or ``-/blob/main/``. None when the edit URI
    has another shape (then set the plugin's ``source_url``)."""
    if not repo_url or not edit_uri or docs_prefix is None or re.match(r"^[a-z]+://", edit_uri):
        return None
    match = re.match(r"^/?(?P<pre>(?:-/)?)edit/(?P<ref>[^/?#]+)/(?P<docs>[^?#]*)$", edit_uri)
    if not match or match.group("docs").strip("/") != docs_prefix:
        return None
    return f"{repo_url.rstrip('/')}/{match.group('pre')}blob/{match.group('ref')}/"
