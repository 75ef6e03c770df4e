"""Path globs with gitignore-like meaning, matched against POSIX paths relative to the repository root.

``*`` stays inside one path component, ``**`` crosses directories, a pattern without ``/`` matches a file name at any
depth, and a pattern ending in ``/`` matches everything below that directory.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.rstrip("/")
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    regex = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            regex.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            regex.append(".*")
            i += 2
        elif body[i] == "*":
            regex.append("[^/]*")
            i += 1
        elif body[i] == "?":
            regex.append("[^/]")
            i += 1
        else:
            regex.append(re.escape(body[i]))
            i += 1
    core = "".join(regex)
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if directory else "(?:/.*)?"
    return re.compile(f"^{prefix}{core}{suffix}$")


def glob_match(path: str, pattern: str) -> bool:
    return compile_glob(pattern).match(path) is not None


def any_match(path: str, patterns: Iterable[str]) -> bool:
    return any(glob_match(path, pattern) for pattern in patterns)
