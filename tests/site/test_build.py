"""The built site, read as files: the strict build passes, nothing is fetched from the internet, and the generated
pages (report, agents, rules, configuration reference, notes, API, results) are there with their real content.

The browser test (test_browser.py) checks the same site as a reader sees it; these tests need no browser.
"""

from __future__ import annotations

import json
import re
import statistics
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from odyssey.checks import all_rules
from odyssey.config import config_schema
from odyssey.mkdocs_plugin.generated import family_page_name
from odyssey.notes.model import notes_settings
from odyssey.project import Project

from tests.site.conftest import REPO, SiteBuild

# Elements whose attribute the browser fetches on its own (links in text, <a href>, are not fetched).
FETCHED = {
    ("script", "src"), ("img", "src"), ("img", "srcset"), ("iframe", "src"), ("source", "src"), ("source", "srcset"),
    ("video", "src"), ("video", "poster"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("input", "src"),
    ("track", "src"), ("image", "href"), ("use", "href"), ("image", "xlink:href"), ("use", "xlink:href"),
}
FETCHED_LINK_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "prefetch", "manifest",
                     "apple-touch-icon", "preconnect", "dns-prefetch"}
_CSS_URL = re.compile(r"""url\(\s*['"]?(?P<url>[^'")\s]+)|@import\s+['"](?P<import>[^'"]+)""")


class PageScan(HTMLParser):
    """The URLs one HTML page makes the browser fetch, its links, its images and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetched: list[str] = []
        self.links: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []
        self.comments: list[str] = []
        self.svg_in_hierarchy = 0
        self._hierarchy_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if (tag, name) in FETCHED:
                self.fetched.extend(part.strip().split(" ")[0] for part in value.split(",") if part.strip())
        if tag == "link" and FETCHED_LINK_RELS & set(values.get("rel", "").lower().split()):
            self.fetched.append(values.get("href", ""))
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        if tag == "img":
            self.images.append(values.get("src", ""))
        if tag == "div" and "odyssey-agent-hierarchy" in values.get("class", "").split():
            self._hierarchy_depth = 1
        elif tag == "div" and self._hierarchy_depth:
            self._hierarchy_depth += 1
        if tag == "svg" and self._hierarchy_depth:
            self.svg_in_hierarchy += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._hierarchy_depth:
            self._hierarchy_depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def scan(page: Path) -> PageScan:
    parser = PageScan()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def page_text(page: Path) -> str:
    return " ".join(" ".join(scan(page).text).split())


def leaves_the_site(url: str) -> bool:
    """True for a URL the browser would fetch from another host (absolute or protocol-relative)."""
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data", "blob", "about")


def local_file(site: Path, page: Path, url: str) -> Path:
    """The site file a relative URL on ``page`` names (directory URLs → their index.html)."""
    base = "/" + page.relative_to(site).as_posix()
    path = unquote(urlsplit(urljoin(base, url)).path).lstrip("/")
    target = site / path
    return target / "index.html" if url.endswith("/") or target.is_dir() else target


def test_the_strict_build_passes_without_warnings(site_build: SiteBuild) -> None:
    assert site_build.returncode == 0, site_build.output[-4000:]
    warnings = [line for line in site_build.output.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert warnings == []
    assert (site_build.site / "index.html").is_file()
    assert site_build.seconds < 120, f"the site build took {site_build.seconds:.0f} s"


def test_no_page_or_stylesheet_fetches_anything_from_another_host(built_site: Path) -> None:
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 20
    outside: list[str] = []
    for page in pages:
        found = scan(page).fetched
        assert found, f"{page} fetches nothing at all: is it a page of the theme?"
        outside += [f"{page.relative_to(built_site)}: {url}" for url in found if leaves_the_site(url)]
    for stylesheet in built_site.rglob("*.css"):
        for match in _CSS_URL.finditer(stylesheet.read_text(encoding="utf-8", errors="replace")):
            url = match.group("url") or match.group("import")
            if leaves_the_site(url):
                outside.append(f"{stylesheet.relative_to(built_site)}: {url}")
    assert outside == []


def test_every_fetched_file_and_page_link_of_the_site_exists(built_site: Path) -> None:
    missing = []
    for page in built_site.rglob("*.html"):
        page_scan = scan(page)
        for url in page_scan.fetched + page_scan.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # external links (text only) and same-page anchors
            if not local_file(built_site, page, url).exists():
                missing.append(f"{page.relative_to(built_site)}: {url}")
    assert missing == []


def test_every_results_marker_was_replaced(built_site: Path) -> None:
    left = [f"{page.relative_to(built_site)}: <!--{comment}-->" for page in built_site.rglob("*.html")
            for comment in scan(page).comments if comment.strip().startswith("results:")]
    assert left == []


def test_the_results_page_shows_the_committed_fashion_mnist_runs(built_site: Path) -> None:
    summary = json.loads((REPO / "benchmarks/results/fashion-mnist-summary.json").read_text())
    median = statistics.median(summary["test_acc"].values())
    page = built_site / "lenet5/results/index.html"
    text = page_text(page)
    assert f"{100 * median:.2f}%" in text
    for seed, accuracy in summary["test_acc"].items():
        assert f"{100 * accuracy:.2f}%" in text, f"seed {seed}"
    images = [local_file(built_site, page, src) for src in scan(page).images if "lenet5-results/" in src]
    names = {image.name for image in images}
    assert {"fashion-mnist-history.png", "fashion-mnist-confusion.png", "fashion-mnist-samples.png"} <= names
    for image in images:
        assert image.read_bytes() == (REPO / "benchmarks/results" / image.name).read_bytes()
    assert not (REPO / "docs/assets/lenet5-results").exists()  # generated into the site, never copied into docs/


def test_the_agents_page_draws_the_hierarchy_as_inline_svg(built_site: Path) -> None:
    page = scan(built_site / "validation/agents/index.html")
    assert page.svg_in_hierarchy == 1
    agents = sorted(path.stem for path in (REPO / "agents").rglob("*.md") if path.name != "README.md")
    text = " ".join(page.text)
    assert agents and all(name in text for name in agents)


def test_the_report_and_one_page_per_rule_family_are_generated(built_site: Path) -> None:
    assert "Validation report" in page_text(built_site / "validation/report/index.html")
    families = {rule.family for rule in all_rules()}
    for family in families:
        page = built_site / "validation/rules" / family_page_name(family).removesuffix(".md") / "index.html"
        text = page_text(page)
        assert all(rule.code in text for rule in all_rules() if rule.family == family)


def test_the_configuration_reference_lists_every_schema_key(built_site: Path) -> None:
    text = page_text(built_site / "tooling/configuration-reference/index.html")
    schema = config_schema()
    keys = []
    for key, node in schema["properties"].items():
        keys.append(key)
        nested = node.get("properties") or (node.get("items") or {}).get("properties") or {}
        keys += list(nested)
    missing = [key for key in keys if key not in text]
    assert missing == []
    assert "[tool.odyssey.notes]" in text


def test_the_notes_directory_is_published_with_its_index(built_site: Path) -> None:
    project = Project(REPO)
    settings = notes_settings(project.config)
    index = page_text(built_site / "notes/index.html")
    assert "Notes" in index
    notes = [path for path in project.files.markdown if settings.is_note(path)]
    assert notes
    for path in notes:
        title = project.document(path).meta.get("title")
        page = built_site / "notes" / Path(path).relative_to(settings.directory).with_suffix("") / "index.html"
        assert title in page_text(page)
        assert title in index  # listed in the index, and the link leads to the page (checked above)


@pytest.mark.parametrize("page, module", [("api/lenet5", "lenet5.model"), ("api/odyssey", "odyssey.config")])
def test_the_api_reference_is_generated_from_docstrings(built_site: Path, page: str, module: str) -> None:
    html = (built_site / page / "index.html").read_text(encoding="utf-8")
    assert 'class="doc doc-object doc-module"' in html
    assert f'id="{module}"' in html
