"""Putting the generated pages into an explicit mkdocs nav, under one section.

mkdocs builds the nav before ``on_nav`` from ``mkdocs.yml``; pages it does not list get a Page object but no place.
The plugin marks its pages "not in nav" (so mkdocs does not report them as omitted) and adds the ones the site's
nav does not already list to a top-level section (created at the end, or an existing section with that title),
then relinks parents and previous/next so the theme's navigation and footers include them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mkdocs.structure import StructureItem
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

logger = logging.getLogger(__name__)

NavItem = Page | tuple[str, Sequence[Page]]  # a page, or (subsection title, its pages)


def _pages_in(items: Sequence[StructureItem]) -> list[Page]:
    pages: list[Page] = []
    for item in items:
        if isinstance(item, Page):
            pages.append(item)
        if isinstance(item, Section):
            pages.extend(_pages_in(item.children))
    return pages


def _set_parents(items: Sequence[StructureItem], parent: Section | None) -> None:
    for item in items:
        item.parent = parent
        if isinstance(item, Section):
            _set_parents(item.children, item)


def insert_section(nav: Navigation, title: str, entries: Sequence[NavItem]) -> list[Page]:
    """Add ``entries`` the nav does not already hold under the top-level section ``title``; returns what was added.

    A subsection entry whose title the section already has (the site's nav lists ``Rules: [rules/index.md]``) is
    merged into it, so the missing pages join the ones the site listed.
    """
    present = {id(page) for page in nav.pages}
    section = next((item for item in nav.items if isinstance(item, Section) and item.title == title), None)
    children: list[StructureItem] = []
    added: list[Page] = []
    for entry in entries:
        if isinstance(entry, Page):
            if id(entry) not in present:
                children.append(entry)
                added.append(entry)
            continue
        sub_title, pages = entry
        missing = [page for page in pages if id(page) not in present]
        if not missing:
            continue
        added.extend(missing)
        existing = None if section is None else next(
            (item for item in section.children if isinstance(item, Section) and item.title == sub_title), None
        )
        if existing is not None:
            existing.children.extend(missing)
        else:
            children.append(Section(sub_title, list(missing)))
    if not added:
        return added
    if section is None:
        section = Section(title, [])
        nav.items.append(section)
    section.children.extend(children)
    _set_parents(nav.items, None)
    nav.pages = _pages_in(nav.items)
    bookended: list[Page | None] = [None, *nav.pages, None]
    for previous, page, following in zip(bookended, nav.pages, bookended[2:]):
        page.previous_page, page.next_page = previous, following
    logger.debug("added %d generated pages to the nav section %r", len(added), title)
    return added
