"""duplicates (DUP001-DUP007): which copy is kept and why, the text options, scaffolds and boilerplate instead of
pairs, topical groups that must stand out, configuration, and the precision check on this repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from odyssey.checks import duplicates
from odyssey.checks.duplicates import CanonicalChooser, git_first_added
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.globs import any_match
from odyssey.policy import Selection
from odyssey.project import Project
from tests.conftest import require_executable
from tests.odyssey.helpers import check_findings, make_repo

REPOSITORY = Path(__file__).resolve().parents[3]


def findings(project: Project, select: str = "DUP") -> list[Finding]:
    return check_findings(project, select)


def located(found: list[Finding]) -> list[str]:
    return [f"{f.path}:{f.line}: {f.code}" for f in found]


GUIDE = """# Training guide

Train LeNet-5 with `lenet5 train --epochs 10`. The defaults reach about 89% test accuracy on EMNIST balanced after
ten epochs on the two-core CI machine, and a checkpoint is written after every epoch.

## Resuming

Interrupted runs continue with `--resume`: the optimizer state and the random generator are saved with the weights,
so a resumed run produces exactly the same weights as an uninterrupted one with the same seed.

```bash
lenet5 train --epochs 10 --resume
```
"""


# -- this repository ----------------------------------------------------------------------------------------------
def test_this_repository_is_clean() -> None:
    """Precision: the notes that are related to each other, the agents that share their structure and the README
    that the docs summarize must not be reported by the duplicates or xref families."""
    project = Project(REPOSITORY)
    result = run_checks(project, None, Selection(select=("DUP", "XRF")))
    assert result.errors == []
    assert [f"{f.path}:{f.line}: {f.code} {f.message}" for f in result.findings] == []


# -- the copy to keep ---------------------------------------------------------------------------------------------
def test_the_copy_where_placement_puts_it_beats_the_most_linked(tmp_path: Path) -> None:
    files = {
        "README.md": "# Project\n\n[status](STATUS_REPORT.md) and [more](STATUS_REPORT.md)\n",
        "docs/index.md": "# Docs\n\n[status](../STATUS_REPORT.md)\n",
        "STATUS_REPORT.md": GUIDE,
        "notes/status-report.md": GUIDE,
    }
    found = findings(make_repo(tmp_path, files))
    assert located(found) == ["STATUS_REPORT.md:1: DUP001"]
    assert "keep notes/status-report.md (it is where the placement rules put it)" in found[0].message
    assert found[0].fix is not None and found[0].fix.kind == "delete" and not found[0].fix.safe


def test_then_the_most_linked_copy_then_the_first_by_name(tmp_path: Path) -> None:
    files = {
        "README.md": "# Project\n\n[guide](docs/b-guide.md), [other guide](docs/guides/a-guide.md)\n",
        "docs/index.md": "# Docs\n\n[guide](b-guide.md)\n",
        "docs/b-guide.md": GUIDE,
        "docs/guides/a-guide.md": GUIDE,
        "notes/x.md": GUIDE,
        "notes/y.md": GUIDE,
    }
    project = make_repo(tmp_path, files)
    chooser = CanonicalChooser(project)
    assert chooser.order(["docs/guides/a-guide.md", "docs/b-guide.md"])[0] == "docs/b-guide.md"
    assert chooser.reason("docs/b-guide.md", ["docs/guides/a-guide.md"]) == "the most linked: 2 files link to it"
    assert chooser.order(["notes/y.md", "notes/x.md"]) == ["notes/x.md", "notes/y.md"]
    assert chooser.reason("notes/x.md", ["notes/y.md"]) == "the first by name"
    # A root document is where every reader starts: it outranks any number of links.
    assert chooser.order(["docs/b-guide.md", "README.md"])[0] == "README.md"


def git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Agent", "GIT_AUTHOR_EMAIL": "agent@example.invalid",
           "GIT_COMMITTER_NAME": "Agent", "GIT_COMMITTER_EMAIL": "agent@example.invalid"}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def test_then_the_oldest_in_git_history_from_one_git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_executable("git")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "notes").mkdir()
    (root / "notes" / "zeta.md").write_text(GUIDE, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "first", date="2024-03-01T10:00:00+00:00")
    (root / "notes" / "alpha.md").write_text(GUIDE, encoding="utf-8")
    (root / "notes" / "space name.md").write_text("# Other\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "second", date="2024-06-01T10:00:00+00:00")
    added = git_first_added(root)
    assert added["notes/zeta.md"] < added["notes/alpha.md"] == added["notes/space name.md"]

    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(argv, *args, **kwargs):  # type: ignore[no-untyped-def]
        if list(argv[:1]) == ["git"] and "log" in argv:
            calls.append(list(argv))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(duplicates.subprocess, "run", counting_run)
    found = findings(Project(root))
    assert located(found) == ["notes/alpha.md:1: DUP001"]
    assert "keep notes/zeta.md (the oldest: in git since 2024-03-01)" in found[0].message
    assert len(calls) == 1  # one git log for the whole history, not one per file


def test_outside_git_there_is_no_history(tmp_path: Path) -> None:
    assert git_first_added(tmp_path) == {}


# -- what is compared ---------------------------------------------------------------------------------------------
def test_code_blocks_are_not_compared_unless_configured(tmp_path: Path) -> None:
    other = GUIDE.replace("lenet5 train --epochs 10 --resume", "python -m lenet5.train --resume --epochs 10")
    files = {"docs/guide.md": GUIDE, "notes/guide-copy.md": other}
    assert located(findings(make_repo(tmp_path / "a", files))) == ["notes/guide-copy.md:1: DUP001"]
    configured = {**files, "odyssey.toml": "[duplicates]\ninclude-code = true\n"}
    found = findings(make_repo(tmp_path / "b", configured))
    assert [f.code for f in found] == ["DUP003"]  # now a near duplicate: the code differs


def test_frontmatter_is_not_compared_unless_configured(tmp_path: Path) -> None:
    files = {
        "notes/run-a.md": "---\ndate: 2024-06-01\nauthor: agent-1\n---\n\n" + GUIDE,
        "notes/run-b.md": "---\ndate: 2024-06-09\nauthor: agent-2\n---\n\n" + GUIDE,
    }
    assert [f.code for f in findings(make_repo(tmp_path / "a", files))] == ["DUP001"]
    configured = {**files, "odyssey.toml": "[duplicates]\ninclude-frontmatter = true\n"}
    assert [f.code for f in findings(make_repo(tmp_path / "b", configured))] == ["DUP003"]


LICENSE_SECTION = """
## License

Copyright (c) 2024 VisionLab contributors. This package is licensed under the MIT License: you may use, copy,
modify, merge, publish and distribute it, provided that the copyright notice and this permission notice are
included in all copies or substantial portions of the software.
"""


def test_license_text_is_not_compared_unless_configured(tmp_path: Path) -> None:
    files = {f"{package}/README.md": f"# {package}\n\nThe {package} package of VisionLab.\n{LICENSE_SECTION}"
             for package in ("models", "data", "training")}
    assert findings(make_repo(tmp_path / "a", files)) == []
    configured = {**files, "odyssey.toml": "[duplicates]\ninclude-license = true\n"}
    found = findings(make_repo(tmp_path / "b", configured))
    assert located(found) == ["data/README.md:5: DUP007"]
    assert "repeated word for word in 3 documents" in found[0].message


def test_changelogs_are_excluded_by_default(tmp_path: Path) -> None:
    notes = "\n".join(f"- Fixed the gradient of layer {i}, which was wrong when the input had one channel."
                      for i in range(6))
    files = {"CHANGELOG.md": f"# Changelog\n\n## 1.1.0\n\n{notes}\n", "docs/release-1-1.md": f"# 1.1.0\n\n{notes}\n"}
    assert findings(make_repo(tmp_path / "a", files)) == []
    configured = {**files, "odyssey.toml": "[duplicates]\nexclude = []\n"}
    assert [f.code for f in findings(make_repo(tmp_path / "b", configured))] == ["DUP003"]


def test_the_threshold_is_configurable(tmp_path: Path) -> None:
    edited = GUIDE.replace("about 89% test accuracy", "roughly 89 percent accuracy on the test split")
    files = {"docs/guide.md": GUIDE, "notes/guide-copy.md": edited}
    found = findings(make_repo(tmp_path / "a", files))
    assert [f.code for f in found] == ["DUP003"]
    assert "near duplicate of docs/guide.md (shingle similarity 0.7" in found[0].message
    configured = {**files, "odyssey.toml": "[duplicates]\nthreshold = 0.95\n"}
    # No longer near duplicates; the Resuming section is still the same text word for word.
    assert located(findings(make_repo(tmp_path / "b", configured))) == ["notes/guide-copy.md:6: DUP002"]


# -- recognized as such, not as pairs -----------------------------------------------------------------------------
def test_scaffolds_from_one_template_are_one_finding(tmp_path: Path) -> None:
    page = "# {name}\n\n## Overview\n\nTODO\n\n## Usage\n\nTODO\n\n## Parameters\n\nTBD\n"
    files = {f"docs/api/{name}.md": page.format(name=name) for name in ("conv", "pool", "relu", "linear", "loss")}
    files["docs/api/extra.md"] = page.format(name="conv")  # byte-identical to conv.md
    found = findings(make_repo(tmp_path, files))
    assert located(found) == ["docs/api/conv.md:3: DUP006"]
    assert "6 documents are unfilled copies of one template" in found[0].message
    assert "'Overview', 'Usage', 'Parameters'" in found[0].message


def test_shared_boilerplate_does_not_make_agent_files_near_duplicates(tmp_path: Path) -> None:
    boilerplate = (
        "## Working rules\n\nRead the issue and the notes it touches before writing anything. Keep every change inside "
        "the files you own, run the tests and `odyssey check` before handing back, and quote numbers only from "
        "commands you ran in this session.\n\nWhen something is left undone, say what and why in the first line of "
        "your report, so that the orchestrator can plan the next step instead of finding the gap in review.\n"
    )
    roles = {
        "data-engineer": "Maintains the IDX reader and the EMNIST loaders.",
        "model-engineer": "Implements the layers and the training loop.",
        "test-engineer": "Audits the tests of every change.",
    }
    files = {
        f"agents/{name}.md": f"---\nname: {name}\ndescription: {role}\ntools: Read\n---\n\n# {name}\n\n{role}\n\n"
                             f"{boilerplate}"
        for name, role in roles.items()
    }
    found = findings(make_repo(tmp_path, files))
    assert located(found) == ["agents/data-engineer.md:11: DUP007"]


# -- topical overlap ----------------------------------------------------------------------------------------------
def topic_text(topic: str, sentences: int, seed: int) -> str:
    """Sentences made of a topic's own words: two texts of one topic share vocabulary but not word order."""
    import random

    rng = random.Random(seed)
    vocabulary = [f"{topic}{suffix}" for suffix in ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa",
                                                     "theta", "lambda", "zeta", "epsilon", "iota")]
    return "\n\n".join(" ".join(rng.sample(vocabulary, 8)) + "." for _ in range(sentences))


def test_a_document_between_two_subjects_is_nobodys_duplicate(tmp_path: Path) -> None:
    """A shares B's subject and C's; B and C share nothing. A-B alone would be a pair, but A is as close to C:
    it does not stand out, so nothing is consolidated."""
    files = {
        "notes/a.md": "# A\n\n" + topic_text("loader", 6, 1) + "\n\n" + topic_text("kernel", 6, 2),
        "notes/b.md": "# B\n\n" + topic_text("loader", 10, 3),
        "notes/c.md": "# C\n\n" + topic_text("kernel", 10, 4),
        **{f"notes/other-{i}.md": f"# Other {i}\n\n" + topic_text(f"subject{i}x", 8, 10 + i) for i in range(6)},
    }
    project = make_repo(tmp_path, files)
    assert findings(project, "DUP005") == []
    files["notes/c.md"] = "# C\n\n" + topic_text("unrelated", 10, 4)  # without C, A and B stand out together
    project = make_repo(tmp_path, files)
    assert located(findings(project, "DUP005")) == ["notes/a.md:1: DUP005"]


def test_superseded_notes_agent_files_and_index_pages_are_not_consolidation_candidates(tmp_path: Path) -> None:
    text = topic_text("loader", 10, 1)
    paraphrase = topic_text("loader", 10, 2)
    others = {f"notes/other-{i}.md": f"# Other {i}\n\n" + topic_text(f"subject{i}x", 8, 10 + i) for i in range(6)}
    base = {"notes/current.md": "# Current\n\n" + text, **others}
    cases = {
        "notes/old.md": "---\nstatus: superseded\nsuperseded_by: current.md\n---\n\n# Old\n\n" + paraphrase,
        "agents/loader-engineer.md": "---\nname: loader-engineer\ndescription: x\ntools: Read\n---\n\n# Loader\n\n"
                                     + paraphrase,
        "notes/README.md": "# Notes\n\n" + paraphrase,
    }
    for number, (path, content) in enumerate(cases.items()):
        assert findings(make_repo(tmp_path / str(number), {**base, path: content}), "DUP005") == []
    found = findings(make_repo(tmp_path / "plain", {**base, "notes/new.md": "# New\n\n" + paraphrase}), "DUP005")
    assert [f.code for f in found] == ["DUP005"]
    assert "cover the same subject in different words" in found[0].message
    assert "shared key terms: loader" in found[0].message


def test_findings_are_the_same_on_every_run(tmp_path: Path) -> None:
    files = {"docs/guide.md": GUIDE, "notes/copy.md": GUIDE.replace("ten epochs", "10 epochs"),
             "notes/other.md": GUIDE.replace("Resuming", "Continuing")}
    first = [(f.path, f.line, f.code, f.message) for f in findings(make_repo(tmp_path, files))]
    second = [(f.path, f.line, f.code, f.message) for f in findings(Project(tmp_path))]
    assert first == second and first


def test_the_compiled_exclude_matcher_agrees_with_any_match() -> None:
    patterns = ("CHANGELOG*", "changelog*", "changelogs/", "docs/generated/**", "/top.md")
    matcher = duplicates.glob_matcher(patterns)
    paths = ["CHANGELOG.md", "pkg/CHANGELOG_V1.md", "changelogs/v1/notes.md", "docs/generated/a/b.md", "top.md",
             "docs/top.md", "docs/guide.md", "changelog.md", "notes/mychangelog.md", "docs/generated.md"]
    assert [matcher(path) for path in paths] == [any_match(path, patterns) for path in paths]
    assert duplicates.glob_matcher(())("anything.md") is False
