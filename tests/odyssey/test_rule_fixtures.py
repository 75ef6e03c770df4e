"""One fixture tree per rule: tests/fixtures/rules/<CODE>/ holds a small repository and ``expected.txt``.

``expected.txt`` lists, one per line, the findings of that rule the tree must produce (``path:line:col: CODE``);
lines starting with ``#`` are comments. The run selects only that rule, so the list is exact: a missing finding or an
extra one fails. An optional ``odyssey.toml`` in the tree configures the run. An optional ``renames.txt`` (``stored -> path`` per line)
renames files after copying: a tree that must contain paths differing only in letter case stores them under safe
names, because committing them would break checkouts on case-insensitive file systems.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from odyssey.checks import all_rules
from odyssey.engine import run_checks
from odyssey.policy import Selection
from odyssey.project import Project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
RULE_CODES = sorted(rule.code for rule in all_rules())


def expected_findings(tree: Path) -> set[str]:
    lines = (tree / "expected.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def test_every_rule_has_a_fixture() -> None:
    missing = [code for code in RULE_CODES if not (FIXTURES / code / "expected.txt").is_file()]
    assert missing == []


@pytest.mark.parametrize("code", RULE_CODES)
def test_rule_fixture(code: str, tmp_path: Path) -> None:
    source = FIXTURES / code
    if not source.is_dir():
        pytest.fail(f"no fixture tree for {code} at {source}")
    tree = tmp_path / "repo"
    shutil.copytree(source, tree, symlinks=True)
    (tree / "expected.txt").unlink()
    renames = tree / "renames.txt"
    if renames.is_file():
        for line in renames.read_text(encoding="utf-8").splitlines():
            if "->" in line and not line.lstrip().startswith("#"):
                stored, path = (part.strip() for part in line.split("->", 1))
                (tree / path).parent.mkdir(parents=True, exist_ok=True)
                (tree / stored).rename(tree / path)
        renames.unlink()
    expected = expected_findings(source)
    assert expected, f"{code}: expected.txt must state at least one finding (a rule that cannot fail is a defect)"
    result = run_checks(Project(tree), None, Selection(select=(code,)))
    assert result.errors == []
    found = {f"{f.path}:{f.line}:{f.column}: {f.code}" for f in result.findings}
    assert found == expected
