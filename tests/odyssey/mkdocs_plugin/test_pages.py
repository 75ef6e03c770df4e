"""The generated pages without a build: rule family pages carry every rule's full documentation with heading ids
that match what Python-Markdown's toc makes (default and custom slugify), the agent catalog links agents to their
entries, and links to repository files lead into the site, to the forge, or nowhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import markdown as python_markdown
import pytest
from markdown.extensions.toc import slugify as default_slugify

from odyssey.agents_model import load_team
from odyssey.checks import all_rules
from odyssey.mkdocs_plugin.links import HeadingIds, SiteLinks, forge_source_url, relative_href
from odyssey.mkdocs_plugin.pages import Family, agents_page, demote_headings, rule_family_page, rules_index_page
from odyssey.project import Project
from odyssey.report.collect import family_summaries
from odyssey.rules import REQUIRED_DOC_HEADINGS
from tests.odyssey.report.fixture_repo import fixture_repo, write_tree


class Ids(HTMLParser):
    """Element ids and local link targets of rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[tuple[str, str]] = []  # (tag, id)
        self.local: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append((tag, str(values["id"])))
        href = values.get("href") or ""
        if href.startswith("#"):
            self.local.append(href[1:])


def render(text: str, **toc: object) -> Ids:
    html = python_markdown.markdown(text, extensions=["toc", "tables", "fenced_code"],
                                    extension_configs={"toc": toc} if toc else {})
    parser = Ids()
    parser.feed(html)
    return parser


def families() -> list[Family]:
    by_family: dict[str, list] = {}
    for rule in all_rules():
        by_family.setdefault(rule.family, []).append(rule)
    return [Family(name, summary, tuple(by_family[name])) for name, summary in family_summaries() if name in by_family]


def test_demote_headings_leaves_code_fences_alone() -> None:
    doc = "## Example\n```bash\n# a shell comment\n```\n\n````markdown\n## Usage\n````\n### Deep\n"
    assert demote_headings(doc) == (
        "### Example\n```bash\n# a shell comment\n```\n\n````markdown\n## Usage\n````\n#### Deep\n"
    )


@pytest.mark.parametrize("slugify_name", ["default", "pymdownx-lower", "pymdownx-unicode-case-kept"])
def test_family_pages_hold_every_rule_doc_with_ids_the_toc_really_makes(slugify_name: str) -> None:
    if slugify_name == "default":
        slugify, separator = default_slugify, "-"
    else:
        slugs = pytest.importorskip("pymdownx.slugs")
        slugify = slugs.slugify(case="lower") if slugify_name == "pymdownx-lower" else slugs.slugify()
        separator = "_" if slugify_name == "pymdownx-lower" else "-"
    for family in families():
        content, anchors = rule_family_page(family, HeadingIds(slugify, separator))
        rendered = render(content, slugify=slugify, separator=separator)
        heading_ids = [value for tag, value in rendered.ids if tag in ("h1", "h2", "h3", "h4")]
        assert len(heading_ids) == len(set(heading_ids))
        for rule in family.rules:
            assert anchors[rule.code] in heading_ids, f"{rule.code}: {anchors[rule.code]} not in {heading_ids}"
            assert f"## {rule.code} {rule.name}" in content.replace("\\", "")
            for heading in REQUIRED_DOC_HEADINGS:
                assert f"### {heading}" in content
            assert rule.doc.strip().splitlines()[1] in content  # the doc text itself, not a summary of it
        assert set(rendered.local) <= set(heading_ids)  # the table's links land on the rule headings


def test_rules_index_links_each_code_to_its_family_page_anchor() -> None:
    all_families = families()
    anchors: dict[str, tuple[str, str]] = {}
    for family in all_families:
        _, family_anchors = rule_family_page(family, HeadingIds(default_slugify))
        anchors.update({code: (f"validation/rules/{family.page_name}", a) for code, a in family_anchors.items()})
    page = rules_index_page(all_families, "validation/rules/index.md", anchors)
    assert "| [LNK001](links.md#lnk001-broken-link) | broken-link | [links](links.md) | error |" in page
    assert "[agent\\_graph](agent-graph.md)" in page
    codes = re.findall(r"^\| \[([A-Z]{3}\d{3})\]", page, flags=re.MULTILINE)
    assert codes == [rule.code for family in all_families for rule in family.rules]


def test_agents_page_catalogs_the_team_with_links_that_resolve(tmp_path: Path) -> None:
    root = fixture_repo(tmp_path / "repo")
    project = Project(root)
    team = load_team(project)
    links = SiteLinks("validation/agents.md", "docs", {"index.md"}, None)
    page = agents_page(team, links, HeadingIds(default_slugify), project.config.agents.paths)
    assert '<div class="odyssey-agent-hierarchy" style="overflow-x:auto">\n<svg xmlns=' in page
    assert "Builds the layers &lt;and&gt; checks their gradients." in page
    assert "- **Delegates to:** [model-engineer](#model-engineer)" in page
    assert "- **Receives from:** [orchestrator](#orchestrator)" in page
    assert "- **Receives from:** nobody" in page  # data-engineer: the unreachable one
    assert "- **Tools:** `Read`, `Grep`, `Agent`" in page
    assert "- **Definition:** `agents/orchestrator.md`" in page  # outside the site, no forge URL: no link
    rendered = render(page)
    ids = {value for _, value in rendered.ids}
    assert {"orchestrator", "model-engineer", "data-engineer"} <= ids
    assert rendered.local and set(rendered.local) <= ids  # table, fields and SVG boxes all land on entries
    order = [page.index(f"### {name}") for name in ("orchestrator", "data-engineer", "model-engineer")]
    assert order == sorted(order)  # by level, then name

    forge = SiteLinks("validation/agents.md", "docs", set(), "https://git.example.org/team/repo/-/blob/main/")
    page = agents_page(team, forge, HeadingIds(default_slugify), project.config.agents.paths)
    assert ("[`agents/orchestrator.md`](https://git.example.org/team/repo/-/blob/main/agents/orchestrator.md)"
            in page)


def test_an_empty_team_says_where_agents_were_looked_for(tmp_path: Path) -> None:
    project = Project(tmp_path)
    page = agents_page(load_team(project), SiteLinks("agents.md", "docs", set()), HeadingIds(default_slugify),
                       project.config.agents.paths)
    assert page == "# Agents\n\nNo agent definitions found (`agents/**/*.md`, `.claude/agents/**/*.md`).\n"


def test_site_links_into_the_site_to_the_forge_or_nowhere() -> None:
    links = SiteLinks("validation/report.md", "docs", {"guide.md", "api/layers.md", "img/plot.png"},
                      "https://github.com/example/manual/blob/main/",
                      {"LNK001": ("validation/rules/links.md", "lnk001-broken-link")})
    assert links.source("docs/guide.md", 7) == "../guide.md"
    assert links.source("docs/api/layers.md", 1) == "../api/layers.md"
    assert links.source("docs/img/plot.png", 0) == "../img/plot.png"
    assert links.source("docs/drafts/old.md", 3) == "https://github.com/example/manual/blob/main/docs/drafts/old.md#L3"
    assert links.source("notes/a b.md", 2) == "https://github.com/example/manual/blob/main/notes/a%20b.md#L2"
    assert links.rule("LNK001") == "rules/links.md#lnk001-broken-link"
    assert links.rule("ZZZ999") is None
    offline = SiteLinks("report.md", "docs", {"guide.md"})
    assert offline.source("README.md", 3) is None and offline.source("docs/guide.md", 1) == "guide.md"
    rootdocs = SiteLinks("report.md", "", {"README.md"})  # docs_dir is the repository root
    assert rootdocs.source("README.md", 1) == "README.md"
    assert relative_href("a/b.md", "a/b.md", "x") == "#x"


@pytest.mark.parametrize(
    ("repo_url", "edit_uri", "docs", "expected"),
    [
        ("https://github.com/org/repo", "edit/main/docs/", "docs", "https://github.com/org/repo/blob/main/"),
        ("https://github.com/org/repo/", "edit/master/docs/", "docs", "https://github.com/org/repo/blob/master/"),
        ("https://gitlab.com/org/repo", "-/edit/dev/site/", "site", "https://gitlab.com/org/repo/-/blob/dev/"),
        ("https://github.com/org/repo", "edit/main/documentation/", "docs", None),  # edit_uri of another docs dir
        ("https://example.org/repo", "https://example.org/edit?file=", "docs", None),
        (None, "edit/main/docs/", "docs", None),
        ("https://github.com/org/repo", "edit/main/docs/", None, None),  # docs outside the repository
    ],
)
def test_forge_source_url_from_repo_url_and_edit_uri(
    repo_url: str | None, edit_uri: str, docs: str | None, expected: str | None
) -> None:
    assert forge_source_url(repo_url, edit_uri, docs) == expected


def test_heading_ids_repeat_like_toc() -> None:
    texts = ["Example", "Example", "Example", "!!!", "Example_1", "Example 1", "Example"]
    ids = HeadingIds(default_slugify)
    predicted = [ids.add(text) for text in texts]
    rendered = render("\n\n".join(f"# {text}" for text in texts) + "\n")
    assert predicted == [value for _, value in rendered.ids]
    assert len(set(predicted)) == len(texts) and predicted[:3] == ["example", "example_1", "example_2"]


def test_an_agent_published_in_the_site_links_to_its_page(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "odyssey.toml": '[agents]\npaths = ["docs/team/*.md"]\nexclude = []\n',
        "docs/team/lead.md": "---\nname: lead\ndescription: Leads.\ntools: Read, Agent\nlevel: 0\n---\n\n# Lead\n",
    })
    project = Project(root)
    links = SiteLinks("validation/agents.md", "docs", {"team/lead.md"})
    page = agents_page(load_team(project), links, HeadingIds(default_slugify), project.config.agents.paths)
    assert "- **Definition:** [`docs/team/lead.md`](../team/lead.md)" in page
    assert "- **Model:** inherited (no `model` key)" in page
