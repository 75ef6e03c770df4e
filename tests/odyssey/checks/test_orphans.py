"""orphans (ORP001-ORP004): nav and link reachability in the three mkdocs situations, configuration, messages."""

from __future__ import annotations

from pathlib import Path


from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import located, make_repo


def orphan_findings(project: Project) -> list[Finding]:
    result = run_checks(project, None, Selection(select=("ORP",)))
    assert result.errors == []
    return result.findings


DOCS = {
    "README.md": "# Project\n\nSee [the docs](docs/index.md).\n",
    "docs/index.md": "# Manual\n\n[Training](guides/training.md)\n",
    "docs/guides/training.md": "# Training\n",
    "docs/guides/unlinked.md": "# Unlinked\n",
    "notes/idea.md": "# Idea\n",
}


def test_without_mkdocs_the_docs_directory_is_ordinary_documents(tmp_path: Path) -> None:
    found = orphan_findings(make_repo(tmp_path, DOCS))
    assert located(found) == ["docs/guides/unlinked.md:1:1: ORP003", "notes/idea.md:1:1: ORP003"]


def test_mkdocs_without_nav_lists_every_page_itself(tmp_path: Path) -> None:
    found = orphan_findings(make_repo(tmp_path, {**DOCS, "mkdocs.yml": "site_name: Manual\n"}))
    assert located(found) == ["notes/idea.md:1:1: ORP003"]


def test_mkdocs_nav_pages_are_roots_and_site_pages_need_the_nav(tmp_path: Path) -> None:
    files = {
        **DOCS,
        "mkdocs.yml": "site_name: Manual\nnav:\n  - Training: guides/training.md\n",
        "docs/guides/training.md": "# Training\n\nLab notes: [idea](../../notes/idea.md).\n",
    }
    found = orphan_findings(make_repo(tmp_path, files))
    # index.md is the site's home page, reachable without a nav entry; notes/idea.md is reached from a nav page.
    assert located(found) == ["docs/guides/unlinked.md:1:1: ORP001"]
    assert found[0].message == (
        "docs/guides/unlinked.md is not in the nav of mkdocs.yml, and no page reachable from the nav links to it; "
        "link it from docs/index.md or add it to the nav"
    )


def test_invalid_mkdocs_config_is_one_finding_and_no_guessing(tmp_path: Path) -> None:
    files = {**DOCS, "mkdocs.yml": "site_name: Manual\nnav:\n  - Home: index.md\n - Broken: x.md\n"}
    found = orphan_findings(make_repo(tmp_path, files))
    assert located(found) == ["mkdocs.yml:4:1: ORP004", "notes/idea.md:1:1: ORP003"]
    assert found[0].message.startswith("mkdocs.yml cannot be read: invalid YAML")


def test_mkdocs_config_that_is_not_a_mapping(tmp_path: Path) -> None:
    found = orphan_findings(make_repo(tmp_path, {**DOCS, "mkdocs.yml": "- just\n- a list\n"}))
    assert located(found)[0] == "mkdocs.yml:1:1: ORP004"


def test_nav_entries_are_checked_with_their_lines(tmp_path: Path) -> None:
    files = {
        **DOCS,
        "mkdocs.yml": (
            "site_name: Manual\n"
            "nav:\n"
            "  - Home: index.md\n"
            "  - Guides:\n"
            "      - guides/Training.md\n"
            "      - Old: guides/old.md\n"
            "  - GitHub: https://github.com/example/project\n"
            "  - Blog: /blog/\n"
        ),
    }
    found = [f for f in orphan_findings(make_repo(tmp_path, files)) if f.code == "ORP002"]
    assert located(found) == ["mkdocs.yml:5:9: ORP002", "mkdocs.yml:6:14: ORP002"]
    assert found[0].message == (
        "nav entry names 'guides/Training.md', but docs/guides/Training.md does not exist; "
        "did you mean 'guides/training.md'?"
    )
    assert found[1].message == "nav entry 'Old' names 'guides/old.md', but docs/guides/old.md does not exist"


def test_roots_and_exemptions_are_configurable(tmp_path: Path) -> None:
    files = {
        "README.md": "# Project\n",
        "handbook/start.md": "# Start\n\n[next](next.md)\n",
        "handbook/next.md": "# Next\n",
        "handbook/archive/old.md": "# Old\n",
        "scratch/tmp.md": "# Scratch\n",
        "odyssey.toml": '[orphans]\nroots = ["handbook/start.md"]\nexempt = ["handbook/archive/**"]\n',
    }
    found = orphan_findings(make_repo(tmp_path, files))
    # README.md is no longer a root (roots replace the default), the archive is exempt.
    assert located(found) == ["README.md:1:1: ORP003", "scratch/tmp.md:1:1: ORP003"]


def test_agent_definitions_are_left_to_the_agent_graph_check(tmp_path: Path) -> None:
    files = {
        "README.md": "# Project\n",
        "agents/trainer.md": "---\nname: trainer\n---\n# Trainer\n",
        ".claude/agents/reviewer.md": "---\nname: reviewer\n---\n# Reviewer\n",
        "agents/README.md": "# Agents\n",
    }
    assert located(orphan_findings(make_repo(tmp_path, files))) == ["agents/README.md:1:1: ORP003"]


def test_messages_name_who_links_and_who_could(tmp_path: Path) -> None:
    files = {
        "README.md": "# Project\n\n[notes](notes/README.md)\n",
        "notes/README.md": "# Notes\n",
        "notes/2024-06-study.md": "# Study\n",
        "notes/drafts/a.md": "# A\n\n[b](b.md) [c](c.md)\n",
        "notes/drafts/b.md": "# B\n\n[a](a.md)\n",
        "notes/drafts/c.md": "# C\n",
    }
    found = {f.path: f.message for f in orphan_findings(make_repo(tmp_path, files))}
    assert found["notes/2024-06-study.md"].endswith("; link it from notes/README.md")
    assert found["notes/drafts/a.md"].endswith("; linked only from notes/drafts/b.md (unreached)")
    assert found["notes/drafts/c.md"].endswith("; linked only from notes/drafts/a.md (unreached)")
    assert set(found) == {"notes/2024-06-study.md", "notes/drafts/a.md", "notes/drafts/b.md", "notes/drafts/c.md"}


def test_site_pages_linked_only_from_outside_the_site(tmp_path: Path) -> None:
    files = {
        "README.md": "# Project\n\n[research](docs/research.md)\n",
        "mkdocs.yml": "site_name: Manual\nnav:\n  - Home: index.md\n",
        "docs/index.md": "# Manual\n",
        "docs/research.md": "# Research\n",
    }
    (finding,) = orphan_findings(make_repo(tmp_path, files))
    assert finding.code == "ORP001"
    assert "linked only from README.md (outside the site)" in finding.message


def test_targeted_runs_skip_whole_repository_checks(tmp_path: Path) -> None:
    project = make_repo(tmp_path, DOCS)
    result = run_checks(project, ["notes/idea.md"], Selection(select=("ORP",)))
    assert result.findings == [] and result.errors == []


def test_site_pages_are_told_to_link_from_site_pages_only(tmp_path: Path) -> None:
    files = {
        "README.md": "# Project\n",
        "mkdocs.yml": "site_name: Manual\nnav:\n  - Start: start.md\n",
        "docs/start.md": "# Start\n",
        "docs/extra.md": "# Extra\n",
        "notes/stray.md": "# Stray\n",
    }
    found = {f.path: f.message for f in orphan_findings(make_repo(tmp_path, files))}
    # No docs/index.md: the root README is no place for a site page's link.
    assert found["docs/extra.md"].endswith("; add it to the nav in mkdocs.yml")
    assert found["notes/stray.md"] == (
        "notes/stray.md is not reachable by links from any root document (README.md, CLAUDE.md, AGENTS.md, "
        "CONTRIBUTING.md or a page of the mkdocs nav); link it from README.md"
    )


def test_a_large_nav_without_aliases_is_read(tmp_path: Path) -> None:
    pages = [f"guides/page-{number}.md" for number in range(4000)]
    nav = "".join(f"  - Page {number}: {page}\n" for number, page in enumerate(pages))
    files = {"mkdocs.yml": f"site_name: Manual\nnav:\n{nav}", **{f"docs/{page}": "# Page\n" for page in pages}}
    project = make_repo(tmp_path, files)
    assert project.mkdocs is not None and project.mkdocs.problem is None
    assert project.mkdocs.nav is not None and len(project.mkdocs.nav) == 4000
