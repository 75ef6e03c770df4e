"""workflow (WFL001-WFL010): components, their evidence per phase, the order rule, agents' phases, settings."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from odyssey.checks.workflow import WorkflowCheck
from odyssey.config import ConfigError, load_config
from odyssey.engine import run_checks
from odyssey.policy import Selection
from odyssey.project import Project
from odyssey.pysource import parse_source
from odyssey.workflow.evaluate import evaluate_workflow
from odyssey.workflow.evidence import implementation_gap, marker_comments
from odyssey.workflow.settings import workflow_settings
from tests.conftest import require_executable
from tests.odyssey.helpers import make_repo

REPOSITORY = Path(__file__).resolve().parents[3]


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CONFIG = d('''
    [notes]
    extra-keys = ["components"]

    [workflow]
    components = [{ paths = ["tinynet/**/*.py"] }]
    ''')

# A small repository whose two modules went through every phase of the default workflow.
COMPLETE = {
    "odyssey.toml": CONFIG,
    "pyproject.toml": '[project]\nname = "tinynet"\n\n[tool.setuptools]\npackages = ["tinynet"]\n',
    "README.md": "# tinynet\n\nSee the [API](docs/api.md) and the [notes](notes/README.md).\n",
    "tinynet/__init__.py": '"""tinynet."""\n',
    "tinynet/model.py": d('''
        """The model."""

        import numpy as np


        def forward(x: np.ndarray) -> np.ndarray:
            return np.maximum(x, 0)
        '''),
    "tinynet/data.py": d('''
        """Data."""


        def batches(items, size):
            return [items[i : i + size] for i in range(0, len(items), size)]
        '''),
    "tests/test_model.py": d('''
        import numpy as np

        from tinynet.model import forward


        def test_forward_clips_negatives():
            assert forward(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
        '''),
    "tests/test_data.py": d('''
        from tinynet import data


        def test_batches_cover_everything():
            assert data.batches([1, 2, 3], 2) == [[1, 2], [3]]
        '''),
    "docs/api.md": "# API\n\n## Model\n\n::: tinynet.model\n\n## Data\n\n::: tinynet.data\n",
    "notes/plan-tinynet.md": d('''
        ---
        title: "Plan: tinynet"
        kind: plan
        status: active
        created: 2026-01-05
        updated: 2026-01-05
        tags: [tinynet]
        components: [tinynet.*]
        ---

        # Plan: tinynet

        The model and its data pipeline, with a test module each and an API page.
        '''),
}


def wfl(project: Project, select: str = "WFL") -> list[str]:
    result = run_checks(project, None, Selection(select=(select,)))
    assert result.errors == []
    return [f"{f.path}:{f.line}:{f.column}: {f.code}" for f in result.findings]


# -- the whole workflow --------------------------------------------------------------------------------------------
def test_a_component_with_every_phase_done_has_no_findings_and_names_its_evidence(tmp_path: Path) -> None:
    project = make_repo(tmp_path, COMPLETE)
    assert wfl(project) == []
    table = evaluate_workflow(project).to_dict()
    assert table["phases"] == ["plan", "test", "implementation", "package", "cleanup"]
    model = next(row for row in table["components"] if row["component"] == "tinynet.model")
    assert {phase: cell["evidence"] for phase, cell in model["phases"].items()} == {
        "plan": "notes/plan-tinynet.md",
        "test": "tests/test_model.py",
        "implementation": "tinynet/model.py",
        "package": "docs/api.md",  # the docs page says more than the pyproject.toml line
        "cleanup": "tinynet/model.py",
    }
    assert all(cell["done"] for cell in model["phases"].values())
    assert table["history"] is False  # no git repository here


def test_each_missing_phase_is_its_own_rule(tmp_path: Path) -> None:
    files = dict(COMPLETE)
    files["tinynet/train.py"] = d('''
        """Training."""


        def train(model):
            # TODO: early stopping
            raise NotImplementedError
        ''')
    files["pyproject.toml"] = '[project]\nname = "tinynet"\n\n[tool.setuptools]\npackages = ["tinynet.io"]\n'
    found = wfl(make_repo(tmp_path, files))
    assert "tinynet/train.py:1:1: WFL002" in found  # no test imports it
    assert "tinynet/train.py:1:1: WFL003" in found  # only a stub
    assert "tinynet/train.py:1:1: WFL005" in found  # not on the API page
    assert "tinynet/train.py:5:5: WFL006" in found  # the TODO comment, where it is
    assert "tinynet/model.py:1:1: WFL004" in found  # package "tinynet" is not listed
    assert not [f for f in found if f.endswith("WFL001")]  # "tinynet.*" plans every module


def test_a_workflow_without_a_phase_never_asks_for_its_evidence(tmp_path: Path) -> None:
    files = dict(COMPLETE)
    del files["docs/api.md"]
    files["odyssey.toml"] = CONFIG + d('''
        phases = [
            { name = "plan", evidence = ["plan"] },
            { name = "build", evidence = ["tests", "implementation"], after = ["plan"] },
        ]
        ''')
    project = make_repo(tmp_path, files)
    assert wfl(project) == []  # nothing documents the modules, and no phase asks for docs
    assert evaluate_workflow(project).to_dict()["phases"] == ["plan", "build"]


# -- components ----------------------------------------------------------------------------------------------------
def test_generic_components_are_the_modules_of_the_own_packages(tmp_path: Path) -> None:
    files = {
        "mylib/__init__.py": "",
        "mylib/__main__.py": "print('hi')\n",
        "mylib/core.py": "def f():\n    return 1\n",
        "mylib/sub/__init__.py": "",
        "mylib/sub/deep.py": "X = 1\n",
        "mylib/tests/test_core.py": "from mylib.core import f\n\n\ndef test_f():\n    assert f() == 1\n",
        "scripts/release.py": "print('release')\n",
        "setup.py": "from setuptools import setup\nsetup()\n",
    }
    project = make_repo(tmp_path, files)
    evaluation = evaluate_workflow(project)
    assert [s.component.name for s in evaluation.statuses] == ["mylib.core", "mylib.sub.deep"]
    assert workflow_settings(project.config).configured is False


def test_check_families_are_tested_through_their_rule_codes(tmp_path: Path) -> None:
    """This repository's way: a check family is exercised by tests that select its rules, and by its fixtures."""
    files = {
        "odyssey.toml": d('''
            [workflow]
            phases = [{ name = "test", evidence = ["tests"] }]
            [[workflow.components]]
            paths = ["lint/checks/*.py"]
            aliases = 'code="([A-Z]{3}\\d{3})"'
            tests = ["tests/fixtures/{alias}/expected.txt"]
            '''),
        "lint/__init__.py": "",
        "lint/checks/__init__.py": "",
        "lint/checks/links.py": 'LNK001 = Rule(code="LNK001")\nLNK002 = Rule(code="LNK002")\n',
        "lint/checks/fences.py": 'FEN001 = Rule(code="FEN001")\n',
        "lint/checks/tables.py": 'TBL001 = Rule(code="TBL001")\n',
        "lint/checks/dates.py": 'DAT001 = Rule(code="DAT001")\n',
        "tests/test_links.py": 'def test_broken_link(run):\n    assert run(select=("LNK",)) == []\n',
        "tests/test_other.py": 'def test_only_the_second_table_rule(run):\n    assert run(select=("TBL002",)) == []\n',
        "tests/fixtures/FEN001/expected.txt": "docs/a.md:3:1: FEN001\n",
    }
    found = wfl(make_repo(tmp_path, files))
    # links: the selector "LNK"; fences: its fixture; tables: "TBL002" names no rule of it; dates: nothing.
    assert found == ["lint/checks/dates.py:1:1: WFL002", "lint/checks/tables.py:1:1: WFL002"]


def test_generated_rule_pages_count_as_docs_when_the_group_says_so(tmp_path: Path) -> None:
    files = {
        "odyssey.toml": d('''
            [workflow]
            phases = [{ name = "package", evidence = ["docs"] }]
            components = [{ paths = ["lint/checks/*.py"], docs = ["validation/rules/{slug}.md"] }]
            '''),
        "mkdocs.yml": "site_name: lint\nplugins:\n  - odyssey\n",
        "docs/index.md": "# lint\n",
        "lint/__init__.py": "",
        "lint/checks/__init__.py": "",
        "lint/checks/agent_graph.py": "X = 1\n",
        "lint/checks/homegrown.py": "X = 1\n",
    }
    project = make_repo(tmp_path, files)
    # The odyssey plugin generates a page per odyssey family: agent-graph.md exists in the site, homegrown.md not.
    assert wfl(project) == ["lint/checks/homegrown.py:1:1: WFL005"]
    statuses = {s.component.name: s for s in evaluate_workflow(project).statuses}
    assert statuses["lint.checks.agent_graph"].evidence["docs"].path == "docs/validation/rules/agent-graph.md"


# -- evidence details ----------------------------------------------------------------------------------------------
def test_implementation_gaps() -> None:
    def gap(text: str) -> str | None:
        return implementation_gap(parse_source("m.py", text))

    assert gap('"""Only a docstring."""\n') == "its module defines nothing"
    assert gap("def f():\n    pass\n\n\ndef g():\n    '''Doc.'''\n    ...\n").startswith("every function")
    assert gap("def f():\n    raise NotImplementedError('later')\n").startswith("every function")
    assert gap("from abc import ABC, abstractmethod\n\n\nclass Base(ABC):\n    @abstractmethod\n"
               "    def run(self): ...\n") is None
    assert gap("from typing import Protocol\n\n\nclass Reader(Protocol):\n    def read(self) -> bytes: ...\n") is None
    assert gap("LIMIT = 3\n") is None
    assert gap("def f(:\n").startswith("its module cannot be parsed")


def test_marker_comments_are_comments_only() -> None:
    source = parse_source("m.py", d('''
        """TODO in a docstring is prose."""
        NOTE = "FIXME"  # a string is data
        x = 1  # TODO: real work left
        # XXX(ana) check the sign
        # the "TODO" convention, quoted, is a comment about markers; so are TODOS
        '''))
    assert [(p.line, p.column, p.message.split()[0]) for p in marker_comments(source, ("TODO", "FIXME", "XXX"))] \
        == [(3, 8, "TODO"), (4, 1, "XXX")]


def test_docs_in_a_code_block_do_not_count_and_links_do(tmp_path: Path) -> None:
    files = dict(COMPLETE)
    files["docs/api.md"] = d('''
        # API

        Use [the model](../tinynet/model.py).

        ```markdown
        ::: tinynet.data
        ```
        ''')
    assert wfl(make_repo(tmp_path, files), "WFL005") == ["tinynet/data.py:1:1: WFL005"]


def test_suppressions_in_python_and_per_file_ignores(tmp_path: Path) -> None:
    files = dict(COMPLETE)
    files["tinynet/model.py"] = COMPLETE["tinynet/model.py"] + "\n# TODO: batch norm  # odyssey: ignore WFL006\n"
    files["tinynet/data.py"] = COMPLETE["tinynet/data.py"] + "\n# FIXME: shuffle\n"
    files["odyssey.toml"] = 'per-file-ignores = { "tinynet/data.py" = ["WFL006"] }\n\n' + CONFIG
    assert wfl(make_repo(tmp_path, files)) == []


# -- plans ---------------------------------------------------------------------------------------------------------
def test_plans_match_by_name_path_and_pattern_and_report_unknown_entries(tmp_path: Path) -> None:
    files = dict(COMPLETE)
    files["notes/plan-tinynet.md"] = COMPLETE["notes/plan-tinynet.md"].replace(
        "components: [tinynet.*]", "components: [tinynet/model.py, tinynet.dat, tinynet.data]")
    assert wfl(make_repo(tmp_path, files)) == ["notes/plan-tinynet.md:8:32: WFL010"]


# -- order (git) ---------------------------------------------------------------------------------------------------
def commit(root: Path, message: str, date: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, env=env, check=True, capture_output=True)


def test_implementation_committed_before_its_plan_is_out_of_order(tmp_path: Path) -> None:
    require_executable("git")
    files = {k: v for k, v in COMPLETE.items() if not k.startswith("notes/")}
    project = make_repo(tmp_path, files)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    commit(tmp_path, "code first", "2026-01-02T12:00:00+00:00")
    plan = COMPLETE["notes/plan-tinynet.md"].replace("2026-01-05", "2026-01-09")
    make_repo(tmp_path, {"notes/plan-tinynet.md": plan})
    commit(tmp_path, "plan afterwards", "2026-01-09T12:00:00+00:00")
    project = Project(tmp_path)
    assert wfl(project) == ["tinynet/data.py:1:1: WFL007", "tinynet/model.py:1:1: WFL007"]
    status = evaluate_workflow(project).statuses[0]
    assert status.order[0].planned.isoformat() == "2026-01-09"
    assert evaluate_workflow(project).to_dict()["history"] is True

    # The plan says it was written before the code: the earliest evidence counts, and the order holds.
    make_repo(tmp_path, {"notes/plan-tinynet.md": COMPLETE["notes/plan-tinynet.md"].replace("2026-01-05",
                                                                                            "2026-01-02")})
    assert wfl(Project(tmp_path)) == []
    # git = false: no dates, no order.
    make_repo(tmp_path, {"notes/plan-tinynet.md": plan, "odyssey.toml": CONFIG + "git = false\n"})
    assert wfl(Project(tmp_path)) == []


# -- agents --------------------------------------------------------------------------------------------------------
def agent(name: str, phase: str | None) -> str:
    line = f"phase: {phase}\n" if phase else ""
    return f"---\nname: {name}\ndescription: Works on tinynet.\n{line}---\n\n# {name}\n"


def test_agent_coverage_modes(tmp_path: Path) -> None:
    files = dict(COMPLETE)
    files["agents/planner.md"] = agent("planner", None)
    project = make_repo(tmp_path, files)
    assert wfl(project) == []  # auto: nobody declares phases, so nobody is expected to cover them
    make_repo(tmp_path, {"odyssey.toml": CONFIG + 'agent-coverage = "always"\n'})
    assert wfl(Project(tmp_path), "WFL009") == ["odyssey.toml:1:1: WFL009"] * 5
    make_repo(tmp_path, {"odyssey.toml": CONFIG, "agents/planner.md": agent("planner", "[plan, test]")})
    assert wfl(Project(tmp_path), "WFL009") == [
        "agents/planner.md:4:1: WFL009",  # the default phases have no line of their own: the first declaration
    ] * 3
    make_repo(tmp_path, {"odyssey.toml": CONFIG + 'agent-coverage = "never"\n'})
    assert wfl(Project(tmp_path), "WFL009") == []


def test_agent_phase_is_allowed_by_the_agent_schema(tmp_path: Path) -> None:
    files = {"agents/builder.md": "---\nname: builder\ndescription: Builds.\nphase: [implementation, test]\n---\n\n"
                                  "# Builder\n"}
    result = run_checks(make_repo(tmp_path, files), None, Selection(select=("AGT0",)))
    assert [f.code for f in result.findings] == []


# -- settings ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("table", "message"), [
    ('phases = [{ name = "a", evidence = [], after = ["b"] }]', "comes after 'b', which is not a phase"),
    ('phases = [{ name = "a", evidence = [], after = ["b"] }, { name = "b", evidence = [], after = ["a"] }]',
     "circular (a -> b -> a)"),
    ('phases = [{ name = "a", evidence = [] }, { name = "a", evidence = [] }]', "declared twice"),
    ('components = [{ paths = ["x/*.py"], aliases = "(" }]', "not a valid regular expression"),
    ('components = [{ paths = ["x/*.py"], tests = ["tests/{family}.py"] }]', "may use only"),
    ("coverage = { command = [] }", "coverage"),
])
def test_bad_settings_are_one_line_config_errors(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "odyssey.toml").write_text(f"[workflow]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="odyssey.toml") as raised:
        WorkflowCheck(Project(tmp_path, load_config(tmp_path)))
    assert message in str(raised.value) and "\n" not in str(raised.value)


# -- this repository -----------------------------------------------------------------------------------------------
def test_this_repository_follows_its_workflow() -> None:
    """Every lenet5 module and odyssey check family has a plan note, tests, an implementation, a place in the wheel,
    docs, and no marker comments (the [tool.odyssey.workflow] table of pyproject.toml)."""
    project = Project(REPOSITORY)
    assert workflow_settings(project.config).configured, "pyproject.toml has no [tool.odyssey.workflow] table"
    result = run_checks(project, None, Selection(select=("WFL",)))
    assert result.errors == []
    assert [f"{f.path}:{f.line}: {f.code} {f.message}" for f in result.findings] == []
