"""links (LNK): every link a reader can follow lands on a file of this repository.

Targets are resolved against the repository's file index (so a link to a gitignored or untracked-and-ignored file
is broken, as it will be in a clean clone). External URLs are never fetched. Links inside code are not links.
"""

from __future__ import annotations

from collections.abc import Iterator

from odyssey.checks.base import DocumentCheck
from odyssey.document import Document
from odyssey.findings import Finding, Fix
from odyssey.resolve import likely_fix, resolve
from odyssey.rules import Rule

LNK001 = Rule(
    code="LNK001",
    name="broken-link",
    family="links",
    summary="Link target does not exist in the repository",
    doc="""
    ## What it does
    Checks every inline, reference-style, image and raw-HTML (`href`/`src`) link with a relative or root-absolute
    (`/docs/x.md`) target, and reports targets that are not a file or directory of the repository. When the repair
    is unambiguous it is named: the letter case differs, one `../` too many, a root-relative path written as
    file-relative, or the file exists at exactly one other path.

    ## Why is this bad?
    Readers (and agents following links for context) hit a 404. Files move; links to them rot silently.

    ## Example
    ```markdown
    <!-- in docs/guides/training.md -->
    See the [model](../../lenet5/model.md).
    ```

    ## Use instead
    ```markdown
    See the [model](../lenet5/model.md).
    ```

    ## Fix safety
    The suggested replacement is safe when one is given: it only changes the link target.
    """,
)
LNK002 = Rule(
    code="LNK002",
    name="link-escapes-repository",
    family="links",
    summary="Relative link climbs out of the repository",
    doc="""
    ## What it does
    Reports a relative link whose `../` chain leaves the repository root. The target is never followed.

    ## Why is this bad?
    It points at whatever happens to sit next to the clone on one machine; for everybody else it is broken.

    ## Example
    ```markdown
    <!-- in README.md -->
    [shared notes](../shared/notes.md)
    ```

    ## Use instead
    Commit what the link needs inside the repository, or link to its public URL.
    """,
)
LNK003 = Rule(
    code="LNK003",
    name="machine-path-link",
    family="links",
    summary="Link points at an absolute path on a machine (/home/..., C:\\..., file://)",
    doc="""
    ## What it does
    Reports links to absolute machine paths (`/home/alice/...`, `/Users/...`, `/tmp/...`, `C:\\...`, `~/...`) and
    `file://` URLs. They are never followed. A root-absolute path into a repository directory (`/docs/x.md`) is not
    a machine path.

    ## Why is this bad?
    The path exists only on the machine of whoever (or whichever agent) wrote it, and leaks its layout.

    ## Example
    ```markdown
    [results](/home/alice/ml-odyssey/notes/results.md)
    ```

    ## Use instead
    ```markdown
    [results](../notes/results.md)
    ```

    ## Options
    - `links.machine-path-prefixes`
    """,
)
LNK004 = Rule(
    code="LNK004",
    name="empty-link",
    family="links",
    summary="Link has an empty target",
    doc="""
    ## What it does
    Reports links whose target is empty, like `[text]()` or `<a href="">`.

    ## Why is this bad?
    It renders as a link that goes nowhere: a placeholder somebody meant to fill in.

    ## Example
    ```markdown
    See the [design notes]().
    ```

    ## Use instead
    ```markdown
    See the [design notes](../notes/design.md).
    ```
    """,
)


class LinksCheck(DocumentCheck):
    family = "links"
    summary = "Links that lead nowhere: missing targets, escapes from the repository, machine paths"
    rules = (LNK001, LNK002, LNK003, LNK004)

    def check_document(self, document: Document) -> Iterator[Finding]:
        files = self.project.files
        prefixes = self.config.machine_path_prefixes
        for link in document.links:
            if not link.checked_for_target:
                continue
            target = resolve(document.path, link.target, files, prefixes)
            where = (document.path, link.line, link.column)
            if target.status == "empty":
                yield self.finding(LNK004, *where, "link has an empty target")
            elif target.status == "escape":
                message = f"link '{link.target}' climbs out of the repository; not followed"
                fix = None
                inside = self.fewer_parent_steps(document.path, link.target)
                if inside is not None:
                    message += f"; did you mean '{inside}'? (one '../' too many)"
                    fix = Fix("replace-link", f"replace '{target.path_part}' with '{inside}'",
                              old=target.path_part, new=inside)
                yield self.finding(LNK002, *where, message, fix=fix)
            elif target.status == "machine":
                yield self.finding(LNK003, *where, f"link '{link.target}' is a path on one machine; not followed")
            elif target.status == "local" and target.path is not None and not files.exists(target.path):
                repair = likely_fix(document.path, target, files)
                message = f"link target '{target.path_part}' does not exist"
                fix = None
                if repair is not None:
                    new_path, reason = repair
                    message += f"; did you mean '{new_path}'? ({reason})"
                    fix = Fix("replace-link", f"replace '{target.path_part}' with '{new_path}'",
                              old=target.path_part, new=new_path)
                yield self.finding(LNK001, *where, message, fix=fix)


    def fewer_parent_steps(self, source: str, written: str) -> str | None:
        """The path part of ``written`` with one leading ``../`` dropped, when that lands on a repository file."""
        path_part = resolve(source, written, self.project.files, ()).path_part
        if not path_part.startswith("../"):
            return None
        shorter = resolve(source, path_part[3:], self.project.files, ())
        if shorter.status == "local" and shorter.path is not None and self.project.files.exists(shorter.path):
            return path_part[3:]
        return None


CHECKS = (LinksCheck,)
