"""mkdocs hook: LeNet-5 results in the pages, from the committed artifacts in ``benchmarks/results/``.

Listed in mkdocs.yml under ``hooks:``. It replaces each ``<!-- results: ... -->`` marker of a page with the Markdown
``lenet5.site`` renders from the run artifacts (per-epoch and per-seed tables, the median, the plots, the speed and
memory figures; the marker list is in that module's doc), and adds the artifacts' PNGs to the site as generated files
under ``assets/lenet5-results/``: nothing is copied into ``docs/``. An unknown marker or an unreadable artifact is
logged as a warning, so the strict build fails naming the page and the file.

A hook rather than a second entry of the ``odyssey`` plugin: that plugin is a reusable documentation linter that
other repositories install, and the LeNet-5 results belong to this repository alone; a hook file needs no entry point
and keeps ``odyssey`` free of any dependency on ``lenet5``.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from lenet5.site import RESULTS_DIR, Results, expand_markers

log = get_plugin_logger("lenet5_results")

IMAGES_DIR = "assets/lenet5-results"  # where the PNGs go in the site
_state: dict[str, Results] = {}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path or ".").resolve().parent
    _state["results"] = Results(root / RESULTS_DIR)  # a fresh cache each build (mkdocs serve rebuilds)
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    results = _state["results"]
    if not results.directory.is_dir():
        log.info(f"{RESULTS_DIR}/ does not exist: every results marker will say 'not measured yet'")
        return files
    for image in sorted(results.directory.glob("*.png")):
        src_uri = f"{IMAGES_DIR}/{image.name}"
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, src_uri, abs_src_path=str(image)))
    return files


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    if "results:" not in markdown:
        return markdown
    page_dir = posixpath.dirname(page.file.src_uri)

    def image_href(name: str) -> str:
        return posixpath.relpath(f"{IMAGES_DIR}/{name}", page_dir or ".")

    expansion = expand_markers(markdown, _state["results"], image_href)
    for problem in expansion.problems:
        log.warning(f"{page.file.src_uri}: {problem}")
    return expansion.markdown
