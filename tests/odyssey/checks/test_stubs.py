"""stubs (STB001-STB003): placeholder documents, placeholder paragraphs and empty sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from odyssey.checks.stubs import normalize
from odyssey.config import ConfigError
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import located, make_repo


def stub_findings(project: Project, targets: list[str] | None = None) -> list[Finding]:
    result = run_checks(project, targets, Selection(select=("STB",)))
    assert result.errors == []
    return result.findings


@pytest.mark.parametrize("body", [
    "Content here.",
    "TODO",
    "**TBD**",
    "_Coming soon!_",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Add your description here.",
    "Documentation goes here",
    "[Placeholder]",
    "This page is under construction.",
    "This section is intentionally left blank.",
    "More details to follow.",
    "...",
    "To be written.",
])
def test_a_page_whose_only_text_is_a_placeholder_is_a_stub(tmp_path: Path, body: str) -> None:
    project = make_repo(tmp_path, {"docs/training.md": f"# Training guide\n\n{body}\n"})
    found = stub_findings(project)
    assert located(found) == ["docs/training.md:3:1: STB001"]
    assert found[0].message.startswith("document is a stub: its only text is placeholder")


@pytest.mark.parametrize("body", [
    "The TODO markers in `train.py` list what is missing.",
    "Set `--epochs` to 10; TBD values in the results table are runs still in progress.",
    "`TODO`",
    "Lorem ipsum is what the template used; this page replaced it with the real text.",
    "Click here to download the weights.",
    "- [a](a.md)\n- [b](b.md)",
    "| Optimizer | Accuracy |\n|---|---|\n| SGD | TBD |",
    "```python\n# TODO\n```",
    "    indented code",
])
def test_real_content_is_not_a_stub(tmp_path: Path, body: str) -> None:
    project = make_repo(tmp_path, {"docs/page.md": f"# Page\n\n{body}\n"})
    assert stub_findings(project) == []


def test_empty_title_only_and_frontmatter_only_documents(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "docs/empty.md": "",
        "docs/blank.md": "\n\n   \n",
        "docs/title.md": "# Evaluation\n",
        "docs/headings.md": "# Evaluation\n\n## Metrics\n\n## Plots\n",
        "docs/frontmatter.md": "---\ntitle: API\n---\n",
        "docs/commented.md": "# Results\n\n<!-- fill in after the run -->\n",
    })
    found = {f.path: f.message for f in stub_findings(project)}
    assert found == {
        "docs/empty.md": "document is empty",
        "docs/blank.md": "document is empty",
        "docs/title.md": "document is a stub: only a title, no content under 'Evaluation'",
        "docs/headings.md": "document is a stub: only headings, no content under 'Evaluation'",
        "docs/frontmatter.md": "document is a stub: only frontmatter, no content",
        "docs/commented.md": "document is a stub: only a title, no content under 'Results'",
    }


def test_a_stub_is_reported_once_not_section_by_section(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"docs/faq.md": "# FAQ\n\nTODO\n\n## Training\n\n## Data\n\nTBD\n"})
    assert located(stub_findings(project)) == ["docs/faq.md:3:1: STB001"]


def test_placeholder_paragraphs_in_a_real_document(tmp_path: Path) -> None:
    text = (
        "# Training\n\nRun `lenet5 train`.\n\n"
        "## Schedule\n\nTODO: explain the cosine schedule.\n\n"
        "## Plan\n\n- TODO: add the warm-up\n- [ ] TBD\n- TODO\n\n"
        "> FIXME\n"
    )
    found = stub_findings(make_repo(tmp_path, {"docs/training.md": text}))
    # A "TODO: ..." list item is a task; a bare "TODO" item is a placeholder all the same -- but it is in a list,
    # and lists are enumerations, so only the paragraph and the quote are reported.
    assert located(found) == ["docs/training.md:7:1: STB002", "docs/training.md:15:3: STB002"]
    assert found[0].message == "placeholder text instead of content: 'TODO: explain the cosine schedule.'"


def test_empty_sections_and_their_exceptions(tmp_path: Path) -> None:
    text = (
        "# Model\n\nIntro.\n\n"
        "## Layers\n\n### Convolution\n\nText.\n\n### Pooling\n\n"  # Layers: subsections only; Pooling: empty
        "Setext section\n--------------\n\n"  # empty, setext style
        "## Unreleased\n\n"
        "## Usage\n\n<details><summary>More</summary>Hidden.</details>\n"
    )
    found = stub_findings(make_repo(tmp_path, {"docs/model.md": text}))
    assert located(found) == ["docs/model.md:11:1: STB003", "docs/model.md:13:1: STB003"]
    assert found[0].message == "section 'Pooling' is empty: nothing under the heading"


def test_configuration_adds_placeholders_and_allowed_headings(tmp_path: Path) -> None:
    config = '[stubs]\nplaceholders = ["pending review"]\nallow-empty-headings = ["Appendix"]\n'
    project = make_repo(tmp_path, {
        "odyssey.toml": config,
        "docs/a.md": "# A\n\nPending review.\n",
        "docs/b.md": "# B\n\nText.\n\n## Appendix\n\n## Unreleased\n",
    })
    # The configured list replaces the default one for headings: "Unreleased" is no longer allowed.
    assert located(stub_findings(project)) == ["docs/a.md:3:1: STB001", "docs/b.md:7:1: STB003"]


def test_invalid_placeholder_regex_is_a_configuration_error(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"odyssey.toml": '[stubs]\nplaceholders = ["todo("]\n', "a.md": "# A\n"})
    with pytest.raises(ConfigError, match=r"odyssey.toml: \[stubs\] placeholders: 'todo\(' is not a valid"):
        stub_findings(project)


def test_runs_on_the_targeted_files_only(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"docs/a.md": "# A\n", "docs/b.md": "# B\n"})
    assert located(stub_findings(project, ["docs/b.md"])) == ["docs/b.md:1:1: STB001"]


def test_inline_suppression(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"docs/a.md": "<!-- odyssey: ignore-file STB001 -->\n# A\n"})
    assert stub_findings(project) == []


def test_normalize() -> None:
    assert normalize("  **Content   here.**  ") == "content here"
    assert normalize("[TBD]") == "tbd"
    assert normalize("...") == "..."
