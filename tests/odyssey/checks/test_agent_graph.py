"""The agent_graph family (AGT1xx): graph algorithms on generated graphs, and the checks on small teams."""

from __future__ import annotations

import random
from collections import deque
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odyssey.agents_model import load_team
from odyssey.checks.agent_graph import find_cycles, reachable, shortest_cycle, strongly_connected_components
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import write_tree


# -- helpers --------------------------------------------------------------------------------------------------------
def agent_file(name: str, *, level: int | None = None, delegates: list[str] | None = None,
               receives: list[str] | None = None, tools: str | None = None, body: str = "") -> str:
    lines = [f"name: {name}", f"description: The {name.replace('-', ' ')}."]
    if tools is not None:
        lines.append(f"tools: {tools}")
    if level is not None:
        lines.append(f"level: {level}")
    if delegates is not None:
        lines.append(f"delegates_to: [{', '.join(delegates)}]")
    if receives is not None:
        lines.append(f"receives_from: [{', '.join(receives)}]")
    return "---\n" + "\n".join(lines) + f"\n---\n\n# {name}\n{body}"


def check(root: Path, select: str = "AGT1") -> list[Finding]:
    result = run_checks(Project(root), None, Selection(select=(select,)))
    assert result.errors == []
    return result.findings


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.path, f.code) for f in findings)


def naive_components(graph: dict[str, list[str]]) -> set[frozenset[str]]:
    """Reference: u and v share a component when each reaches the other (quadratic, for small graphs only)."""
    reach = {node: reachable(graph, [node]) for node in graph}
    return {frozenset(v for v in graph if v in reach[u] and u in reach[v]) for u in graph}


def random_dag(size: int, seed: int, fanout: int = 3) -> dict[str, list[str]]:
    rng = random.Random(seed)
    names = [f"agent-{index:03d}" for index in range(size)]
    graph: dict[str, list[str]] = {name: [] for name in names}
    for index, name in enumerate(names[:-1]):
        targets = rng.sample(range(index + 1, size), k=min(rng.randint(0, fanout), size - index - 1))
        graph[name] = sorted(names[t] for t in targets)
    return graph


# -- algorithms ----------------------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=25).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))
))
def test_tarjan_matches_the_mutual_reachability_reference(case: tuple[int, list[tuple[int, int]]]) -> None:
    size, edges = case
    graph: dict[str, list[str]] = {f"n{i}": [] for i in range(size)}
    for source, target in edges:
        graph[f"n{source}"].append(f"n{target}")
    components = strongly_connected_components(graph)
    assert sorted(node for component in components for node in component) == sorted(graph)
    assert {frozenset(c) for c in components} == naive_components(graph)
    for cycle in find_cycles(graph):
        assert cycle[0] == cycle[-1] and len(cycle) >= 3
        assert all(b in graph[a] for a, b in zip(cycle, cycle[1:]))
        assert len(set(cycle[:-1])) == len(cycle) - 1  # an elementary loop


def test_one_cycle_per_knot_and_self_loops_are_not_cycles() -> None:
    graph = {"a": ["b", "a"], "b": ["c"], "c": ["a", "d"], "d": ["b", "e"], "e": ["e"], "f": ["g"], "g": ["f"]}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["f", "g", "f"]]


def test_shortest_cycle_prefers_the_short_way_back() -> None:
    graph = {"a": ["b", "x1"], "b": ["a"], "x1": ["x2"], "x2": ["x3"], "x3": ["a"]}
    assert shortest_cycle(graph, "a", set(graph)) == ["a", "b", "a"]


def test_a_very_long_chain_does_not_hit_the_recursion_limit() -> None:
    size = 20_000
    graph = {f"n{i}": [f"n{i + 1}"] for i in range(size - 1)}
    graph[f"n{size - 1}"] = []
    assert len(strongly_connected_components(graph)) == size
    graph[f"n{size - 1}"] = ["n0"]
    components = strongly_connected_components(graph)
    assert [len(c) for c in components] == [size]
    assert len(find_cycles(graph)[0]) == size + 1


def test_random_dags_have_no_cycles_and_each_back_edge_adds_its_knot() -> None:
    graph = random_dag(2_000, seed=7)
    assert find_cycles(graph) == []
    names = sorted(graph)
    reached_from_first = reachable(graph, [names[0]])
    far = max(reached_from_first)  # reachable from agent-000, so far -> agent-000 closes a loop
    graph[far].append(names[0])
    cycles = find_cycles(graph)
    assert len(cycles) == 1 and cycles[0][0] == names[0] and cycles[0][-2] == far


# -- the check on generated teams ---------------------------------------------------------------------------------
def write_team(root: Path, graph: dict[str, list[str]]) -> None:
    write_tree(root, {f"agents/{name}.md": agent_file(name, delegates=targets) for name, targets in graph.items()})


def test_300_agent_random_dag_has_no_cycle_finding_and_one_back_edge_gives_one(tmp_path: Path) -> None:
    graph = random_dag(300, seed=2024)
    write_team(tmp_path / "dag", graph)
    assert check(tmp_path / "dag") == []  # no levels, no receives_from: every agent is a root; names all valid

    # A back edge from the deepest agent reachable from agent-000 closes loops through many paths: one finding.
    start = "agent-000"
    distance = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph[node]:
            if nxt not in distance:
                distance[nxt] = distance[node] + 1
                queue.append(nxt)
    far = max(distance, key=lambda n: (distance[n], n))
    assert distance[far] >= 3
    graph[far] = sorted(graph[far] + [start])
    write_team(tmp_path / "cyclic", graph)
    findings = check(tmp_path / "cyclic", "AGT103")
    assert len(findings) == 1
    finding = findings[0]
    assert finding.path == f"agents/{start}.md"
    loop = finding.message.split(": ", 1)[1].split(" (also", 1)[0].split(" -> ")
    assert loop[0] == loop[-1] == start and len(loop) == distance[far] + 2
    assert all(b in graph[a] for a, b in zip(loop, loop[1:]))


def test_team_edges_come_from_both_sides_and_the_body(tmp_path: Path) -> None:
    body = "\n## Delegates to:\n\n- [Writer](engineers/writer.md)\n- [Guide](guides/how.md)\n"
    write_tree(tmp_path, {
        "agents/lead.md": agent_file("lead", level=0, body=body),
        "agents/engineers/writer.md": agent_file("writer", level=1),
        "agents/engineers/tester.md": agent_file("tester", level=1, receives=["lead"]),
        "agents/guides/how.md": "# How\n",
    })
    team = load_team(Project(tmp_path))
    assert sorted(team.edges) == [("lead", "tester"), ("lead", "writer")]
    assert [d.via for d in team.edges[("lead", "tester")]] == ["receives_from"]
    assert [d.via for d in team.edges[("lead", "writer")]] == ["body"]
    # lead declares delegation (a section) without tester: asymmetric; everything is reachable.
    assert codes(check(tmp_path)) == [("agents/engineers/tester.md", "AGT106")]


def test_custom_delegation_headings_replace_the_default(tmp_path: Path) -> None:
    body = ("\n## Hands Off To\n\n- [Writer](writer.md)\n\n### Details\n\n- [Tester](tester.md)\n"
            "\n## Delegates To\n\n- [Reviewer](reviewer.md)\n")
    write_tree(tmp_path, {
        "odyssey.toml": '[agents]\ndelegation-headings = ["Hands off to"]\n',
        "agents/lead.md": agent_file("lead", level=0, body=body),
        "agents/writer.md": agent_file("writer", level=1),
        "agents/tester.md": agent_file("tester", level=1),
        "agents/reviewer.md": agent_file("reviewer", level=1),
    })
    team = load_team(Project(tmp_path))
    assert sorted(team.edges) == [("lead", "tester"), ("lead", "writer")]  # a sub-heading stays in the section
    assert codes(check(tmp_path, "AGT107")) == [("agents/reviewer.md", "AGT107")]


def test_levels_down_sideways_up_and_skipping(tmp_path: Path) -> None:
    files = {
        "agents/top.md": agent_file("top", level=0, delegates=["mid", "low"]),
        "agents/mid.md": agent_file("mid", level=1, delegates=["peer", "top"]),
        "agents/peer.md": agent_file("peer", level=1),
        "agents/low.md": agent_file("low", level=3),
    }
    write_tree(tmp_path, files)
    findings = check(tmp_path, "AGT104")
    assert sorted(f.message.split(",")[0] for f in findings) == [
        "'mid' (level 1) delegates to 'peer' (level 1)", "'mid' (level 1) delegates to 'top' (level 0)"
    ]
    assert check(tmp_path, "AGT105") == []  # skipping levels is allowed by default
    (tmp_path / "odyssey.toml").write_text("[agents]\nallow-skip-level = false\n", encoding="utf-8")
    skipped = check(tmp_path, "AGT105")
    assert [(f.path, f.line) for f in skipped] == [("agents/top.md", 5)]
    assert "skipping level 1" in skipped[0].message


def test_symmetry_is_required_only_where_both_sides_speak_and_can_be_turned_off(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/lead.md": agent_file("lead", level=0, delegates=["a", "b"]),
        "agents/a.md": agent_file("a", level=1),  # no receives_from: not held to one
        "agents/b.md": agent_file("b", level=1, receives=["other"]),
        "agents/other.md": agent_file("other", level=0, delegates=[]),
        "agents/c.md": agent_file("c", level=1, receives=["lead", "quiet"]),
        "agents/quiet.md": agent_file("quiet", level=0),  # declares no delegation: not held to c
    })
    findings = check(tmp_path, "AGT106")
    assert sorted((f.path, f.line, f.column) for f in findings) == [
        ("agents/b.md", 5, 17),  # b receives from other, which delegates to nobody
        ("agents/c.md", 5, 17),  # c receives from lead, which delegates to a and b only
        ("agents/lead.md", 5, 19),  # lead delegates to b, whose receives_from lacks lead
    ]
    (tmp_path / "odyssey.toml").write_text("[agents]\nrequire-symmetric = false\n", encoding="utf-8")
    assert check(tmp_path, "AGT106") == []


def test_roots_without_levels_are_agents_with_no_receives_from(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/lead.md": agent_file("lead", delegates=["worker"]),
        "agents/worker.md": agent_file("worker", receives=["lead"]),
        "agents/left.md": agent_file("left", receives=["right"], delegates=["right"]),
        "agents/right.md": agent_file("right", receives=["left"], delegates=["left"]),
    })
    assert codes(check(tmp_path, "AGT107")) == [("agents/left.md", "AGT107"), ("agents/right.md", "AGT107")]
    assert codes(check(tmp_path, "AGT103")) == [("agents/left.md", "AGT103")]


def test_the_top_level_is_the_root_when_nobody_is_level_zero(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/lead.md": agent_file("lead", level=1, delegates=["worker"]),
        "agents/worker.md": agent_file("worker", level=2),
        "agents/stray.md": agent_file("stray", level=2),
    })
    findings = check(tmp_path, "AGT107")
    assert codes(findings) == [("agents/stray.md", "AGT107")]
    assert "(lead)" in findings[0].message


def test_delegation_needs_the_agent_tool(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/lead.md": agent_file("lead", level=0, delegates=["a", "b", "c", "d", "e", "f"]),  # no tools key
        "agents/a.md": agent_file("a", level=1, tools="Read, Task", delegates=["leaf"]),
        "agents/b.md": agent_file("b", level=1, tools="Read, Agent", delegates=["leaf"]),
        "agents/c.md": agent_file("c", level=1, tools="Read, Grep", delegates=["leaf", "ghost"]),
        "agents/d.md": agent_file("d", level=1, tools="Read, Agent(leaf)", delegates=["leaf", "e"]),
        "agents/e.md": agent_file("e", level=1, delegates=["leaf"]).replace("level: 1",
                                                                           "level: 1\ndisallowedTools: Agent"),
        "agents/f.md": agent_file("f", level=1, tools="Read"),  # a leaf needs no Agent tool
        "agents/leaf.md": agent_file("leaf", level=2),
    })
    findings = sorted(check(tmp_path, "AGT108"))
    assert [(f.path, f.line) for f in findings] == [("agents/c.md", 4), ("agents/d.md", 6), ("agents/e.md", 5)]
    assert "delegates to leaf, ghost" in findings[0].message and "neither 'Agent' nor 'Task'" in findings[0].message
    assert "'e', but its tools allow spawning only leaf" in findings[1].message
    assert "disallowedTools removes 'Agent'" in findings[2].message


def test_unknown_self_and_duplicate_names(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/lead.md": agent_file("lead", level=0, delegates=["lead", "wrker", "worker"]),
        "agents/worker.md": agent_file("worker", level=1, receives=["lead"]),
        ".claude/agents/worker.md": agent_file("worker", level=1, receives=["lead"]),
        "agents/old/lead.md": "---\ndescription: The old lead.\n---\n",
    })
    findings = check(tmp_path)
    assert codes(findings) == [
        ("agents/lead.md", "AGT101"), ("agents/lead.md", "AGT102"),
        ("agents/old/lead.md", "AGT109"), ("agents/worker.md", "AGT109"),
    ]
    unknown = next(f for f in findings if f.code == "AGT101")
    assert "did you mean 'worker'?" in unknown.message
    duplicate = next(f for f in findings if f.path == "agents/worker.md")
    assert ".claude/agents/worker.md" in duplicate.message


def test_no_agents_no_findings_and_targeted_runs_skip_the_graph(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# Project\n", "docs/index.md": "# Docs\n"})
    assert check(tmp_path) == []
    write_tree(tmp_path, {"agents/a.md": agent_file("a", level=0, delegates=["a"])})
    result = run_checks(Project(tmp_path), ["agents/a.md"], Selection(select=("AGT1",)))
    assert result.findings == []  # the graph needs the whole repository
    assert codes(check(tmp_path)) == [("agents/a.md", "AGT102")]
