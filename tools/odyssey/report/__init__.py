"""``odyssey report``: every check's findings as one report, in Markdown (for the site), standalone HTML and JSON.

Layers, each usable alone:

- ``collect.build_report(project, run_result, selection, previous=...)`` → a ``model.Report``: the run's facts
  (findings, errors, ``Totals`` per severity / check / code) and its ``Section``s.
- ``sections``: one builder per section (summary, errors, trend, totals per check and per rule, worst files, every
  finding). A later section plugs in with ``register_section(id, builder, after=...)``; renderers need no change.
- ``trend``: loads a previous JSON report (validated against ``report.schema.json``) and compares by fingerprint
  (path + code + message, never the line).
- renderers: ``render_md.render_markdown``, ``render_html.render_html`` (one file, no network),
  ``render_json.render_json``. Links to files come from a ``LinkPolicy``: ``links.RelativeLinks`` for files written
  to disk (relative, or a forge base URL), the mkdocs plugin's own policy for the site.
- ``command``: the CLI subcommand; ``progress``: a tqdm bar on a terminal.
"""

from __future__ import annotations

from odyssey.report.collect import build_report
from odyssey.report.links import RelativeLinks
from odyssey.report.model import LinkPolicy, NoLinks, Report, Section, fingerprint
from odyssey.report.render_html import render_html
from odyssey.report.render_json import render_json
from odyssey.report.render_md import render_markdown
from odyssey.report.sections import SECTION_BUILDERS, ReportContext, register_section
from odyssey.report.trend import PreviousReportError, load_previous

__all__ = [
    "SECTION_BUILDERS",
    "LinkPolicy",
    "NoLinks",
    "PreviousReportError",
    "RelativeLinks",
    "Report",
    "ReportContext",
    "Section",
    "build_report",
    "fingerprint",
    "load_previous",
    "register_section",
    "render_html",
    "render_json",
    "render_markdown",
]
from odyssey.report import coverage, phases  # noqa: E402,F401  (importing registers their sections)
