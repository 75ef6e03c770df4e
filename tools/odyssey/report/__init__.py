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

# Nothing is imported here: `odyssey --help` builds the report command's parser through this package, and the report
# machinery pulls in every check (numpy and scipy among them). Import the submodules you need.
