"""The report model and its three renderings on the fixture repository: a Markdown snapshot, every finding linked
to its file (relative or through a base URL), escaping that survives both CommonMark and Python-Markdown (what mkdocs
uses), a standalone HTML file, and JSON valid against ``report.schema.json``.

To accept an intended change of the Markdown snapshot: ``ODYSSEY_UPDATE_SNAPSHOTS=1 .venv/bin/pytest
tests/odyssey/report/test_renderers.py`` and review the diff.
"""

from __future__ import annotations

import os
import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import markdown as python_markdown
import pytest
from markdown_it import MarkdownIt

from odyssey import __version__
from odyssey.engine import RunResult, run_checks
from odyssey.findings import Finding, Severity
from odyssey.policy import Selection
from odyssey.project import Project
from odyssey.report import sections
from odyssey.report.collect import build_report
from odyssey.report.links import RelativeLinks
from odyssey.report.model import Column, NoLinks, Paragraph, Report, Section, Table, Text
from odyssey.report.render_html import render_html
from odyssey.report.render_json import render_json, report_record
from odyssey.report.render_md import escape_text, render_markdown
from odyssey.report.trend import report_schema
from tests.odyssey.report.fixture_repo import SELECT, fixture_repo

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "fixture-report.md"
GENERATED_AT = "2025-06-01T12:00:00Z"
VOID = {"meta", "link", "br", "hr", "img", "input", "col", "wbr", "source", "area", "base", "embed", "track"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return fixture_repo(tmp_path / "repo")


def make_report(root: Path, **options: object) -> tuple[Report, RunResult]:
    project = Project(root)
    selection = Selection(select=tuple(SELECT))
    result = run_checks(project, None, selection)
    report = build_report(project, result, selection, generated_at=GENERATED_AT, **options)  # type: ignore[arg-type]
    return report, result


def synthetic_report(findings: list[Finding], errors: tuple[str, ...] = ()) -> Report:
    result = RunResult(findings=findings, errors=list(errors), files_checked=3)
    project_root = Path(__file__).resolve().parent  # any directory: build_report only takes its name
    return build_report(Project(project_root, files=None), result, Selection(), generated_at=GENERATED_AT)


class TreeParser(HTMLParser):
    """Collects tags, attributes and text, and fails on mis-nested or unclosed elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text inside the <a>)
        self._link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self._link = []
            self._href = dict(attrs).get("href") or ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        if tag == "a" and self._link is not None:
            self.links.append((self._href, "".join(self._link)))
            self._link = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._link is not None:
            self._link.append(data)


def parse_html(text: str) -> TreeParser:
    parser = TreeParser()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed elements: {parser.stack}"
    return parser


def location(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}"


# -- Markdown -------------------------------------------------------------------------------------------------------
def test_markdown_matches_the_snapshot(repo: Path, tmp_path: Path) -> None:
    report, _ = make_report(repo)
    text = render_markdown(report, RelativeLinks(repo, tmp_path / "out"))
    text = text.replace(f"odyssey {__version__}.", "odyssey <version>.")
    if os.environ.get("ODYSSEY_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")


def test_markdown_links_every_finding_to_its_file_relative_to_the_report(repo: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "reports" / "odyssey"
    report, result = make_report(repo)
    assert report.findings and tuple(result.findings) == report.findings
    text = render_markdown(report, RelativeLinks(repo, out_dir))
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    links = []
    for token in tokens:
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "link_open":
                label = "".join(c.content for c in children[index + 1:] if c.type in ("text", "code_inline"))
                links.append((str(child.attrs["href"]), label.split(" ")[0]))
    for finding in report.findings:
        matching = [href for href, label in links if label.startswith(location(finding))]
        assert matching, f"no link for {location(finding)}"
        target = (out_dir / unquote(matching[0])).resolve()
        assert target == (repo / finding.path).resolve() and target.is_file()
    # No link but ours: targets quoted in messages ('ablation_[draft].md', '#training') stay text.
    assert all(href.startswith("../../repo/") for href, _ in links)


class TableCells(HTMLParser):
    """The text of each ``<td>`` of each body row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._row.append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_cell = False
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_cell and self._row is not None:
            self._row[-1] += data


def table_after(html: str, heading: str) -> list[list[str]]:
    """Body rows of the first table after ``heading`` (the heading's HTML)."""
    table = html.split(heading, 1)[1].split("</table>", 1)[0]
    parser = TableCells()
    parser.feed(table)
    return parser.rows


def test_markdown_renders_as_the_same_tables_under_python_markdown(repo: Path) -> None:
    """mkdocs renders the report page with Python-Markdown: each finding must stay one row of four cells, with the
    message as plain text (a '|' in 'results|old.md' must not split the cell)."""
    report, _ = make_report(repo)
    html = python_markdown.markdown(render_markdown(report, NoLinks()), extensions=["tables"])
    parser = parse_html(html)
    assert "a" not in [tag for tag, _ in parser.tags]  # NoLinks: no link at all, none made from messages
    rows = table_after(html, "<h2>Findings</h2>")
    assert [len(row) for row in rows] == [4] * len(report.findings)
    assert [row[0] for row in rows] == [location(f) for f in report.findings]
    assert [row[3] for row in rows] == [f.message for f in report.findings]
    assert any("|" in f.message for f in report.findings)


@pytest.mark.parametrize(
    "message",
    [
        "link target 'a|b.md' does not exist",
        "see [guide](setup.md) and ![x](y.png) with *stars* and _under_scores_",
        "raw <script>alert(1)</script> & <b>bold</b> &amp; entity",
        "line one\nline two \\ backslash `tick` ``two``",
        "# looks like a heading",
    ],
)
def test_messages_stay_literal_text_in_both_markdown_renderers(message: str) -> None:
    report = synthetic_report([Finding("notes/a b.md", 2, 3, "LNK001", message, "links")])
    text = render_markdown(report, NoLinks())
    expected = message.replace("\n", "\\n")
    for html in (
        python_markdown.markdown(text, extensions=["tables"]),
        MarkdownIt("commonmark").enable("table").render(text),
    ):
        parser = parse_html(html)
        tags = [tag for tag, _ in parser.tags]
        assert not [tag for tag in tags if tag in ("script", "img", "em", "b", "a")] and tags.count("h1") == 1
        assert [row[3] for row in table_after(html, "Findings</h2>")] == [expected]


def test_escape_text_keeps_every_character() -> None:
    raw = "a|b *c* _d_ [e](f) <g> & `h` \\ #i"
    escaped = escape_text(raw)
    assert "|" not in escaped and "<" not in escaped
    html = python_markdown.markdown(escaped)
    assert "".join(parse_html(html).text) == raw


def test_base_url_links_go_to_the_forge_view_at_the_line(repo: Path, tmp_path: Path) -> None:
    report, _ = make_report(repo)
    links = RelativeLinks(repo, tmp_path / "out", "https://github.com/example/manual/blob/main")
    text = render_markdown(report, links)
    assert "(https://github.com/example/manual/blob/main/README.md#L3)" in text
    assert "(https://github.com/example/manual/blob/main/notes/results.md#L3)" in text
    assert links.source("notes/a b.md", 0) == "https://github.com/example/manual/blob/main/notes/a%20b.md"


# -- HTML -----------------------------------------------------------------------------------------------------------
def test_html_is_one_standalone_file(repo: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    report, _ = make_report(repo)
    text = render_html(report, RelativeLinks(repo, out_dir))
    parser = parse_html(text)
    tags = [tag for tag, _ in parser.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags and "img" not in tags
    assert tags.count("style") == 1
    style = text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    for tag, attrs in parser.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert not value.startswith(("http://", "https://", "//")), f"<{tag} {name}={value!r}>"
    linked = {text: href for href, text in parser.links}
    for finding in report.findings:
        href = linked[location(finding)]
        assert (out_dir / unquote(href)).resolve() == (repo / finding.path).resolve()
    assert "<title>Validation report — repo (findings)</title>" in text


def test_html_escapes_repository_text() -> None:
    message = 'raw <script>alert("x")</script> & </td></tr></table>'
    report = synthetic_report([Finding("notes/<b>.md", 2, 3, "LNK001", message, "links")])
    parser = parse_html(render_html(report, NoLinks()))
    assert "script" not in [tag for tag, _ in parser.tags]
    assert message in "".join(parser.text) and "notes/<b>.md:2:3" in "".join(parser.text)


# -- JSON -----------------------------------------------------------------------------------------------------------
def test_the_report_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(report_schema())


def test_json_report_validates_against_the_schema_with_trend_and_errors(repo: Path) -> None:
    first, _ = make_report(repo)
    previous = report_record(first)
    (repo / "notes" / "results.md").write_text("# Results\n\nAccuracy 98.9 %.\n", encoding="utf-8")
    (repo / "docs" / "guide.md").write_text("# Guide\n\n## Installing\n\nSee [faq](faq.md).\n", encoding="utf-8")
    second, _ = make_report(repo, previous=previous, previous_label="report.json")
    record = report_record(second)
    jsonschema.validate(record, report_schema())
    trend = next(section for section in record["sections"] if section["id"] == "trend")["data"]
    assert [item["code"] for item in trend["new"]] == ["LNK001"]
    assert {(item["path"], item["code"]) for item in trend["fixed"]} == {
        ("docs/guide.md", "FEN002"), ("notes/results.md", "LNK001")
    }
    assert trend["total"]["delta"] == len(second.findings) - len(first.findings)
    crashed = synthetic_report([], errors=("docs/a.md: internal error in check 'x': KeyError: 'k'",))
    jsonschema.validate(report_record(crashed), report_schema())
    assert report_record(crashed)["exit_status"] == 2


def test_json_keeps_undecodable_paths_as_valid_utf8() -> None:
    report = synthetic_report([Finding("notes/caf\udce9.md", 1, 1, "LNK001", "link target 'x' does not exist",
                                       "links")])
    text = render_json(report)
    text.encode("utf-8")  # no lone surrogate left
    assert "caf\\udce9" in text


# -- sections plug in -----------------------------------------------------------------------------------------------
def test_a_registered_section_reaches_every_renderer(monkeypatch: pytest.MonkeyPatch, repo: Path) -> None:
    monkeypatch.setattr(sections, "SECTION_BUILDERS", list(sections.SECTION_BUILDERS))

    def coverage(context: sections.ReportContext) -> Section:
        covered = context.files_checked - context.totals.files_with_findings
        return Section(
            id="coverage",
            title="Clean files",
            blocks=(Paragraph((Text("Files without findings."),)),
                    Table((Column("Clean"), Column("Checked", "right")), ((covered, context.files_checked),))),
            data={"clean": covered, "checked": context.files_checked},
        )

    sections.register_section("coverage", coverage, after="by-code")
    report, _ = make_report(repo)
    assert [s.id for s in report.sections].index("coverage") == [s.id for s in report.sections].index("by-code") + 1
    assert "## Clean files" in render_markdown(report, NoLinks())
    assert '<section id="coverage">' in render_html(report, NoLinks())
    record = report_record(report)
    jsonschema.validate(record, report_schema())
    data = next(s for s in record["sections"] if s["id"] == "coverage")["data"]
    assert data == {"clean": report.files_checked - report.totals.files_with_findings, "checked": report.files_checked}
    with pytest.raises(ValueError, match="no report section 'nowhere'"):
        sections.register_section("late", coverage, after="nowhere")


def test_worst_files_rank_errors_first() -> None:
    findings = [
        Finding("b.md", 1, 1, "AGT107", "w1", "agent_graph", Severity.WARNING),
        Finding("b.md", 2, 1, "AGT107", "w2", "agent_graph", Severity.WARNING),
        Finding("b.md", 3, 1, "AGT107", "w3", "agent_graph", Severity.WARNING),
        Finding("a.md", 1, 1, "LNK001", "e1", "links"),
        Finding("c.md", 1, 1, "LNK001", "e2", "links"),
        Finding("c.md", 5, 1, "LNK001", "e3", "links"),
    ]
    ranked = sections.worst_files(findings, 2)
    assert [entry["path"] for entry in ranked] == ["c.md", "a.md"]
    assert ranked[0] == {"path": "c.md", "error": 2, "warning": 0, "info": 0, "total": 2, "codes": {"LNK001": 2}}
    assert posixpath.basename(str(sections.worst_files(findings, 3)[2]["path"])) == "b.md"
