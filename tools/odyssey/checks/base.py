"""What a check is: a family of rules that reads the Project and yields findings.

``DocumentCheck`` looks at one document at a time and runs on whatever files a run targets (pre-commit passes a few);
``ProjectCheck`` needs the whole repository (orphans, nav, the agent graph) and runs only on whole-repository runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from odyssey.document import Document
from odyssey.findings import Finding, Fix
from odyssey.project import Project
from odyssey.rules import Rule


class Check:
    family: ClassVar[str]
    summary: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]]

    def __init__(self, project: Project) -> None:
        self.project = project
        self.config = project.config

    def finding(
        self,
        rule: Rule,
        path: str,
        line: int,
        column: int,
        message: str,
        fix: Fix | None = None,
        end_line: int | None = None,
    ) -> Finding:
        return Finding(
            path=path,
            line=max(line, 1),
            column=max(column, 1),
            code=rule.code,
            message=message,
            check=self.family,
            severity=rule.severity,
            fix=fix,
            end_line=end_line,
        )


class DocumentCheck(Check):
    def check_document(self, document: Document) -> Iterable[Finding]:
        raise NotImplementedError


class ProjectCheck(Check):
    def check_project(self) -> Iterable[Finding]:
        raise NotImplementedError
