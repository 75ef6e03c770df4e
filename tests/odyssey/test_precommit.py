"""pre-commit integration: the hook manifest (.pre-commit-hooks.yaml) against the check families, this repository's own
.pre-commit-config.yaml, and real ``pre-commit`` runs in temporary git repositories.

No network: the hooks run as ``repo: local`` hooks (``language: unsupported``, pre-commit's name for ``system`` since
4.4) calling this virtualenv's odyssey through a small wrapper that logs each invocation's arguments, so the tests can
prove which files every hook received. PRE_COMMIT_HOME points into the test's tmp_path; global and system git
configuration are ignored.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from odyssey.checks import FAMILY_MODULES, all_checks, all_rules
from odyssey.checks.base import DocumentCheck, ProjectCheck
from tests.conftest import require_module

REPOSITORY = Path(__file__).resolve().parents[2]
MANIFEST = REPOSITORY / ".pre-commit-hooks.yaml"
OWN_CONFIG = REPOSITORY / ".pre-commit-config.yaml"
README = REPOSITORY / "README.md"

# Appends {"hook": id, "args": [...]} to $ODYSSEY_HOOK_LOG, then runs odyssey with those arguments.
LOGGING_WRAPPER = """\
import json, os, sys
from odyssey.cli import main
hook, args = sys.argv[1], sys.argv[2:]
with open(os.environ["ODYSSEY_HOOK_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"hook": hook, "args": args}) + "\\n")
raise SystemExit(main(args))
"""


def manifest() -> list[dict[str, Any]]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def manifest_hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in manifest()}


def hook_id(family: str) -> str:
    return "odyssey-" + family.replace("_", "-")


def selected_codes(entry: str) -> set[str]:
    """The rule codes an ``odyssey check [--select X]`` entry runs."""
    words = shlex.split(entry)
    assert words[:2] == ["odyssey", "check"], entry
    if "--select" not in words:
        return {rule.code for rule in all_rules()}
    prefix = words[words.index("--select") + 1]
    return {rule.code for rule in all_rules() if rule.code.startswith(prefix)}


def families() -> dict[str, list[type]]:
    """Family (a module of odyssey.checks, as named in FAMILY_MODULES) -> its check classes, for built families."""
    grouped: dict[str, list[type]] = {}
    for name in FAMILY_MODULES:
        try:
            module = importlib.import_module(f"odyssey.checks.{name}")
        except ModuleNotFoundError:
            continue  # not built yet (all_checks() skips it too)
        grouped[name] = list(module.CHECKS)
    return grouped


def is_whole_repository(checks: list[type]) -> bool:
    """Only project-wide checks: a family that also checks documents one by one can take file names."""
    return all(issubclass(c, ProjectCheck) and not issubclass(c, DocumentCheck) for c in checks)


# -- the manifest -------------------------------------------------------------------------------------------------
def test_manifest_has_one_hook_per_family_plus_all() -> None:
    assert list(manifest_hooks()) == [hook["id"] for hook in manifest()], "duplicate hook ids"
    assert set(manifest_hooks()) == {hook_id(family) for family in FAMILY_MODULES} | {"odyssey-all"}
    # Every check odyssey runs belongs to one family hook.
    assert sorted(map(str, all_checks())) == sorted(str(c) for checks in families().values() for c in checks)


@pytest.mark.parametrize("family", sorted(families()))
def test_each_family_hook_selects_exactly_that_family(family: str) -> None:
    checks = families()[family]
    hook = manifest_hooks()[hook_id(family)]
    assert hook["language"] == "python"
    assert selected_codes(hook["entry"]) == {rule.code for check in checks for rule in check.rules}
    if is_whole_repository(checks):
        # Project-wide checks run only without paths: never batch them, run them once.
        assert hook.get("pass_filenames") is False and hook.get("require_serial") is True
        assert "types" not in hook  # types would AND with files and drop mkdocs.yml
    else:
        assert hook.get("pass_filenames", True) is True
        assert hook["types"] == ["markdown"]


def test_odyssey_all_runs_everything_once_on_the_whole_repository() -> None:
    hook = manifest_hooks()["odyssey-all"]
    assert hook["entry"] == "odyssey check" and selected_codes(hook["entry"]) == {r.code for r in all_rules()}
    assert hook["pass_filenames"] is False and hook["require_serial"] is True


@pytest.mark.parametrize("hook", [h for h in manifest() if h.get("pass_filenames") is False], ids=lambda h: h["id"])
def test_whole_repository_hooks_run_when_markdown_or_mkdocs_changes(hook: dict[str, Any]) -> None:
    pattern = re.compile(hook["files"])
    for path in ("README.md", "docs/guide/setup.md", "notes/x.markdown", "mkdocs.yml", "site/mkdocs.yaml",
                 "odyssey.toml", "pyproject.toml"):
        assert pattern.search(path), path
    # The workflow hook reads every module (components are Python files); the others read no source code.
    unrelated = ["docs/img/plot.png", "notmkdocs.yml", "README.md.bak"]
    if hook["id"] != "odyssey-workflow":
        unrelated.append("lenet5/model.py")
    for path in unrelated:
        assert not pattern.search(path), path


def test_manifest_and_own_config_pass_pre_commit_validation() -> None:
    require_module("pre_commit")
    for command, path in (("validate-manifest", MANIFEST), ("validate-config", OWN_CONFIG)):
        done = subprocess.run([sys.executable, "-m", "pre_commit", command, str(path)], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def test_readme_documents_every_hook() -> None:
    text = README.read_text(encoding="utf-8")
    assert [hook_id for hook_id in manifest_hooks() if hook_id not in text] == []


def test_own_config_mirrors_the_manifest_as_local_hooks() -> None:
    """This repository uses its own hooks offline: same ids, commands and file filters, from the virtualenv."""
    config = yaml.safe_load(OWN_CONFIG.read_text(encoding="utf-8"))
    local = {hook["id"]: hook for repo in config["repos"] if repo["repo"] == "local" for hook in repo["hooks"]}
    for hook_id_, published in manifest_hooks().items():
        own = local[hook_id_]
        assert own["language"] == "unsupported"
        for key in ("entry", "pass_filenames", "files", "types", "require_serial"):
            assert own.get(key) == published.get(key), (hook_id_, key)
    assert all(repo["repo"] in ("local", "meta") for repo in config["repos"]), "every hook must work offline"


# -- real pre-commit runs -----------------------------------------------------------------------------------------
def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "PRE_COMMIT"))}
    env.update({
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "ODYSSEY_HOOK_LOG": str(tmp_path / "hooks.log"),
        "PYTHONIOENCODING": "utf-8",
    })
    env.update(extra)
    return env


def unsupported_language() -> str:
    pre_commit = require_module("pre_commit.constants")
    version = tuple(int(part) for part in re.findall(r"\d+", pre_commit.VERSION)[:2])
    return "unsupported" if version >= (4, 4) else "system"


class Sandbox:
    """A temporary git repository with a pre-commit config of local odyssey hooks taken from the manifest."""

    def __init__(self, tmp_path: Path, hook_ids: list[str]) -> None:
        require_module("pre_commit")
        if shutil.which("git") is None:
            pytest.skip("git is not installed")
        self.tmp_path = tmp_path
        self.root = tmp_path / "repo"
        self.root.mkdir()
        self.env = clean_env(tmp_path)
        self.log = Path(self.env["ODYSSEY_HOOK_LOG"])
        wrapper = tmp_path / "log_odyssey.py"
        wrapper.write_text(LOGGING_WRAPPER, encoding="utf-8")
        hooks = []
        for hook_id_ in hook_ids:
            published = manifest_hooks()[hook_id_]
            words = shlex.split(published["entry"])[1:]  # drop "odyssey"
            hook = {key: value for key, value in published.items()
                    if key in ("id", "name", "pass_filenames", "files", "types", "require_serial")}
            hook["entry"] = shlex.join([sys.executable, str(wrapper), hook_id_, *words])
            hook["language"] = unsupported_language()
            hooks.append(hook)
        config = {"repos": [{"repo": "local", "hooks": hooks}]}
        self.write(".pre-commit-config.yaml", yaml.safe_dump(config, sort_keys=False))
        self.git("init", "-q")

    def write(self, path: str, text: str) -> None:
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text, encoding="utf-8")

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["git", *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=300)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=300)

    def invocations(self) -> list[dict[str, Any]]:
        if not self.log.is_file():
            return []
        entries = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
        self.log.unlink()
        return entries


GOOD_README = "# Demo\n\nRead the [guide](docs/guide.md).\n"
GOOD_GUIDE = "# Guide\n\nBack to the [readme](../README.md).\n"


def test_commit_with_a_broken_link_fails_and_passes_once_fixed(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, ["odyssey-links", "odyssey-orphans"])
    assert box.pre_commit("install").returncode == 0
    box.write("README.md", GOOD_README)
    box.write("docs/guide.md", GOOD_GUIDE)
    box.git("add", "-A")
    box.git("commit", "-q", "-m", "docs")

    box.write("docs/guide.md", GOOD_GUIDE + "\nSee the [setup](setup.md).\n")
    box.git("add", "docs/guide.md")
    refused = box.git("commit", "-m", "a broken link", check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "docs/guide.md:5:9: LNK001 link target 'setup.md' does not exist" in output
    assert re.search(r"odyssey links.*Failed", output)
    assert "Traceback" not in output

    box.write("docs/setup.md", "# Setup\n\nBack to the [guide](guide.md).\n")
    box.git("add", "-A")
    accepted = box.git("commit", "-m", "add the setup page", check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert re.search(r"odyssey links.*Passed", accepted.stdout + accepted.stderr)


def test_an_orphaned_page_fails_the_whole_repository_hook(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, ["odyssey-orphans"])
    box.write("README.md", GOOD_README)
    box.write("docs/guide.md", GOOD_GUIDE)
    box.write("docs/forgotten.md", "# Forgotten\n\nNothing links here.\n")
    box.git("add", "-A")
    done = box.pre_commit("run", "--files", "docs/guide.md")  # the orphan is not among the changed files
    assert done.returncode == 1
    assert "docs/forgotten.md:" in done.stdout and "ORP" in done.stdout
    assert box.invocations() == [{"hook": "odyssey-orphans", "args": ["check", "--select", "ORP"]}]


def test_file_local_hooks_get_file_names_and_report_only_those(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, ["odyssey-links", "odyssey-inputs"])
    box.write("README.md", GOOD_README)
    box.write("docs/guide.md", GOOD_GUIDE + "\n[broken in guide](nowhere.md)\n")
    box.write("docs/other.md", "# Other\n\n[broken in other](elsewhere.md)\n")
    box.git("add", "-A")
    done = box.pre_commit("run", "odyssey-links", "--files", "docs/guide.md")
    assert done.returncode == 1
    assert "docs/guide.md:5:1: LNK001" in done.stdout
    assert "docs/other.md" not in done.stdout  # not passed, not reported
    assert "../README.md" not in done.stdout  # resolved against the whole repository
    assert box.invocations() == [{"hook": "odyssey-links", "args": ["check", "--select", "LNK", "docs/guide.md"]}]
    done = box.pre_commit("run", "odyssey-inputs", "--files", "docs/guide.md", "docs/other.md")
    assert done.returncode == 0, done.stdout
    [call] = box.invocations()
    assert call["args"][:3] == ["check", "--select", "INP"]
    assert sorted(call["args"][3:]) == ["docs/guide.md", "docs/other.md"]


def test_whole_repository_hook_runs_once_without_file_names(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, ["odyssey-links", "odyssey-orphans", "odyssey-all"])
    pages = [f"docs/page-{number:02d}.md" for number in range(12)]
    box.write("README.md", "# Demo\n\n" + "".join(f"- [page](docs/page-{n:02d}.md)\n" for n in range(12)))
    for page in pages:
        box.write(page, f"# {page}\n\nBack to the [readme](../README.md).\n")
    box.write("lenet5/model.py", "WEIGHTS = 1\n")
    box.git("add", "-A")
    done = box.pre_commit("run", "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    calls = box.invocations()
    by_hook: dict[str, list[list[str]]] = {}
    for call in calls:
        by_hook.setdefault(call["hook"], []).append(call["args"])
    # The whole-repository hooks: exactly one invocation each, with no file names.
    assert by_hook["odyssey-orphans"] == [["check", "--select", "ORP"]]
    assert by_hook["odyssey-all"] == [["check"]]
    # The file-local hook got every Markdown file (possibly split in parallel batches), and nothing else.
    passed = [path for args in by_hook["odyssey-links"] for path in args[3:]]
    assert sorted(passed) == sorted(["README.md", *pages])


def test_whole_repository_hook_skips_commits_without_markdown(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, ["odyssey-orphans"])
    box.write("README.md", GOOD_README)
    box.write("docs/guide.md", GOOD_GUIDE)
    box.write("lenet5/model.py", "WEIGHTS = 1\n")
    box.write("mkdocs.yml", "site_name: Demo\n")
    box.git("add", "-A")
    assert box.pre_commit("run", "--files", "lenet5/model.py").returncode == 0
    assert box.invocations() == []
    assert box.pre_commit("run", "--files", "mkdocs.yml", "lenet5/model.py").returncode == 0
    assert box.invocations() == [{"hook": "odyssey-orphans", "args": ["check", "--select", "ORP"]}]


def test_this_repositorys_config_runs_offline(tmp_path: Path) -> None:
    """.pre-commit-config.yaml, copied into a small repository shaped like ours, passes with no network: meta
    hooks, the pre-commit-hooks console scripts and odyssey, all from the virtualenv (on PATH)."""
    require_module("pre_commit_hooks")  # the dev extra's hygiene hooks
    box_root = tmp_path / "repo"
    box_root.mkdir()
    env = clean_env(tmp_path, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    built = set(families())
    env["SKIP"] = ",".join(hook_id(family) for family in FAMILY_MODULES if family not in built)
    files = {
        ".pre-commit-config.yaml": OWN_CONFIG.read_text(encoding="utf-8"),
        "pyproject.toml": '[project]\nname = "demo"\n\n[tool.odyssey]\nexclude = ["tests/fixtures/**"]\n',
        "README.md": "# Demo\n\nRead the [guide](docs/guide.md).\n",
        "docs/guide.md": "# Guide\n\nBack to the [readme](../README.md).\n",
        "docs/data.json": '{"accuracy": 0.989}\n',
        # Deliberately broken inputs, as in tests/fixtures: the top-level exclude must keep every hook off them.
        "tests/fixtures/rules/INP001/notes/log.md": "# Log   \r\n[gone](gone.md)",
        "tests/odyssey/snapshots/sarif-schema-2.1.0.json": '{"title": "vendored"}',
    }
    for path, text in files.items():
        full = box_root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(text.encode("utf-8"))
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=box_root, env=env, check=True, capture_output=True, timeout=60)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=box_root, env=env,
                          capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for hook in ("check hooks apply", "trim trailing whitespace", "check json", "odyssey links", "odyssey orphans"):
        assert re.search(re.escape(hook) + r".*Passed", output, re.IGNORECASE), (hook, output)
    assert (box_root / "tests/fixtures/rules/INP001/notes/log.md").read_bytes().endswith(b"(gone.md)")
