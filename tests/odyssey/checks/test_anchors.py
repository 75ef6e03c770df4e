"""anchors (ANC001, ANC002): which slug style applies where, the suggested fixes, and what is left to other checks."""

from __future__ import annotations

from pathlib import Path

from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import located, make_repo

MKDOCS_YML = "site_name: Manual\nmarkdown_extensions:\n  - toc\n  - attr_list\n"

TRAINING_PAGE = """\
# Training

## Preparing the environment {#setup}

## Usage

## Usage

## Learning rate schedule
"""


def anchor_findings(project: Project, targets: list[str] | None = None) -> list[Finding]:
    result = run_checks(project, targets, Selection(select=("ANC",)))
    assert result.errors == []
    return result.findings


def test_each_reader_meets_the_slugs_of_the_renderer_that_shows_the_target(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "mkdocs.yml": MKDOCS_YML,
        "docs/training.md": TRAINING_PAGE,
        # A docs page reads docs pages on the mkdocs site: '#usage_1' and '{#setup}' work, '#usage-1' does not.
        "docs/index.md": "# Manual\n\n[a](training.md#usage_1) [b](training.md#setup) [c](training.md#usage-1)\n",
        # README.md is read on GitHub, which shows docs/training.md itself: the other way round.
        "README.md": "# Project\n\n[a](docs/training.md#usage-1) [b](docs/training.md#usage_1)\n"
                     "[c](docs/training.md#preparing-the-environment-setup)\n",
    })
    findings = anchor_findings(project)
    assert located(findings) == ["README.md:3:31: ANC002", "docs/index.md:3:49: ANC002"]
    readme, index = findings
    assert readme.fix is not None and (readme.fix.old, readme.fix.new) == ("docs/training.md#usage_1",
                                                                           "docs/training.md#usage-1")
    assert index.fix is not None and (index.fix.old, index.fix.new) == ("training.md#usage-1", "training.md#usage_1")
    assert readme.fix.safe and index.fix.safe
    assert "mkdocs slug of the heading 'Usage' (line 7)" in readme.message


def test_slug_style_setting_overrides_auto(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "mkdocs.yml": MKDOCS_YML,
        "docs/training.md": TRAINING_PAGE,
        "docs/index.md": "# Manual\n\n[mkdocs](training.md#usage_1) and [github](training.md#usage-1)\n",
    }
    github = make_repo(tmp_path / "github", {**files, "odyssey.toml": '[anchors]\nslug-style = "github"\n'})
    either = make_repo(tmp_path / "any", {**files, "odyssey.toml": '[anchors]\nslug-style = "any"\n'})
    assert located(anchor_findings(github)) == ["docs/index.md:3:1: ANC002"]
    assert anchor_findings(either) == []


def test_fixes_case_only_and_close_spellings(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "README.md": "# Project\n\n## Installation\n\n## Results\n\n## Step 1\n\n## Step 2\n\n"
                     "[a](#Results) [b](#instalation) [c](#step-3) [d](#faq)\n",
    })
    case, spelling, ambiguous, unknown = anchor_findings(project)
    assert case.fix is not None and case.fix.new == "#results" and case.fix.safe
    assert "fragments are case-sensitive" in case.message
    assert spelling.fix is not None and spelling.fix.new == "#installation" and not spelling.fix.safe
    assert ambiguous.fix is None and "did you mean one of" in ambiguous.message
    assert "'#step-1'" in ambiguous.message and "'#step-2'" in ambiguous.message
    assert unknown.fix is None and "did you mean" not in unknown.message
    assert unknown.message == "anchor '#faq' matches no heading or id in this file (GitHub slugs)"


def test_github_ignores_attribute_lists_and_says_so(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "README.md": "# Project\n\n## Preparing the environment {#setup}\n\nSee [setup](#setup).\n",
    })
    (finding,) = anchor_findings(project)
    assert finding.code == "ANC001"
    assert finding.fix is not None and finding.fix.new == "#preparing-the-environment-setup"
    assert "GitHub ignores the '{#setup}' attribute" in finding.message


def test_valid_fragments_are_not_reported(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "README.md": (
            "# Project\n\n## Über uns\n\n## Example\n\n## Example\n\n## Example\n\n"
            '<a name="legacy"></a>\n<div id="results-table"></div>\n\n'
            "[a](#top) [b](#TOP) [c](#) [d](#%C3%BCber-uns) [e](#über-uns) [f](#example-2) [g](#legacy)\n"
            '<a href="#results-table">table</a> [h](notes/sweep.md#setup) [i](README.md#example-1)\n'
        ),
        "notes/sweep.md": "# Sweep\n\n## Setup\n",
    })
    assert anchor_findings(project) == []


def test_fragments_left_to_other_checks_or_not_checkable(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "README.md": (
            "# Project\n\n"
            "[model](lenet5/model.py#L10) [config](configs/train.yaml#optimizer) [missing](docs/gone.md#x)\n"
            "[dir](docs/#x) [web](https://example.com/page#nowhere) [machine](/home/alice/notes.md#x)\n"
            "[binary](notes/blob.md#x)\n"
        ),
        "lenet5/model.py": "x = 1\n",
        "configs/train.yaml": "optimizer: sgd\n",
        "docs/index.md": "# Docs\n",
        "notes/blob.md": b"\x00\x01binary",
    })
    assert anchor_findings(project) == []


def test_reference_definition_is_reported_once_not_at_each_use(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "README.md": "# Project\n\nSee [faq][faq], then [again][faq].\n\n[faq]: #frequently-asked-questions\n",
    })
    assert located(anchor_findings(project)) == ["README.md:5:1: ANC001"]


def test_links_inside_code_are_not_checked(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "README.md": "# Project\n\n```markdown\n[x](#nowhere)\n```\n\n`[y](#nowhere)`\n",
    })
    assert anchor_findings(project) == []


def test_targeted_run_parses_the_linked_file_on_demand(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "mkdocs.yml": MKDOCS_YML,
        "docs/training.md": TRAINING_PAGE,
        "docs/index.md": "# Manual\n\n[schedule](training.md#learning-rate-schedules)\n",
        "docs/other.md": "# Other\n\n[x](#nowhere)\n",
    })
    findings = anchor_findings(project, ["docs/index.md"])
    assert located(findings) == ["docs/index.md:3:1: ANC002"]
    assert findings[0].fix is not None and findings[0].fix.new == "training.md#learning-rate-schedule"


def test_inline_suppression_silences_a_finding(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "README.md": "# Project\n\n<!-- odyssey: ignore ANC001 -->\n[x](#generated-at-build-time)\n\n[y](#gone)\n",
    })
    assert located(anchor_findings(project)) == ["README.md:6:1: ANC001"]


def test_a_link_to_this_file_by_name_is_a_same_file_anchor(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"notes/sweep.md": "# Sweep\n\n## Results\n\n[r](sweep.md#result)\n"})
    (finding,) = anchor_findings(project)
    assert (finding.code, finding.line) == ("ANC001", 5)
    assert finding.fix is not None and (finding.fix.old, finding.fix.new) == ("sweep.md#result", "sweep.md#results")
