"""``odyssey init``: write a commented starter configuration."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from odyssey.config import (
    DEFAULT_AGENT_EXCLUDE,
    DEFAULT_AGENT_PATHS,
    DEFAULT_ROOT_ALLOW,
    REPORT_NAME_REGEX,
    AgentsConfig,
    Config,
    ConfigError,
)

STARTER = '''\
# odyssey configuration. Every key is optional: the defaults below are what odyssey uses without this section.
# Rule codes and their documentation: `odyssey rules`.

# Globs (gitignore-like) never checked, on top of .gitignore.
exclude = []
# Rules to run: "ALL", a family prefix ("LNK"), or codes. `ignore` wins over `select` for equal specificity.
select = ["ALL"]
ignore = []
# docs-dir = "docs"               # mkdocs' docs_dir is used when mkdocs.yml exists
# mkdocs-config = "mkdocs.yml"
# max-file-size = 4194304         # bytes; larger Markdown files are reported (INP004) and skipped
# jobs = 0                        # parser processes for large repositories; 0 = one per CPU
# cache = true                     # reuse parsed documents of unchanged files (`check --no-cache`)

[{prefix}per-file-ignores]
# "notes/archive/**" = ["LNK", "ANC"]

[{prefix}placement]
# Markdown allowed at the repository root; any other root .md is misplaced (PLC001).
root-allow = {root_allow}
# Where a misplaced document of no declared kind belongs.
default-destination = "docs"

[{prefix}naming]
# Directory -> pattern for the Markdown file names under it: "kebab", "snake", "any", or a regex.
patterns = {{ docs = "kebab", notes = "kebab", agents = "kebab" }}
# Names that always pass.
allow = ["README.md", "index.md"]

# Kinds of document: recognized by frontmatter `type:`, path globs or a file-name regex; `dirs` are where they may
# live (the first is the suggested destination). Declaring any kind replaces the defaults, shown here.
[[{prefix}kinds]]
name = "agent"
type = "agent"
paths = {agent_paths}
exclude = {agent_exclude}
frontmatter-keys = ["name", "description", "tools"]
dirs = ["agents", ".claude/agents"]

[[{prefix}kinds]]
name = "note"
type = "note"
dirs = ["notes"]

[[{prefix}kinds]]
name = "report"
type = "report"
name-regex = '{report_regex}'
dirs = ["notes"]

[{prefix}links]
# Absolute path prefixes that are paths on somebody's machine, never repository paths (LNK003).
machine-path-prefixes = {machine_prefixes}

[{prefix}anchors]
# "auto": mkdocs anchors for pages under docs-dir when mkdocs.yml exists, GitHub anchors elsewhere.
slug-style = "auto"

[{prefix}orphans]
# Every document must be reachable by links from these (and from the mkdocs nav).
roots = {orphan_roots}
exempt = {orphan_exempt}

[{prefix}agents]
paths = {agent_paths}
# Files under those paths that are not agent definitions.
exclude = {agent_exclude}
# schema = "schemas/agent.schema.json"            # replaces the built-in Claude Code subagent schema
# schema-extension = "schemas/agent-extra.json"   # adds properties/required to it
delegation-headings = {delegation_headings}
allow-skip-level = true
require-symmetric = true
# known-tools = []                                  # tool names accepted on top of Claude Code's
[{prefix}notes]
# Structured notes: `odyssey notes new/supersede/archive/adopt/list/index` and the NTS rules.
# Directory of the notes, from the repository root (default: the first directory of the "note" kind).
# directory = "notes"
# The kinds a note's `kind:` may be, in the order the generated index lists them.
kinds = ["review", "decision", "analysis", "journal", "plan"]
# Kind -> subdirectory of the notes directory for new notes of that kind, e.g. {{ review = "reviews" }}.
kind-dirs = {{}}
# File name of the generated index inside the notes directory (`odyssey notes index`; NTS001 when out of date).
index = "README.md"
# Globs of Markdown files below the notes directory that are not notes (no frontmatter required, not indexed).
exclude = []
# Frontmatter keys notes may carry besides title, kind, status, created, updated, tags, related, superseded_by.
extra-keys = []
# Topical similarity (0-1) from which `odyssey notes new` says an existing note covers the new one.
duplicate-threshold = 0.4
[{prefix}stubs]
# More placeholder texts: regular expressions matched, case-insensitively, against a whole paragraph (STB001/STB002).
placeholders = []
# Headings that may have nothing under them (STB003).
allow-empty-headings = ["Unreleased"]

[{prefix}duplicates]
# Shingle Jaccard similarity (0-1) from which documents (DUP003) or sections (DUP004) are near duplicates.
threshold = 0.7
shingle-size = 5
# Shorter documents, sections and repeated passages are not compared.
min-words = 30
# TF-IDF cosine from which documents are about the same subject (DUP005, consolidation candidates), and how many
# times closer the group's members must be to each other than to any other document.
topical-threshold = 0.4
topical-margin = 1.5
# Repeated text in this many documents is boilerplate (DUP007); this many unfilled copies of one heading outline
# are a template scaffold (DUP006). Either is one finding, not a finding per pair.
boilerplate-min-files = 3
scaffold-min-files = 3
# Compare fenced code, frontmatter and license text too.
include-code = false
include-frontmatter = false
include-license = false
# Documents never compared (changelogs repeat release notes by design).
exclude = ["CHANGELOG*", "changelog*", "CHANGES*", "HISTORY*", "changelogs/", "changelog/"]

[{prefix}xref]
# TF-IDF cosine from which two documents should link each other (XRF001), or this many shared uncommon tags.
threshold = 0.3
min-shared-tags = 2
max-suggestions = 3
# `related:` must be mutual (XRF003), and which frontmatter keys list related documents.
reciprocal = true
related-keys = ["related"]
# Documents that get no XRF001 suggestion.
exclude = []

[{prefix}stale]
# Suffixes that make a slash-separated code span a repository path even when its first directory does not exist.
path-suffixes = [".py", ".md", ".markdown", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".sh", ".ipynb", ".rst", ".txt", ".json"]
# Globs of paths written in code spans that are never checked (generated output, files the reader creates).
ignore-paths = []
# Counts checked in prose (STL005): noun regex -> count = "agents" | "rules", or files = [globs] (+ exclude).
claims = [{{ noun = "(?:sub-?)?agents|agent (?:files|definitions)", count = "agents" }}]
claims-exclude = ["CHANGELOG.md", "**/CHANGELOG*.md", "HISTORY.md"]
# Git-aware mode (STL006, info): code a document references changed in commits after the document's last change.
git = false
git-max-commits = 500

[{prefix}tests]
paths = ["tests/**/test_*.py", "tests/**/*_test.py"]
exclude = []
# Called names (fnmatch, last component) that count as assertions.
assert-helpers = ["assert*", "check_*", "expect_*", "verify_*", "validate"]

[{prefix}accuracy]
# Seconds a runnable Python block (```python run, or <!-- odyssey: run --> before the fence) may take.
timeout = 30
run = true
# Program name -> "module:function" returning its argparse parser, on top of [project.scripts] with build_parser().
clis = {{}}
[{prefix}workflow]
# Phases and the evidence each asks for (plan, tests, implementation, package, docs, cleanup). Default:
# phases = [{{ name = "plan", evidence = ["plan"] }}, {{ name = "test", evidence = ["tests"], after = ["plan"] }},
#   {{ name = "implementation", evidence = ["implementation"], after = ["plan"] }},
#   {{ name = "package", evidence = ["package", "docs"], after = ["plan"] }},
#   {{ name = "cleanup", evidence = ["cleanup"], after = ["test", "implementation", "package"] }}]
# Components (default: every module of the repository's own packages):
# components = [{{ paths = ["mypackage/**/*.py"], exclude = [] }}]
plan-kind = "plan"
# The plan notes' key listing components (allow it with [notes] extra-keys = ["components"]).
plan-key = "components"
markers = ["TODO", "FIXME", "XXX"]
git = true
git-max-commits = 5000
agent-coverage = "auto"
# odyssey report --coverage: the command run under coverage run --branch; file: read by default when present.
coverage = {{ command = "python -m pytest -q -x", timeout = 3600, least-covered = 10 }}
'''


def starter_config(pyproject: bool) -> str:
    defaults = Config(root=Path("."))
    text = STARTER.format(
        prefix="tool.odyssey." if pyproject else "",
        root_allow=json.dumps(list(DEFAULT_ROOT_ALLOW)),
        agent_paths=json.dumps(list(DEFAULT_AGENT_PATHS)),
        agent_exclude=json.dumps(list(DEFAULT_AGENT_EXCLUDE)),
        report_regex=REPORT_NAME_REGEX,
        orphan_roots=json.dumps(list(defaults.orphan_roots)),
        orphan_exempt=json.dumps(list(defaults.orphan_exempt)),
        delegation_headings=json.dumps(list(AgentsConfig().delegation_headings)),
        machine_prefixes=json.dumps(list(defaults.machine_path_prefixes)),
    )
    if pyproject:
        return "[tool.odyssey]\n" + text
    return text


def write_starter_config(root: Path, force: bool = False) -> tuple[Path, str]:
    """Append ``[tool.odyssey]`` to pyproject.toml when there is one without it, else create odyssey.toml.

    An existing odyssey.toml wins over pyproject.toml (as in ``load_config``), so it is never bypassed.
    """
    pyproject = root / "pyproject.toml"
    target = root / "odyssey.toml"
    if pyproject.is_file() and not target.exists():
        existing = pyproject.read_text(encoding="utf-8")
        try:
            tool = tomllib.loads(existing).get("tool", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{pyproject.name}: invalid TOML: {exc}") from exc
        configured = isinstance(tool, dict) and "odyssey" in tool
        if configured:
            if not force:
                return pyproject, "exists"
            raise FileExistsError(f"{pyproject.name} already has [tool.odyssey]; edit it by hand")
        separator = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        pyproject.write_text(existing + separator + starter_config(pyproject=True), encoding="utf-8")
        return pyproject, "appended"
    if target.exists() and not force:
        return target, "exists"
    target.write_text(starter_config(pyproject=False), encoding="utf-8")
    return target, "written"
