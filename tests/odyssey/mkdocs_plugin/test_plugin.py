"""The mkdocs plugin: its typed options, the generated files through mkdocs' own API, and real
``mkdocs build --strict`` runs of a small site (the venv's mkdocs in a subprocess, site built into tmp_path).

mkdocs finds plugins by entry point. Until the distribution declares ``odyssey`` under ``mkdocs.plugins`` (see the
report to the lead), the builds get it from a throwaway ``.dist-info`` on PYTHONPATH; once it is declared, the
installed entry point is used and ``test_entry_point_is_declared`` passes instead of skipping.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files, InclusionLevel, get_files

from odyssey.mkdocs_plugin.generated import DEFAULTS, generated_pages, plugin_options
from odyssey.mkdocs_plugin.plugin import OdysseyPlugin
from tests.odyssey.report.fixture_repo import SELECT, write_tree

ENTRY_POINT = "odyssey.mkdocs_plugin.plugin:OdysseyPlugin"
AGENT_BODY = "\n\n## How to work\n\n1. Read the issue.\n2. Change the code and its tests together.\n"

SITE: dict[str, str] = {
    "odyssey.toml": "select = [" + ", ".join(f'"{code}"' for code in SELECT) + "]\n",
    "mkdocs.yml": (
        "site_name: LeNet-5 manual\ntheme:\n  name: material\n  font: false\n"
        "nav:\n  - Home: index.md\n  - Guide: guide.md\nplugins:\n  - search\n  - odyssey\n"
    ),
    "README.md": (
        "# LeNet-5 manual\n\nThe [documentation](docs/index.md) and the [agent team](agents/orchestrator.md).\n"
    ),
    "docs/index.md": "# Home\n\nStart with the [guide](guide.md#installing).\n",
    "docs/guide.md": "# Guide\n\n## Installing\n\n```bash\npip install -e .\n```\n\nBack [home](index.md).\n",
    "agents/orchestrator.md": (
        "---\nname: orchestrator\ndescription: Root agent; splits the work between the engineers.\n"
        "tools: Read, Grep, Agent\nmodel: opus\ncolor: purple\nlevel: 0\n"
        "delegates_to: [model-engineer, data-engineer]\n---\n\n# Orchestrator" + AGENT_BODY
    ),
    "agents/engineers/model-engineer.md": (
        "---\nname: model-engineer\ndescription: Builds the layers and checks their gradients.\n"
        "tools: Read, Edit, Bash\nmodel: sonnet\ncolor: blue\nlevel: 1\nreceives_from: [orchestrator]\n---\n\n"
        "# Model engineer" + AGENT_BODY
    ),
    "agents/engineers/data-engineer.md": (
        "---\nname: data-engineer\ndescription: Loads the datasets.\ntools: Read, Edit\nmodel: haiku\nlevel: 1\n"
        "receives_from: [orchestrator]\n---\n\n# Data engineer" + AGENT_BODY
    ),
}
# Errors mkdocs itself does not see: a code fence closed with an info string (a page of the site), and a broken
# link in the README (outside the site).
BROKEN = {
    "docs/guide.md": "# Guide\n\n## Installing\n\n```bash\npip install -e .\n```bash\n\nBack [home](index.md).\n",
    "README.md": SITE["README.md"] + "\nSee the [changelog](CHANGES.md).\n",
}
FENCE_MESSAGE = "docs/guide.md:7:1: FEN002 closing fence '```bash' carries an info string"
README_MESSAGE = "README.md:5:9: LNK001 link target 'CHANGES.md' does not exist"


def plugin_declared() -> bool:
    return any(ep.name == "odyssey" for ep in entry_points(group="mkdocs.plugins"))


def build_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's banner about MkDocs 2.0
    if not plugin_declared():
        shim = tmp_path / "entry-points" / "odyssey_mkdocs_test_shim-0.dist-info"
        shim.mkdir(parents=True, exist_ok=True)
        (shim / "METADATA").write_text("Metadata-Version: 2.1\nName: odyssey-mkdocs-test-shim\nVersion: 0\n")
        (shim / "entry_points.txt").write_text(f"[mkdocs.plugins]\nodyssey = {ENTRY_POINT}\n")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim.parent), env.get("PYTHONPATH")]))
    return env


def make_site(tmp_path: Path, name: str = "site", **changes: str) -> Path:
    return write_tree(tmp_path / name, {**SITE, **changes})


def build(site: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``mkdocs build --strict`` of ``site`` with the venv's mkdocs; the built site goes to tmp_path."""
    built = tmp_path / f"built-{site.name}"
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(built)],
        cwd=site, env=build_env(tmp_path), capture_output=True, text=True, timeout=300,
    )
    return completed, built


def page(built: Path, path: str) -> str:
    return (built / path / "index.html").read_text(encoding="utf-8")


def with_plugin_options(options: str, nav: str = "nav:\n  - Home: index.md\n  - Guide: guide.md\n",
                        extra: str = "") -> str:
    return f"site_name: LeNet-5 manual\n{nav}{extra}plugins:\n  - odyssey:\n{options}"


# -- end to end -----------------------------------------------------------------------------------------------------
def test_strict_build_publishes_report_rules_and_agent_pages(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    docs_before = sorted(p.relative_to(site).as_posix() for p in (site / "docs").rglob("*"))
    completed, built = build(site, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "odyssey: 0 findings" in completed.stderr
    assert sorted(p.relative_to(site).as_posix() for p in (site / "docs").rglob("*")) == docs_before

    report = page(built, "validation/report")
    assert "Validation report" in report and "0 findings in 0 of 6 files checked" in report
    assert "Totals per check" in report and "No previous report to compare with." in report

    agents = page(built, "validation/agents")
    hierarchy = r'<div class="odyssey-agent-hierarchy"[^>]*>\s*<svg [^>]*role="img".*?</svg>'
    svg = re.search(hierarchy, agents, flags=re.DOTALL)
    assert svg is not None and "Agent delegation hierarchy" in svg.group()
    assert {'<a href="#orchestrator">', '<a href="#model-engineer">', '<a href="#data-engineer">'} <= set(
        re.findall(r'<a href="#[^"]+">', svg.group()))
    for name in ("orchestrator", "model-engineer", "data-engineer"):
        assert f'id="{name}"' in agents
    assert "Loads the datasets." in agents

    rules_index = page(built, "validation/rules")
    assert 'href="links/#lnk001-broken-link"' in rules_index
    links_rules = page(built, "validation/rules/links")
    assert 'id="lnk001-broken-link"' in links_rules and "What it does" in links_rules
    assert "Use instead" in page(built, "validation/rules/agent-graph")

    home = page(built, ".")
    for target in ("validation/report/", "validation/agents/", "validation/rules/", "validation/rules/links/"):
        assert f'href="{target}"' in home, f"{target} missing from the nav"
    assert ">Validation<" in home or "Validation\n" in home


@pytest.mark.parametrize(
    ("fail_on", "fails"),
    [("error", True), ("never", False)],
)
def test_an_error_finding_fails_the_strict_build_unless_fail_on_never(
    tmp_path: Path, fail_on: str, fails: bool
) -> None:
    mkdocs_yml = SITE["mkdocs.yml"].replace("  - odyssey\n", f"  - odyssey:\n      fail_on: {fail_on}\n")
    site = make_site(tmp_path, **BROKEN, **{"mkdocs.yml": mkdocs_yml})
    completed, built = build(site, tmp_path)
    output = completed.stdout + completed.stderr
    if fails:
        assert completed.returncode != 0
        assert f"WARNING -  odyssey: {FENCE_MESSAGE}" in output  # logged with its page
        assert f"WARNING -  odyssey: {README_MESSAGE}" in output  # logged after the build
        assert "Aborted with 2 warnings in strict mode!" in output
    else:
        assert completed.returncode == 0, output
        assert FENCE_MESSAGE not in output and README_MESSAGE not in output  # below fail_on: debug only
        assert "2 findings (2 errors, 0 warnings, 0 info; 0 at or above fail_on=never)" in output
    report = page(built, "validation/report")
    assert "link target &#39;CHANGES.md&#39; does not exist" in report or "link target 'CHANGES.md'" in report
    assert '<a href="../../guide/"><code>docs/guide.md:7:1</code></a>' in report  # linked to its page
    assert "<code>README.md:5:9</code>" in report  # outside the site, no forge URL: text


@pytest.mark.parametrize(("fail_on", "fails"), [("error", False), ("warning", True)])
def test_fail_on_warning_also_fails_on_warnings(tmp_path: Path, fail_on: str, fails: bool) -> None:
    orphan_agent = SITE["agents/engineers/data-engineer.md"].replace("receives_from: [orchestrator]\n", "")
    orchestrator = SITE["agents/orchestrator.md"].replace("[model-engineer, data-engineer]", "[model-engineer]")
    mkdocs_yml = with_plugin_options(f"      fail_on: {fail_on}\n")
    site = make_site(tmp_path, **{"agents/engineers/data-engineer.md": orphan_agent,
                                  "agents/orchestrator.md": orchestrator, "mkdocs.yml": mkdocs_yml})
    completed, _ = build(site, tmp_path)
    assert (completed.returncode != 0) is fails, completed.stderr
    line = "agents/engineers/data-engineer.md:2:1: AGT107 agent 'data-engineer' (level 1) cannot be reached"
    assert (f"WARNING -  odyssey: {line}" in completed.stderr) is fails


def test_pages_are_never_reported_as_omitted_from_the_nav(tmp_path: Path) -> None:
    """An explicit nav with omitted files as warnings: the plugin's own section keeps --strict green."""
    omitted_files_warn = "validation:\n  nav:\n    omitted_files: warn\n"
    mkdocs_yml = with_plugin_options("      nav_section: Checks\n", extra=omitted_files_warn)
    site = make_site(tmp_path, **{"mkdocs.yml": mkdocs_yml})
    completed, built = build(site, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "not included in the \"nav\"" not in completed.stderr
    home = page(built, ".")
    assert "Checks" in home and 'href="validation/report/"' in home


def test_a_site_may_list_the_generated_pages_in_its_own_nav(tmp_path: Path) -> None:
    nav = ("nav:\n  - Home: index.md\n  - Guide: guide.md\n  - Quality:\n      - validation/report.md\n"
           "      - Team: validation/agents.md\n      - validation/rules/index.md\n")
    site = make_site(tmp_path, **{"mkdocs.yml": with_plugin_options('      nav_section: ""\n', nav=nav)})
    completed, built = build(site, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "ORP002" not in completed.stderr  # nav entries naming generated pages are not "missing pages"
    home = page(built, ".")
    assert ">Quality<" in home and ">Team<" in home and ">Validation<" not in home
    assert (built / "validation" / "rules" / "links" / "index.html").is_file()  # built even when not listed


def test_without_a_nav_mkdocs_lists_the_generated_pages_itself(tmp_path: Path) -> None:
    site = make_site(tmp_path, **{"mkdocs.yml": "site_name: LeNet-5 manual\nplugins:\n  - odyssey\n"})
    completed, built = build(site, tmp_path)
    assert completed.returncode == 0, completed.stderr
    home = page(built, ".")
    assert 'href="validation/report/"' in home and 'href="validation/agents/"' in home


def test_entry_point_is_declared() -> None:
    if not plugin_declared():
        reason = "the mkdocs.plugins entry point 'odyssey' is not declared (pyproject.toml, then pip install -e .)"
        if os.environ.get("ODYSSEY_REQUIRE_ALL") == "1":  # CI installs the distribution: missing is a bug there
            pytest.fail(reason)
        pytest.skip(reason)
    (point,) = [ep for ep in entry_points(group="mkdocs.plugins") if ep.name == "odyssey"]
    assert point.value == ENTRY_POINT and point.load() is OdysseyPlugin


# -- the plugin class through mkdocs' API ---------------------------------------------------------------------------
def test_options_are_typed_and_validated() -> None:
    plugin = OdysseyPlugin()
    errors, warnings = plugin.load_config({})
    assert errors == [] and warnings == []
    assert (plugin.config.report_page, plugin.config.fail_on, plugin.config.rules_pages) == (
        "validation/report.md", "error", True)
    assert (plugin.config.agents_pages, plugin.config.nav_section) == (True, "Validation")
    for options, message in [
        ({"fail_on": "sometimes"}, "Expected one of: ('error', 'warning', 'never')"),
        ({"report_page": "../report.md"}, "must be a relative path inside the docs directory"),
        ({"agents_page": "validation/agents.html"}, "must be a Markdown page path ending in .md"),
        ({"rules_pages": "yes"}, "Expected type: <class 'bool'>"),
    ]:
        errors, _ = OdysseyPlugin().load_config(options)
        assert errors and message in str(errors[0][1]), errors


def plugin_for(site: Path, tmp_path: Path, **options: object) -> tuple[OdysseyPlugin, MkDocsConfig]:
    """The plugin class loaded with ``options`` beside the site's mkdocs config, as mkdocs would (without needing
    the entry point)."""
    config = load_config(str(site / "mkdocs.yml"), plugins=[], site_dir=str(tmp_path / "unused"))
    plugin = OdysseyPlugin()
    errors, warnings = plugin.load_config(options, config_file_path=str(site / "mkdocs.yml"))
    assert errors == [] and warnings == []
    config.plugins["odyssey"] = plugin  # registers its event handlers
    assert config.plugins.on_config(config) is config
    return plugin, config


def test_on_files_adds_virtual_pages_through_the_mkdocs_api(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    plugin, config = plugin_for(site, tmp_path)
    files = config.plugins.on_files(get_files(config), config=config)
    assert isinstance(files, Files)
    generated = {f.src_uri: f for f in files if f.generated_by is not None}
    assert {"validation/report.md", "validation/agents.md", "validation/rules/index.md",
            "validation/rules/links.md"} <= set(generated)
    assert set(generated) == generated_pages(DEFAULTS)  # what checks are told the plugin generates
    report = generated["validation/report.md"]
    assert report.content_string.startswith("# Validation report\n")
    assert report.inclusion is InclusionLevel.NOT_IN_NAV  # the plugin places them itself
    assert not (site / "docs" / "validation").exists()


def test_rule_and_agent_pages_can_be_switched_off(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    plugin, config = plugin_for(site, tmp_path, rules_pages=False, agents_pages=False, report_page="quality.md")
    files = config.plugins.on_files(get_files(config), config=config)
    assert [f.src_uri for f in files if f.generated_by is not None] == ["quality.md"]


def test_an_invalid_odyssey_configuration_stops_the_build_with_one_line(tmp_path: Path) -> None:
    site = make_site(tmp_path, **{"odyssey.toml": "selct = [\"LNK\"]\n"})
    plugin, config = plugin_for(site, tmp_path)
    with pytest.raises(PluginError, match=r"^odyssey: odyssey.toml:1: unknown key 'selct' .*did you mean 'select'"):
        config.plugins.on_files(get_files(config), config=config)


def test_plugin_options_are_read_from_mkdocs_yml_data() -> None:
    assert plugin_options({"plugins": ["search", "odyssey"]}) == DEFAULTS
    assert plugin_options({"plugins": ["search"]}) is None
    assert plugin_options({"plugins": [{"odyssey": {"enabled": False}}]}) is None
    options = plugin_options({"plugins": {"odyssey": {"report_page": "qa.md", "rules_pages": False}}})
    assert options is not None
    assert generated_pages(options, families=["links"]) == {"qa.md", "validation/agents.md"}
    options = plugin_options({"plugins": [{"odyssey": {"rules_dir": "rules/", "agents_pages": False}}]})
    assert options is not None
    assert generated_pages(options, families=["links", "agent_graph"]) == {
        "validation/report.md", "rules/index.md", "rules/links.md", "rules/agent-graph.md"
    }
