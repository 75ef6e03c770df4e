"""The agent delegation hierarchy as one self-contained SVG: a layered drawing, no script, no font or file to fetch.

Layout (a small Sugiyama-style pipeline, deterministic for a given team):

1. Cycles are broken for layering only: a depth-first search from the root agents marks back edges, which are
   drawn as dashed red arcs going up instead of pulling their target down.
2. Layers: an agent that declares ``level`` sits on that level; any other agent one layer below the lowest of the
   agents that delegate to it (longest path), or on the top layer when none does. Empty levels are closed up.
3. Order within a layer: names first, then barycentre sweeps (down and up, a few rounds) that place an agent under
   the mean position of its neighbours, which removes most edge crossings in hierarchies of tens of agents.
4. Coordinates: each layer is centred; boxes are sized from their text (an estimate: no font metrics offline).

Edges that go down are vertical S-curves; edges within a layer arc below it; edges that go up (a cycle, or an agent
delegating to a higher level) are dashed red. Each box links to ``href(name)`` (the agent's entry in the catalog)
and carries a ``<title>`` tooltip with the agent's description. Colours are presentation attributes, not a
``<style>`` element, so inlining the SVG into a page cannot restyle the page.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from odyssey.agents_model import AgentTeam

logger = logging.getLogger(__name__)

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Liberation Sans, sans-serif"
NAME_CHAR_WIDTH = 7.6  # px per character of a 13px semibold label; a deliberate overestimate
SUB_CHAR_WIDTH = 6.3  # px per character of the 11px second line
MIN_WIDTH, HEIGHT = 96.0, 44.0
GAP_X, GAP_Y, MARGIN = 24.0, 64.0, 16.0
SAME_LAYER_DIP = 28.0  # how far below a layer a same-layer edge arcs
BACK_EDGE_SHIFT = 10.0  # px a back edge runs beside the forward edge it reverses
PLACEHOLDER_WIDTH = 8.0  # the room a long edge takes in a layer it skips
GUTTER = 60.0  # left column for "level N" labels
MAX_SCALED_WIDTH = 1100.0  # wider drawings are scrolled, not shrunk to illegible text

EDGE_COLOUR, BACK_EDGE_COLOUR, TEXT_COLOUR = "#57606a", "#cf222e", "#1f2328"
# Claude Code's agent colours as (fill, stroke); anything else gets the neutral pair.
PALETTE = {
    "red": ("#ffebe9", "#cf222e"),
    "orange": ("#fff1e5", "#bc4c00"),
    "yellow": ("#fff8c5", "#9a6700"),
    "green": ("#dafbe1", "#1a7f37"),
    "cyan": ("#e0f7fa", "#00838f"),
    "blue": ("#ddf4ff", "#0969da"),
    "purple": ("#fbefff", "#8250df"),
    "pink": ("#ffeff7", "#bf3989"),
}
NEUTRAL = ("#f6f8fa", "#57606a")


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    sublabel: str = ""
    tooltip: str = ""
    href: str | None = None
    colour: str | None = None


@dataclass
class Placed:
    node: Node
    layer: int
    order: int = 0
    x: float = 0.0
    y: float = 0.0
    width: float = MIN_WIDTH
    height: float = HEIGHT

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class PlacedEdge:
    source: str
    target: str
    kind: str  # "down", "up" (back edge or upward delegation), "same" (within a layer), "self"
    path: str  # SVG path data


@dataclass
class Layout:
    nodes: dict[str, Placed]
    edges: list[PlacedEdge]
    width: float
    height: float
    layer_labels: dict[int, str] = field(default_factory=dict)

    def layers(self) -> list[list[Placed]]:
        count = max((placed.layer for placed in self.nodes.values()), default=-1) + 1
        rows: list[list[Placed]] = [[] for _ in range(count)]
        for placed in self.nodes.values():
            rows[placed.layer].append(placed)
        return [sorted(row, key=lambda p: p.order) for row in rows]


# -- layering -------------------------------------------------------------------------------------------------------
def back_edges(names: Sequence[str], edges: Iterable[tuple[str, str]], roots: Sequence[str]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by an iterative depth-first search from ``roots`` then every other node."""
    successors: dict[str, list[str]] = {name: [] for name in names}
    for source, target in edges:
        if source != target:
            successors[source].append(target)
    for targets in successors.values():
        targets.sort()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    found: set[tuple[str, str]] = set()
    for start in [*roots, *names]:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(successors[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                found.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors[child])))
    return found


def assign_layers(
    names: Sequence[str], edges: Sequence[tuple[str, str]], levels: Mapping[str, int]
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Layer index per node (0 = top, no empty layers) and the back edges ignored for layering."""
    forward_in = {name: 0 for name in names}
    for source, target in edges:
        if source != target:
            forward_in[target] += 1
    roots = sorted((n for n in names if levels.get(n) == min(levels.values(), default=None) or not forward_in[n]),
                   key=lambda n: (levels.get(n, 0), n))
    backs = back_edges(names, edges, roots)
    dag = [(s, t) for s, t in edges if s != t and (s, t) not in backs]
    predecessors: dict[str, list[str]] = {name: [] for name in names}
    indegree = {name: 0 for name in names}
    for source, target in dag:
        predecessors[target].append(source)
        indegree[target] += 1
    ready = sorted(name for name in names if indegree[name] == 0)
    successors: dict[str, list[str]] = {name: [] for name in names}
    for source, target in dag:
        successors[source].append(target)
    top = min(levels.values(), default=0)
    rank: dict[str, int] = {}
    while ready:
        name = ready.pop(0)
        if name in levels:
            rank[name] = levels[name]
        else:
            rank[name] = max((rank[p] + 1 for p in predecessors[name]), default=top)
        for child in sorted(successors[name]):
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
        ready.sort()
    distinct = sorted(set(rank.values()))
    index = {value: position for position, value in enumerate(distinct)}
    return {name: index[rank[name]] for name in names}, backs


def order_layers(layers: list[list[str]], neighbours: Mapping[str, Sequence[str]], rounds: int = 4) -> None:
    """Reorder each layer in place by the barycentre of its nodes' neighbours (sweeping down, then up)."""
    position = {name: index for layer in layers for index, name in enumerate(layer)}

    def sweep(layer_indexes: Iterable[int]) -> None:
        for layer_index in layer_indexes:
            layer = layers[layer_index]

            def barycentre(name: str) -> tuple[float, str]:
                linked = [position[other] for other in neighbours.get(name, ()) if other in position and other != name]
                return (sum(linked) / len(linked) if linked else float(position[name]), name)

            layer.sort(key=barycentre)
            for index, name in enumerate(layer):
                position[name] = index

    for _ in range(rounds):
        sweep(range(1, len(layers)))
        sweep(range(len(layers) - 2, -1, -1))


# -- geometry -------------------------------------------------------------------------------------------------------
def node_width(node: Node) -> float:
    return max(MIN_WIDTH, 20 + max(len(node.label) * NAME_CHAR_WIDTH, len(node.sublabel) * SUB_CHAR_WIDTH))


def _curve_route(stations: Sequence[tuple[float, float]]) -> str:
    """Path data through ``stations``: S-curves between layers, straight runs through a layer (pairs of stations
    at one x, the way a long edge crosses the band of a layer it skips)."""
    x, y = stations[0]
    parts = [f"M{x:.1f},{y:.1f}"]
    for index in range(1, len(stations)):
        nx, ny = stations[index]
        if index % 2 == 0:  # inside a skipped layer's band
            parts.append(f"L{nx:.1f},{ny:.1f}")
        else:
            bend = (ny - y) / 2
            parts.append(f"C{x:.1f},{y + bend:.1f} {nx:.1f},{ny - bend:.1f} {nx:.1f},{ny:.1f}")
        x, y = nx, ny
    return " ".join(parts)


def _edge_path(source: Placed, target: Placed, kind: str, via: Sequence[Placed] = ()) -> str:
    """Path data of one edge; ``via`` are the placeholder boxes of the layers a long edge skips, top to bottom."""
    if kind == "self":
        x, y, h = source.x + source.width, source.y, source.height
        return (f"M{x:.1f},{y + h * 0.3:.1f} C{x + 34:.1f},{y - 8:.1f} {x + 34:.1f},{y + h + 8:.1f} "
                f"{x:.1f},{y + h * 0.7:.1f}")
    if kind == "same":
        x1, x2, y = source.centre, target.centre, source.y + source.height
        dip = y + SAME_LAYER_DIP
        return f"M{x1:.1f},{y:.1f} C{x1:.1f},{dip:.1f} {x2:.1f},{dip:.1f} {x2:.1f},{y:.1f}"
    upper, lower = (source, target) if kind == "down" else (target, source)
    shift = 0.0 if kind == "down" else BACK_EDGE_SHIFT  # keeps a back edge off the edge it reverses
    stations = [(upper.centre + shift, upper.y + upper.height)]
    for box in via:
        stations += [(box.centre + shift, box.y), (box.centre + shift, box.y + box.height)]
    stations.append((lower.centre + shift, lower.y))
    return _curve_route(stations if kind == "down" else stations[::-1])


def _with_placeholders(
    layers: list[list[str]], layer_of: Mapping[str, int], edges: Sequence[tuple[str, str]]
) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
    """Add a placeholder to every layer an edge skips; return the neighbours (through placeholders) and each
    edge's placeholders, top to bottom."""
    neighbours: dict[str, list[str]] = {name: [] for layer in layers for name in layer}
    placeholders: dict[tuple[str, str], list[str]] = {}
    for source, target in edges:
        upper, lower = sorted((source, target), key=lambda n: layer_of[n])
        chain = [upper]
        for layer_index in range(layer_of[upper] + 1, layer_of[lower]):
            placeholder = f"\0{source}\0{target}\0{layer_index}"  # cannot clash with an agent name
            layers[layer_index].append(placeholder)
            placeholders.setdefault((source, target), []).append(placeholder)
            chain.append(placeholder)
        chain.append(lower)
        for first, second in zip(chain, chain[1:]):
            neighbours.setdefault(first, []).append(second)
            neighbours.setdefault(second, []).append(first)
    return neighbours, placeholders


def _place(layers: list[list[str]], by_id: Mapping[str, Node], left: float) -> tuple[dict[str, Placed], float]:
    """Boxes for the ordered layers, each layer centred; returns them and the widest layer's width."""
    boxes: dict[str, Placed] = {}
    widths = []
    for layer_index, names in enumerate(layers):
        row = []
        for order, name in enumerate(names):
            node = by_id.get(name) or Node(name, "")
            row.append(Placed(node, layer_index, order, width=node_width(node) if name in by_id else PLACEHOLDER_WIDTH))
        widths.append(sum(box.width for box in row) + GAP_X * max(len(row) - 1, 0))
        boxes.update((box.node.id, box) for box in row)
    content_width = max(widths, default=MIN_WIDTH)
    for layer_index, names in enumerate(layers):
        x = left + (content_width - widths[layer_index]) / 2
        for name in names:
            box = boxes[name]
            box.x, box.y = x, MARGIN + layer_index * (HEIGHT + GAP_Y)
            x += box.width + GAP_X
    return boxes, content_width


def _edge_kind(source: Placed, target: Placed, back: bool) -> str:
    if source is target:
        return "self"
    if back or target.layer < source.layer:
        return "up"
    return "same" if target.layer == source.layer else "down"


def layered_layout(
    nodes: Sequence[Node], edges: Sequence[tuple[str, str]], levels: Mapping[str, int] | None = None
) -> Layout:
    """Place ``nodes`` in layers and route ``edges`` (pairs of node ids; unknown ids are ignored).

    An edge that skips layers gets a narrow placeholder in each skipped layer, ordered like a node, so that it runs
    between boxes instead of through them.
    """
    levels = dict(levels or {})
    names = sorted(node.id for node in nodes)
    by_id = {node.id: node for node in nodes}
    edges = sorted({(s, t) for s, t in edges if s in by_id and t in by_id})
    layer_of, backs = assign_layers(names, edges, {n: v for n, v in levels.items() if n in by_id})
    layers: list[list[str]] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for name in names:
        layers[layer_of[name]].append(name)
    neighbours, placeholders = _with_placeholders(layers, layer_of, edges)
    order_layers(layers, neighbours)

    layer_labels: dict[int, str] = {}
    for layer_index, layer_names in enumerate(layers):
        real = [name for name in layer_names if name in by_id]
        declared = {levels[name] for name in real if name in levels}
        if len(declared) == 1 and all(name in levels for name in real):
            layer_labels[layer_index] = f"level {declared.pop()}"
    left = MARGIN + (GUTTER if layer_labels else 0)
    boxes, content_width = _place(layers, by_id, left)

    routed = []
    for source, target in edges:
        kind = _edge_kind(boxes[source], boxes[target], (source, target) in backs)
        via = [boxes[name] for name in placeholders.get((source, target), [])]
        routed.append(PlacedEdge(source, target, kind, _edge_path(boxes[source], boxes[target], kind, via)))
    has_self = any(edge.kind == "self" for edge in routed)
    width = left + content_width + MARGIN + (40 if has_self else 0)
    height = MARGIN * 2 + len(layers) * HEIGHT + max(len(layers) - 1, 0) * GAP_Y + SAME_LAYER_DIP
    return Layout({name: box for name, box in boxes.items() if name in by_id}, routed, width, height, layer_labels)


# -- SVG ------------------------------------------------------------------------------------------------------------
def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def render_svg(layout: Layout, title: str, description: str, id_prefix: str = "odyssey-hierarchy") -> str:
    """The SVG text: one element per line and no blank line, so Markdown passes it through as one HTML block."""
    p = _esc(id_prefix)
    # A drawing a little wider than the page shrinks to fit; a much wider one keeps its size (and legible text) and
    # the page scrolls it sideways (the catalog wraps it in an overflow-x container).
    sizing = "max-width:100%;height:auto" if layout.width <= MAX_SCALED_WIDTH else "max-width:none"
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" '
        f'width="{layout.width:.0f}" height="{layout.height:.0f}" role="img" aria-labelledby="{p}-title {p}-desc" '
        f'style="{sizing}" font-family="{FONT}">',
        f'<title id="{p}-title">{_esc(title)}</title>',
        f'<desc id="{p}-desc">{_esc(description)}</desc>',
        "<defs>",
    ]
    for name, colour in (("arrow", EDGE_COLOUR), ("arrow-back", BACK_EDGE_COLOUR)):
        lines.append(
            f'<marker id="{p}-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    lines.append("</defs>")
    for index, label in sorted(layout.layer_labels.items()):
        y = MARGIN + index * (HEIGHT + GAP_Y) + HEIGHT / 2 + 4
        lines.append(f'<text x="{MARGIN:.0f}" y="{y:.1f}" font-size="11" fill="{EDGE_COLOUR}">{_esc(label)}</text>')
    lines.append('<g fill="none" stroke-width="1.5">')
    for edge in layout.edges:
        back = edge.kind == "up"
        colour, marker = (BACK_EDGE_COLOUR, "arrow-back") if back else (EDGE_COLOUR, "arrow")
        dash = ' stroke-dasharray="5 4"' if back else ""
        lines.append(
            f'<path d="{edge.path}" stroke="{colour}"{dash} marker-end="url(#{p}-{marker})">'
            f"<title>{_esc(edge.source)} delegates to {_esc(edge.target)}</title></path>"
        )
    lines.append("</g>")
    for placed in sorted(layout.nodes.values(), key=lambda n: (n.layer, n.order)):
        node = placed.node
        fill, stroke = PALETTE.get((node.colour or "").lower(), NEUTRAL)
        cx = placed.centre
        name_y = placed.y + (18 if node.sublabel else placed.height / 2 + 4.5)
        group = [
            f'<g><title>{_esc(node.tooltip or node.label)}</title>',
            f'<rect x="{placed.x:.1f}" y="{placed.y:.1f}" width="{placed.width:.1f}" height="{placed.height:.1f}" '
            f'rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>',
            f'<text x="{cx:.1f}" y="{name_y:.1f}" text-anchor="middle" font-size="13" font-weight="600" '
            f'fill="{TEXT_COLOUR}">{_esc(node.label)}</text>',
        ]
        if node.sublabel:
            group.append(
                f'<text x="{cx:.1f}" y="{placed.y + 34:.1f}" text-anchor="middle" font-size="11" '
                f'fill="{EDGE_COLOUR}">{_esc(node.sublabel)}</text>'
            )
        group.append("</g>")
        if node.href:
            lines.append(f'<a href="{_esc(node.href)}">' + "".join(group) + "</a>")
        else:
            lines.append("".join(group))
    lines.append("</svg>")
    return "\n".join(lines)


def describe(team: AgentTeam) -> str:
    """The hierarchy in words, for the SVG's ``<desc>`` (screen readers, text search)."""
    successors = team.successors()
    parts = [f"{len(team.by_name)} agents, {len(team.edges)} delegations."]
    for name in sorted(successors):
        if successors[name]:
            parts.append(f"{name} delegates to {', '.join(successors[name])}.")
    return " ".join(parts)


def delegation_svg(
    team: AgentTeam, href: Callable[[str], str | None] | None = None, id_prefix: str = "odyssey-hierarchy"
) -> str:
    """The team's delegation hierarchy as SVG text. ``href(name)`` gives each agent box its link (or None)."""
    nodes = []
    for agent in team.canonical:
        level = f" (level {agent.level})" if agent.level is not None else ""
        nodes.append(Node(
            id=agent.name,
            label=agent.name,
            sublabel=agent.model or "",
            tooltip=f"{agent.name}{level}: {agent.description}" if agent.description else f"{agent.name}{level}",
            href=href(agent.name) if href else None,
            colour=agent.color,
        ))
    levels = {agent.name: agent.level for agent in team.canonical if agent.level is not None}
    layout = layered_layout(nodes, list(team.edges), levels)
    return render_svg(layout, "Agent delegation hierarchy", describe(team), id_prefix)
