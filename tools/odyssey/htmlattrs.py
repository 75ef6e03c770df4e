"""Links and ids inside raw HTML (``<a href>``, ``<img src>``, ``<a id>``, ``<div id>``), with their positions."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

LINK_ATTRIBUTES = {"a": "href", "img": "src", "source": "src", "link": "href", "area": "href", "video": "src",
                   "audio": "src", "iframe": "src", "script": "src"}


@dataclass(frozen=True)
class HtmlItem:
    kind: str  # "link" | "id" | "comment"
    value: str
    line: int  # 1-based, relative to the fragment
    column: int  # 1-based
    tag: str = ""


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[HtmlItem] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, offset = self.getpos()
        wanted = LINK_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if value is None:
                continue
            if name == wanted:
                self.items.append(HtmlItem("link", value.strip(), line, offset + 1, tag))
            elif name == "id" or (name == "name" and tag == "a"):
                self.items.append(HtmlItem("id", value.strip(), line, offset + 1, tag))

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        line, offset = self.getpos()
        self.items.append(HtmlItem("comment", data.strip(), line, offset + 1))


def scan_html(fragment: str) -> list[HtmlItem]:
    """Every link, id and comment in an HTML fragment; malformed HTML yields what can be read, never an error."""
    collector = _Collector()
    try:
        collector.feed(fragment)
        collector.close()
    except (AssertionError, ValueError):  # html.parser's reaction to some malformed declarations
        pass
    return collector.items
