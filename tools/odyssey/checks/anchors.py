"""anchors (ANC): every ``#fragment`` of a link lands on a heading or an HTML id of the Markdown file it names.

Anchors are computed as the renderer that shows the page computes them (``odyssey.slugs``): Python-Markdown's ``toc``
(mkdocs) for pages mkdocs builds, GitHub's for everything else, chosen by ``Project.slug_style``. A link is read
where its reader clicks it: from a GitHub-rendered file (a README), the target page is shown by GitHub too, so when
the two files would get different slug styles the GitHub style applies; between two mkdocs pages, mkdocs' applies.
``anchors.slug-style = "any"`` accepts either renderer's anchors everywhere.

Not checked here: fragments on non-Markdown targets (``model.py#L10``, line anchors of GitHub's code view), links to
directories, and targets that do not exist (the links check reports those). ``#top`` is always valid: browsers scroll
to the top of the page when no element has that id.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from odyssey.checks.base import DocumentCheck
from odyssey.discovery import is_markdown
from odyssey.document import Document, Link
from odyssey.findings import Finding, Fix
from odyssey.resolve import resolve
from odyssey.rules import Rule
from odyssey.slugs import heading_anchors

logger = logging.getLogger(__name__)

CLOSE_MATCH_CUTOFF = 0.75
MAX_LISTED_CANDIDATES = 3
RENDERERS = {"mkdocs": "mkdocs", "github": "GitHub", "any": "mkdocs or GitHub"}

ANC001 = Rule(
    code="ANC001",
    name="missing-anchor",
    family="anchors",
    summary="Link to '#fragment' in the same file matches no heading or id",
    doc="""
    ## What it does
    Checks same-file links (`[setup](#setup)`, `<a href="#setup">`) against the anchors the page gets when rendered:
    heading slugs (with the `_1`/`-1` suffixes of repeated headings), `{#id}` attribute lists (mkdocs) and HTML
    `id`/`name` attributes. Slugs follow mkdocs for pages under the mkdocs docs directory and GitHub elsewhere.
    When the intended anchor is clear it is named: a letter-case difference, the other renderer's slug of the same
    heading (`#setup-1` written for mkdocs, which makes `#setup_1`), or one close spelling.

    ## Why is this bad?
    The link renders and clicks, then leaves the reader at the top of the page. Headings get renamed and anchors rot
    without any tool complaining; the slug rules also differ between GitHub and mkdocs.

    ## Example
    ```markdown
    ## Installing on Linux

    See [installation](#installation) and [the second run](#run-1).
    ```

    ## Use instead
    ```markdown
    See [installation](#installing-on-linux) and [the second run](#run_1).
    ```

    ## Options
    - `anchors.slug-style`: `auto` (default), `mkdocs`, `github` or `any`.

    ## Fix safety
    A case-only difference and the other renderer's slug of the same heading are safe replacements. A close
    spelling is a guess and is offered as an unsafe fix.
    """,
)
ANC002 = Rule(
    code="ANC002",
    name="missing-anchor-in-other-file",
    family="anchors",
    summary="Link to 'other.md#fragment' matches no heading or id of that file",
    doc="""
    ## What it does
    Checks the fragment of links to other Markdown files of the repository (`guide.md#setup`) against that file's
    anchors, computed as for same-file links. Fragments on non-Markdown files (`model.py#L10`) are not checked, and
    a missing target file is reported by `LNK001`, not here.

    ## Why is this bad?
    The reader lands on the right page but at the wrong place, usually because the heading was renamed or the
    anchor was written for the other renderer.

    ## Example
    ```markdown
    <!-- in docs/index.md; docs/training.md has "## Learning rate schedule" -->
    See the [schedule](training.md#Learning-Rate-Schedule).
    ```

    ## Use instead
    ```markdown
    See the [schedule](training.md#learning-rate-schedule).
    ```

    ## Options
    - `anchors.slug-style`: `auto` (default), `mkdocs`, `github` or `any`.

    ## Fix safety
    As for `ANC001`: case-only and other-renderer replacements are safe, close spellings are unsafe.
    """,
)


@dataclass(frozen=True)
class Suggestion:
    fragment: str
    reason: str
    safe: bool


def heading_slugs(document: Document, style: str) -> list[str]:
    """Anchors of ``document``'s headings in order (one per heading), as ``Document.anchors`` computes them."""
    if style == "github":
        return heading_anchors(((h.source_text or h.text, None) for h in document.headings), style)
    return heading_anchors(((h.text, h.explicit_id) for h in document.headings), style)


def anchors_for(document: Document, style: str) -> frozenset[str]:
    if style == "any":
        return document.anchors("mkdocs") | document.anchors("github")
    return document.anchors(style)


def _other_renderer(document: Document, fragment: str, style: str) -> Suggestion | None:
    """The fragment is the other renderer's slug of a heading: name this renderer's slug of that heading."""
    other = "github" if style == "mkdocs" else "mkdocs"
    wanted = heading_slugs(document, style)
    for index, slug in enumerate(heading_slugs(document, other)):
        if slug in (fragment, fragment.lower()) and wanted[index] != fragment:
            heading = document.headings[index]
            reason = f"'#{slug}' is the {RENDERERS[other]} slug of the heading '{heading.text}' (line {heading.line})"
            if other == "mkdocs" and heading.explicit_id:
                reason += f"; GitHub ignores the '{{#{heading.explicit_id}}}' attribute"
            return Suggestion(wanted[index], reason, safe=True)
    return None


def suggest(document: Document, fragment: str, style: str, anchors: frozenset[str]) -> list[Suggestion]:
    """Likely intended anchors: one certain suggestion, or close spellings (unsafe; several when ambiguous)."""
    same_letters = [anchor for anchor in anchors if anchor.lower() == fragment.lower()]
    if len(same_letters) == 1:
        return [Suggestion(same_letters[0], "fragments are case-sensitive", safe=True)]
    if style != "any":
        renamed = _other_renderer(document, fragment, style)
        if renamed is not None:
            return [renamed]
    close = difflib.get_close_matches(fragment, sorted(anchors), n=MAX_LISTED_CANDIDATES, cutoff=CLOSE_MATCH_CUTOFF)
    return [Suggestion(anchor, "a close spelling", safe=False) for anchor in close]


def replace_fragment(written: str, fragment: str) -> str:
    return f"{written.partition('#')[0]}#{fragment}"


class AnchorsCheck(DocumentCheck):
    family = "anchors"
    summary = "Link fragments that match no heading or id of their target page"
    rules = (ANC001, ANC002)

    def style_between(self, source: str, target: str) -> str:
        """The slug style the reader of ``source`` meets on ``target`` (see the module docstring)."""
        source_style = self.project.slug_style(source)
        target_style = self.project.slug_style(target)
        return source_style if source_style == target_style else "github"

    def check_document(self, document: Document) -> Iterator[Finding]:
        files = self.project.files
        prefixes = self.config.machine_path_prefixes
        for link in document.links:
            if "#" not in link.target or not link.checked_for_target:
                continue
            target = resolve(document.path, link.target, files, prefixes)
            if not target.fragment or target.fragment.lower() == "top" or target.path is None:
                continue
            if target.status == "same-file" or target.path == document.path:  # "#x", or "this-file.md#x"
                yield from self.check_fragment(document, link, document, target.fragment, ANC001)
            elif target.status == "local" and files.is_file(target.path) and is_markdown(target.path):
                linked = self.project.document(target.path)
                if linked.readable:
                    yield from self.check_fragment(document, link, linked, target.fragment, ANC002)

    def check_fragment(self, document: Document, link: Link, linked: Document, fragment: str,
                       rule: Rule) -> Iterator[Finding]:
        style = self.style_between(document.path, linked.path)
        anchors = anchors_for(linked, style)
        if fragment in anchors:
            return
        where = "this file" if linked.path == document.path else linked.path
        message = f"anchor '#{fragment}' matches no heading or id in {where} ({RENDERERS[style]} slugs)"
        suggestions = suggest(linked, fragment, style, anchors)
        fix = None
        if len(suggestions) == 1:
            best = suggestions[0]
            new = replace_fragment(link.target, best.fragment)
            message += f"; did you mean '#{best.fragment}'? ({best.reason})"
            fix = Fix("replace-link", f"replace '{link.target}' with '{new}'", safe=best.safe, old=link.target,
                      new=new)
        elif suggestions:
            message += "; did you mean one of " + ", ".join(f"'#{s.fragment}'" for s in suggestions) + "?"
        yield self.finding(rule, document.path, link.line, link.column, message, fix=fix)


CHECKS = (AnchorsCheck,)
