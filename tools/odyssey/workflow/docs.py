"""Where the docs pages document modules: API-reference directives, code spans and links.

A page of the docs directory (mkdocs' ``docs_dir``, else ``[tool.odyssey] docs-dir``) documents a module when it has

- a mkdocstrings directive (``::: lenet5.model``, outside code blocks) naming the module or an object in it
  (``::: lenet5.model.LeNet5``); a directive naming a package documents its submodules only with
  ``show_submodules: true``, in the directive's options or in mkdocs.yml's mkdocstrings options (mkdocstrings'
  own rule);
- a code span naming the module, an object in it or its path (```lenet5.model```, ```lenet5/model.py```);
- or a link to the module's file.

The section of the page holding that mention (from the heading above it to the next heading of the same or a higher
rank) is what the cleanup phase looks at for stale or stub findings.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from odyssey.document import Document
from odyssey.project import Project
from odyssey.resolve import resolve

logger = logging.getLogger(__name__)

_DIRECTIVE = re.compile(r"^\s{0,3}:::\s+([A-Za-z_][\w.:]*)\s*$")
_CALL_SUFFIX = re.compile(r"\(.*\)$")  # `lenet5.model.preprocess(image)` names lenet5.model.preprocess
_SHOW_SUBMODULES = re.compile(r"^\s+show_submodules\s*:\s*(true|yes|on)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DocMention:
    page: str
    line: int
    column: int
    how: str  # "directive", "code span", "link"
    section: tuple[int, int]  # first and last line of the section holding the mention

    @property
    def rank(self) -> int:
        """Directives first: an API reference is the strongest evidence."""
        return ("directive", "code span", "link").index(self.how)


def section_range(document: Document, line: int) -> tuple[int, int]:
    """Lines of the section holding ``line``: from its heading to before the next heading of the same or higher
    rank (the whole document before the first heading)."""
    headings = document.headings
    start, level = 1, 0
    for heading in headings:
        if heading.line <= line:
            start, level = heading.line, heading.level
    end = len(document.lines)
    for heading in headings:
        if heading.line > line and (level == 0 or heading.level <= level):
            end = heading.line - 1
            break
    return start, end


def _global_show_submodules(project: Project) -> bool:
    mkdocs = project.mkdocs
    data: Any = mkdocs.data if mkdocs is not None else None
    plugins = data.get("plugins") if isinstance(data, dict) else None
    for plugin in plugins if isinstance(plugins, list) else ():
        if isinstance(plugin, dict) and isinstance(plugin.get("mkdocstrings"), dict):
            handlers = plugin["mkdocstrings"].get("handlers")
            python = handlers.get("python") if isinstance(handlers, dict) else None
            options = python.get("options") if isinstance(python, dict) else None
            if isinstance(options, dict) and options.get("show_submodules") is True:
                return True
    return False


class DocsIndex:
    """Every mention of a module on the docs pages, read once."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.show_submodules = _global_show_submodules(project)
        self.directives: list[tuple[str, bool, DocMention]] = []  # (dotted, submodules shown, mention)
        self.spans: list[tuple[str, DocMention]] = []
        self.links: dict[str, list[DocMention]] = {}  # repository path -> mentions
        pages = [path for path in project.files.markdown if project.in_docs_dir(path)]
        for document in project.documents(pages):
            if document.readable:
                self._read(document)

    def _read(self, document: Document) -> None:
        fenced = {line for fence in document.fences for line in range(fence.line, fence.end_line + 1)}
        lines = document.lines
        for number, text in enumerate(lines, start=1):
            if number in fenced:
                continue
            match = _DIRECTIVE.match(text)
            if match:
                shown = self.show_submodules
                for option in lines[number:]:
                    if not option.strip() or not option.startswith((" ", "\t")):
                        break
                    shown = shown or bool(_SHOW_SUBMODULES.match(option))
                mention = DocMention(document.path, number, match.start(1) + 1, "directive",
                                     section_range(document, number))
                self.directives.append((match.group(1).replace(":", "."), shown, mention))
        for span in document.code_spans:
            text = span.text.strip()
            if text:
                self.spans.append((text, DocMention(document.path, span.line, span.column, "code span",
                                                    section_range(document, span.line))))
        files = self.project.files
        for link in document.links:
            if link.kind in ("definition", "image") or ".py" not in link.target.lower():
                continue  # only links to Python files are mentions; resolving every link costs seconds at 20k docs
            target = resolve(document.path, link.target, files, self.project.config.machine_path_prefixes)
            if target.status == "local" and target.path and target.path.endswith(".py"):
                mention = DocMention(document.path, link.line, link.column, "link",
                                     section_range(document, link.line))
                self.links.setdefault(target.path, []).append(mention)

    def mentions(self, module: str, path: str) -> list[DocMention]:
        """Where the docs document ``module`` (file ``path``), strongest evidence first, then by page and line."""
        found: list[DocMention] = []
        for dotted, shown, mention in self.directives:
            if dotted == module or dotted.startswith(module + "."):
                found.append(mention)
            elif shown and module.startswith(dotted + "."):
                found.append(mention)
        for text, mention in self.spans:
            text = _CALL_SUFFIX.sub("", text)
            rest = text[len(module) + 1 :] if text.startswith(module + ".") else ""
            if text in (module, path) or rest and all(part.isidentifier() for part in rest.split(".")):
                found.append(mention)
        found.extend(self.links.get(path, ()))
        return sorted(found, key=lambda m: (m.rank, m.page, m.line, m.column))
