"""A cache of parsed documents, keyed by content, so unchanged files are not parsed again (as ruff and mypy do).

Parsing is most of a run's cost (about 0.85 ms per typical document; loading a cached one takes about 0.05 ms).
The key is a hash of the file's bytes and path; entries live under a fingerprint of the parser's own source and its
libraries' versions, so changing the parser invalidates everything at once.

The cache is kept in the user's cache directory (``$ODYSSEY_CACHE_DIR``, else ``$XDG_CACHE_HOME/odyssey``, else
``~/.cache/odyssey``), one subdirectory per repository, never inside the repository: entries are pickles, and a
pickle planted in a repository someone else wrote must never be loaded. Any problem with the cache (unwritable,
corrupt entry) silently falls back to parsing.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from odyssey.config import Config
from odyssey.document import Document

logger = logging.getLogger(__name__)

# The modules whose code decides what a parsed Document contains.
PARSER_MODULES = ("document.py", "markdown.py", "frontmatter.py", "htmlattrs.py", "slugs.py")
PARSER_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "PyYAML")


@functools.lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    digest = hashlib.blake2b(digest_size=10)
    here = Path(__file__).resolve().parent
    for name in PARSER_MODULES:
        digest.update((here / name).read_bytes())
    for library in PARSER_LIBRARIES:
        try:
            digest.update(metadata.version(library).encode())
        except metadata.PackageNotFoundError:
            digest.update(b"-")
    digest.update(sys.version.encode())
    return digest.hexdigest()


def cache_home() -> Path:
    explicit = os.environ.get("ODYSSEY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "odyssey"


class DocumentCache:
    """Parsed documents of one repository by content; ``get``/``put`` never raise."""

    def __init__(self, root: Path, home: Path | None = None) -> None:
        repository = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        self.base = (home or cache_home()) / repository
        self.directory = self.base / parser_fingerprint()
        self.hits = self.misses = 0
        self._ready = False

    @staticmethod
    def key(path: str, raw: bytes, max_size: int) -> str:
        digest = hashlib.blake2b(raw, digest_size=16)
        digest.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0" + str(max_size).encode())
        return digest.hexdigest()

    def get(self, key: str) -> Document | None:
        try:
            # os.path on strings: this runs once per document, and pathlib objects cost more than the open.
            with open(os.path.join(self.directory, key[:2], key), "rb") as handle:
                document = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
            self.misses += 1
            return None
        if not isinstance(document, Document):
            self.misses += 1
            return None
        self.hits += 1
        return document

    def put(self, key: str, document: Document) -> None:
        try:
            self._prepare()
            folder = self.directory / key[:2]
            folder.mkdir(exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                pickle.dump(document, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, folder / key)
        except (OSError, pickle.PicklingError, RecursionError) as exc:
            logger.debug("cache write failed: %s", exc)

    def _prepare(self) -> None:
        """Create the cache directory; drop entries of other parser versions (they can never be read again)."""
        if self._ready:
            return
        self._ready = True
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.base.iterdir():
            if stale.is_dir() and stale.name != self.directory.name:
                shutil.rmtree(stale, ignore_errors=True)

    def clear(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def cache_for(root: Path, config: Config, disabled: bool = False) -> DocumentCache | None:
    """The document cache a command run should use: None when turned off (``cache = false``, ``--no-cache``)."""
    return DocumentCache(root) if config.cache and not disabled else None
