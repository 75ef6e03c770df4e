"""A progress bar for long report runs: tqdm on stderr when it is a terminal, nothing otherwise.

The engine has no progress hook, so the bar counts the documents of the whole-repository pass as ``run_checks``
iterates ``project.documents(...)``: that one call (the full Markdown list) is wrapped for the duration of the run;
other callers (checks reading a few documents) are left alone. After the document pass the bar says so while the
whole-repository checks (orphans, the agent graph) run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO

from tqdm import tqdm

from odyssey.document import Document
from odyssey.engine import RunResult, run_checks
from odyssey.policy import Selection
from odyssey.project import Project

logger = logging.getLogger(__name__)


def wants_progress(stream: TextIO | None) -> bool:
    """A bar only for a person watching: a terminal, never a pipe, a file or CI logs."""
    if stream is None:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or fake streams
        return False


def _counted(documents: Iterable[Document], bar: tqdm) -> Iterator[Document]:
    for document in documents:
        yield document
        bar.update(1)
    bar.set_description("whole-repository checks")
    bar.refresh()


def run_with_progress(
    project: Project, targets: Sequence[str] | None, selection: Selection, stream: TextIO | None
) -> RunResult:
    """``run_checks`` with a progress bar on ``stream`` when it is a terminal."""
    if not wants_progress(stream):
        return run_checks(project, targets, selection)
    whole = len(project.files.markdown) if targets is None else len(targets)
    bar = tqdm(total=whole, file=stream, desc="checking", unit="file", leave=False, dynamic_ncols=True)
    original = project.documents
    wrapped = False

    def documents(paths: Iterable[str] | None = None) -> Iterator[Document]:
        nonlocal wrapped
        wanted = list(project.files.markdown if paths is None else paths)
        if wrapped or len(wanted) != whole:
            return original(wanted)
        wrapped = True
        return _counted(original(wanted), bar)

    project.documents = documents  # type: ignore[method-assign]  # see the module docstring
    try:
        return run_checks(project, targets, selection)
    finally:
        del project.documents  # back to the class's method
        bar.close()
