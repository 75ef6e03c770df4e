"""fences (FEN001, FEN002): what the reader sees after a broken fence, and that links after it are still checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from odyssey.findings import Finding
from odyssey.project import Project
from tests.odyssey.helpers import check_findings, located, make_repo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"


def findings(project: Project, select: str = "FEN") -> list[Finding]:
    return check_findings(project, select)


def test_links_after_a_misclosed_fence_are_checked_and_links_inside_are_not(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(FIXTURES / "FEN002", tree)
    (tree / "expected.txt").unlink()
    broken = findings(Project(tree), select="LNK001")
    # Every broken link written after a '```text' / '```python' close is reported (CommonMark would have swallowed
    # them as code); the one inside the fence (docs/training.md line 8, '../lenet5/model-source.md') is not.
    assert located(broken) == [
        "CLAUDE.md:15:53: LNK001",
        "docs/training.md:11:19: LNK001",
        "docs/training.md:11:69: LNK001",
        "docs/training.md:21:15: LNK001",
    ]
    assert all("model-source" not in finding.message for finding in broken)


def test_unclosed_fence_says_what_the_reader_sees(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"README.md": "# Setup\n\n```bash\npip install .\n\n## Usage\n\nRun it.\n"})
    (finding,) = findings(project)
    assert (finding.code, finding.line, finding.column, finding.end_line) == ("FEN001", 3, 1, 8)
    assert finding.message == (
        "code fence '```bash' opened on line 3 is never closed: everything after line 3 renders as code; "
        "add a closing '```' line where the code ends"
    )


@pytest.mark.parametrize(
    ("block", "hint"),
    [
        ("~~~python\nx = 1\n```\n", "line 3 ('```') cannot close it: the block was opened with '~~~'"),
        ("`````text\nx = 1\n```\n", "line 3 ('```') cannot close it: a closing fence must be at least as long"),
    ],
)
def test_unclosed_fence_names_the_line_that_cannot_close_it(tmp_path: Path, block: str, hint: str) -> None:
    project = make_repo(tmp_path, {"notes/debug.md": "# Debug\n" + block + "\nMore prose.\n"})
    (finding,) = findings(project)
    assert finding.code == "FEN001"
    assert hint.replace("line 3", "line 4") in finding.message


def test_unclosed_fence_in_a_list_item_swallows_only_the_item(tmp_path: Path) -> None:
    page = "# Testing\n\n- Fast tests:\n\n  ```bash\n  pytest -q\n- All tests: `pytest`\n"
    (finding,) = findings(make_repo(tmp_path, {"docs/testing.md": page}))
    assert (finding.line, finding.column) == (5, 3)
    assert "line 6 renders as code, up to the end of the list item or quote that holds it" in finding.message


def test_misclosed_fence_runs_to_the_next_bare_fence(tmp_path: Path) -> None:
    page = (
        "# Guide\n\n"            # 1-2
        "```python\n"            # 3
        "model = LeNet5()\n"     # 4
        "```python\n"            # 5: mis-closed
        "\n"
        "Prose with a [link](x.md).\n"  # 7
        "\n"
        "```bash\n"              # 9: read by CommonMark as code
        "ls\n"
        "```\n"                  # 11: the bare fence that really closes the block
    )
    (finding,) = findings(make_repo(tmp_path, {"docs/guide.md": page}))
    assert (finding.code, finding.line, finding.column) == ("FEN002", 5, 1)
    assert finding.message == (
        "closing fence '```python' carries an info string, so it does not close the code block opened on line 3: "
        "lines 5-10 render as code, up to the bare fence on line 11; replace it with a bare '```'"
    )


def test_misclosed_fences_after_frontmatter_keep_file_line_numbers(tmp_path: Path) -> None:
    page = "---\ntitle: Agent guide\n---\n# Guide\n\n```text\nmkdocs build\n```text\n\nThen [deploy](deploy.md).\n"
    raw = page.replace("\n", "\r\n").encode()
    (finding,) = findings(make_repo(tmp_path, {"CLAUDE.md": b"\xef\xbb\xbf" + raw}))
    assert (finding.code, finding.line) == ("FEN002", 8)
    assert "opened on line 6: line 8 and everything after it renders as code" in finding.message


def test_sound_fences_are_not_reported(tmp_path: Path) -> None:
    page = (
        "# Fences\n\n"
        "````markdown\n```python\nx = 1\n```python\n````\n\n"  # a longer outer fence: inner lines are content
        "~~~text\n```text\n~~~\n\n"                               # the other fence character never closes
        "```text\nlog\n  `````   \n\n"                            # longer and indented closes are fine
        "> ```bash\n> ls\n> ```\n\n"                              # inside a quote
        "```python\nlast = True\n```"                             # no newline at the end of the file
    )
    assert findings(make_repo(tmp_path, {"docs/fences.md": page})) == []


def test_unreadable_file_is_not_a_fence_problem(tmp_path: Path) -> None:
    assert findings(make_repo(tmp_path, {"notes/blob.md": b"\x00```\n"})) == []
