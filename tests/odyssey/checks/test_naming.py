"""naming (NAM001-NAM004): one finding per name, fixes to conforming names, directories and case collisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from odyssey.config import ConfigError
from odyssey.engine import RunResult, run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import write_tree


def run(root: Path, select: tuple[str, ...] = ("NAM",), targets: list[str] | None = None) -> RunResult:
    result = run_checks(Project(root), targets, Selection(select=select))
    assert result.errors == []
    return result


def by_path(result: RunResult) -> dict[str, Finding]:
    found = {finding.path: finding for finding in result.findings}
    assert len(found) == len(result.findings), "at most one naming finding per path"
    return found


@pytest.mark.parametrize(
    ("name", "code", "destination"),
    [
        ("Setup Guide.md", "NAM002", "docs/setup-guide.md"),  # space (and capitals): NAM002 only
        ("Setup-Guide.md", "NAM003", "docs/setup-guide.md"),  # capitals only
        ("FAQ.MD", "NAM003", "docs/faq.md"),
        ("LeNet.md", "NAM003", "docs/lenet.md"),  # lower-casing is the least change, not le-net.md
        ("Setup_Guide.md", "NAM001", "docs/setup-guide.md"),  # capitals and underscores: NAM001 only
        ("setup_guide.md", "NAM001", "docs/setup-guide.md"),
        ("setup.guide.markdown", "NAM001", "docs/setup-guide.md"),
        ("ça-marche.md", "NAM001", "docs/ca-marche.md"),
    ],
)
def test_each_bad_name_gets_exactly_one_finding(tmp_path: Path, name: str, code: str, destination: str) -> None:
    write_tree(tmp_path, {f"docs/{name}": "# Page\n", "docs/index.md": "# Home\n"})
    found = by_path(run(tmp_path))
    assert list(found) == [f"docs/{name}"]
    finding = found[f"docs/{name}"]
    assert finding.code == code
    assert finding.fix is not None
    assert (finding.fix.kind, finding.fix.destination, finding.fix.safe) == ("move", destination, True)
    assert finding.message.endswith(f"rename it to {destination}")


def test_messages_say_what_is_wrong_and_the_new_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/Model_Overview.md": "#\n", "notes/Standup.md": "#\n", "lenet5/Training Log.md": "#\n",
                          "notes/日本語.md": "#\n"})
    messages = {f.path: f.message for f in run(tmp_path).findings}
    assert messages == {
        "docs/Model_Overview.md":
            "'Model_Overview.md' does not follow the kebab-case naming of docs/; rename it to docs/model-overview.md",
        "notes/Standup.md":
            "'Standup.md' has upper-case letters, which the kebab-case naming of notes/ forbids; "
            "rename it to notes/standup.md",
        "lenet5/Training Log.md": "'Training Log.md' has a space in its name; rename it to lenet5/Training-Log.md",
        "notes/日本語.md":
            "'日本語.md' does not follow the kebab-case naming of notes/, "
            "and no conforming name can be derived from it",
    }
    assert next(f for f in run(tmp_path).findings if f.path == "notes/日本語.md").fix is None


def test_taken_name_gets_a_numbered_unsafe_fix(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/model_overview.md": "# Old\n", "docs/model-overview.md": "# New\n"})
    finding = by_path(run(tmp_path))["docs/model_overview.md"]
    assert finding.fix is not None
    assert (finding.fix.destination, finding.fix.safe) == ("docs/model-overview-2.md", False)
    assert finding.message.endswith("rename it to docs/model-overview-2.md (docs/model-overview.md already exists)")


def test_allowed_names_patternless_directories_and_tool_directories_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "README.md": "#\n", "CONTRIBUTING.md": "#\n", "docs/README.md": "#\n", "docs/guides/index.md": "#\n",
        "lenet5/Design_Notes.md": "#\n", "tools/odyssey/README.md": "#\n", "docs/_snippets/links.md": "#\n",
        "docs/.drafts/x.md": "#\n", "docs/getting-started.md": "#\n",
    })
    assert run(tmp_path).findings == []


def test_snake_any_and_regex_patterns(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": '[tool.odyssey.naming]\npatterns = { wiki = "snake", scratch = "any", '
                          '"wiki/adr" = \'^\\d{4}-[a-z-]+\\.md$\' }\nallow = ["README.md", "HOME.md"]\n',
        "wiki/getting-started.md": "#\n", "wiki/data_pipeline.md": "#\n", "wiki/HOME.md": "#\n",
        "wiki/Data-Sets/list.md": "#\n",
        "scratch/Whatever_I-Like.MD": "#\n",
        "wiki/adr/0001-use-numpy.md": "#\n", "wiki/adr/0002_Keep_Torch.md": "#\n",
        "docs/Mixed_Case.md": "#\n",  # docs/ is no longer configured
    })
    found = {f.path: (f.code, f.fix.destination if f.fix else None) for f in run(tmp_path).findings}
    assert found == {
        "wiki/getting-started.md": ("NAM001", "wiki/getting_started.md"),
        "wiki/Data-Sets": ("NAM001", "wiki/data_sets"),
        "wiki/adr/0002_Keep_Torch.md": ("NAM001", "wiki/adr/0002-keep-torch.md"),
    }


def test_directories_are_reported_once_with_the_same_precedence(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "docs/Meeting Notes/a.md": "#\n", "docs/Meeting Notes/b.md": "#\n",
        "docs/Tutorials/intro.md": "#\n", "docs/Tutorials/Advanced/deep.md": "#\n",
        "docs/API_Reference/index.md": "#\n",
        "docs/Image Assets/logo.png": "PNG",  # no Markdown inside: not a documentation directory
    })
    found = {f.path: (f.code, f.fix.destination if f.fix else None) for f in run(tmp_path).findings}
    assert found == {
        "docs/Meeting Notes": ("NAM002", "docs/meeting-notes"),
        "docs/Tutorials": ("NAM003", "docs/tutorials"),
        "docs/Tutorials/Advanced": ("NAM003", "docs/Tutorials/advanced"),
        "docs/API_Reference": ("NAM001", "docs/api-reference"),
    }


def test_misplaced_documents_are_left_to_placement(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/SESSION_SUMMARY.md": "# Summary\n", "docs/Lab Log.md": "---\ntype: note\n---\n#\n"})
    assert run(tmp_path).findings == []
    codes = sorted(f.code for f in run(tmp_path, select=("PLC", "NAM")).findings)
    assert codes == ["PLC002", "PLC002"]


def test_case_collisions_report_everything_but_the_keeper(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "docs/guide.md": "# Guide\n", "docs/Guide.md": "# Guide (copy)\n", "docs/GUIDE.md": "# Guide (old)\n",
        "Docs/index.md": "#\n", "docs/index.md": "#\n", "Docs/Guide.md": "#\n",
        "assets/Logo.png": "PNG", "assets/logo.png": "PNG",
    })
    found = {f.path: f for f in run(tmp_path, select=("NAM004",)).findings}
    assert sorted(found) == ["Docs", "assets/Logo.png", "docs/GUIDE.md", "docs/Guide.md"]
    assert found["Docs"].fix is None and found["Docs"].message.endswith("merge it into 'docs/'")
    assert {found["docs/GUIDE.md"].fix.destination, found["docs/Guide.md"].fix.destination} == {  # type: ignore[union-attr]
        "docs/guide-2.md", "docs/guide-3.md"
    }
    assert not any(f.fix.safe for f in found.values() if f.fix)
    assert found["docs/Guide.md"].message.startswith("'docs/Guide.md' differs from 'docs/guide.md' only in letter case")
    # docs/Guide.md and docs/GUIDE.md get no NAM003 besides NAM004 (one finding for one cause); Docs/Guide.md
    # none either: patterns match directory prefixes exactly, and Docs/ is not docs/
    assert run(tmp_path, select=("NAM003",)).findings == []
    assert [f.path for f in run(tmp_path, select=("NAM003",), targets=["docs/guide.md"]).findings] == []


def test_targeted_run_checks_file_names_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/Meeting Notes/Agenda.md": "#\n", "docs/a.md": "#\n", "docs/A.md": "#\n"})
    result = run(tmp_path, targets=["docs/Meeting Notes/Agenda.md", "docs/A.md"])
    assert [(f.path, f.code) for f in result.findings] == [("docs/Meeting Notes/Agenda.md", "NAM003")]


def test_invalid_naming_regex_is_one_config_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"odyssey.toml": "[naming]\npatterns = { docs = '(' }\n", "docs/a.md": "#\n",
                         "docs/b.md": "#\n"})
    with pytest.raises(ConfigError, match=r"^odyssey.toml:2: naming pattern for 'docs' is not a valid regex"):
        Project(tmp_path)
