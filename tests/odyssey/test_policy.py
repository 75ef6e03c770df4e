"""The policy layer: which findings a run keeps under select/ignore, per-file ignores and inline suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest

from odyssey.engine import run_checks
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import write_tree


def found(root: Path, selection: Selection | None = None) -> set[str]:
    result = run_checks(Project(root), None, selection or Selection())
    assert result.errors == []
    return {f"{f.path}:{f.line}: {f.code}" for f in result.findings if f.code.startswith(("LNK", "INP"))}


# -- select / ignore ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("select", "ignore", "enabled", "disabled"),
    [
        (("ALL",), (), ["LNK001", "INP002"], []),
        (("LNK",), (), ["LNK001", "LNK004"], ["INP001"]),
        (("LNK",), ("LNK002",), ["LNK001", "LNK003"], ["LNK002", "INP001"]),
        # The more specific selector wins, whichever list it is in.
        (("LNK002",), ("LNK",), ["LNK002"], ["LNK001"]),
        (("ALL",), ("LNK",), ["INP001"], ["LNK001"]),
        (("LNK001",), ("ALL",), ["LNK001"], ["LNK002", "INP001"]),
        (("LNK00",), ("LNK",), ["LNK001"], []),
        # A tie goes to ignore.
        (("LNK",), ("LNK",), [], ["LNK001"]),
        ((), (), [], ["LNK001"]),
    ],
)
def test_selection_most_specific_selector_wins(
    select: tuple[str, ...], ignore: tuple[str, ...], enabled: list[str], disabled: list[str]
) -> None:
    selection = Selection(select=select, ignore=ignore)
    assert [code for code in enabled if not selection.enabled(code)] == []
    assert [code for code in disabled if selection.enabled(code)] == []


# -- per-file ignores ---------------------------------------------------------------------------------------------
def test_per_file_ignores_by_glob_and_prefix(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {
        "odyssey.toml": '[per-file-ignores]\n"notes/archive/**" = ["LNK"]\n"CHANGELOG.md" = ["LNK001"]\n',
        "README.md": "# R\n\n[gone](docs/gone.md)\n",
        "CHANGELOG.md": "# Changes\n\n[old](docs/old.md) [out](../../x.md)\n",
        "notes/archive/2023/retro.md": "# Retro\n\n[gone](gone.md) [x]()\n",
        "notes/current.md": "# Current\n\n[gone](gone.md)\n",
    })
    assert found(repo) == {
        "README.md:3: LNK001",
        "CHANGELOG.md:3: LNK002",  # only LNK001 is ignored there
        "notes/current.md:3: LNK001",
    }


# -- inline suppressions ------------------------------------------------------------------------------------------
SUPPRESSIONS = """\
# Suppressions

<!-- odyssey: ignore LNK001 -->

[a](missing-a.md)
[b](missing-b.md)

[c](missing-c.md) <!-- odyssey: ignore LNK001 -->

[d](../../escape.md) <!-- odyssey: ignore LNK001 -->

<!-- odyssey: ignore -->
[e](../../escape.md) and [f](missing-f.md)

<!-- odyssey: ignore LNK -->
[g](missing-g.md) [h]()

<!-- odyssey: ignore LNK002, LNK004 -->
[i](missing-i.md) [j]()

```markdown
<!-- odyssey: ignore LNK001 -->
```
[k](missing-k.md)
"""


def test_inline_suppressions_on_their_own_line_and_at_line_end(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {"README.md": SUPPRESSIONS})
    assert found(repo) == {
        # own line: covers the next non-blank line (a), not the one after (b)
        "README.md:6: LNK001",
        # same line: only that code (d is LNK002)
        "README.md:10: LNK002",
        # codes as a comma list: LNK001 on line 19 is not covered
        "README.md:19: LNK001",
        # inside a code fence the comment is code, not a suppression
        "README.md:24: LNK001",
    }


def test_same_line_suppression_covers_its_line(tmp_path: Path) -> None:
    text = "# Notes\n\n- [c](missing-c.md) <!-- odyssey: ignore LNK001 -->\n- [d](../../out.md)\n"
    repo = write_tree(tmp_path, {"README.md": text})
    assert found(repo) == {"README.md:4: LNK002"}




@pytest.mark.parametrize(
    "text",
    [
        "# Notes\n\n[c](missing-c.md) <!-- odyssey: ignore LNK001 -->\n[d](missing-d.md)\n",
        "# Notes\n\n- [c](missing-c.md) <!-- odyssey: ignore LNK001 -->\n- [d](missing-d.md)\n",
    ],
    ids=["paragraph", "list"],
)
def test_same_line_suppression_does_not_reach_the_next_line(tmp_path: Path, text: str) -> None:
    repo = write_tree(tmp_path, {"README.md": text})
    assert found(repo) == {"README.md:4: LNK001"}




def test_ignore_file_with_codes_and_without(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {
        "docs/legacy.md": (
            "# Legacy\n\n<!-- odyssey: ignore-file LNK001 -->\n\nIntro.\n\n[a](gone.md) [b](../../out.md)\n"
        ),
        "docs/generated.md": "<!-- odyssey: ignore-file -->\n# Generated\n\nIntro.\n\n[a](gone.md) [b](../../out.md)\n",
        "docs/live.md": "# Live\n\n[a](gone.md)\n",
    })
    assert found(repo) == {"docs/legacy.md:7: LNK002", "docs/live.md:3: LNK001"}


def test_suppressions_apply_to_paths_runs_too(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {"README.md": SUPPRESSIONS})
    result = run_checks(Project(repo), ["README.md"], Selection(select=("LNK",)))
    assert {f.line for f in result.findings} == {6, 10, 19, 24}
