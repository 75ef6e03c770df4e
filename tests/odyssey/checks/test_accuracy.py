"""accuracy (ACC001-ACC005): Python examples compile and run; shell examples parse with the real CLI parsers."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import pytest

from odyssey.checks.accuracy import (
    AccuracyCheck,
    info_words,
    logical_lines,
    pycon_source,
    run_example,
    shell_commands,
    strip_comment,
)
from odyssey.document import Fence
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.policy import Selection
from odyssey.project import Project
from tests.odyssey.helpers import located, make_repo

REPOSITORY = Path(__file__).resolve().parents[3]

TINY_CLI = '''\
import argparse


def build_parser():
    parser = argparse.ArgumentParser(prog="tiny")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run")
    run.add_argument("--steps", type=int, default=1)
    run.add_argument("--mode", choices=("fast", "slow"), default="fast")
    return parser


def main(argv=None):
    return 0
'''


def acc_findings(project: Project) -> list[Finding]:
    result = run_checks(project, None, Selection(select=("ACC",)))
    assert result.errors == []
    return result.findings


def tiny_repo(root: Path, readme: str, config: str = "") -> Project:
    return make_repo(root, {
        "pyproject.toml": f'[project]\nname = "tiny"\n[project.scripts]\ntiny = "tinycli.cli:main"\n{config}',
        "tinycli/__init__.py": "", "tinycli/cli.py": TINY_CLI, "README.md": readme,
    })


# -- parsing the blocks ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("info", "language", "words"), [
    ("python", "python", set()),
    ("python run", "python", {"run"}),
    ("Python title=\"example.py\" run", "python", {"run"}),
    ("{.python .run}", "python", {"run"}),
    ("py,nocheck", "py", {"nocheck"}),
    ("", "", set()),
])
def test_info_words(info: str, language: str, words: set[str]) -> None:
    assert info_words(Fence(1, 3, info, "```", True)) == (language, words)


def test_pycon_keeps_line_numbers() -> None:
    assert pycon_source(">>> x = 1\n>>> for i in range(2):\n...     x += i\n3\n>>>") == \
        "x = 1\nfor i in range(2):\n    x += i\n\n"


@pytest.mark.parametrize(("line", "stripped"), [
    ("odyssey check  # the whole repository", "odyssey check  "),
    ("git commit -m 'fix #3'", "git commit -m 'fix #3'"),
    ("echo issue#3", "echo issue#3"),
    ('echo "a # b" # c', 'echo "a # b" '),
    ("# only a comment", ""),
])
def test_strip_comment(line: str, stripped: str) -> None:
    assert strip_comment(line) == stripped


def test_logical_lines_join_continuations_and_skip_output_and_heredocs() -> None:
    content = (
        "$ tiny run \\\n>   --steps 3\noutput line\n(venv) $ tiny run --mode slow\n"
        "$ cat <<EOF\ntiny run --nope\nEOF\n$ echo done\n"
    )
    assert list(logical_lines(content, 10, prompted=True)) == [
        ((10, 11), "tiny run  --steps 3"), ((13,), "tiny run --mode slow"), ((14,), "cat "), ((17,), "echo done"),
    ]


def test_shell_commands_split_on_operators_and_drop_redirections() -> None:
    commands = list(shell_commands("A=1 tiny run --steps 2 > log.txt 2>&1 && tiny run | tee x; tiny <name>\n",
                                   5, prompted=False))
    assert [command.tokens for command in commands] == [
        ("A=1", "tiny", "run", "--steps", "2"), ("tiny", "run"), ("tee", "x"), ("tiny", "{name}"),
    ]
    assert {command.lines for command in commands} == {(5,)}


def test_unclosed_quotes_are_skipped() -> None:
    assert list(shell_commands("tiny run --mode 'slow\n", 1, prompted=False)) == []


# -- CLI commands ---------------------------------------------------------------------------------------------------
def test_this_repository_readme_commands_parse_with_the_real_parsers() -> None:
    project = Project(REPOSITORY)
    check = AccuracyCheck(project)
    document = project.document("README.md")
    assert list(check.check_document(document)) == []
    programs = []
    for fence in document.fences:
        if info_words(fence)[0] in ("bash", "sh", "console"):
            for command in shell_commands(fence.content, fence.line + 1, prompted=False):
                found = check.invocation(command.tokens)
                if found is not None:
                    programs.append(found[0].name)
                    assert check.parse(found[0], found[1]) is None, command.text
    # The quick start, the odyssey block and the lenet5 block: both CLIs were really parsed.
    assert programs.count("odyssey") >= 6 and programs.count("lenet5") >= 5


@pytest.mark.parametrize(("command", "program", "arguments"), [
    ("odyssey check --select LNK", "odyssey", ["check", "--select", "LNK"]),
    (".venv/bin/odyssey rules", "odyssey", ["rules"]),
    ("python -m lenet5 evaluate --json", "lenet5", ["evaluate", "--json"]),
    ("python3 -X dev -m odyssey check", "odyssey", ["check"]),
    ("ODYSSEY=1 time odyssey check", "odyssey", ["check"]),
    ("uv run lenet5 plot", "lenet5", ["plot"]),
    ("sudo -E odyssey init", "odyssey", ["init"]),
    ("pre-commit run odyssey-all", None, None),
    ("python lenet5/cli.py train", None, None),
    ("xargs odyssey check", None, None),
])
def test_invocations(command: str, program: str | None, arguments: list[str] | None) -> None:
    check = AccuracyCheck(Project(REPOSITORY))
    tokens = next(iter(shell_commands(command, 1, prompted=False))).tokens
    found = check.invocation(tokens)
    assert (found[0].name, found[1]) == (program, arguments) if found else (program, arguments) == (None, None)


def test_cli_findings_and_placeholders(tmp_path: Path) -> None:
    readme = (
        "# Tiny\n\n```bash\ntiny run --steps 2\ntiny walk\ntiny run --speed 3\ntiny run --mode medium\n"
        "tiny run --steps many\ntiny run extra\ntiny COMMAND --help\ntiny run --steps <n>\ntiny run --steps $STEPS\n"
        "tiny run --help\ntiny\n```\n"
    )
    found = acc_findings(tiny_repo(tmp_path, readme))
    assert located(found) == [
        "README.md:5:6: ACC003", "README.md:6:10: ACC004", "README.md:7:17: ACC005", "README.md:8:18: ACC005",
        "README.md:9:10: ACC005", "README.md:14:1: ACC005",
    ]
    assert found[0].message == "'tiny walk': unknown subcommand 'walk'; the subcommands are 'run'"
    assert found[1].message == "'tiny run --speed 3': unknown option --speed"
    assert found[5].message == "'tiny': the following arguments are required: COMMAND"


def test_configured_cli_and_a_cli_that_cannot_be_built(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = '[tool.odyssey.accuracy]\nclis = { other = "tinycli.cli:build_parser", gone = "nowhere.cli:build" }\n'
    readme = "# Tiny\n\n```sh\nother run --steps 1\nother fly\ngone anything --at-all\n```\n"
    with caplog.at_level(logging.WARNING, logger="odyssey.checks.accuracy"):
        found = acc_findings(tiny_repo(tmp_path, readme, config))
    assert located(found) == ["README.md:5:7: ACC003"]
    assert "cannot build the parser of 'gone' from nowhere.cli:build: ModuleNotFoundError" in caplog.text


def test_suppression_before_a_fence_covers_the_block(tmp_path: Path) -> None:
    readme = "# Tiny\n\n<!-- odyssey: ignore ACC003 -->\n```bash\ntiny walk\ntiny run --speed 1\n```\n"
    assert located(acc_findings(tiny_repo(tmp_path, readme))) == ["README.md:6:10: ACC004"]


def test_loading_a_cli_restores_modules_and_environment(tmp_path: Path) -> None:
    project = make_repo(tmp_path, {
        "pyproject.toml": '[project]\nname = "x"\n[project.scripts]\njson = "json.tool:main"\n',
        "json/__init__.py": "", "json/tool.py": "import os\nos.environ['ODYSSEY_TEST_VARIABLE'] = '1'\n" + TINY_CLI,
        "README.md": "# X\n\n```bash\njson walk\n```\n",
    })
    import json

    before = sys.modules["json"]
    assert located(acc_findings(project)) == ["README.md:4:6: ACC003"]  # the repository's own json package
    assert sys.modules["json"] is before and json.dumps([1]) == "[1]"
    assert "ODYSSEY_TEST_VARIABLE" not in os.environ
    assert not (tmp_path / "json/__pycache__").exists()  # nothing written into the repository


# -- Python blocks --------------------------------------------------------------------------------------------------
def test_python_blocks_compile_and_marked_ones_run(tmp_path: Path) -> None:
    readme = (
        "# Tiny\n\n"
        "```python\nprint('compiled only'\n```\n\n"
        "```python run\nimport tinycli.cli\nparser = tinycli.cli.build_parser()\nparser.parse_args(['run'])\n```\n\n"
        "<!-- odyssey: run -->\n\n```py\nx = 1\n\nraise SystemExit(3)\n```\n\n"
        "```python run\nimport sys\nprint('to stderr', file=sys.stderr)\n1 / 0\n```\n"
    )
    found = acc_findings(tiny_repo(tmp_path, readme))
    # SystemExit leaves no traceback: the fence's line; ZeroDivisionError: its line in the file.
    assert located(found) == ["README.md:4:6: ACC001", "README.md:15:1: ACC002", "README.md:24:1: ACC002"]
    assert found[1].message == "runnable Python example fails: exit status 3"
    assert found[2].message == "runnable Python example fails: ZeroDivisionError: division by zero"


def test_run_can_be_switched_off(tmp_path: Path) -> None:
    readme = "# Tiny\n\n```python run\nraise SystemExit(1)\n```\n"
    assert acc_findings(tiny_repo(tmp_path, readme, "[tool.odyssey.accuracy]\nrun = false\n")) == []


def test_examples_run_in_a_temporary_directory_without_network(tmp_path: Path) -> None:
    source = (
        "import os, socket\n"
        "assert os.listdir('.') == ['example.py', '_odyssey_runner.py'] or sorted(os.listdir('.')) == "
        "['_odyssey_runner.py', 'example.py']\n"
        "server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen()\n"
        "socket.create_connection(server.getsockname(), timeout=5).close()  # loopback is fine\n"
        "socket.create_connection(('192.0.2.1', 80), timeout=5)\n"
    )
    failure = run_example(source, "docs/net.md", 10, timeout=30, python_path=[])
    assert failure is not None
    assert failure.line == 14
    assert failure.message == "OSError: network access is disabled while odyssey runs documentation examples"


def test_a_hanging_example_is_killed_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    source = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    failure = run_example(source, "docs/slow.md", 1, timeout=3, python_path=[])
    assert time.monotonic() - started < 30
    assert failure is not None and failure.message == "did not finish within 3 s (accuracy.timeout)"
    child = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the example's child process {child} survived")


def test_compile_errors_beyond_syntax(tmp_path: Path) -> None:
    readme = "# Tiny\n\n```python\nimport asyncio\nawait asyncio.sleep(0)\n```\n\n```python\nreturn 42\n```\n"
    found = acc_findings(tiny_repo(tmp_path, readme))
    # Top-level await is fine (notebooks, asyncio REPL); `return` outside a function is not.
    assert located(found) == ["README.md:9:1: ACC001"]
    assert found[0].message == "Python block does not compile: SyntaxError: 'return' outside function"
