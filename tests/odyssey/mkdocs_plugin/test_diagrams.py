"""The delegation hierarchy drawing: layers follow declared levels and delegation, cycles are drawn as back edges,
long edges go around boxes, and the SVG is well-formed, self-contained and escapes what agent files say."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from odyssey.agents_model import load_team
from odyssey.diagrams import Node, delegation_svg, layered_layout, render_svg
from odyssey.project import Project
from tests.odyssey.report.fixture_repo import fixture_repo, write_tree

SVG = "{http://www.w3.org/2000/svg}"


def nodes(*names: str) -> list[Node]:
    return [Node(name, name) for name in names]


def assert_no_overlap(layout) -> None:  # type: ignore[no-untyped-def]
    for row in layout.layers():
        for left, right in zip(row, row[1:]):
            assert left.x + left.width <= right.x, f"{left.node.id} overlaps {right.node.id}"


def test_layers_follow_declared_levels_and_close_gaps() -> None:
    layout = layered_layout(
        nodes("chief", "lead", "worker", "helper"),
        [("chief", "lead"), ("lead", "worker"), ("chief", "helper")],
        {"chief": 0, "lead": 2, "worker": 5},
    )
    layers = {name: placed.layer for name, placed in layout.nodes.items()}
    # helper declares nothing: one below its delegator (level 1); then levels 2 and 5, with no empty layer between
    assert layers == {"chief": 0, "helper": 1, "lead": 2, "worker": 3}
    assert {edge.kind for edge in layout.edges} == {"down"}
    assert layout.layer_labels == {0: "level 0", 2: "level 2", 3: "level 5"}  # no label for the undeclared layer
    assert_no_overlap(layout)


def test_undeclared_agents_sit_below_their_lowest_delegator() -> None:
    layout = layered_layout(nodes("a", "b", "c", "d"), [("a", "b"), ("b", "c"), ("a", "c"), ("d", "c")])
    assert {name: p.layer for name, p in layout.nodes.items()} == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_a_cycle_is_drawn_with_one_back_edge() -> None:
    layout = layered_layout(nodes("a", "b", "c"), [("a", "b"), ("b", "c"), ("c", "a")])
    kinds = {(edge.source, edge.target): edge.kind for edge in layout.edges}
    assert sorted(kinds.values()) == ["down", "down", "up"]
    up = next(edge for edge, kind in kinds.items() if kind == "up")
    assert layout.nodes[up[0]].layer > layout.nodes[up[1]].layer


def test_self_and_same_layer_delegation() -> None:
    layout = layered_layout(nodes("a", "b"), [("a", "a"), ("a", "b")], {"a": 1, "b": 1})
    kinds = {(edge.source, edge.target): edge.kind for edge in layout.edges}
    assert kinds == {("a", "a"): "self", ("a", "b"): "same"}


def test_a_long_edge_runs_beside_the_boxes_of_the_layers_it_skips() -> None:
    layout = layered_layout(nodes("chief", "lead", "worker"), [("chief", "lead"), ("lead", "worker"),
                                                               ("chief", "worker")])
    edge = next(e for e in layout.edges if (e.source, e.target) == ("chief", "worker"))
    straight = re.findall(r"L([\d.]+),([\d.]+)", edge.path)
    assert len(straight) == 1  # one skipped layer: one straight run through its band
    x = float(straight[0][0])
    lead = layout.nodes["lead"]
    assert not lead.x <= x <= lead.x + lead.width
    assert_no_overlap(layout)


def test_many_agents_are_laid_out_without_overlap() -> None:
    names = [f"agent-{i:03d}" for i in range(120)]
    edges = [(names[i // 4], names[i]) for i in range(1, len(names))]  # a tree, four delegates each
    layout = layered_layout(nodes(*names), edges)
    assert len(layout.nodes) == 120 and all(edge.kind == "down" for edge in layout.edges)
    assert_no_overlap(layout)
    # Far wider than a page: kept at full size (legible) for the page to scroll, not shrunk to fit.
    assert 'style="max-width:none"' in render_svg(layout, "t", "d")
    small = layered_layout(nodes("a", "b"), [("a", "b")])
    assert 'style="max-width:100%;height:auto"' in render_svg(small, "t", "d")


@pytest.fixture
def team_repo(tmp_path: Path) -> Path:
    return fixture_repo(tmp_path / "repo")


def test_svg_of_a_team_is_well_formed_and_self_contained(team_repo: Path) -> None:
    team = load_team(Project(team_repo))
    svg = delegation_svg(team, href=lambda name: f"#{name}")
    assert "\n\n" not in svg  # one HTML block for Markdown
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert not tags & {"script", "foreignObject", "image", "style", "use"}
    hrefs = [element.get("href") or "" for element in root.iter(f"{SVG}a")]
    assert sorted(hrefs) == ["#data-engineer", "#model-engineer", "#orchestrator"]
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert {"orchestrator", "model-engineer", "data-engineer", "level 0", "level 1"} <= set(texts)
    tooltips = [element.text for element in root.iter(f"{SVG}title")]
    assert "model-engineer (level 1): Builds the layers <and> checks their gradients." in tooltips
    assert "orchestrator delegates to model-engineer" in tooltips
    description = root.find(f"{SVG}desc")
    assert description is not None and description.text == (
        "3 agents, 1 delegations. orchestrator delegates to model-engineer."
    )
    assert svg == delegation_svg(load_team(Project(team_repo)), href=lambda name: f"#{name}")  # deterministic
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_body_delegation_and_colours(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "team", {
        "agents/chief.md": "---\nname: chief\ndescription: Top.\ncolor: green\n---\n\n# Chief\n\n## Delegates To\n\n"
                           "- [Builder](builder.md)\n",
        "agents/builder.md": "---\nname: builder\ndescription: Builds.\ncolor: not-a-colour\n---\n\n# Builder\n",
    })
    svg = delegation_svg(load_team(Project(root)))
    root_element = ET.fromstring(svg)
    rects = {rect.get("stroke") for rect in root_element.iter(f"{SVG}rect")}
    assert rects == {"#1a7f37", "#57606a"}  # green, and the neutral stroke for an unknown colour
    assert [e.text for e in root_element.iter(f"{SVG}title") if e.text and "delegates" in e.text] == [
        "chief delegates to builder"
    ]
    assert not list(root_element.iter(f"{SVG}a"))  # no href callback: plain boxes
