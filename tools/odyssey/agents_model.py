"""Agent definitions as data: who an agent is, what it may use, and whom it delegates to.

Read from parsed Documents only (never from files), so the ``agents`` and ``agent_graph`` checks and the docs site
(agent catalog, hierarchy diagram) all see the same team.

An agent is a Markdown file matched by ``Project.is_agent_file`` (``agents/**/*.md``, ``.claude/agents/**/*.md``).
Its frontmatter follows Claude Code's subagent format (``name``, ``description``, ``tools``, ``model``, ...) plus
optional hierarchy keys: ``level`` (0 = the top), ``delegates_to`` and ``receives_from`` (lists of agent names).
Delegation may also be written in the body: links to other agent files in a section whose heading is one of
``agents.delegation-headings`` ("Delegates To", ...). The section ends at the next heading of the same or a higher
rank.

``tools`` is a comma-separated string or a list; ``Agent(worker, reviewer)`` (or the older ``Task(...)``) names the
only agents that may be spawned. A missing ``tools`` key means every tool.
"""

from __future__ import annotations

import functools
import logging
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from odyssey.document import Document
from odyssey.project import Project
from odyssey.resolve import resolve

logger = logging.getLogger(__name__)

DELEGATION_TOOLS = frozenset({"Task", "Agent"})  # "Task" is the older name of the Agent tool; both still work
_TOOL_CALL = re.compile(r"^\s*([^()\s]+)\s*(?:\((.*)\))?\s*$", re.DOTALL)


@dataclass(frozen=True)
class Mention:
    """One place an agent file names another agent.

    ``via`` is ``delegates_to`` or ``receives_from`` (frontmatter list items: ``target`` is an agent name) or
    ``body`` (a link in a delegation section: ``target`` is the repository path it resolves to).
    """

    target: str
    line: int
    column: int
    via: str


@dataclass(frozen=True)
class ToolGrant:
    """One entry of a ``tools`` list: ``Read``, or ``Agent(worker, reviewer)`` (``args`` = the allowed names)."""

    name: str
    args: tuple[str, ...] | None = None
    written: str = ""


@dataclass(frozen=True)
class Agent:
    """One agent definition file. ``name`` is the declared ``name`` or, when there is none, the file stem."""

    path: str
    name: str
    declared_name: bool = False
    description: str | None = None
    level: int | None = None
    tools: tuple[ToolGrant, ...] | None = None  # None: no ``tools`` key (every tool), or a value not understood
    disallowed_tools: tuple[ToolGrant, ...] = ()
    model: str | None = None
    color: str | None = None
    delegates_to: tuple[Mention, ...] = ()
    receives_from: tuple[Mention, ...] = ()
    body_delegates: tuple[Mention, ...] = ()
    declares_delegates_to: bool = False  # the key is present (an empty list says "delegates to nobody")
    declares_receives_from: bool = False
    has_delegation_section: bool = False
    line: int = 1  # where to point at the agent as a whole: its ``name`` key, else the first line

    @property
    def stem(self) -> str:
        return posixpath.splitext(posixpath.basename(self.path))[0]

    @property
    def declares_delegation(self) -> bool:
        """Does this file state whom it delegates to (a ``delegates_to`` key or a delegation section)?"""
        return self.declares_delegates_to or self.has_delegation_section

    @property
    def delegation(self) -> tuple[Mention, ...]:
        """Every delegation this file itself declares: frontmatter first, then body links."""
        return self.delegates_to + self.body_delegates


# -- reading values -------------------------------------------------------------------------------------------------
def split_tool_list(text: str) -> list[str]:
    """Split a comma-separated tools string, keeping ``Agent(a, b)`` whole: commas inside parentheses are not
    separators."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def parse_tool(written: str) -> ToolGrant:
    match = _TOOL_CALL.match(written)
    if not match:
        return ToolGrant(written.strip(), None, written)
    args = match.group(2)
    names = tuple(split_tool_list(args)) if args is not None else None
    return ToolGrant(match.group(1), names, written)


def tool_entries(value: Any) -> list[str] | None:
    """The entries of a ``tools``-like value as written: a comma string or a list. None when it is neither."""
    if isinstance(value, str):
        return split_tool_list(value)
    if isinstance(value, list):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return None


def parse_tools(value: Any) -> tuple[ToolGrant, ...]:
    return tuple(parse_tool(entry) for entry in tool_entries(value) or ())


def name_list(value: Any) -> list[str]:
    """Agent names from a list (or, leniently, a comma string); anything else yields nothing (the schema reports it)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


# -- positions ------------------------------------------------------------------------------------------------------
def _key_span(document: Document, key: str) -> tuple[int, int] | None:
    """0-based line indexes [start, end) of a top-level frontmatter key and its value."""
    fm = document.frontmatter
    start_line = fm.key_lines.get(key)
    if start_line is None:
        return None
    following = [line for line in fm.key_lines.values() if line > start_line]
    end_line = min(following) if following else fm.end_line
    return start_line - 1, end_line - 1


def key_position(document: Document, key: str) -> tuple[int, int]:
    """1-based (line, column) of a top-level frontmatter key; the frontmatter's first line when it is absent."""
    line = document.frontmatter.key_lines.get(key)
    if line is None:
        return max(document.frontmatter.start_line, 1), 1
    text = document.lines[line - 1] if line - 1 < len(document.lines) else ""
    column = text.find(key)
    return line, (column + 1 if column >= 0 else 1)


_TOKEN = re.compile(r"[\w.*-]+")  # names, tools, mcp__server__tool, '*': what a list item or comma entry holds


def value_positions(document: Document, key: str, values: list[str]) -> list[tuple[int, int]]:
    """1-based (line, column) of each of ``values`` as written inside the value of frontmatter ``key`` (list items,
    entries of a comma string); the key's position for a value that cannot be found. A value must stand alone, so
    ``test`` is not found inside ``test-engineer``. One pass over the key's lines, however long the list."""
    span = _key_span(document, key)
    fallback = key_position(document, key)
    if span is None:
        return [fallback for _ in values]
    first_at: dict[str, tuple[int, int]] = {}
    start, end = span
    lines = document.lines
    for index in range(start, min(end, len(lines))):
        text = lines[index]
        offset = text.find(":") + 1 if index == start else 0  # skip the key itself
        for match in _TOKEN.finditer(text, offset):
            first_at.setdefault(match.group(), (index + 1, match.start() + 1))
    positions = []
    for value in values:
        found = first_at.get(value)
        if found is None and value and not _TOKEN.fullmatch(value):
            found = _find_text(lines, start, min(end, len(lines)), value)  # "Model Engineer", "{x: 1}", ...
        positions.append(found or fallback)
    return positions


def _find_text(lines: list[str], start: int, end: int, value: str) -> tuple[int, int] | None:
    for index in range(start, end):
        column = lines[index].find(value, lines[index].find(":") + 1 if index == start else 0)
        if column >= 0:
            return index + 1, column + 1
    return None


def value_position(document: Document, key: str, value: str) -> tuple[int, int]:
    """``value_positions`` for one value."""
    return value_positions(document, key, [value])[0]


# -- the body's delegation sections -------------------------------------------------------------------------------
def normalize_heading(text: str) -> str:
    """Heading text compared case-insensitively, without emphasis, a trailing colon or surrounding spaces."""
    return re.sub(r"\s+", " ", text.strip().strip("*_").rstrip(":").strip()).casefold()


@functools.lru_cache(maxsize=16)
def _normalized(headings: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize_heading(heading) for heading in headings)


def delegation_sections(document: Document, headings: Iterable[str]) -> list[tuple[int, int]]:
    """1-based line ranges [first, last] of the sections under a delegation heading."""
    wanted = _normalized(tuple(headings))
    ranges: list[tuple[int, int]] = []
    all_headings = document.headings
    for index, heading in enumerate(all_headings):
        if normalize_heading(heading.text) not in wanted:
            continue
        end = len(document.lines)
        for later in all_headings[index + 1 :]:
            if later.level <= heading.level:
                end = later.line - 1
                break
        ranges.append((heading.line, end))
    return ranges


def body_delegation(project: Project, document: Document) -> tuple[list[Mention], bool]:
    """Links in the delegation sections that resolve to repository files, and whether any such section exists.

    Only local targets are kept; whether they are agent files is decided against the whole team. A link to a
    missing file is the links check's business (LNK001), not a delegation.
    """
    sections = delegation_sections(document, project.config.agents.delegation_headings)
    mentions: list[Mention] = []
    if not sections:
        return mentions, False
    for link in document.links:
        if link.kind in ("definition", "image", "autolink"):
            continue
        if not any(first <= link.line <= last for first, last in sections):
            continue
        target = resolve(document.path, link.target, project.files, project.config.machine_path_prefixes)
        if target.status == "local" and target.path and project.files.is_file(target.path):
            mentions.append(Mention(target.path, link.line, link.column, "body"))
    return mentions, True


# -- agents -------------------------------------------------------------------------------------------------------
def _mentions(document: Document, key: str) -> tuple[Mention, ...]:
    names = name_list(document.meta.get(key))
    return tuple(
        Mention(name, line, column, key) for name, (line, column) in zip(names, value_positions(document, key, names))
    )


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_agent(project: Project, document: Document) -> Agent:
    """The agent defined by ``document`` (which should be an agent file). Bad values read as absent: reporting
    them is the ``agents`` check's job."""
    meta = document.meta
    stem = posixpath.splitext(posixpath.basename(document.path))[0]
    declared = meta.get("name")
    declared_name = declared.strip() if isinstance(declared, str) and declared.strip() else None
    level = meta.get("level")
    if isinstance(level, bool) or not isinstance(level, int):
        level = None
    body, has_section = body_delegation(project, document)
    return Agent(
        path=document.path,
        name=declared_name or stem,
        declared_name=declared_name is not None,
        description=_optional_str(meta.get("description")),
        level=level,
        # An unreadable tools value (a mapping, a number) is the schema's finding; the graph then assumes nothing.
        tools=parse_tools(meta["tools"]) if tool_entries(meta.get("tools")) is not None else None,
        disallowed_tools=parse_tools(meta.get("disallowedTools")),
        model=_optional_str(meta.get("model")),
        color=_optional_str(meta.get("color")),
        delegates_to=_mentions(document, "delegates_to"),
        receives_from=_mentions(document, "receives_from"),
        body_delegates=tuple(body),
        declares_delegates_to="delegates_to" in meta,
        declares_receives_from="receives_from" in meta,
        has_delegation_section=has_section,
        line=document.frontmatter.key_lines.get("name", 1),
    )


@dataclass(frozen=True)
class Refusal:
    """Why an agent's tools do not let it spawn a delegate. ``key`` is the frontmatter key to fix; ``per_target``
    when ``Agent(a, b)`` allows other agents but not this one."""

    reason: str
    key: str
    per_target: bool = False


def delegation_permission(agent: Agent, target: str) -> Refusal | None:
    """Why ``agent`` cannot spawn the agent named ``target``, or None when its tools allow it."""
    for grant in agent.disallowed_tools:
        if grant.name in DELEGATION_TOOLS and grant.args is None:
            return Refusal(f"its disallowedTools removes '{grant.name}'", "disallowedTools")
    if agent.tools is None:
        return None  # no tools key: every tool, the Agent tool included
    grants = [grant for grant in agent.tools if grant.name in DELEGATION_TOOLS]
    if not grants:
        return Refusal("its tools list has neither 'Agent' nor 'Task'", "tools")
    if any(grant.args is None for grant in grants):
        return None
    allowed = sorted({name for grant in grants for name in grant.args or ()})
    if target in allowed:
        return None
    return Refusal(f"its tools allow spawning only {', '.join(allowed) or 'no agent'} ({grants[0].written})",
                   "tools", per_target=True)


@dataclass(frozen=True)
class Declaration:
    """Where an edge of the delegation graph is stated: in the delegating file or the receiving one."""

    path: str
    line: int
    column: int
    via: str


@dataclass
class AgentTeam:
    """Every agent of the repository and the delegation graph between them.

    Nodes are agent names. When several files declare the same name, the first path (sorted) is the one the graph
    uses; ``duplicates`` lists the rest. ``edges`` maps (delegator, delegate) to where that edge is declared, from
    either side (``delegates_to`` and body links in the delegator, ``receives_from`` in the delegate);
    ``unresolved`` holds frontmatter mentions of names no agent has.
    """

    agents: list[Agent]
    by_name: dict[str, Agent] = field(default_factory=dict)
    by_path: dict[str, Agent] = field(default_factory=dict)
    duplicates: list[tuple[Agent, Agent]] = field(default_factory=list)  # (later file, the file it duplicates)
    edges: dict[tuple[str, str], list[Declaration]] = field(default_factory=dict)
    unresolved: list[tuple[Agent, Mention]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for agent in sorted(self.agents, key=lambda a: a.path):
            self.by_path[agent.path] = agent
            first = self.by_name.get(agent.name)
            if first is None:
                self.by_name[agent.name] = agent
            else:
                self.duplicates.append((agent, first))
        for agent in sorted(self.agents, key=lambda a: a.path):
            for mention, target in self.resolved_delegation(agent):
                if target is None:
                    self.unresolved.append((agent, mention))
                else:
                    self._add_edge(agent.name, target.name, Declaration(agent.path, mention.line, mention.column,
                                                                         mention.via))
            for mention in agent.receives_from:
                source = self.by_name.get(mention.target)
                if source is None:
                    self.unresolved.append((agent, mention))
                else:
                    self._add_edge(source.name, agent.name, Declaration(agent.path, mention.line, mention.column,
                                                                        mention.via))

    def _add_edge(self, source: str, target: str, declaration: Declaration) -> None:
        self.edges.setdefault((source, target), []).append(declaration)

    def resolved_delegation(self, agent: Agent) -> Iterator[tuple[Mention, Agent | None]]:
        """``agent``'s own delegation mentions with the agent each names (None for an unknown name). Body links to
        files that are not agents (guides, READMEs) are not delegation and are skipped."""
        for mention in agent.delegates_to:
            yield mention, self.by_name.get(mention.target)
        for mention in agent.body_delegates:
            linked = self.by_path.get(mention.target)
            if linked is not None:
                yield mention, self.by_name[linked.name]

    def successors(self) -> dict[str, list[str]]:
        """Adjacency lists over agent names, sorted so every traversal is deterministic."""
        graph: dict[str, list[str]] = {name: [] for name in self.by_name}
        for source, target in self.edges:
            graph[source].append(target)
        for targets in graph.values():
            targets.sort()
        return graph

    def delegation_names(self, agent: Agent) -> set[str]:
        """Names ``agent`` itself says it delegates to (frontmatter names and linked agent files)."""
        return {
            mention.target if target is None else target.name for mention, target in self.resolved_delegation(agent)
        }

    @property
    def canonical(self) -> list[Agent]:
        return sorted(self.by_name.values(), key=lambda a: a.name)


def load_team(project: Project) -> AgentTeam:
    """Read every agent file of ``project`` (parsed documents come from the project's cache)."""
    paths = [path for path in project.files.markdown if project.is_agent_file(path)]
    agents = [read_agent(project, document) for document in project.documents(paths) if document.readable]
    logger.debug("read %d agent definitions", len(agents))
    return AgentTeam(agents)
