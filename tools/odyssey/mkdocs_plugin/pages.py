"""The Markdown of the generated pages: rule documentation per family, the rules index, the agent catalog.

Pure functions over odyssey's own data (the rule registry, the agent team), with no mkdocs import, so they are
tested without a build. Links come from ``SiteLinks``; heading ids from ``HeadingIds`` (the site's own slugs).
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from odyssey.agents_model import Agent, AgentTeam
from odyssey.diagrams import delegation_svg
from odyssey.document import parse_document
from odyssey.mkdocs_plugin.generated import family_page_name
from odyssey.mkdocs_plugin.links import HeadingIds, SiteLinks, relative_href
from odyssey.report.render_md import code_span, escape_text, link
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

_ATX = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")


def plain(text: str) -> str:
    """Free text from a file (a description, a summary line) as escaped Markdown on one line."""
    return escape_text(" ".join(text.split()))


def demote_headings(markdown: str, by: int = 1) -> str:
    """``markdown`` with every ATX heading ``by`` levels deeper (at most 6); lines inside code fences, which may hold
    ``#`` comments or Markdown examples, are left alone (headings come from the parsed document)."""
    document = parse_document("rule.md", markdown.encode("utf-8"))
    heading_lines = {heading.line for heading in document.headings}
    lines = markdown.split("\n")
    for number in heading_lines:
        index = number - 1
        match = _ATX.match(lines[index]) if 0 <= index < len(lines) else None
        if match:
            hashes = "#" * min(len(match.group(2)) + by, 6)
            lines[index] = match.group(1) + hashes + lines[index][match.end():]
    return "\n".join(lines)


# -- rules ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    name: str
    summary: str
    rules: tuple[Rule, ...]

    @property
    def page_name(self) -> str:
        return family_page_name(self.name)

    @property
    def prefixes(self) -> str:
        return ", ".join(dict.fromkeys(rule.prefix for rule in self.rules))


def rule_heading(rule: Rule) -> str:
    return f"{rule.code} {rule.name}"


def rule_family_page(family: Family, ids: HeadingIds) -> tuple[str, dict[str, str]]:
    """A family's page (every rule with its full documentation) and the heading id of each rule on it."""
    title = f"{family.name.replace('_', ' ').capitalize()} rules ({family.prefixes})"
    ids.add(title)
    anchors: dict[str, str] = {}
    docs: dict[str, str] = {}
    for rule in family.rules:  # ids in document order: each rule's heading, then the headings of its doc
        anchors[rule.code] = ids.add(rule_heading(rule))
        docs[rule.code] = demote_headings(rule.doc.strip())
        for heading in parse_document("rule.md", docs[rule.code].encode("utf-8")).headings:
            ids.add(heading.text)
    parts = [
        f"# {escape_text(title)}",
        plain(family.summary) + ".",
        "| Code | Name | Severity | Summary |\n|---|---|---|---|\n" + "\n".join(
            f"| [{rule.code}](#{anchors[rule.code]}) | {escape_text(rule.name)} | {rule.severity.value} | "
            f"{rule.summary.replace('|', '&#124;')} |"
            for rule in family.rules
        ),
    ]
    for rule in family.rules:
        parts.append(f"## {escape_text(rule_heading(rule))}")
        # Summaries are odyssey's own Markdown (they use code spans), not repository text: kept as written.
        parts.append(f"**Severity:** {rule.severity.value}. {rule.summary}.")
        parts.append(docs[rule.code])
    return "\n\n".join(parts) + "\n", anchors


def rules_index_page(families: Sequence[Family], page: str, anchors: dict[str, tuple[str, str]]) -> str:
    """One table of every rule, each linked to its documentation on its family's page."""
    rows = []
    for family in families:
        family_page = posixpath.join(posixpath.dirname(page), family.page_name)
        for rule in family.rules:
            target = anchors.get(rule.code)
            href = relative_href(page, target[0], target[1]) if target else None
            family_link = link(escape_text(family.name), relative_href(page, family_page))
            rows.append(
                f"| {link(rule.code, href)} | {escape_text(rule.name)} | {family_link} | {rule.severity.value} | "
                f"{rule.summary.replace('|', '&#124;')} |"
            )
    return "\n\n".join([
        "# Rules",
        "Every rule odyssey checks, by family. `odyssey rules CODE` prints the same documentation in a terminal; "
        "rules are selected with `select`/`ignore` in `[tool.odyssey]` and silenced on one line with "
        "`<!-- odyssey: ignore CODE -->`.",
        "| Code | Name | Family | Severity | Summary |\n|---|---|---|---|---|\n" + "\n".join(rows),
    ]) + "\n"


# -- agents ---------------------------------------------------------------------------------------------------------
def _tools(agent: Agent) -> str:
    if agent.tools is None:
        return "every tool (no `tools` key)"
    if not agent.tools:
        return "none"
    return ", ".join(code_span(grant.written.strip() or grant.name) for grant in agent.tools)


def _names(names: Sequence[str], anchors: dict[str, str]) -> str:
    if not names:
        return "nobody"
    return ", ".join(link(escape_text(name), f"#{anchors[name]}") if name in anchors else escape_text(name)
                     for name in names)


def agents_page(
    team: AgentTeam,
    links: SiteLinks,
    ids: HeadingIds,
    patterns: Sequence[str],
    svg: Callable[[AgentTeam, Callable[[str], str | None]], str] = delegation_svg,
) -> str:
    """The agent catalog: the delegation hierarchy as inline SVG, a table, then one entry per agent."""
    title = "Agents"
    ids.add(title)
    agents = sorted(team.canonical, key=lambda a: (a.level is None, a.level or 0, a.name))
    where = ", ".join(code_span(pattern) for pattern in patterns)
    if not agents:
        return f"# {title}\n\nNo agent definitions found ({where}).\n"
    hierarchy_heading, catalog_heading = "Delegation hierarchy", "Catalog"
    ids.add(hierarchy_heading)
    ids.add(catalog_heading)
    anchors = {agent.name: ids.add(agent.name) for agent in agents}
    successors = team.successors()
    predecessors: dict[str, list[str]] = {agent.name: [] for agent in agents}
    for source, target in sorted(team.edges):
        predecessors.setdefault(target, []).append(source)
    # Unknown names the files mention (AGT101 findings) are shown too, unlinked: the catalog shows what is written.
    unknown: dict[str, list[str]] = {}
    for agent, mention in team.unresolved:
        if mention.via == "delegates_to":
            unknown.setdefault(agent.name, []).append(mention.target)

    picture = svg(team, lambda name: f"#{anchors[name]}" if name in anchors else None)
    table = ["| Agent | Level | Model | Description |", "|---|---:|---|---|"]
    for agent in agents:
        level = "" if agent.level is None else str(agent.level)
        table.append(f"| [{escape_text(agent.name)}](#{anchors[agent.name]}) | {level} | "
                     f"{escape_text(agent.model or '')} | {plain(agent.description or '')} |")
    parts = [
        f"# {title}",
        f"{len(agents)} agent definitions ({where}), read from their frontmatter and delegation sections. Boxes "
        "link to the entries below; a dashed red arrow is a delegation that goes up the hierarchy or closes a "
        "cycle.",
        f"## {hierarchy_heading}",
        f'<div class="odyssey-agent-hierarchy" style="overflow-x:auto">\n{picture}\n</div>',
        f"## {catalog_heading}",
        "\n".join(table),
    ]
    for agent in agents:
        source_href = links.source(agent.path, 0)
        fields = [
            f"- **Level:** {agent.level if agent.level is not None else 'not declared'}",
            f"- **Model:** {code_span(agent.model) if agent.model else 'inherited (no `model` key)'}",
            f"- **Tools:** {_tools(agent)}",
            f"- **Delegates to:** {_names(successors.get(agent.name, []) + unknown.get(agent.name, []), anchors)}",
            f"- **Receives from:** {_names(predecessors.get(agent.name, []), anchors)}",
            f"- **Definition:** {link(code_span(agent.path), source_href)}",
        ]
        parts.append(f"### {escape_text(agent.name)}")
        if agent.description:
            parts.append(plain(agent.description))
        parts.append("\n".join(fields))
    return "\n\n".join(parts) + "\n"
