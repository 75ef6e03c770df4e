"""The report as one standalone HTML file: inline CSS, system fonts, no script, nothing fetched from the network.

It opens from disk in any browser, offline, and can be attached to a CI run as a single artifact. Links to findings
are relative to the file (or go to the configured forge URL), see ``links.py``.
"""

from __future__ import annotations

import html
import logging

from odyssey.report.model import (
    Badge,
    Block,
    Cell,
    Code,
    Delta,
    Inline,
    ItemList,
    Link,
    LinkPolicy,
    Paragraph,
    Report,
    RuleRef,
    Section,
    SourceRef,
    Strong,
    Table,
    Text,
)

logger = logging.getLogger(__name__)

STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --line: #d1d9e0;
  --head: #f6f8fa; --error: #cf222e; --warning: #9a6700; --info: #0969da; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d;
  --head: #151b23; --error: #ff7b72; --warning: #d29922; --info: #4493f8; --ok: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--head); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { overflow-wrap: anywhere; }
code { font: .85em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
a { color: var(--info); }
.badge { display: inline-block; padding: 0 .45em; border-radius: .6em; border: 1px solid currentColor;
  font-size: .8em; font-weight: 600; }
.tone-error { color: var(--error); } .tone-warning { color: var(--warning); } .tone-info { color: var(--info); }
.tone-ok { color: var(--ok); } .tone-neutral { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
"""


def esc(text: str) -> str:
    """Text as HTML; undecodable bytes of a path (surrogate escapes) shown as ``\\udcff``."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return html.escape(safe, quote=True)


class HtmlRenderer:
    def __init__(self, links: LinkPolicy) -> None:
        self.links = links

    def _a(self, inner: str, href: str | None) -> str:
        return f'<a href="{esc(href)}">{inner}</a>' if href else inner

    def inline(self, piece: Inline) -> str:
        if isinstance(piece, Text):
            return esc(piece.text)
        if isinstance(piece, Code):
            return f"<code>{esc(piece.text)}</code>"
        if isinstance(piece, Strong):
            return f"<strong>{esc(piece.text)}</strong>"
        if isinstance(piece, Link):
            return self._a(esc(piece.text), piece.href)
        if isinstance(piece, SourceRef):
            return self._a(f"<code>{esc(piece.label)}</code>", self.links.source(piece.path, piece.line))
        if isinstance(piece, RuleRef):
            return self._a(f"<code>{esc(piece.code)}</code>", self.links.rule(piece.code))
        if isinstance(piece, Badge):
            return f'<span class="badge tone-{piece.tone}">{esc(piece.text)}</span>'
        if isinstance(piece, Delta):
            return f'<span class="tone-{piece.tone}">{esc(piece.text)}</span>'
        raise TypeError(f"unknown inline piece {type(piece).__name__}")

    def cell(self, cell: Cell) -> str:
        if isinstance(cell, bool):
            raise TypeError("a table cell cannot be a bool")
        if isinstance(cell, int):
            return str(cell)
        if isinstance(cell, str):
            return esc(cell)
        if isinstance(cell, tuple):
            return "".join(self.inline(piece) for piece in cell)
        return self.inline(cell)

    def block(self, block: Block) -> str:
        if isinstance(block, Paragraph):
            return "<p>" + "".join(self.inline(piece) for piece in block.content) + "</p>"
        if isinstance(block, Table):
            if not block.rows:
                return f'<p class="empty">{esc(block.empty)}</p>'
            classes = [' class="num"' if column.align == "right" else "" for column in block.columns]
            head = "".join(f'<th scope="col"{cls}>{esc(c.title)}</th>' for c, cls in zip(block.columns, classes))
            rows = [
                "<tr>" + "".join(f"<td{cls}>{self.cell(cell)}</td>" for cell, cls in zip(row, classes)) + "</tr>"
                for row in block.rows
            ]
            return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
        if isinstance(block, ItemList):
            if not block.items:
                return f'<p class="empty">{esc(block.empty)}</p>'
            items = ("<li>" + "".join(self.inline(piece) for piece in item) + "</li>" for item in block.items)
            return "<ul>\n" + "\n".join(items) + "\n</ul>"
        raise TypeError(f"unknown block {type(block).__name__}")

    def section(self, section: Section, level: int) -> str:
        tag = f"h{min(level, 6)}"
        parts = [f'<section id="{esc(section.id)}">', f"<{tag}>{esc(section.title)}</{tag}>"]
        parts.extend(self.block(block) for block in section.blocks)
        parts.extend(self.section(child, level + 1) for child in section.children)
        parts.append("</section>")
        return "\n".join(parts)

    def report(self, report: Report) -> str:
        contents = "".join(
            f'<li><a href="#{esc(section.id)}">{esc(section.title)}</a></li>' for section in report.sections
        )
        body = "\n".join(self.section(section, 2) for section in report.sections)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="odyssey {esc(report.odyssey_version)}">\n'
            f"<title>{esc(report.title)} — {esc(report.project)} ({esc(report.status)})</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            f"<h1>{esc(report.title)}</h1>\n"
            f'<p class="meta">Project <code>{esc(report.project)}</code>, generated '
            f"{esc(report.generated_at)} by odyssey {esc(report.odyssey_version)}.</p>\n"
            f'<nav aria-label="Sections"><ul>{contents}</ul></nav>\n'
            f"{body}\n</main>\n</body>\n</html>\n"
        )


def render_html(report: Report, links: LinkPolicy) -> str:
    return HtmlRenderer(links).report(report)
