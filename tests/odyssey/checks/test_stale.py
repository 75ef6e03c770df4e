"""stale (STL001-STL006): paths, symbols, superseded notes, counts and code changes the documents missed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from odyssey.checks import stale
from odyssey.checks.stale import path_candidate
from odyssey.config import ConfigError
from odyssey.findings import Finding
from odyssey.project import Project
from tests.conftest import require_executable
from tests.odyssey.helpers import check_findings, located, make_repo, write_tree


def findings(project: Project, select: str = "STL") -> list[Finding]:
    return check_findings(project, select)


PACKAGE = {
    "lenet5/__init__.py": "from lenet5.model import LeNet5\n",
    "lenet5/model.py": "class LeNet5:\n    def forward(self, x):\n        return x\n",
    "lenet5/training.py": "def fit(model):\n    return model\n",
    "lenet5/layers/__init__.py": "",
    "lenet5/layers/conv2d.py": "class Conv2d:\n    pass\n",
    "tools/check.py": "",
}


# -- STL001 -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("written", "path"), [
    ("lenet5/model.py", "lenet5/model.py"),
    ("lenet5/layers/", "lenet5/layers/"),
    ("./lenet5/model.py", "lenet5/model.py"),
    ("lenet5/model.py:12", "lenet5/model.py"),
    ("lenet5/model.py:12:5", "lenet5/model.py"),
    ("tests/test_model.py::test_forward", "tests/test_model.py"),
    ("lenet5/model.py#L10-L20", "lenet5/model.py"),
    ("../lenet5/model.py", "../lenet5/model.py"),
    ("scripts/train.sh", "scripts/train.sh"),  # no such directory, but a source suffix
    ("docs/guide.md", "docs/guide.md"),
    ("datasets/emnist", None),  # neither an existing top-level directory nor a source suffix
    ("lenet5_weights/lenet5.npz", None),
    ("lenet5", None),  # no slash
    ("model.py", None),
    ("lenet5/**/*.py", None),
    ("<run>/metadata.json", None),
    ("lenet5/{model,data}.py", None),
    ("python lenet5/model.py", None),
    ("/home/alice/lenet5/model.py", None),
    ("~/lenet5/model.py", None),
    ("https://example.com/lenet5/model.py", None),
    ("$ROOT/lenet5/model.py", None),
    ("lenet5/.../model.py", None),
    ("--weights-dir/x.py", None),
])
def test_path_candidates(written: str, path: str | None) -> None:
    assert path_candidate(written, frozenset({"lenet5", "tests", "docs"}), stale.DEFAULT_PATH_SUFFIXES) == path


def test_missing_paths_with_suggestions(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {**PACKAGE, "docs/guide.md": (
        "# Guide\n\n"
        "`lenet5/nn/` `lenet5/nn/conv2d.py` `lenet5/modle.py` `Lenet5/model.py` `lenet5/losses.py` "
        "`lenet5/model.py` `../lenet5/training.py` `tools/check.py:3`\n"
    )})
    found = findings(project)
    assert [f.message for f in found] == [
        "'lenet5/nn/' names a path that does not exist in the repository",
        "'lenet5/nn/conv2d.py' names a path that does not exist in the repository; did you mean "
        "'lenet5/layers/conv2d.py'?",
        "'lenet5/modle.py' names a path that does not exist in the repository; did you mean 'lenet5/model.py'?",
        "'Lenet5/model.py' names a path that does not exist in the repository; did you mean 'lenet5/model.py'?",
        "'lenet5/losses.py' names a path that does not exist in the repository",
    ]
    assert [f.column for f in found] == [2, 15, 37, 55, 73]


def test_files_outside_the_index_still_exist(tmp_path: Path) -> None:
    # Excluded from the checks (and so from the file index), yet on disk: a reader finds them.
    project = make_repo(tmp_path, {
        "odyssey.toml": 'exclude = ["tests/fixtures/**"]\n',
        "tests/fixtures/repo/README.md": "# Fixture\n",
        "README.md": "# P\n\nFixtures live in `tests/fixtures/repo/README.md`; see `tests/fixtures/gone.md`.\n",
    })
    assert [f.message.split("'")[1] for f in findings(project)] == ["tests/fixtures/gone.md"]


def test_gitignored_outputs_exist_on_every_machine(tmp_path: Path) -> None:
    # A doc naming an ignored output directory must not pass here (where it was created) and fail in a clean clone.
    project = make_repo(tmp_path, {
        **PACKAGE,
        ".gitignore": "/site/\nbenchmarks/out/\n*.npz\n",
        "lenet5/.gitignore": "cache/\n",
        "README.md": ("# P\n\nWeights go to `benchmarks/out/`, then `benchmarks/out/run1/lenet5.npz`; the site to "
                      "`site/index.html`; `lenet5/cache/x.py` is scratch. But `benchmarks/results/gone.json` and "
                      "`docs/site/page.md` are not ignored.\n"),
    })
    assert [f.message.split("'")[1] for f in findings(project)] == ["benchmarks/results/gone.json",
                                                                    "docs/site/page.md"]


def test_ignore_paths_option(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        **PACKAGE,
        "odyssey.toml": '[stale]\nignore-paths = ["lenet5/generated/**"]\npath-suffixes = [".py"]\n',
        "README.md": "# P\n\n`lenet5/generated/tables.py` `lenet5/generated/` `docs/missing.md` `x/missing.py`\n",
    })
    # docs/ does not exist and .md is no longer a path suffix; x/missing.py still is one.
    assert [f.message.split("'")[1] for f in findings(project)] == ["x/missing.py"]


# -- STL002 -----------------------------------------------------------------------------------------------------------
def test_symbols_of_the_repository_packages(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {**PACKAGE, "README.md": (
        "# P\n\n"
        "`lenet5.model.LeNet5` `lenet5.LeNet5.forward()` `lenet5.model.LeNet5.backward` `lenet5.train.fit` "
        "`lenet5.model.Lenet5` `lenet5.npz` `lenet5.toml` `numpy.linalg.norm` `lenet5.layers.conv2d.Conv2d(1, 6, 5)` "
        "`lenet5.nn.Conv2d`\n"
    )})
    found = findings(project)
    assert [f.message for f in found] == [
        "'lenet5.model.LeNet5.backward' names a member that does not exist: class 'lenet5.model.LeNet5' "
        "(lenet5/model.py) has no 'backward'",
        "'lenet5.train.fit' names a module that does not exist: no module 'lenet5.train' in this repository; "
        "did you mean 'lenet5.training.fit'?",
        "'lenet5.model.Lenet5' names something that does not exist: module 'lenet5.model' (lenet5/model.py) has no "
        "name 'Lenet5'; did you mean 'lenet5.model.LeNet5'?",
        "'lenet5.nn.Conv2d' names a module that does not exist: no module 'lenet5.nn' in this repository; did you mean "
        "'lenet5.layers.conv2d.Conv2d'?",
    ]
    assert {f.code for f in found} == {"STL002"}


def test_packages_come_from_pyproject_package_dir(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "pyproject.toml": '[tool.setuptools]\npackage-dir = {"odyssey" = "tools/odyssey"}\n',
        "tools/odyssey/__init__.py": "",
        "tools/odyssey/resolve.py": "def resolve(source, written):\n    return written\n",
        "tools/__init__.py": "",
        "README.md": "# P\n\n`odyssey.resolve.resolve` `odyssey.links.resolve` `odyssey.resolver` `tools.anything`\n",
    })
    # `tools` is not a package of the distribution, so `tools.anything` is not looked up.
    assert [f.message for f in findings(project)] == [
        "'odyssey.links.resolve' names a module that does not exist: no module 'odyssey.links' in this repository; "
        "did you mean 'odyssey.resolve.resolve'?",
        "'odyssey.resolver' names something that does not exist: package 'odyssey' (tools/odyssey/__init__.py) has "
        "no module or name 'resolver'; did you mean 'odyssey.resolve'?",
    ]


def test_retired_documents_are_history(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {**PACKAGE, "notes/old.md": (
        "---\nstatus: archived\n---\n\n# Old\n\n`lenet5/gone.py` `lenet5.gone.f` and 9 agents.\n"
    )})
    assert findings(project) == []


# -- STL003, STL004 ---------------------------------------------------------------------------------------------------
SUPERSEDED = {
    "docs/old.md": "---\nstatus: superseded\nsuperseded_by: new.md\n---\n\n# Old\n\nOld text.\n",
    "docs/new.md": "---\nstatus: active\n---\n\n# New\n\nReplaces [the old page](old.md).\n",
}


def test_links_to_superseded_documents(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {**SUPERSEDED,
        "docs/README.md": "# Docs\n\n- [Old](old.md)\n",  # the directory's index lists every page
        "README.md": "# P\n\nRead [the guide](docs/old.md). [again](docs/old.md \"the old guide\")\n\n"
                     "Historical: [the first guide](docs/old.md) was superseded.\n\n"
                     "<a href=\"docs/old.md\">raw</a>\n",
        "notes/retro.md": "---\nstatus: archived\n---\n\n# Retro\n\n[old](../docs/old.md)\n",
    })
    found = findings(project, "STL003")
    assert located(found) == ["README.md:3:6: STL003", "README.md:3:32: STL003", "README.md:7:1: STL003"]
    assert found[0].message == "link to 'docs/old.md', which is superseded by 'docs/new.md'; link to 'docs/new.md' " \
                               "instead"
    assert found[0].severity.value == "warning"


def test_superseded_without_successor_and_superseded_by_alone(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "docs/a.md": "---\nstatus: Superseded\n---\n\n# A\n\nText.\n",
        "docs/b.md": "---\nsuperseded_by: a.md\n---\n\n# B\n\nText.\n",
        "README.md": "# P\n\n[a](docs/a.md) [b](docs/b.md)\n",
    })
    messages = [f.message for f in findings(project, "STL003")]
    assert messages == [
        "link to 'docs/a.md', which is superseded; link to its successor, or say that it is history",
        "link to 'docs/b.md', which is superseded by 'docs/a.md'; link to 'docs/a.md' instead",
    ]


def test_missing_successors(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "docs/guides/setup-guide.md": "# Setup\n\nText.\n",
        "docs/old/a.md": "---\nstatus: superseded\nsuperseded_by: setup-guide.md\n---\n\n# A\n\nText.\n",
        "docs/old/b.md": "---\nstatus: superseded\nsuperseded_by: [/docs/guides/setup-guide.md, c, '']\n---\n\n"
                         "# B\n\nText.\n",
        "docs/old/c.md": "---\nsuperseded_by: docs/guides/setup-guide\n---\n\n# C\n\nText.\n",
        "docs/old/d.md": "---\nsuperseded_by: https://example.invalid/setup\n---\n\n# D\n\nText.\n",
    })
    found = findings(project, "STL004")
    assert located(found) == ["docs/old/a.md:3:16: STL004"]
    assert found[0].message == "superseded_by 'setup-guide.md' names no file of the repository; did you mean " \
                               "'../guides/setup-guide.md'?"


def test_notes_are_left_to_the_notes_family(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "notes/old.md": "---\nstatus: superseded\nsuperseded_by: gone.md\n---\n\n# Old\n\nText.\n",
        "docs/old.md": "---\nstatus: superseded\nsuperseded_by: gone.md\n---\n\n# Old\n\nText.\n",
    })
    assert [f.path for f in findings(project, "STL004")] == ["docs/old.md"]


# -- STL005 -----------------------------------------------------------------------------------------------------------
AGENTS = {f"agents/{name}.md": f"---\nname: {name}\ndescription: d\n---\n\n# {name}\n\nWork.\n"
          for name in ("orchestrator", "reviewer", "writer", "tester")}


@pytest.mark.parametrize(("sentence", "reported"), [
    ("The team has 4 agents.", False),
    ("The team has 23 agents.", True),
    ("All 38 specialized agents report to the orchestrator.", True),
    ("There are 5 agent definitions.", True),
    ("We run 12 sub-agents.", True),
    ("Up to 3 agents run in parallel.", False),
    ("It runs 2 agents at once.", False),
    ("It spawns 6 parallel agents.", False),
    ("Each of the 3 agents at level 2 reports up.", False),
    ("The 2 new agents joined in May.", False),
    ("More than 10 agents would not fit.", False),
    ("Run `spawn 8 agents` to see.", False),
    ("Version 2.5 agents are faster.", False),
    ("Moreover 7 agents disagree.", True),
])
def test_agent_count_claims(tmp_path: Path, sentence: str, reported: bool) -> None:
    project = make_repo(tmp_path, {**AGENTS, "README.md": f"# Team\n\n{sentence}\n"})
    found = findings(project, "STL005")
    assert bool(found) == reported
    if reported:
        assert found[0].message.endswith("the repository has 4 (agent definition files)")


def test_claim_position_in_a_multi_line_paragraph(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {**AGENTS, "README.md": "# Team\n\nThe team\nhas 23 agents and\none lead.\n"})
    assert located(findings(project, "STL005")) == ["README.md:4:5: STL005"]


def test_configured_claims_count_files_and_rules(tmp_path: Path) -> None:
    config = (
        "[[stale.claims]]\nnoun = 'notes'\nfiles = ['notes/*.md']\nexclude = ['notes/README.md']\n\n"
        "[[stale.claims]]\nnoun = 'rules'\ncount = 'rules'\n"
    )
    project = make_repo(tmp_path, {
        **AGENTS, "odyssey.toml": config,
        "notes/README.md": "# Notes\n\nTwo notes: [a](a.md), [b](b.md).\n",
        "notes/a.md": "# A\n\nText.\n", "notes/b.md": "# B\n\nText.\n",
        "README.md": "# P\n\n3 notes, 2 notes, 5 rules and 9 agents ([notes](notes/README.md)).\n",
    })
    messages = [f.message for f in findings(project, "STL005")]
    # The configured claims replace the default: agents are not counted any more.
    assert messages[0] == "'3 notes': the repository has 2 (files matching notes/*.md)"
    assert messages[1].startswith("'5 rules': the repository has ") and messages[1].endswith("(odyssey rules)")
    assert len(messages) == 2


def test_invalid_claim_pattern_is_a_configuration_error(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {"odyssey.toml": "[[stale.claims]]\nnoun = 'a(b'\ncount = 'agents'\n"})
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        findings(project)


def test_claims_config_needs_a_counter(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        make_repo(tmp_path, {"odyssey.toml": "[[stale.claims]]\nnoun = 'notes'\n"})


# -- STL006 -----------------------------------------------------------------------------------------------------------
def git(root: Path, *args: str, date: str = "2026-05-01T10:00:00") -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.invalid", "GIT_COMMITTER_NAME": "Ada",
                "GIT_COMMITTER_EMAIL": "ada@example.invalid", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
                "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=60)


def history_repo(root: Path) -> None:
    require_executable("git")
    write_tree(root, {**PACKAGE, "odyssey.toml": "[stale]\ngit = true\n",
                      "docs/model.md": "# Model\n\n`lenet5/model.py` and [training](../lenet5/training.py).\n",
                      "docs/layers.md": "# Layers\n\nSee `lenet5.layers.conv2d.Conv2d` and `lenet5/layers/`.\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Add the model")
    for day, subject in enumerate(("Rename forward", "Add dropout", "Tune the init", "Rewrite forward"), start=2):
        (root / "lenet5/model.py").write_text(f"class LeNet5:\n    version = {day}\n", encoding="utf-8")
        (root / "lenet5/layers/conv2d.py").write_text(f"class Conv2d:\n    v = {day}\n", encoding="utf-8")
        git(root, "commit", "-qam", subject, date=f"2026-05-0{day}T10:00:00")


def test_git_mode_names_the_commits_after_the_document(tmp_path: Path) -> None:
    history_repo(tmp_path)
    found = findings(Project(tmp_path), "STL006")
    assert located(found) == ["docs/layers.md:3:6: STL006", "docs/model.md:3:2: STL006"]
    message = found[1].message
    assert message.startswith("'lenet5/model.py' changed in 4 commits since this document was last changed (")
    assert "Rewrite forward; " in message and "Tune the init; " in message and "Add dropout; and 1 more)" in message
    assert "Rename forward" not in message  # at most three commits are named
    assert found[0].severity.value == "info"


def test_git_mode_skips_documents_with_uncommitted_changes(tmp_path: Path) -> None:
    history_repo(tmp_path)
    (tmp_path / "docs/model.md").write_text("# Model\n\n`lenet5/model.py` is up to date.\n", encoding="utf-8")
    assert [f.path for f in findings(Project(tmp_path), "STL006")] == ["docs/layers.md"]


def test_git_mode_uses_a_bounded_number_of_git_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history_repo(tmp_path)
    for number in range(30):
        write_tree(tmp_path, {f"docs/page-{number}.md": f"# Page {number}\n\n`lenet5/model.py`\n"})
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "Thirty pages", date="2026-04-01T10:00:00")
    project = Project(tmp_path)
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(command: list[str], *args: object, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(command)
        return real_run(command, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stale.subprocess, "run", counting_run)
    assert len(findings(project, "STL006")) == 2  # the pages were committed after the code changed
    assert len(calls) <= 3


def test_git_mode_is_off_by_default_and_silent_outside_git(tmp_path: Path) -> None:
    history_repo(tmp_path / "repo")
    (tmp_path / "repo/odyssey.toml").unlink()
    assert findings(Project(tmp_path / "repo"), "STL006") == []
    project = make_repo(tmp_path / "plain", {**PACKAGE, "odyssey.toml": "[stale]\ngit = true\n",
                                             "README.md": "# P\n\n`lenet5/model.py`\n"})
    assert findings(project, "STL006") == []
