"""The check families. Each module holds one family: its rules (with their docs) and the check that yields them."""

from __future__ import annotations

import importlib

from odyssey.checks.base import Check
from odyssey.rules import Rule

# Order is the order of output sections in `odyssey rules`; add new families here.
FAMILY_MODULES = (
    "inputs",
    "placement",
    "naming",
    "links",
    "anchors",
    "fences",
    "orphans",
    "agents",
    "agent_graph",
    "notes",
    "stubs",
    "stale",
    "tests",
    "accuracy",
    "duplicates",
    "xref",
    "workflow",
)


def all_checks() -> list[type[Check]]:
    checks: list[type[Check]] = []
    for name in FAMILY_MODULES:
        checks.extend(importlib.import_module(f"odyssey.checks.{name}").CHECKS)
    return checks


def all_rules() -> list[Rule]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for check in all_checks():
        for rule in check.rules:
            if rule.code not in seen:
                seen.add(rule.code)
                rules.append(rule)
    return rules


def rule_by_code(code: str) -> Rule | None:
    return next((rule for rule in all_rules() if rule.code == code), None)
