"""Property: on random trees of documents with random links (every syntax) and random misplacements, ``fix --apply``
keeps every link that worked leading to the same file (and anchor), changes no byte outside link targets, and leaves
no placement finding and no new broken link.

The oracle is independent of the fixer: each generated document is a skeleton of literal text with slots where link
targets are written. After the fix every document must still match its skeleton exactly (a regex of the escaped
literals with one group per slot), which proves that nothing but link targets changed (CRLF and BOM included); each
captured target is then resolved from the document's new path and must land on the same file (found by its unique
content) with the same fragment.
"""

from __future__ import annotations

import html
import posixpath
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markdown_it.common.utils import unescapeAll
from odyssey.discovery import discover
from odyssey.engine import run_checks
from odyssey.fix.apply import Applier
from odyssey.fix.plan import FixOptions, Planner, collect_findings, relative_path
from odyssey.policy import Selection
from odyssey.project import Project
from odyssey.resolve import resolve

# Where documents may be, and names that are fine, misplaced (reports) or badly named there.
DIRECTORIES = ["", "docs", "docs/guides", "docs/Team Notes", "notes", "lenet5"]
FINE_NAMES = ["alpha.md", "beta-guide.md", "gamma.md", "delta-notes.md"]
REPORT_NAMES = ["SESSION_SUMMARY.md", "TEST_RESULTS.md", "FINAL_REVIEW.md", "PROGRESS_REPORT.md"]
BAD_NAMES = ["SetupGuide.md", "Model_Overview.md", "Design Review.md"]
ASSET = "docs/img/plot.png"
ASSET_BYTES = b"\x89PNG\r\n\x1a\n-unique-asset"
HEADINGS = "## Alpha\n\n## Alpha\n\n## Beta {i}\n\n"
FRAGMENTS = [None, "alpha", "alpha-1", "beta-{j}"]


@dataclass
class Slot:
    syntax: str  # markdown | angle | html
    target: str | None  # repository path it leads to (None: broken or external)
    fragment: str | None
    written: str


@dataclass
class Doc:
    path: str
    ident: int
    crlf: bool
    bom: bool
    parts: list[str | Slot] = field(default_factory=list)  # literal text and slots, alternating freely

    def text(self) -> str:
        return "".join(part if isinstance(part, str) else part.written for part in self.parts)

    def raw(self) -> bytes:
        text = self.text().replace("\n", "\r\n") if self.crlf else self.text()
        return (("\ufeff" if self.bom else "") + text).encode("utf-8")

    def pattern(self) -> re.Pattern[str]:
        newline = "\r\n" if self.crlf else "\n"
        pieces = []
        for part in self.parts:
            pieces.append(re.escape(part.replace("\n", newline)) if isinstance(part, str) else r"([^\r\n]*?)")
        return re.compile(("\ufeff" if self.bom else "") + "".join(pieces), re.DOTALL)


def written_path(source: str, target: str, style: str, syntax: str) -> str:
    if style == "absolute":
        path = "/" + target
    else:
        path = relative_path(target, posixpath.dirname(source))
        if style == "dot" and not path.startswith(".."):
            path = "./" + path
    if " " in path and syntax != "angle":
        path = path.replace(" ", "%20")
    return path


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[Doc], list[str]]:
    count = draw(st.integers(min_value=2, max_value=7))
    paths = ["README.md"]
    taken = {"readme.md"}
    for _ in range(count):
        directory = draw(st.sampled_from(DIRECTORIES))
        name = draw(st.sampled_from(FINE_NAMES + REPORT_NAMES + BAD_NAMES))
        path = posixpath.join(directory, name)
        if directory == "" and name in FINE_NAMES:
            path = "docs/" + name
        if path.lower() not in taken:
            taken.add(path.lower())
            paths.append(path)
    docs = [Doc(path, ident, draw(st.booleans()), draw(st.booleans())) for ident, path in enumerate(paths)]
    targets = paths + [ASSET]
    for doc in docs:
        if draw(st.booleans()):  # frontmatter shifts nothing: the model keeps file line numbers
            doc.parts.append(f"---\ntitle: Document {doc.ident}\ntags: [fix, \"[x](y.md)\"]\n---\n")
        doc.parts.append(f"# Document {doc.ident}\n\n" + HEADINGS.format(i=doc.ident))
        definitions: list[str | Slot] = []
        for number in range(draw(st.integers(min_value=1, max_value=6))):
            choice = draw(st.integers(min_value=0, max_value=len(targets) + 1))
            kind = draw(st.sampled_from(["inline", "titled", "image", "definition", "html", "html-single", "table",
                                         "quote", "list-html", "nested", "wrapped"]))
            syntax = "html" if kind.startswith("html") else draw(st.sampled_from(["markdown", "angle"]))
            if choice == len(targets):  # a broken link
                target, written, fragment = None, f"missing-{number}.md", None
            elif choice == len(targets) + 1:  # an external one
                target, written, fragment = None, f"https://example.com/{number}.md", None
            else:
                target = targets[choice]
                style = draw(st.sampled_from(["relative", "dot", "absolute"]))
                written = written_path(doc.path, target, style, syntax)
                fragment = None
                if target.endswith(".md"):
                    fragment = draw(st.sampled_from(FRAGMENTS))
                    if fragment is not None:
                        fragment = fragment.format(j=targets.index(target))
                        written += "#" + fragment
            slot = Slot(syntax, target, fragment, written)
            open_, close = ("<", ">") if syntax == "angle" else ("", "")
            if kind == "inline":
                doc.parts += [f"Line {number}: [link {number}]({open_}", slot, f"{close}) ends.\n"]
            elif kind == "titled":
                doc.parts += [f"Line {number}: [link {number}]({open_}", slot, f'{close} "Title {number}")  \n']
            elif kind == "image":
                doc.parts += [f"Line {number}: ![image {number}]({open_}", slot, f"{close})\n"]
            elif kind == "definition":
                doc.parts.append(f"Line {number}: [by reference][ref-{number}]\t\n")
                definitions += [f"[ref-{number}]: {open_}", slot, f"{close}\n"]
            elif kind == "html":
                doc.parts += [f'Line {number}: <a href="', slot, f'">html {number}</a>\n']
            elif kind == "table":  # the same link twice in one row: two cells, one recorded column
                twin = Slot(slot.syntax, slot.target, slot.fragment, slot.written)
                doc.parts += [f"\n| Page | Again |\n|------|-------|\n| [t{number}]({open_}", slot, f"{close}) | "
                              f"[t{number}]({open_}", twin, f"{close}) |\n\n"]
            elif kind == "quote":
                doc.parts += [f"\n> Quoted {number}: [q]({open_}", slot, f"{close}) and more\n\n"]
            elif kind == "list-html":
                doc.parts += [f'\n- item {number}\n  <a href="', slot, '">nested html</a>\n\n']
            elif kind == "nested":
                icon = Slot("markdown", ASSET, None, written_path(doc.path, ASSET, "relative", "markdown"))
                doc.parts += [f"Line {number}: [![icon](", icon, f")]({open_}", slot, f"{close})\n"]
            elif kind == "wrapped":
                doc.parts += [f"Line {number}: [a link\nthat wraps]({open_}", slot, f"{close}) here.\n"]
            else:
                doc.parts += [f"Line {number}: <img src='", slot, "' alt=''>\n"]
        if definitions:
            doc.parts += ["\n", *definitions]
    return docs, paths


def reads_as(slot_syntax: str, written: str) -> str:
    return html.unescape(written).strip() if slot_syntax == "html" else unescapeAll(written)


def broken_links(project: Project) -> int:
    result = run_checks(project, None, Selection(select=("LNK001",)))
    return len(result.findings)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(trees())
def test_fix_apply_keeps_every_working_link_and_every_other_byte(tree: tuple[list[Doc], list[str]]) -> None:
    docs, _paths = tree
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for doc in docs:
            (root / doc.path).parent.mkdir(parents=True, exist_ok=True)
            (root / doc.path).write_bytes(doc.raw())
        (root / ASSET).parent.mkdir(parents=True, exist_ok=True)
        (root / ASSET).write_bytes(ASSET_BYTES)
        before_files = discover(root).files
        broken_before = broken_links(Project(root))

        project = Project(root)
        findings, errors = collect_findings(project, ("PLC", "NAM"), ())
        assert errors == []
        plan = Planner(project, findings, FixOptions(unsafe=True)).plan()
        event(f"moves: {min(len(plan.moves), 3)}+, rewrites: {min(plan.rewrite_count, 5)}+")
        event("a directory is renamed" if any(m.is_dir for m in plan.moves) else "no directory renamed")
        Applier(root, plan, None).apply()

        # Find every document (by its unique first line) and the asset (by its bytes) in the new tree.
        after_files = discover(root)
        where: dict[str, str] = {}
        for path in after_files.files:
            data = (root / path).read_bytes()
            if data == ASSET_BYTES:
                where[ASSET] = path
            match = re.search(rb"^(?:\xef\xbb\xbf)?# Document (\d+)\r?$", data, re.MULTILINE)
            if match:
                where[docs[int(match.group(1))].path] = path
        assert len(after_files.files) == len(before_files) and len(where) == len(docs) + 1

        for doc in docs:
            new_path = where[doc.path]
            text = (root / new_path).read_bytes().decode("utf-8")
            match = doc.pattern().fullmatch(text)
            assert match is not None, f"{doc.path} -> {new_path}: bytes outside link targets changed:\n{text}"
            slots = [part for part in doc.parts if isinstance(part, Slot)]
            for slot, written in zip(slots, match.groups(), strict=True):
                if slot.target is None:
                    if slot.written.startswith("https:"):
                        assert written == slot.written
                    continue
                resolved = resolve(new_path, reads_as(slot.syntax, written), after_files, ())
                assert resolved.status == "local" and resolved.path == where[slot.target], (
                    f"{doc.path} -> {new_path}: '{slot.written}' became '{written}', which leads to {resolved.path}, "
                    f"not {where[slot.target]}")
                assert resolved.fragment == slot.fragment

        project_after = Project(root)
        placement = run_checks(project_after, None, Selection(select=("PLC",))).findings
        assert placement == [], [str(f) for f in placement]
        assert broken_links(project_after) <= broken_before
