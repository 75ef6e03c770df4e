"""agents (AGT0xx): every agent definition's frontmatter is one Claude Code can load.

The frontmatter is validated against a JSON Schema (Draft 2020-12): the one shipped in ``odyssey/schemas/
agent.schema.json`` (Claude Code's subagent keys plus ``level``, ``delegates_to``, ``receives_from``), extended by
``[agents] schema-extension`` (its ``properties``, ``required`` and ``$defs`` are merged in) or replaced by
``[agents] schema``. A schema file that is missing or invalid stops the run with a ConfigError naming the file.

Schema errors are sorted into rules by kind (missing key, unknown key, bad value) and point at the offending key's
line. Two checks are not expressible in a schema and are rules of their own: ``name`` must equal the file stem, and
every tool must be one Claude Code knows (an MCP tool ``mcp__server__tool``, or a name in ``[agents] known-tools``).
Which files are agents is ``Project.is_agent_file``; agent-like files elsewhere are the placement check's business.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema

from odyssey.agents_model import key_position, parse_tool, tool_entries, value_position
from odyssey.checks.base import DocumentCheck
from odyssey.config import Config, ConfigError
from odyssey.document import Document
from odyssey.findings import Finding
from odyssey.project import Project
from odyssey.rules import Rule
from odyssey.suggest import did_you_mean, shown

logger = logging.getLogger(__name__)

AGENT_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MCP_TOOL = re.compile(r"^mcp__[A-Za-z0-9_.-]+?(__[A-Za-z0-9_.*-]+)?$")
# Claude Code's built-in tools (tools reference, 2025–2026), older names included: agent files outlive renames.
CLAUDE_CODE_TOOLS = frozenset({
    "Agent", "AskUserQuestion", "Bash", "BashOutput", "CronCreate", "CronDelete", "CronList", "Edit",
    "EnterPlanMode", "EnterWorktree", "ExitPlanMode", "ExitWorktree", "Glob", "Grep", "KillBash", "KillShell", "LS",
    "LSP", "ListMcpResourcesTool", "Monitor", "MultiEdit", "NotebookEdit", "NotebookRead", "PowerShell", "Read",
    "ReadMcpResourceTool", "SendMessage", "Skill", "SlashCommand", "Task", "TaskCreate", "TaskGet", "TaskList",
    "TaskOutput", "TaskStop", "TaskUpdate", "TeamCreate", "TeamDelete", "TodoRead", "TodoWrite", "ToolSearch",
    "WebFetch", "WebSearch", "Write",
})
# Keys borrowed from neighbouring formats that mean something else here.
KEY_ALIASES = {
    "allowed-tools": "tools", "allowed_tools": "tools", "allowedTools": "tools",
    "disallowed-tools": "disallowedTools", "disallowed_tools": "disallowedTools",
}
VALUE_VALIDATORS = frozenset(
    {"type", "enum", "const", "pattern", "anyOf", "oneOf", "minLength", "minimum", "maximum", "format"}
)

AGT001 = Rule(
    code="AGT001",
    name="agent-without-frontmatter",
    family="agents",
    summary="Agent definition has no YAML frontmatter",
    doc="""
    ## What it does
    Reports an agent definition file (under `agents/` or `.claude/agents/`, see `[agents] paths`) that does not
    start with a `---` frontmatter block.

    ## Why is this bad?
    Claude Code reads a subagent's name, description and tools from the frontmatter; without it the file is not an
    agent at all, just prose that nothing loads.

    ## Example
    ```markdown
    # Model Engineer

    Implements layers and their tests. Level 2.
    ```

    ## Use instead
    ```markdown
    ---
    name: model-engineer
    description: Implements numpy layers and their gradient checks. Use for any change under lenet5/layers.
    tools: Read, Edit, Write, Bash
    level: 2
    ---

    # Model Engineer
    ```

    ## Options
    - `agents.paths`, `agents.exclude` (files under the agent paths that are not agents: README, guides, templates)
    """,
)
AGT002 = Rule(
    code="AGT002",
    name="missing-agent-key",
    family="agents",
    summary="Agent frontmatter lacks a required key (name, description)",
    doc="""
    ## What it does
    Reports a key the agent schema requires that the frontmatter lacks: `name` and `description` by default, plus
    any `required` of a schema extension. When an unknown key looks like a misspelling of it, that is said too.

    ## Why is this bad?
    Claude Code skips a subagent without a name or description; the description is also what it reads to decide
    when to delegate, so a missing one means the agent is never chosen.

    ## Example
    ```yaml
    ---
    name: docs-writer
    tools: Read, Write
    ---
    ```

    ## Use instead
    ```yaml
    ---
    name: docs-writer
    description: Writes and updates pages under docs/. Use after a feature lands.
    tools: Read, Write
    ---
    ```

    ## Options
    - `agents.schema-extension` (add required keys), `agents.schema` (replace the schema)
    """,
)
AGT003 = Rule(
    code="AGT003",
    name="unknown-agent-key",
    family="agents",
    summary="Agent frontmatter has a key the schema does not know (did-you-mean)",
    doc="""
    ## What it does
    Reports frontmatter keys that the agent schema does not define, with the closest known key
    (`descripton` -> `description`, `colour` -> `color`, `allowed-tools` -> `tools`).

    ## Why is this bad?
    Claude Code silently ignores unknown keys, so a misspelt `descripton` or `colour` loses its value without a
    word, and the agent behaves differently from what its file says.

    ## Example
    ```yaml
    ---
    name: data-engineer
    descripton: Builds the Fashion-MNIST loaders.
    colour: green
    ---
    ```

    ## Use instead
    ```yaml
    ---
    name: data-engineer
    description: Builds the Fashion-MNIST loaders.
    color: green
    ---
    ```

    ## Options
    - `agents.schema-extension`: a JSON Schema file whose `properties` are added to the known keys
    """,
)
AGT004 = Rule(
    code="AGT004",
    name="invalid-agent-value",
    family="agents",
    summary="Agent frontmatter value has the wrong type or is not an allowed value",
    doc="""
    ## What it does
    Reports values the agent schema rejects: a `name` that is not lowercase-hyphenated, an empty `description`, a
    `model` other than `sonnet`, `opus`, `haiku`, `inherit` or a full model id (`claude-sonnet-4-5-20250929`), a
    `color` outside Claude Code's eight, a `level` outside 0-5, `delegates_to`/`receives_from` that are not lists
    of agent names, and so on.

    ## Why is this bad?
    Claude Code ignores or rejects a value it does not understand (an unknown model, a colour it cannot show), and
    odyssey's hierarchy checks cannot use a level or a delegation list they cannot read.

    ## Example
    ```yaml
    ---
    name: Model_Engineer
    description: Implements layers.
    model: gpt-4o
    color: teal
    level: two
    ---
    ```

    ## Use instead
    ```yaml
    ---
    name: model-engineer
    description: Implements layers.
    model: sonnet
    color: cyan
    level: 2
    ---
    ```

    ## Options
    - `agents.schema-extension`, `agents.schema`
    """,
)
AGT005 = Rule(
    code="AGT005",
    name="agent-name-mismatch",
    family="agents",
    summary="Agent `name` differs from its file name",
    doc="""
    ## What it does
    Reports an agent whose `name` is not its file name without `.md` (`name: test-runner` in
    `test-engineer.md`).

    ## Why is this bad?
    Claude Code delegates by `name`, while people, links and `delegates_to` lists go by the file. When the two
    differ, one agent has two identities and every reference picks one of them at random.

    ## Example
    ```yaml
    # agents/engineers/test-engineer.md
    ---
    name: test-runner
    ---
    ```

    ## Use instead
    ```yaml
    # agents/engineers/test-engineer.md
    ---
    name: test-engineer
    ---
    ```
    (or rename the file to `test-runner.md` and update the links to it).
    """,
)
AGT006 = Rule(
    code="AGT006",
    name="unknown-agent-tool",
    family="agents",
    summary="Agent `tools` or `disallowedTools` names a tool Claude Code does not have",
    doc="""
    ## What it does
    Checks each entry of `tools` and `disallowedTools` (a comma-separated string or a list) against Claude Code's
    built-in tools, accepting MCP tools (`mcp__server__tool`), `Agent(worker, reviewer)` / `Task(...)` and the
    names in `[agents] known-tools`. Suggests the closest name (`Grepp` -> `Grep`, `bash` -> `Bash`).

    ## Why is this bad?
    An unknown tool name is dropped silently: the agent runs without the tool its prompt relies on, or a
    `disallowedTools` entry denies nothing.

    ## Example
    ```yaml
    tools: Read, Grepp, WebSerch, Bash
    ```

    ## Use instead
    ```yaml
    tools: Read, Grep, WebSearch, Bash
    ```

    ## Options
    - `agents.known-tools`: extra tool names to accept (tools of a custom harness)
    """,
)


# -- the schema ---------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def default_schema_text() -> str:
    return resources.files("odyssey").joinpath("schemas/agent.schema.json").read_text(encoding="utf-8")


def default_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(default_schema_text())
    return schema


def _read_schema_file(config: Config, relative: str, option: str) -> dict[str, Any]:
    """A JSON Schema file named by the configuration, or a ConfigError naming it (and the line of bad JSON)."""
    where = f"[agents] {option} in {config.source.name}" if config.source is not None else f"[agents] {option}"
    path = Path(relative) if Path(relative).is_absolute() else config.root / relative
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{relative}: cannot read the agent schema ({where}): {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{relative}: agent schema ({where}) is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{relative}:{exc.lineno}:{exc.colno}: agent schema ({where}) is not valid JSON: "
                          f"{exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{relative}: agent schema ({where}) must be a JSON object, not {type(data).__name__}")
    return data


def merge_extension(base: dict[str, Any], extension: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the extension's ``properties`` (an extension's definition of a key wins), ``required`` (union)
    and ``$defs`` merged in. Other keywords of the extension are ignored."""
    merged = copy.deepcopy(base)
    for keyword in ("properties", "$defs"):
        if keyword in extension:
            if not isinstance(extension[keyword], dict):
                raise ValueError(f"'{keyword}' must be an object")
            merged.setdefault(keyword, {}).update(extension[keyword])
    if "required" in extension:
        required = extension["required"]
        if not isinstance(required, list) or not all(isinstance(key, str) for key in required):
            raise ValueError("'required' must be a list of key names")
        merged["required"] = list(dict.fromkeys([*merged.get("required", []), *required]))
    ignored = sorted(set(extension) - {"properties", "$defs", "required", "$schema", "$id", "title", "description"})
    if ignored:
        logger.warning("agent schema extension: keywords %s are ignored (only properties, required, $defs merge)",
                       ", ".join(ignored))
    return merged


def load_agent_schema(config: Config) -> dict[str, Any]:
    """The effective agent schema: the replacement, else the default plus the extension. ConfigError when a
    configured file is missing, not JSON, or not a valid Draft 2020-12 schema."""
    agents = config.agents
    if agents.schema:
        schema, named, option = _read_schema_file(config, agents.schema, "schema"), agents.schema, "schema"
    else:
        schema, named, option = default_schema(), "agent.schema.json (built in)", ""
    if agents.schema_extension and not agents.schema:
        extension = _read_schema_file(config, agents.schema_extension, "schema-extension")
        try:
            schema = merge_extension(schema, extension)
        except ValueError as exc:
            raise ConfigError(f"{agents.schema_extension}: agent schema extension: {exc}") from None
        named, option = agents.schema_extension, "schema-extension"
    suffix = f" ([agents] {option})" if option else ""
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        location = "/".join(str(part) for part in exc.path) or "(top level)"
        raise ConfigError(f"{named}: not a valid JSON Schema{suffix} at {location}: {exc.message}") from None
    broken = unresolvable_ref(schema)
    if broken is not None:
        raise ConfigError(f"{named}: agent schema{suffix} has a $ref that does not resolve: '{broken}' "
                          f"(remote schemas are never fetched)")
    return schema


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("enum", "const", "default", "examples"):
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _nested_ids(node: Any, top: bool = True) -> bool:
    if isinstance(node, dict):
        if not top and "$id" in node:
            return True
        return any(_nested_ids(v, False) for k, v in node.items() if k not in ("enum", "const", "default"))
    if isinstance(node, list):
        return any(_nested_ids(item, False) for item in node)
    return False


def unresolvable_ref(schema: dict[str, Any]) -> str | None:
    """The first ``$ref`` that cannot be resolved without the network, checked once up front so that a typo in a
    schema is a configuration error rather than a crash on the first agent file. Schemas with nested ``$id``s
    (rare; they change the base of later refs) are left to validation time."""
    if _nested_ids(schema):
        return None
    base = str(schema.get("$id", ""))
    resource = referencing.jsonschema.DRAFT202012.create_resource(schema)
    resolver = referencing.Registry().with_resource(base, resource).resolver(base_uri=base)
    for ref in _refs(schema):
        try:
            resolver.lookup(ref)
        except referencing.exceptions.Unresolvable:
            return ref
    return None


# -- messages -----------------------------------------------------------------------------------------------------
def _enum_values(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    values = [v for v in schema.get("enum", []) if isinstance(v, str)]
    for keyword in ("anyOf", "oneOf"):
        for option in schema.get(keyword, []):
            values.extend(_enum_values(option))
    return values


def _where(error: jsonschema.ValidationError) -> str:
    parts = list(error.path)
    text = f"'{parts[0]}'"
    for part in parts[1:]:
        text += f" item {part + 1}" if isinstance(part, int) else f".{part}"
    return text


def value_message(error: jsonschema.ValidationError) -> str:
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    where = _where(error)
    if error.validator == "uniqueItems":
        return f"{where} lists the same value twice"
    if error.validator not in VALUE_VALIDATORS or not description:
        return f"invalid {where}: {error.message}"
    message = f"invalid {where}: {shown(error.instance)}; expected {description}"
    if isinstance(error.instance, str):
        suggestion = did_you_mean(error.instance, _enum_values(error.schema), cutoff=0.7)
        if suggestion and suggestion != error.instance:
            message += f" (did you mean '{suggestion}'?)"
    return message


class AgentsCheck(DocumentCheck):
    family = "agents"
    summary = "Agent definitions whose frontmatter Claude Code cannot load as written"
    rules = (AGT001, AGT002, AGT003, AGT004, AGT005, AGT006)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.schema = load_agent_schema(self.config)  # a broken schema file stops the run here, once
        self.validator = jsonschema.Draft202012Validator(self.schema)
        self.known_keys = sorted(str(key) for key in self.schema.get("properties", {}))
        self.known_tools = CLAUDE_CODE_TOOLS | frozenset(self.config.agents.known_tools)

    def check_document(self, document: Document) -> Iterator[Finding]:
        if not self.project.is_agent_file(document.path) or not document.readable:
            return
        frontmatter = document.frontmatter
        if frontmatter.problem is not None:
            return  # invalid YAML or not a mapping: reported by the inputs check (INP002, INP003)
        if not frontmatter.present or frontmatter.data is None:
            yield self.finding(AGT001, document.path, 1, 1,
                               "agent definition has no frontmatter (---, name:, description:, ---); "
                               "Claude Code cannot load it")
            return
        yield from self.schema_findings(document, frontmatter.data)
        yield from self.name_findings(document, frontmatter.data)
        yield from self.tool_findings(document, frontmatter.data)

    # -- schema errors -> findings ---------------------------------------------------------------------------------
    def schema_findings(self, document: Document, data: dict[str, Any]) -> Iterator[Finding]:
        try:
            errors = list(self.validator.iter_errors(data))
        except referencing.exceptions.Unresolvable as exc:
            raise ConfigError(f"agent schema: unresolvable $ref {exc}") from None
        unknown: list[str] = []
        missing: list[str] = []
        by_key: dict[str, jsonschema.ValidationError] = {}
        for error in errors:
            if not error.path and error.validator == "additionalProperties":
                unknown.extend(str(key) for key in self._extra_keys(data, error.schema) if str(key) not in unknown)
            elif not error.path and error.validator == "required":
                missing.extend(key for key in error.validator_value if key not in data and key not in missing)
            else:
                key = str(error.path[0]) if error.path else ""
                current = by_key.get(key)
                if current is None or len(error.path) < len(current.path):
                    by_key[key] = error  # the shallowest error of a key says what is wrong with it as a whole
        for key in unknown:
            line, column = key_position(document, key)
            hint = KEY_ALIASES.get(key) or did_you_mean(key, self.known_keys)
            message = f"unknown key '{key}' in agent frontmatter"
            message += f"; did you mean '{hint}'?" if hint else "; Claude Code ignores it"
            yield self.finding(AGT003, document.path, line, column, message)
        for key in missing:
            message = f"required key '{key}' is missing"
            typo = next((u for u in unknown if (KEY_ALIASES.get(u) or did_you_mean(u, self.known_keys)) == key), None)
            if typo:
                message += f" ('{typo}' looks like a misspelling of it)"
            yield self.finding(AGT002, document.path, max(document.frontmatter.start_line, 1), 1, message)
        for key, error in sorted(by_key.items()):
            if len(error.path) > 1 and isinstance(error.instance, str):
                line, column = value_position(document, key, error.instance)
            elif key:
                line, column = self._value_start(document, key)
            else:
                line, column = max(document.frontmatter.start_line, 1), 1
            yield self.finding(AGT004, document.path, line, column, value_message(error))

    @staticmethod
    def _extra_keys(data: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
        known = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        return [key for key in data if key not in known and not any(re.search(p, str(key)) for p in patterns)]

    @staticmethod
    def _value_start(document: Document, key: str) -> tuple[int, int]:
        """The value after ``key:`` on the key's line, else the key itself (a block value on later lines)."""
        line, column = key_position(document, key)
        text = document.lines[line - 1] if line - 1 < len(document.lines) else ""
        after = text.find(":", column - 1 + len(key))
        if after >= 0:
            rest = text[after + 1 :]
            if rest.strip() and not rest.lstrip().startswith("#"):
                return line, after + 2 + (len(rest) - len(rest.lstrip()))
        return line, column

    # -- checks a schema cannot express ------------------------------------------------------------------------------
    def name_findings(self, document: Document, data: dict[str, Any]) -> Iterator[Finding]:
        name = data.get("name")
        stem = document.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if isinstance(name, str) and AGENT_NAME.match(name) and name != stem:
            line, column = value_position(document, "name", name)
            yield self.finding(AGT005, document.path, line, column,
                               f"agent name '{name}' differs from the file name '{stem}.md'; "
                               f"Claude Code uses the name, links and delegation lists use the file")

    def tool_findings(self, document: Document, data: dict[str, Any]) -> Iterator[Finding]:
        for key in ("tools", "disallowedTools"):
            for entry in tool_entries(data.get(key)) or ():
                tool = parse_tool(entry).name
                if tool in self.known_tools or MCP_TOOL.match(tool):
                    continue
                line, column = value_position(document, key, tool)
                if tool == "*":
                    message = f"'*' is not a tool; leave out '{key}' to allow every tool"
                else:
                    message = f"unknown tool '{tool}' in '{key}'"
                    hint = did_you_mean(tool, self.known_tools, cutoff=0.75)
                    if hint:
                        message += f"; did you mean '{hint}'?"
                    else:
                        message += " (add it to [agents] known-tools if your harness has it)"
                yield self.finding(AGT006, document.path, line, column, message)


CHECKS = (AgentsCheck,)
