"""inputs (INP): files the parser could not read as intended — they are reported, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator

from odyssey.checks.base import DocumentCheck
from odyssey.document import Document
from odyssey.findings import Finding, Severity
from odyssey.rules import Rule

INP001 = Rule(
    code="INP001",
    name="undecodable-file",
    family="inputs",
    summary="Markdown file is binary or not valid UTF-8",
    doc="""
    ## What it does
    Reports a `.md` file that contains NUL bytes or is not valid UTF-8. The file is not checked further.

    ## Why is this bad?
    Renderers show such files as garbage or refuse them; links inside them can't be trusted. A binary blob with a
    Markdown name is usually a mistake (a renamed PDF, an agent writing bytes).

    ## Example
    A `notes/results.md` saved as UTF-16 or Latin-1.

    ## Use instead
    Re-save the file as UTF-8 (a byte-order mark is accepted), or give a binary file its real extension.
    """,
)
INP002 = Rule(
    code="INP002",
    name="invalid-frontmatter",
    family="inputs",
    summary="YAML frontmatter is invalid, unclosed, too large or an alias bomb",
    doc="""
    ## What it does
    Reports a frontmatter block (`---` ... `---` at the top of the file) that is not valid YAML, is never closed,
    is larger than 64 KiB, or expands to an enormous tree through YAML aliases.

    ## Why is this bad?
    Every tool that reads the frontmatter (mkdocs, agent loaders, `odyssey notes`) silently drops it or crashes.

    ## Example
    ```markdown
    ---
    name: reviewer
    tools: [Read, Grep
    ---
    ```

    ## Use instead
    ```markdown
    ---
    name: reviewer
    tools: [Read, Grep]
    ---
    ```
    """,
)
INP003 = Rule(
    code="INP003",
    name="frontmatter-not-mapping",
    family="inputs",
    summary="Frontmatter is a list or a scalar, not a mapping",
    doc="""
    ## What it does
    Reports frontmatter that parses as YAML but is a list or a single value instead of `key: value` pairs.

    ## Why is this bad?
    Frontmatter is metadata looked up by key; a list or a scalar carries no keys, so every consumer ignores it.

    ## Example
    ```markdown
    ---
    - reviewer
    - read-only
    ---
    ```

    ## Use instead
    ```markdown
    ---
    name: reviewer
    tags: [read-only]
    ---
    ```
    """,
)
INP004 = Rule(
    code="INP004",
    name="file-too-large",
    family="inputs",
    summary="Markdown file is over the size limit and is not checked",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Reports a Markdown file larger than `max-file-size` (default 4 MiB) and skips it.

    ## Why is this bad?
    Documentation that large is almost always generated output (logs, dumps) committed by mistake; parsing it would
    make every commit slow.

    ## Example
    A 50 MB `notes/training-log.md`.

    ## Use instead
    Keep generated output out of the repository, or exclude it (`exclude = ["notes/logs/**"]`), or raise
    `max-file-size`.

    ## Options
    - `max-file-size` (bytes)
    """,
)
INP005 = Rule(
    code="INP005",
    name="unreadable-file",
    family="inputs",
    summary="Markdown file cannot be read (symlink loop, symlink out of the repository, permissions)",
    doc="""
    ## What it does
    Reports a Markdown path that cannot be read: a symlink loop, a symlink that points outside the repository
    (never followed), or an I/O error.

    ## Why is this bad?
    The document exists for git but not for readers; a symlink out of the repository points at one machine's files.

    ## Example
    `docs/guide.md -> /home/alice/notes/guide.md`

    ## Use instead
    Commit the file itself, or a relative symlink to a file inside the repository.
    """,
)


class InputsCheck(DocumentCheck):
    family = "inputs"
    summary = "Files that cannot be read or parsed as intended"
    rules = (INP001, INP002, INP003, INP004, INP005)
    _by_code = {rule.code: rule for rule in rules}

    def check_document(self, document: Document) -> Iterator[Finding]:
        for problem in document.problems:
            rule = self._by_code.get(problem.code)
            if rule is not None:
                yield self.finding(rule, document.path, problem.line, problem.column, problem.message)


CHECKS = (InputsCheck,)
