"""Links from a report written to disk to the repository files its findings name.

Without a base URL a link is relative from the directory the report is written to, so it works when the report is
opened next to the repository (a browser on the HTML, a Markdown viewer, a forge rendering the committed file). With
``base_url`` (e.g. ``https://github.com/org/repo/blob/main/``) links go to the forge's file view at the line
(``#L12``, understood by GitHub, GitLab, Gitea and Forgejo).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)


def url_path(path: str) -> str:
    """A POSIX path as a URL path: spaces, ``#``, ``%``, parentheses and undecodable bytes percent-encoded."""
    return quote(path, safe="/", errors="surrogateescape")


class RelativeLinks:
    """Links for a report file in ``out_dir`` about the repository at ``root``."""

    def __init__(self, root: Path, out_dir: Path, base_url: str | None = None) -> None:
        self.root = root.resolve()
        self.out_dir = out_dir.resolve()
        self.base_url = base_url.rstrip("/") + "/" if base_url else None

    def source(self, path: str, line: int) -> str | None:
        if self.base_url is not None:
            fragment = f"#L{line}" if line >= 1 else ""
            return f"{self.base_url}{url_path(path)}{fragment}"
        try:
            relative = os.path.relpath(self.root / path, self.out_dir)
        except ValueError:  # another drive (Windows): only an absolute file URL can reach it
            return (self.root / path).as_uri()
        return url_path(Path(relative).as_posix())

    def rule(self, code: str) -> str | None:
        return None
