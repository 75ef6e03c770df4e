"""The one markdown-it-py parser every document goes through, with two plugins of ours.

- ``source positions``: the inline rules that make links, images, autolinks and raw HTML are wrapped so that each
  opening token records where its source starts and ends inside the inline content (``token.meta["pos"/"end"]``):
  markdown-it keeps line maps for blocks only, and findings need a line *and* a column.
- ``selective inline``: inline parsing is most of markdown-it's cost; content with no ``[``, ``<`` or backtick cannot
  hold a link, an image, raw HTML or a code span, so it becomes one text token without running the inline rules.
  Other prose goes through a lighter inline parser without emphasis (its delimiters stay in the text, which no check
  needs parsed). Headings always get the full inline parser: emphasis changes their text, hence their anchors.

Admonitions (``!!! note``, ``??? tip``, ``???+ warning``: Python-Markdown's and pymdownx.details' syntax, which mkdocs
sites use everywhere) are parsed by mdit-py-plugins' admonition plugin. Without it their indented body becomes an
indented code block after its first blank line, and the links in it are never seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin

POSITIONED_OPENERS = {"link_open", "image", "html_inline"}
INLINE_TRIGGERS = ("[", "<", "`")


def _positioned(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    def positioned_rule(state: StateInline, silent: bool) -> bool:
        start = state.pos
        first_new = len(state.tokens)
        matched = rule(state, silent)
        if matched and not silent:
            for token in state.tokens[first_new:]:
                if token.type in POSITIONED_OPENERS:
                    token.meta = {**(token.meta or {}), "pos": start, "end": state.pos}
                    break
        return matched

    return positioned_rule


def _position_rules(parser: ParserInline) -> None:
    for name in ("link", "image", "autolink", "html_inline"):
        index = parser.ruler.__find__(name)
        original = parser.ruler.__rules__[index].fn
        parser.ruler.at(name, _positioned(original))


def _light_inline_parser() -> ParserInline:
    parser = ParserInline()
    parser.ruler.disable(["emphasis", "entity"])
    parser.ruler2.disable(["emphasis"])
    _position_rules(parser)
    return parser


def _selective_inline_rule(light: ParserInline) -> Callable[[StateCore], None]:
    def selective_inline(state: StateCore) -> None:
        previous: Token | None = None
        for token in state.tokens:
            if token.type == "inline":
                if token.children is None:
                    token.children = []
                content = token.content
                if previous is not None and previous.type == "heading_open":
                    state.md.inline.parse(content, state.md, state.env, token.children)
                elif any(c in content for c in INLINE_TRIGGERS):
                    light.parse(content, state.md, state.env, token.children)
                else:
                    text = Token("text", "", 0)
                    text.content = content
                    token.children.append(text)
            previous = token

    return selective_inline


def create_parser(inline: bool = True) -> MarkdownIt:
    """CommonMark + tables, reference definitions as tokens; ``inline=False`` gives a block-only parser."""
    options: dict[str, Any] = {"inline_definitions": True}
    md = MarkdownIt("commonmark", options).enable("table").use(admon_plugin)
    # markdown-it refuses to make links of file:, javascript: and data: URLs (a rendering safety measure). We never
    # render; we want every link the author wrote, file:///home/... above all.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    # Keep targets as written (markdown-it percent-encodes them for HTML): messages quote them and the fixer
    # rewrites them; resolution decodes %xx itself.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    _position_rules(md.inline)
    if inline:
        md.core.ruler.at("inline", _selective_inline_rule(_light_inline_parser()))
    else:
        md.core.ruler.disable("inline")
    return md
