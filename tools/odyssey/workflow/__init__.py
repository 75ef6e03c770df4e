"""The workflow a repository declares, and the evidence that its components went through it.

A repository declares its workflow in ``[tool.odyssey.workflow]``: the phases (default, the seed project's five:
plan, then test, implementation and package in parallel, then cleanup) and, per phase, the evidence kinds a component
must show. A component is a module the repository names by pattern. The modules:

- ``settings``: the table with its defaults; ``components``: which modules are components;
- ``plans``, ``exercised``, ``docs``, ``evidence``, ``history``: where each kind of evidence is found;
- ``evaluate``: every component's evidence per phase, computed once per Project (``evaluate_workflow``) and shared by
  the ``workflow`` check family (WFL) and the report's phase table;
- ``coverage_data``: line and branch coverage, measured by running the tests under coverage.py or read from a file;
- ``asserting``: which of a component's tests assert anything (the tests family's analysis);
- ``inputs``: what the report's phase and coverage sections read besides the run's findings.
"""

from __future__ import annotations
