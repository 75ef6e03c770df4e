"""Every rule documents itself, and the README's rule table is the one `odyssey rules --format markdown` prints."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from odyssey.checks import all_checks, all_rules
from odyssey.cli import main
from odyssey.rules import CODE_PATTERN

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rule_has_documentation_headings(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule.missing_doc_headings() == []
    assert CODE_PATTERN.match(rule.code)
    assert rule.summary and not rule.summary.endswith(".")


def test_codes_and_names_are_unique_and_each_family_has_one_prefix() -> None:
    rules = all_rules()
    assert len({rule.code for rule in rules}) == len(rules)
    assert len({rule.name for rule in rules}) == len(rules)
    prefixes: dict[str, set[str]] = {}
    for rule in rules:
        prefixes.setdefault(rule.family, set()).add(rule.prefix)
    assert all(len(codes) == 1 for codes in prefixes.values()), prefixes


def test_every_check_declares_its_family_on_its_rules() -> None:
    for check in all_checks():
        assert check.rules, check
        assert {rule.family for rule in check.rules} == {check.family}, check


def rules_table() -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["rules", "--format", "markdown"]) == 0
    return out.getvalue().strip()


def test_readme_rule_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- rules:start -->\n(.*?)\n<!-- rules:end -->", text, re.DOTALL)
    assert match, "README.md lacks the <!-- rules:start --> ... <!-- rules:end --> table"
    assert match.group(1).strip() == rules_table(), "regenerate with: odyssey rules --format markdown"


def test_explain_one_rule_prints_its_doc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "LNK001"]) == 0
    out = capsys.readouterr().out
    assert "# LNK001 broken-link" in out and "## Why is this bad?" in out
