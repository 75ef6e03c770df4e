"""The agents family (AGT0xx): frontmatter validated against the shipped, extended or replaced JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from odyssey.agents_model import parse_tools, read_agent, split_tool_list
from odyssey.checks.agents import default_schema, did_you_mean, load_agent_schema
from odyssey.cli import main
from odyssey.config import ConfigError, load_config
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import write_tree

REVIEWER = """\
---
name: code-reviewer
description: Reviews a change before merge.
tools: Read, Grep, Glob
model: sonnet
color: red
---

# Code Reviewer
"""


def check(root: Path, select: str = "AGT0") -> list[Finding]:
    result = run_checks(Project(root), None, Selection(select=(select,)))
    assert result.errors == []
    return result.findings


def where(findings: list[Finding]) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.code) for f in findings}


def agent(name: str, lines: str = "", description: str = "Does one job well.") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{lines}---\n\n# {name}\n"


def test_the_shipped_schema_is_valid_draft_2020_12() -> None:
    schema = default_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["name", "description"]
    documented = {"permissionMode", "skills", "hooks", "disallowedTools", "level", "delegates_to"}
    assert documented <= set(schema["properties"])


def test_a_clean_claude_code_agent_has_no_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, {".claude/agents/code-reviewer.md": REVIEWER})
    assert check(tmp_path) == []


def test_unknown_keys_get_a_did_you_mean_at_their_own_line(tmp_path: Path) -> None:
    text = agent("data-engineer", "colour: green\npermission_mode: plan\nallowed-tools: Read\nowner: ml-team\n")
    write_tree(tmp_path, {"agents/data-engineer.md": text})
    findings = [f for f in check(tmp_path) if f.code == "AGT003"]
    by_line = {f.line: f.message for f in findings}
    assert set(by_line) == {4, 5, 6, 7}
    assert "did you mean 'color'?" in by_line[4]
    assert "did you mean 'permissionMode'?" in by_line[5]
    assert "did you mean 'tools'?" in by_line[6]
    assert "did you mean" not in by_line[7] and "ignores it" in by_line[7]


def test_misspelt_required_key_is_reported_missing_and_names_the_typo(tmp_path: Path) -> None:
    write_tree(tmp_path, {"agents/docs-writer.md": "---\nname: docs-writer\ndescripton: Writes pages.\n---\n"})
    findings = check(tmp_path)
    assert where(findings) == {("agents/docs-writer.md", 1, "AGT002"), ("agents/docs-writer.md", 3, "AGT003")}
    missing = next(f for f in findings if f.code == "AGT002")
    assert "'description'" in missing.message and "'descripton' looks like a misspelling" in missing.message


@pytest.mark.parametrize(
    ("line", "accepted"),
    [
        ("model: inherit", True),
        ("model: claude-sonnet-4-5-20250929", True),
        ("model: claude-opus-4-1", True),
        ("model: gpt-4o", False),
        ("model: Opus", False),
        ("color: cyan", True),
        ("color: magenta", False),
        ("level: 0", True),
        ("level: 5", True),
        ("level: 6", False),
        ("level: two", False),
        ("permissionMode: bypassPermissions", True),
        ("permissionMode: yolo", False),
        ("skills: [fashion-mnist, numpy-style]", True),
        ("delegates_to: [model-engineer, test-engineer]", True),
        ("delegates_to: [Model Engineer]", False),
        ("delegates_to: [a, a]", False),
        ("receives_from: chief-architect", False),
        ("hooks: {PostToolUse: []}", True),
        ("maxTurns: 0", False),
        ("type: agent", True),
    ],
)
def test_values_are_checked_against_the_schema(tmp_path: Path, line: str, accepted: bool) -> None:
    write_tree(tmp_path, {"agents/worker.md": agent("worker", line + "\n")})
    findings = check(tmp_path)
    if accepted:
        assert findings == []
    else:
        assert [(f.code, f.line) for f in findings] == [("AGT004", 4)]
        assert line.split(":")[0] in findings[0].message


def test_empty_description_and_case_slip_in_model_get_readable_messages(tmp_path: Path) -> None:
    write_tree(tmp_path, {"agents/worker.md": "---\nname: worker\ndescription: ''\nmodel: Sonnet\n---\n"})
    messages = {f.line: f.message for f in check(tmp_path)}
    assert "an empty string" in messages[3] and "non-empty" in messages[3]
    assert "did you mean 'sonnet'?" in messages[4]
    assert messages[4].startswith("invalid 'model': 'Sonnet'")


def test_name_must_equal_the_file_stem(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/engineers/test-engineer.md": agent("test-runner"),
        "agents/engineers/model-engineer.md": agent("model-engineer"),
    })
    findings = check(tmp_path)
    assert [(f.path, f.line, f.column, f.code) for f in findings] == [
        ("agents/engineers/test-engineer.md", 2, 7, "AGT005")
    ]


def test_comma_string_and_list_tools_read_the_same(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/a.md": agent("a", "tools: Read, Grep, Agent(b, c), mcp__github__create_issue\n"),
        "agents/b.md": agent("b", "tools:\n  - Read\n  - Grep\n  - Agent(b, c)\n  - mcp__github__create_issue\n"),
    })
    project = Project(tmp_path)
    first, second = (read_agent(project, project.document(p)) for p in ("agents/a.md", "agents/b.md"))
    assert first.tools == second.tools
    assert first.tools is not None
    assert [grant.name for grant in first.tools] == ["Read", "Grep", "Agent", "mcp__github__create_issue"]
    assert first.tools[2].args == ("b", "c")
    assert check(tmp_path) == []


def test_split_tool_list_keeps_parenthesised_arguments_whole() -> None:
    assert split_tool_list("Read, Task(model-engineer, test-engineer) ,Bash,") == [
        "Read", "Task(model-engineer, test-engineer)", "Bash"
    ]
    assert [g.name for g in parse_tools("Agent")] == ["Agent"]
    assert parse_tools(["Read", 3, ""]) == parse_tools("Read")


def test_unknown_tools_point_at_the_tool_in_either_form(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "agents/a.md": agent("a", "tools: Read, Grepp, Task, Agent\n"),
        "agents/b.md": agent("b", "tools:\n  - Read\n  - WebSerch\ndisallowedTools: [bash]\n"),
        "agents/c.md": agent("c", "tools: '*'\n"),
    })
    findings = sorted(check(tmp_path))
    assert [(f.path, f.line, f.column) for f in findings] == [
        ("agents/a.md", 4, 14), ("agents/b.md", 6, 5), ("agents/b.md", 7, 19), ("agents/c.md", 4, 9)
    ]
    assert "did you mean 'Grep'?" in findings[0].message
    assert "did you mean 'WebSearch'?" in findings[1].message
    assert "did you mean 'Bash'?" in findings[2].message
    assert "leave out 'tools'" in findings[3].message


def test_known_tools_from_config_are_accepted(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "odyssey.toml": '[agents]\nknown-tools = ["Profiler"]\n',
        "agents/bench.md": agent("bench", "tools: Read, Profiler, Benchmark\n"),
    })
    findings = check(tmp_path)
    assert [f.code for f in findings] == ["AGT006"]
    assert findings[0].message.startswith("unknown tool 'Benchmark' in 'tools'")
    assert "known-tools" in findings[0].message


def test_schema_extension_adds_keys_and_required_ones(tmp_path: Path) -> None:
    extension = {
        "$defs": {"team": {"enum": ["training", "docs"]}},
        "properties": {"owner": {"$ref": "#/$defs/team"}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["owner"],
    }
    write_tree(tmp_path, {
        "odyssey.toml": '[agents]\nschema-extension = "schemas/agent-extra.json"\n',
        "schemas/agent-extra.json": json.dumps(extension),
        "agents/good.md": agent("good", "owner: docs\ntags: [writing]\n"),
        "agents/missing.md": agent("missing", "tags: [writing]\n"),
        "agents/bad.md": agent("bad", "owner: marketing\ncolour: red\n"),
    })
    assert where(check(tmp_path)) == {
        ("agents/missing.md", 1, "AGT002"),
        ("agents/bad.md", 4, "AGT004"),
        ("agents/bad.md", 5, "AGT003"),  # the default keys still apply
    }


def test_schema_replacement_drops_the_default_keys(tmp_path: Path) -> None:
    replacement = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["role"],
        "properties": {"role": {"type": "string"}},
    }
    write_tree(tmp_path, {
        "odyssey.toml": '[agents]\nschema = "config/agent.schema.json"\n',
        "config/agent.schema.json": json.dumps(replacement),
        "agents/a.md": "---\nrole: reviewer\ncolour: red\n---\n",
        "agents/b.md": REVIEWER.replace("code-reviewer", "b"),
    })
    findings = check(tmp_path)
    assert [(f.path, f.code) for f in findings] == [("agents/b.md", "AGT002")]
    assert "'role'" in findings[0].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the agent schema"),
        ('{"properties": {"owner": {"type": "string"},}}', "agent-extra.json:1:"),
        ("[1, 2]", "must be a JSON object"),
        ('{"properties": {"owner": {"type": 5}}}', "not a valid JSON Schema"),
        ('{"properties": {"owner": {"$ref": "#/$defs/missing"}}}', "does not resolve"),
        ('{"properties": []}', "'properties' must be an object"),
    ],
)
def test_a_broken_schema_file_is_a_one_line_config_error(tmp_path: Path, content: str | None, expected: str) -> None:
    files = {"odyssey.toml": '[agents]\nschema-extension = "agent-extra.json"\n', "agents/a.md": agent("a")}
    if content is not None:
        files["agent-extra.json"] = content
    write_tree(tmp_path, files)
    with pytest.raises(ConfigError) as raised:
        load_agent_schema(load_config(tmp_path))
    message = str(raised.value)
    assert message.startswith("agent-extra.json") and expected in message and "\n" not in message


def test_the_cli_reports_a_broken_schema_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {
        "odyssey.toml": '[agents]\nschema = "missing.json"\n',
        "agents/a.md": agent("a"),
    })
    assert main(["check", "--root", str(tmp_path), "--select", "AGT"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        "odyssey: error: missing.json: cannot read the agent schema ([agents] schema in odyssey.toml)"
    )
    assert "Traceback" not in error and error.count("\n") == 1


def test_only_agent_files_are_checked(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "docs/agents.md": "---\nname: Guide\ncolour: red\n---\n# Agents\n",
        "agents/README.md": "# The team\n",
        "agents/guides/writing-agents.md": "---\ndescripton: x\n---\n",
        "agents/templates/agent.md": "---\nname: AGENT_NAME\n---\n",
        "notes/agent-ideas.md": "# Ideas\n",
    })
    assert check(tmp_path) == []


def test_broken_yaml_is_left_to_the_inputs_check(tmp_path: Path) -> None:
    write_tree(tmp_path, {"agents/a.md": "---\nname: a\ntools: [Read, Grep\n---\n", "agents/b.md": "---\n- a\n---\n"})
    assert check(tmp_path) == []


def test_missing_frontmatter_is_reported_once(tmp_path: Path) -> None:
    write_tree(tmp_path, {"agents/a.md": "# Agent A\n\nLevel 2.\n", "agents/b.md": "---\n---\n# B\n"})
    assert where(check(tmp_path)) == {
        ("agents/a.md", 1, "AGT001"),
        ("agents/b.md", 1, "AGT002"),
    }
    assert len([f for f in check(tmp_path) if f.path == "agents/b.md"]) == 2  # name and description


def test_did_you_mean() -> None:
    keys = sorted(default_schema()["properties"])
    assert did_you_mean("descripton", keys) == "description"
    assert did_you_mean("colour", keys) == "color"
    assert did_you_mean("disallowed_tools", keys) == "disallowedTools"
    assert did_you_mean("delegatesTo", keys) == "delegates_to"
    assert did_you_mean("xyzzy", keys) is None
