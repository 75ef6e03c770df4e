"""When files first appeared: one ``git log`` over the history, newest first, keeping each path's oldest commit.

Dates are author dates in UTC. Renames are not followed (``--no-renames``): a moved module counts from the commit
that moved it, which can only make the workflow check more lenient about order, never stricter. Outside a git work
tree, or when git fails, there is no history and ``first_commit`` returns None for every path.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path

from odyssey.checks.stale import _git

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstCommit:
    hash: str
    when: datetime.datetime  # UTC

    @property
    def day(self) -> datetime.date:
        return self.when.date()


def read_first_commits(root: Path, max_commits: int) -> dict[str, FirstCommit] | None:
    """Repository-relative path -> the oldest of the last ``max_commits`` commits that touched it; None outside
    git."""
    log = _git(root, "log", f"--max-count={max_commits}", "--no-merges", "--no-renames", "--relative",
               "--name-only", "--format=%x1e%h%x1f%at")
    if log is None:
        return None
    first: dict[str, FirstCommit] = {}
    for chunk in log.split("\x1e")[1:]:
        header, _, body = chunk.partition("\n")
        short, _, stamp = header.partition("\x1f")
        try:
            when = datetime.datetime.fromtimestamp(int(stamp.strip()), datetime.UTC)
        except ValueError:
            continue
        commit = FirstCommit(short.strip(), when)
        for line in body.splitlines():
            if line.strip():
                first[line.strip()] = commit  # newest first: the last one seen is the oldest
    return first
