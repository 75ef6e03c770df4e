"""Where a link points: resolution of link targets against the repository's file index (never the filesystem).

Shared by the links, anchors and orphans checks and by the fixer, so all of them agree on what a link means.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

from odyssey.discovery import FileIndex

# Names too common to say which file a broken link meant.
GENERIC_NAMES = frozenset({"readme.md", "index.md", "readme", "index.html", "license", "changelog.md"})
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_WINDOWS_DRIVE = re.compile(r"^[a-zA-Z]:[\\/]")


@dataclass(frozen=True)
class Target:
    """A resolved link target.

    status:
      ``local``      a repository path (``path``), relative or root-absolute as written
      ``same-file``  only a fragment (``#section``)
      ``external``   a URL with a scheme other than file:, or protocol-relative ``//host``
      ``escape``     a relative path that climbs out of the repository (never followed)
      ``machine``    an absolute path on somebody's machine, or a file: URL (never followed)
      ``empty``      nothing at all
    """

    status: str
    written: str
    path: str | None = None
    fragment: str | None = None
    root_absolute: bool = False

    @property
    def path_part(self) -> str:
        """The target as written, without fragment or query."""
        return re.split(r"[#?]", self.written, maxsplit=1)[0]


def _split(target: str) -> tuple[str, str | None]:
    path, _, fragment = target.partition("#")
    path = path.partition("?")[0]
    return path, (unquote(fragment) if "#" in target else None)


@functools.lru_cache(maxsize=8)
def _lowered(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(prefix.lower() for prefix in prefixes)


def is_machine_path(target: str, prefixes: tuple[str, ...], files: FileIndex) -> bool:
    if _WINDOWS_DRIVE.match(target) or target.startswith("\\\\"):
        return True
    lowered = target.lower()
    if not lowered.startswith(_lowered(prefixes)):
        return False
    for prefix in prefixes:
        if lowered.startswith(prefix.lower()):
            if prefix.startswith("/"):
                first = target.lstrip("/").split("/", 1)[0]
                if first and files.exists(first):
                    return False  # a root-absolute path into a repository directory of that name
            return True
    return False


@functools.lru_cache(maxsize=65536)
def _normalize(directory: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(directory, path)) if directory else posixpath.normpath(path)


def resolve(source: str, written: str, files: FileIndex, machine_prefixes: tuple[str, ...]) -> Target:
    """Resolve the link ``written`` in the file ``source`` (both repository-relative POSIX paths)."""
    target = written.strip()
    if not target:
        return Target("empty", written)
    if target.startswith("#"):
        return Target("same-file", written, path=source, fragment=unquote(target[1:]))
    if is_machine_path(target, machine_prefixes, files):
        return Target("machine", written)
    if target.startswith("//") or _SCHEME.match(target):
        return Target("external", written)
    raw_path, fragment = _split(target)
    path = unquote(raw_path)
    if not path:
        return Target("same-file", written, path=source, fragment=fragment)
    if path.startswith("/"):
        normalized = posixpath.normpath(path.lstrip("/")) if path.strip("/") else ""
        normalized = files.aliases.get(normalized, normalized)
        return Target("local", written, path="" if normalized == "." else normalized, fragment=fragment,
                      root_absolute=True)
    normalized = _normalize(posixpath.dirname(source), path)
    if normalized == ".." or normalized.startswith("../"):
        return Target("escape", written, fragment=fragment)
    normalized = files.aliases.get(normalized, normalized)  # a site page that publishes a repository file
    return Target("local", written, path="" if normalized == "." else normalized, fragment=fragment)


def relative_link(source: str, destination: str) -> str:
    """The relative link from the file ``source`` to the repository path ``destination``."""
    return posixpath.relpath(destination, posixpath.dirname(source) or ".")


def likely_fix(source: str, target: Target, files: FileIndex) -> tuple[str, str] | None:
    """An unambiguous repair for a broken local link: (new path as it should be written, why), or None.

    Tried in order: wrong letter case; one ``../`` too many; a root-relative path written as file-relative;
    the file name exists at exactly one path in the repository.
    """
    assert target.path is not None
    written = target.path_part
    same_letters = files.by_lower_path.get(target.path.lower(), ())
    if len(same_letters) == 1:
        match = same_letters[0]
        return relative_link(source, match), "letter case differs"
    if written.startswith("../"):
        shorter = _normalize(posixpath.dirname(source), written[3:])
        if not shorter.startswith("..") and files.exists(shorter):
            return written[3:], "one '../' too many"
    if not written.startswith(("../", "./", "/")):
        from_root = posixpath.normpath(unquote(written))
        if files.exists(from_root) and posixpath.dirname(source):
            return relative_link(source, from_root), "the path is relative to the repository root, not to this file"
    name = posixpath.basename(target.path)
    if name.lower() in GENERIC_NAMES:
        return None
    candidates = [p for p in files.by_name.get(name, ()) if p != source]
    if len(candidates) == 1:
        return relative_link(source, candidates[0]), f"{name} exists at {candidates[0]}"
    return None
