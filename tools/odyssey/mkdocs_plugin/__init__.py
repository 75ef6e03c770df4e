"""The ``odyssey`` mkdocs plugin: the validation report, rule documentation and agent catalog as generated pages,
and a build that fails on findings.

Use it in any repository's mkdocs.yml (the plugin is installed with odyssey; mkdocs finds it by its entry point)::

    plugins:
      - search
      - odyssey:
          report_page: validation/report.md   # the report (totals, trend, every finding)
          fail_on: error                      # error | warning | never: what `mkdocs build --strict` fails on
          rules_pages: true                   # one page per rule family + an index, under rules_dir
          rules_dir: validation/rules
          agents_pages: true                  # the agent catalog with the delegation hierarchy (inline SVG)
          agents_page: validation/agents.md
          config_reference_page: tooling/configuration-reference.md  # every config key from the JSON Schema
                                              # (default: unset, no such page)
          notes_pages: false                  # true: publish the notes directory (outside docs_dir) as pages
          notes_dir: notes                    # where in the site the notes go; the notes index is <notes_dir>/index.md
          nav_section: Validation             # "" to place the pages in your own nav instead
          notes_nav_section: Notes            # the section the notes go to; "" to place them yourself
          source_url: https://github.com/org/repo/blob/main/   # links to files outside the site (default:
                                                               # derived from repo_url + edit_uri)
          previous_report: reports/baseline.json               # optional: show the trend against this report
          root: .                             # the repository, relative to mkdocs.yml (default: its directory)

The pages are virtual (``File.generated``): nothing is written into ``docs/``, and they exist only in the built
site. How they become reachable:

- **No ``nav`` in mkdocs.yml**: mkdocs lists every page itself; the generated ones appear under their directory
  (``validation/`` → a "Validation" section).
- **An explicit ``nav`` (default behaviour)**: the plugin appends a top-level section titled ``nav_section``
  ("Validation") holding the report, the agent catalog, the configuration reference and a "Rules" subsection
  (index + one page per family), and a section ``notes_nav_section`` ("Notes") holding the notes index and every
  note. If the nav already has a top-level section with that title, the pages are added to it (and a "Rules"
  subsection it has receives the family pages); pages the nav already lists are left where they are. The pages are
  marked "not in nav" for mkdocs, so ``--strict`` never warns about them.
- **Listing them yourself**: set ``nav_section: ""`` and reference the generated paths in the nav like any page::

      nav:
        - Home: index.md
        - Validation:
            - validation/report.md
            - validation/agents.md
            - Rules:
                - validation/rules/index.md
                - validation/rules/links.md        # one page per family: <family with - for _>.md

  Family pages are named after the check families (``inputs``, ``placement``, ``naming``, ``links``, ``anchors``,
  ``fences``, ``orphans``, ``agents``, ``agent-graph``, and any added later); pages you do not list are still built
  and reachable from the rules index (mkdocs then lists them, at info level, as not in the nav).

The notes (``notes_pages: true``) are the files below the notes directory (``[notes] directory``, default
``notes/``), published under ``notes_dir``: the notes index (``README.md``) as ``<notes_dir>/index.md``, every other
file at its own path. Links in a note that the site cannot follow are rewritten: to a docs page, its place in the
site; to another repository file, the forge URL when one is known (``source_url``, or ``repo_url`` + ``edit_uri``),
else plain text (see ``notes_pages``). Hand-written pages link to generated pages by their docs-tree path
(``[report](../validation/report.md)``, ``[a note](../notes/decision-x.md)``); odyssey's checks learn those paths
from ``generated.generated_repo_paths``.

Findings are logged while the site builds: those of a page's own source file when that page is rendered, the rest
(README, agents, notes) after the build. With ``fail_on: error`` every error-severity finding is a warning line
``path:line:col: CODE message``, so ``mkdocs build --strict`` (or ``strict: true``) fails naming it.
"""

from __future__ import annotations
