"""agent_graph (AGT1xx): the delegation graph of the agent team is a sound hierarchy.

The AGT prefix is shared by two families: ``agents`` (AGT0xx, one file at a time, runs on staged files) and this one
(AGT1xx, whole repository only); ``--select AGT0`` / ``--select AGT1`` pick one of them.

The graph (``odyssey.agents_model.AgentTeam``) has one node per agent name and an edge A -> B when A lists B in
``delegates_to``, links to B's file in a delegation section of its body, or B lists A in ``receives_from``. Checks:
every named agent exists; nobody delegates to itself; there are no cycles (each strongly connected group is reported
once, with one concrete loop a -> b -> a); delegation goes down the levels (optionally one level at a time); the two
sides of an edge agree; every agent is reachable from a root; an agent that delegates has the tool to do it; no two
files define the same name. Everything is linear in agents + edges (Tarjan's algorithm, breadth-first searches).

Roots are level-0 agents (or the top level present, when nobody is level 0), plus agents with neither a level nor
a ``receives_from`` entry: those are entry points the user invokes directly.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator

from odyssey.agents_model import AgentTeam, Declaration, Refusal, delegation_permission, load_team
from odyssey.checks.base import ProjectCheck
from odyssey.findings import Finding, Severity
from odyssey.rules import Rule
from odyssey.suggest import did_you_mean

logger = logging.getLogger(__name__)

AGT101 = Rule(
    code="AGT101",
    name="unknown-delegate",
    family="agent_graph",
    summary="`delegates_to` or `receives_from` names an agent that does not exist",
    doc="""
    ## What it does
    Reports a name in `delegates_to` or `receives_from` that is not the `name` of any agent definition (agents
    without a `name` go by their file name), with the closest existing name.

    ## Why is this bad?
    The orchestrator is told to hand work to an agent Claude Code does not have: the delegation fails at run time,
    usually after a rename that missed one list.

    ## Example
    ```yaml
    # agents/training-orchestrator.md
    delegates_to: [model-engineer, data-enginer]
    ```

    ## Use instead
    ```yaml
    delegates_to: [model-engineer, data-engineer]
    ```
    """,
)
AGT102 = Rule(
    code="AGT102",
    name="self-delegation",
    family="agent_graph",
    summary="Agent delegates to itself",
    doc="""
    ## What it does
    Reports an agent that lists itself in `delegates_to` or `receives_from`, or links to its own file in its
    delegation section.

    ## Why is this bad?
    An agent that spawns itself can recurse without end; in a hierarchy it is always a copy-paste slip.

    ## Example
    ```yaml
    # agents/engineers/model-engineer.md
    name: model-engineer
    delegates_to: [model-engineer, test-engineer]
    ```

    ## Use instead
    ```yaml
    name: model-engineer
    delegates_to: [test-engineer]
    ```
    """,
)
AGT103 = Rule(
    code="AGT103",
    name="delegation-cycle",
    family="agent_graph",
    summary="Agents delegate to each other in a loop",
    doc="""
    ## What it does
    Finds loops in the delegation graph (frontmatter lists and body delegation sections together) and reports each
    group of agents caught in a loop once, showing one loop (`model-engineer -> test-engineer -> model-engineer`)
    and naming the other agents of the group. The finding is on the first agent of the loop (alphabetically), at
    the line that delegates to the next one.

    ## Why is this bad?
    Work can bounce between the agents forever, each handing it back; there is no agent that owns the result.

    ## Example
    ```yaml
    # model-engineer.md            # test-engineer.md
    delegates_to: [test-engineer]  delegates_to: [model-engineer]
    ```

    ## Use instead
    Delegation goes one way; the lower agent reports back by returning its result, not by delegating:
    ```yaml
    # test-engineer.md
    receives_from: [model-engineer]
    ```
    """,
)
AGT104 = Rule(
    code="AGT104",
    name="delegation-not-downward",
    family="agent_graph",
    summary="Agent delegates to an agent at its own or a higher level",
    doc="""
    ## What it does
    When both agents have a `level` (0 is the top), reports delegation to the same level or upward.

    ## Why is this bad?
    The level says who directs whom. Delegating sideways or upward inverts the hierarchy the documentation
    promises, and is how cycles start.

    ## Example
    ```yaml
    # agents/engineers/test-engineer.md
    level: 3
    delegates_to: [docs-writer]      # docs-writer is level 2
    ```

    ## Use instead
    Ask the common orchestrator to involve the other agent, or fix the levels if they are wrong.

    ## Options
    - `agents.allow-skip-level` (see AGT105)
    """,
)
AGT105 = Rule(
    code="AGT105",
    name="delegation-skips-level",
    family="agent_graph",
    summary="Agent delegates more than one level down (when `allow-skip-level = false`)",
    doc="""
    ## What it does
    With `[agents] allow-skip-level = false`, reports delegation from level N to a level below N + 1.

    ## Why is this bad?
    In a strict hierarchy every level reviews the work of the one below; skipping a level bypasses that review and
    overloads the top.

    ## Example
    ```yaml
    # agents/chief-architect.md
    level: 0
    delegates_to: [training-orchestrator, test-engineer]   # test-engineer is level 3
    ```

    ## Use instead
    ```yaml
    delegates_to: [training-orchestrator]   # which delegates to model-engineer, then test-engineer
    ```

    ## Options
    - `agents.allow-skip-level` (default `true`: this rule reports nothing)
    """,
)
AGT106 = Rule(
    code="AGT106",
    name="asymmetric-delegation",
    family="agent_graph",
    summary="`delegates_to` and `receives_from` do not mirror each other",
    doc="""
    ## What it does
    When A delegates to B (frontmatter or body section) and B has a `receives_from` list, A must be in it; when B
    lists A in `receives_from` and A declares whom it delegates to, B must be among them. An agent that declares
    neither side is not required to.

    ## Why is this bad?
    The two lists are two copies of one fact; when they disagree, one of them is stale and readers (and the
    hierarchy diagram) cannot tell which.

    ## Example
    ```yaml
    # model-engineer.md                 # code-reviewer.md
    delegates_to: [code-reviewer]       receives_from: [training-orchestrator]
    ```

    ## Use instead
    ```yaml
    # code-reviewer.md
    receives_from: [model-engineer]
    ```

    ## Options
    - `agents.require-symmetric` (default `true`)
    """,
)
AGT107 = Rule(
    code="AGT107",
    name="unreachable-agent",
    family="agent_graph",
    summary="No chain of delegation from a root agent reaches this agent",
    severity=Severity.WARNING,
    doc="""
    ## What it does
    Follows delegation from the root agents (level 0, or the top level present; and agents with neither a level
    nor a `receives_from`, which the user invokes directly) and reports every agent it never reaches.

    ## Why is this bad?
    Nobody hands work to an unreachable agent: it is dead weight in the team, or the orchestrator that should use
    it forgot to list it.

    ## Example
    ```yaml
    # agents/engineers/benchmark-engineer.md
    level: 2
    receives_from: []
    ```

    ## Use instead
    ```yaml
    # agents/training-orchestrator.md
    delegates_to: [model-engineer, data-engineer, benchmark-engineer]
    ```
    """,
)
AGT108 = Rule(
    code="AGT108",
    name="delegation-without-agent-tool",
    family="agent_graph",
    summary="Agent delegates but its tools do not include `Agent` (or `Task`)",
    doc="""
    ## What it does
    Reports an agent that declares delegation (`delegates_to` or a delegation section) while its `tools` list has
    neither `Agent` nor its older name `Task`, its `disallowedTools` removes them, or `Agent(a, b)` does not allow
    the agent it delegates to. A missing `tools` key means every tool, so it passes.

    ## Why is this bad?
    Subagents are spawned through the Agent tool; without it the delegation the file describes cannot happen, and
    the agent does the work itself or fails.

    ## Example
    ```yaml
    name: docs-orchestrator
    tools: Read, Write, Grep
    delegates_to: [docs-writer]
    ```

    ## Use instead
    ```yaml
    name: docs-orchestrator
    tools: Read, Write, Grep, Agent
    delegates_to: [docs-writer]
    ```
    """,
)
AGT109 = Rule(
    code="AGT109",
    name="duplicate-agent-name",
    family="agent_graph",
    summary="Two agent files define the same name",
    doc="""
    ## What it does
    Reports every agent file whose `name` (or, without one, file name) another agent file already uses; the first
    file by path is kept as the original and the others are reported, naming it. A `.claude/agents/` copy of an
    agent under `agents/` is the usual case.

    ## Why is this bad?
    Claude Code loads one of them and the other drifts out of date unnoticed; delegation to that name reaches
    whichever was loaded.

    ## Example
    ```text
    .claude/agents/test-engineer.md     name: test-engineer
    agents/engineers/test-engineer.md   name: test-engineer
    ```

    ## Use instead
    Keep one definition. If `agents/` is documentation and `.claude/agents/` the live copy, point
    `[agents] paths` at one of them.

    ## Options
    - `agents.paths`, `agents.exclude`
    """,
)

VERBS = {"delegates_to": "delegates to", "receives_from": "receives work from", "body": "links as a delegate"}


# -- graph algorithms (pure; tested on generated graphs) -----------------------------------------------------------
def strongly_connected_components(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm without recursion (so 10,000 agents in a chain do not hit the recursion limit).

    ``graph`` maps every node to its successors (every successor must be a key). Components come out in reverse
    topological order, each listed in the order its nodes were finished. O(nodes + edges).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]  # (node, position of the next successor to visit)
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, position = work[-1]
            successors = graph[node]
            if position < len(successors):
                work[-1] = (node, position + 1)
                nxt = successors[position]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def shortest_cycle(graph: dict[str, list[str]], start: str, members: set[str]) -> list[str]:
    """The shortest loop start -> ... -> start that stays inside ``members`` (a strongly connected component
    holding ``start``), by breadth-first search. Returned with ``start`` at both ends; O(size of the component)."""
    parent: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for nxt in graph[node]:
            if nxt not in members:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = node
                queue.append(nxt)
    raise ValueError(f"{start} is on no cycle inside the given component")


def reachable(graph: dict[str, list[str]], roots: Iterable[str]) -> set[str]:
    """Every node reachable from ``roots`` (roots included); O(nodes + edges)."""
    seen = set(roots)
    queue = deque(seen)
    while queue:
        for nxt in graph[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One loop per strongly connected component with a loop (self-loops excluded), starting at the component's
    smallest node; sorted by that node."""
    without_self = {node: [n for n in successors if n != node] for node, successors in graph.items()}
    cycles = []
    for component in strongly_connected_components(without_self):
        if len(component) > 1:
            cycles.append(shortest_cycle(without_self, min(component), set(component)))
    return sorted(cycles)


# -- the check ------------------------------------------------------------------------------------------------------
def primary(declarations: list[Declaration]) -> Declaration:
    """Where to report an edge: the delegator's own statement when there is one, else the delegate's."""
    return min(declarations, key=lambda d: (d.via == "receives_from", d.path, d.line, d.column))


class AgentGraphCheck(ProjectCheck):
    family = "agent_graph"
    summary = "Delegation between agents that is broken, circular, upside down or impossible"
    rules = (AGT101, AGT102, AGT103, AGT104, AGT105, AGT106, AGT107, AGT108, AGT109)

    def check_project(self) -> Iterator[Finding]:
        team = load_team(self.project)
        if not team.agents:
            return
        graph = team.successors()
        yield from self.duplicate_names(team)
        yield from self.unknown_delegates(team)
        yield from self.self_delegation(team)
        yield from self.cycles(team, graph)
        yield from self.levels(team)
        if self.config.agents.require_symmetric:
            yield from self.asymmetric(team)
        yield from self.unreachable(team, graph)
        yield from self.missing_agent_tool(team)

    def _at(self, rule: Rule, declaration: Declaration, message: str) -> Finding:
        return self.finding(rule, declaration.path, declaration.line, declaration.column, message)

    def duplicate_names(self, team: AgentTeam) -> Iterator[Finding]:
        for later, first in team.duplicates:
            yield self.finding(AGT109, later.path, later.line, 1,
                               f"agent name '{later.name}' is already defined by {first.path}; "
                               f"Claude Code loads only one of them")

    def unknown_delegates(self, team: AgentTeam) -> Iterator[Finding]:
        names = list(team.by_name)
        for agent, mention in team.unresolved:
            message = f"'{agent.name}' {VERBS[mention.via]} '{mention.target}', but no agent has that name"
            hint = did_you_mean(mention.target, names)
            if hint:
                message += f"; did you mean '{hint}'?"
            yield self.finding(AGT101, agent.path, mention.line, mention.column, message)

    def self_delegation(self, team: AgentTeam) -> Iterator[Finding]:
        for (source, target), declarations in sorted(team.edges.items()):
            if source == target:
                yield self._at(AGT102, primary(declarations), f"agent '{source}' delegates to itself")

    def cycles(self, team: AgentTeam, graph: dict[str, list[str]]) -> Iterator[Finding]:
        without_self = {node: [n for n in successors if n != node] for node, successors in graph.items()}
        for component in strongly_connected_components(without_self):
            if len(component) < 2:
                continue
            loop = shortest_cycle(without_self, min(component), set(component))
            message = "delegation cycle: " + " -> ".join(loop)
            others = sorted(set(component) - set(loop))
            if others:
                message += f" (also caught in this loop: {', '.join(others)})"
            yield self._at(AGT103, primary(team.edges[(loop[0], loop[1])]), message)

    def levels(self, team: AgentTeam) -> Iterator[Finding]:
        strict = not self.config.agents.allow_skip_level
        for (source, target), declarations in sorted(team.edges.items()):
            high, low = team.by_name[source].level, team.by_name[target].level
            if source == target or high is None or low is None:
                continue
            where = primary(declarations)
            if low <= high:
                direction = "its own level" if low == high else "a higher level"
                yield self._at(AGT104, where, f"'{source}' (level {high}) delegates to '{target}' (level {low}), "
                                              f"{direction}; delegation must go down the hierarchy")
            elif strict and low > high + 1:
                yield self._at(AGT105, where, f"'{source}' (level {high}) delegates to '{target}' (level {low}), "
                                              f"skipping level {high + 1}")

    def asymmetric(self, team: AgentTeam) -> Iterator[Finding]:
        # Each side's list as a set, computed once per agent, so a hub with many delegates stays linear.
        receivers = {agent.path: {m.target for m in agent.receives_from} for agent in team.agents}
        delegations: dict[str, set[str]] = {}
        for agent in sorted(team.agents, key=lambda a: a.path):
            reported: set[str] = set()
            for mention, target in team.resolved_delegation(agent):
                if target is None or target.name == agent.name or target.name in reported:
                    continue
                if target.declares_receives_from and agent.name not in receivers[target.path]:
                    reported.add(target.name)
                    yield self.finding(AGT106, agent.path, mention.line, mention.column,
                                       f"'{agent.name}' delegates to '{target.name}', but the receives_from of "
                                       f"{target.path} does not list '{agent.name}'")
            for mention in agent.receives_from:
                source = team.by_name.get(mention.target)
                if source is None or source.name == agent.name or source.name in reported:
                    continue
                if source.path not in delegations:
                    delegations[source.path] = team.delegation_names(source)
                if source.declares_delegation and agent.name not in delegations[source.path]:
                    reported.add(source.name)
                    yield self.finding(AGT106, agent.path, mention.line, mention.column,
                                       f"'{agent.name}' receives work from '{source.name}', but {source.path} does "
                                       f"not delegate to '{agent.name}'")

    @staticmethod
    def roots(team: AgentTeam) -> list[str]:
        agents = team.canonical
        levels = [agent.level for agent in agents if agent.level is not None]
        top = min(levels, default=None)
        return [
            agent.name for agent in agents
            if (agent.level is not None and agent.level == top)
            or (agent.level is None and not agent.receives_from)
        ]

    def unreachable(self, team: AgentTeam, graph: dict[str, list[str]]) -> Iterator[Finding]:
        roots = self.roots(team)
        reached = reachable(graph, roots)
        shown = ", ".join(roots[:3]) + (", ..." if len(roots) > 3 else "")
        for agent in team.canonical:
            if agent.name in reached:
                continue
            level = f" (level {agent.level})" if agent.level is not None else ""
            origin = f"from the root agents ({shown})" if roots else "(the team has no root agent)"
            yield self.finding(AGT107, agent.path, agent.line, 1,
                               f"agent '{agent.name}'{level} cannot be reached by delegation {origin}; "
                               f"list it in a delegates_to or a delegation section of a higher agent")

    def missing_agent_tool(self, team: AgentTeam) -> Iterator[Finding]:
        for agent in sorted(team.agents, key=lambda a: a.path):
            refused: list[str] = []
            seen: set[str] = set()
            general: Refusal | None = None
            for mention, target in team.resolved_delegation(agent):
                name = target.name if target is not None else mention.target
                if name == agent.name or name in seen:
                    continue
                seen.add(name)
                refusal = delegation_permission(agent, name)
                if refusal is None:
                    continue
                if refusal.per_target:  # Agent(a, b) allows some agents, not this one: point at this delegation
                    if target is not None:
                        yield self.finding(AGT108, agent.path, mention.line, mention.column,
                                           f"'{agent.name}' delegates to '{name}', but {refusal.reason}")
                    continue
                general = refusal
                refused.append(name)
            if general is not None:
                document = self.project.document(agent.path)
                line = document.frontmatter.key_lines.get(general.key, agent.line)
                advice = "add 'Agent' to tools" if general.key == "tools" else "remove it from disallowedTools"
                yield self.finding(AGT108, agent.path, line, 1,
                                   f"'{agent.name}' delegates to {', '.join(refused)}, but {general.reason}; {advice}")


CHECKS = (AgentGraphCheck,)
