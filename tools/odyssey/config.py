"""Configuration: ``[tool.odyssey]`` in pyproject.toml, or the same keys at the top level of odyssey.toml.

Every key has a default chosen to be useful with no configuration at all. The file is validated against
``schemas/config.schema.json``; an unknown key is a ConfigError with a did-you-mean, naming the file and line.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

logger = logging.getLogger(__name__)

CONFIG_FILES = ("odyssey.toml", "pyproject.toml")
NAMED_PATTERNS = ("kebab", "snake", "any")
# Check families that keep their own settings ship a schema fragment, schemas/sections/<section>.json, holding the
# JSON Schema of their [tool.odyssey.<section>] table; they read it raw with Config.extra_section(section).
SECTION_SCHEMAS_DIR = "schemas/sections"

DEFAULT_ROOT_ALLOW = (
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    "CODE_OF_CONDUCT.md",
    "SECURITY.md",
    "LICENSE*",
    "CLAUDE.md",
    "AGENTS.md",
)
DEFAULT_AGENT_PATHS = ("agents/**/*.md", ".claude/agents/**/*.md")
DEFAULT_AGENT_EXCLUDE = (
    "agents/README.md",
    "agents/index.md",
    "agents/guides/**",
    "agents/templates/**",
    "agents/docs/**",
    ".claude/agents/README.md",
)
# Screaming-case report files are what agents leave at the root: SESSION_SUMMARY.md, FINAL_REVIEW_REPORT.md, ...
REPORT_NAME_REGEX = (
    r"^[A-Z0-9_-]*(REPORT|SUMMARY|ANALYSIS|REVIEW|STATUS|PROGRESS|FINDINGS|RESULTS|AUDIT|RETROSPECTIVE|HANDOFF|"
    r"COMPLETE|COMPLETION|NOTES|PLAN|CHECKLIST|INVESTIGATION|LESSONS)[A-Z0-9_-]*\.md$"
)


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document the repository declares: how to recognize it and where it may live."""

    name: str
    dirs: tuple[str, ...]
    type: str | None = None
    paths: tuple[str, ...] = ()
    name_regex: str | None = None
    exclude: tuple[str, ...] = ()
    frontmatter_keys: tuple[str, ...] = ()  # all present -> this kind (agent definitions: name, description, tools)


DEFAULT_KINDS = (
    DocumentKind(name="agent", dirs=("agents", ".claude/agents"), type="agent", paths=DEFAULT_AGENT_PATHS,
                 exclude=DEFAULT_AGENT_EXCLUDE, frontmatter_keys=("name", "description", "tools")),
    DocumentKind(name="note", dirs=("notes",), type="note"),
    DocumentKind(name="report", dirs=("notes",), type="report", name_regex=REPORT_NAME_REGEX),
)


@dataclass(frozen=True)
class AgentsConfig:
    paths: tuple[str, ...] = DEFAULT_AGENT_PATHS
    exclude: tuple[str, ...] = DEFAULT_AGENT_EXCLUDE
    schema: str | None = None
    schema_extension: str | None = None
    delegation_headings: tuple[str, ...] = ("Delegates To", "Delegation", "Delegates to", "Delegates")
    allow_skip_level: bool = True
    require_symmetric: bool = True
    known_tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    root: Path
    source: Path | None = None
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    docs_dir: str = "docs"
    mkdocs_config: str = "mkdocs.yml"
    max_file_size: int = 4 * 1024 * 1024
    jobs: int = 0
    cache: bool = True
    root_allow: tuple[str, ...] = DEFAULT_ROOT_ALLOW
    default_destination: str = "docs"
    naming_patterns: tuple[tuple[str, str], ...] = (("docs", "kebab"), ("notes", "kebab"), ("agents", "kebab"))
    naming_allow: tuple[str, ...] = ("README.md", "index.md")
    kinds: tuple[DocumentKind, ...] = DEFAULT_KINDS
    machine_path_prefixes: tuple[str, ...] = (
        "/home/", "/Users/", "/root/", "/tmp/", "/var/", "/private/", "/mnt/", "/opt/", "/usr/", "/etc/", "/srv/",
        "/Volumes/", "/workspace/", "/work/", "~/", "file:",
    )
    slug_style: str = "auto"
    orphan_roots: tuple[str, ...] = ("README.md", "CLAUDE.md", "AGENTS.md", "CONTRIBUTING.md")
    orphan_exempt: tuple[str, ...] = ("CHANGELOG.md", "CODE_OF_CONDUCT.md", "SECURITY.md", "LICENSE*", ".github/**")
    agents: AgentsConfig = field(default_factory=AgentsConfig)
    extra: tuple[tuple[str, Any], ...] = ()

    def extra_section(self, name: str) -> dict[str, Any]:
        """Raw settings of a section owned by a later check family (validated by the schema)."""
        return dict(self.extra).get(name, {})


class ConfigError(Exception):
    """A configuration problem, already phrased as one line naming the file (and line where known)."""


@functools.lru_cache(maxsize=1)
def section_schemas() -> dict[str, dict[str, Any]]:
    """Section name -> JSON Schema of that section, from each family's fragment file."""
    sections: dict[str, dict[str, Any]] = {}
    directory = resources.files("odyssey").joinpath(SECTION_SCHEMAS_DIR)
    if directory.is_dir():
        for entry in sorted(directory.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json"):
                sections[entry.name.removesuffix(".json")] = json.loads(entry.read_text(encoding="utf-8"))
    return sections


@functools.lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    """The configuration schema, with every family's section schema merged in."""
    text = resources.files("odyssey").joinpath("schemas/config.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    for name, fragment in section_schemas().items():
        schema["properties"][name] = fragment
    return schema


def _line_of(text: str, key: str) -> int | None:
    """Best-effort line of ``key`` in a TOML file, for error messages only (tomllib keeps no positions)."""
    assignment = re.compile(rf'(?:^|[\s{{,])["\']?{re.escape(key)}["\']?\s*=')
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if assignment.search(stripped) or (stripped.startswith("[") and stripped.rstrip("]").endswith(key)):
            return number
    return None


def _where(source: Path, text: str, key: str | None) -> str:
    line = _line_of(text, key) if key else None
    return f"{source.name}:{line}" if line else source.name


def validate(data: dict[str, Any], source: Path, text: str) -> None:
    """Raise ConfigError for the first schema violation, phrased for a human."""
    schema = config_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if not errors:
        return
    error = errors[0]
    section = ".".join(str(p) for p in error.path)
    if error.validator == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in known]
        key = unknown[0] if unknown else "?"
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
        table = "tool.odyssey" if source.name == "pyproject.toml" else ""
        path = ".".join(part for part in (table, section) if part)
        where = f"[{path}]" if path else "the top level"
        raise ConfigError(f"{_where(source, text, key)}: unknown key '{key}' in {where}{hint}")
    key = str(error.path[-1]) if error.path else None
    raise ConfigError(f"{_where(source, text, key)}: '{section or '(root)'}': {error.message}")


def find_config_file(root: Path) -> tuple[Path, dict[str, Any], str] | None:
    """The first of odyssey.toml / pyproject.toml ([tool.odyssey]) under ``root`` that configures odyssey."""
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            document = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path.name}: cannot read: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: invalid TOML: {exc}") from exc
        if name == "odyssey.toml":
            return path, document, text
        section = document.get("tool", {}).get("odyssey")
        if section is not None:
            if not isinstance(section, dict):
                raise ConfigError(f"{_where(path, text, 'odyssey')}: [tool.odyssey] must be a table")
            return path, section, text
    return None


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if value is not None else ()


def _kinds(raw: list[dict[str, Any]]) -> tuple[DocumentKind, ...]:
    return tuple(
        DocumentKind(
            name=item["name"],
            dirs=tuple(d.strip("/") for d in item["dirs"]),
            type=item.get("type"),
            paths=_tuple(item.get("paths")),
            name_regex=item.get("name-regex"),
            exclude=_tuple(item.get("exclude")),
            frontmatter_keys=_tuple(item.get("frontmatter-keys")),
        )
        for item in raw
    )


def load_config(root: Path) -> Config:
    """Load and validate the configuration of the repository at ``root`` (defaults when there is none)."""
    found = find_config_file(root)
    if found is None:
        return Config(root=root)
    source, data, text = found
    validate(data, source, text)
    defaults = Config(root=root)
    placement = data.get("placement", {})
    naming = data.get("naming", {})
    agents = data.get("agents", {})
    default_agents = AgentsConfig()
    # Sections read by check families that keep their own settings (validated by the schema above).
    extra = tuple((key, value) for key, value in sorted(data.items()) if key in section_schemas())
    for item in data.get("kinds", []):
        try:
            re.compile(item.get("name-regex") or "")
        except re.error as exc:
            raise ConfigError(f"{_where(source, text, 'name-regex')}: invalid name-regex: {exc}") from exc
    for directory, pattern in naming.get("patterns", {}).items():
        if pattern not in NAMED_PATTERNS:
            try:
                re.compile(pattern)
            except re.error as exc:
                where = _where(source, text, directory)
                raise ConfigError(f"{where}: naming pattern for '{directory}' is not a valid regex: {exc}") from exc
    return Config(
        root=root,
        source=source,
        exclude=_tuple(data.get("exclude")),
        select=_tuple(data.get("select")) or defaults.select,
        ignore=_tuple(data.get("ignore")),
        per_file_ignores=tuple((glob, tuple(codes)) for glob, codes in data.get("per-file-ignores", {}).items()),
        docs_dir=data.get("docs-dir", defaults.docs_dir).strip("/"),
        mkdocs_config=data.get("mkdocs-config", defaults.mkdocs_config),
        max_file_size=data.get("max-file-size", defaults.max_file_size),
        jobs=data.get("jobs", defaults.jobs),
        cache=data.get("cache", defaults.cache),
        root_allow=_tuple(placement.get("root-allow")) or defaults.root_allow,
        default_destination=placement.get("default-destination", defaults.default_destination).strip("/"),
        naming_patterns=tuple((d.strip("/"), p) for d, p in naming["patterns"].items())
        if "patterns" in naming
        else defaults.naming_patterns,
        naming_allow=_tuple(naming.get("allow")) or defaults.naming_allow,
        kinds=_kinds(data["kinds"]) if "kinds" in data else defaults.kinds,
        machine_path_prefixes=_tuple(data.get("links", {}).get("machine-path-prefixes"))
        or defaults.machine_path_prefixes,
        slug_style=data.get("anchors", {}).get("slug-style", defaults.slug_style),
        orphan_roots=_tuple(data.get("orphans", {}).get("roots")) or defaults.orphan_roots,
        orphan_exempt=_tuple(data.get("orphans", {}).get("exempt")) or defaults.orphan_exempt,
        agents=AgentsConfig(
            paths=_tuple(agents.get("paths")) or default_agents.paths,
            exclude=_tuple(agents.get("exclude")) if "exclude" in agents else default_agents.exclude,
            schema=agents.get("schema"),
            schema_extension=agents.get("schema-extension"),
            delegation_headings=_tuple(agents.get("delegation-headings")) or default_agents.delegation_headings,
            allow_skip_level=agents.get("allow-skip-level", default_agents.allow_skip_level),
            require_symmetric=agents.get("require-symmetric", default_agents.require_symmetric),
            known_tools=_tuple(agents.get("known-tools")),
        ),
        extra=extra,
    )
