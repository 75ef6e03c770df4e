"""accuracy (ACC): code in the documentation still works against the code of the repository.

Python blocks (fences whose info string starts with ``python``, ``py``, ``python3`` or ``pycon``) must compile
(ACC001). A block marked runnable also runs (ACC002): either its info string carries the word ``run``
(```` ```python run ````) or an HTML comment ``<!-- odyssey: run -->`` stands alone right before the fence (for
renderers that choke on extra info words). The word ``nocheck`` in the info string skips a block altogether. A
suppression comment (``<!-- odyssey: ignore ACC001 -->``) right before the fence covers the whole block.

Runnable blocks run one at a time in a child process of the running interpreter: the working directory is a new
temporary directory, the repository's package directories are on ``PYTHONPATH``, Python-level sockets to anything
but the loopback interface are refused and proxy variables point at a closed local port, so an example cannot reach
the network (a child process it starts could, unless the machine is sandboxed). After ``accuracy.timeout`` seconds
(default 30) the process group is killed and the block is reported. Line numbers of a failure are file lines.

Shell blocks (``bash``, ``sh``, ``shell``, ``zsh``, ``console``, ``shell-session``) are split into commands with
``shlex``: line continuations, ``&&``/``||``/``;``/pipes, comments, ``$ `` prompts (in ``console`` blocks only
prompted lines are commands; the rest is output), redirections, environment assignments and wrappers (``time``,
``env``, ``uv run``, ...). A command whose program is one of the repository's CLIs -- by name, by path
(``.venv/bin/odyssey``) or as ``python -m module`` -- is parsed with that CLI's real argparse parser: unknown
subcommands (ACC003), unknown options (ACC004) and other usage errors (ACC005: bad choices, bad values, missing
arguments) are findings. Placeholders (``<path>``, ``PATH``, ``{a,b}``, ``$VAR``, ``...``) are not judged.

Which CLIs: every ``[project.scripts]`` entry of pyproject.toml whose module defines a top-level ``build_parser()``
(seen in its source), plus ``accuracy.clis`` (program name -> ``"module:function"`` returning an
``argparse.ArgumentParser``). Building a parser imports that module: the one place this family imports repository
code in odyssey's own process (its environment variables are restored afterwards).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import io
import logging
import os
import posixpath
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from odyssey.checks.base import DocumentCheck
from odyssey.document import Document, Fence
from odyssey.findings import Finding
from odyssey.project import Project
from odyssey.pysource import python_index
from odyssey.rules import Rule

logger = logging.getLogger(__name__)

SECTION = "accuracy"
PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3"})
PYCON_LANGUAGES = frozenset({"pycon", "python-repl", "pyrepl"})
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession"})
PROMPT_LANGUAGES = frozenset({"console", "shell-session", "shellsession"})
DEFAULT_TIMEOUT = 30.0
MAX_MESSAGE = 160
_RUN_COMMENT = re.compile(r"^\s*<!--\s*odyssey:\s*run\s*-->\s*$")
_PROMPT = re.compile(r"^\s*(?:\([\w.-]+\)\s*)?[$%#]\s")
_CONTINUATION_PROMPT = re.compile(r"^\s*>\s?")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECTION = re.compile(r"(?:(?<=\s)|^)(?:\d|&)?(?:>>?|<<<|<)(?:&\d+|\s*[^\s|&;<>]+)")
_ANGLE_PLACEHOLDER = re.compile(r"<([\w.,:/-]+)>")
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
_PLACEHOLDER = re.compile(r"^(?:<[^>]*>|\[[^\]]*\]|\{[^}]*\}|[A-Z][A-Z0-9_-]*(?:\.\.\.)?|\$\{?\w+\}?|\.\.\.|…|"
                          r"\S*(?:<[^>]*>|\$\{?\w+\}?)\S*)$")
CONTROL_OPERATORS = frozenset({"&&", "||", "|", ";", "&", "(", ")", "|&", ";;"})
WRAPPERS = {"time": 0, "command": 0, "exec": 0, "nohup": 0, "sudo": 0, "env": 0, "xargs": None}
RUNNERS = (("uv", "run"), ("poetry", "run"), ("pipx", "run"), ("pdm", "run"), ("hatch", "run"), ("rye", "run"))

ACC001 = Rule(
    code="ACC001",
    name="python-example-syntax-error",
    family="accuracy",
    summary="Python code block in a document does not compile",
    doc="""
    ## What it does
    Compiles every fenced code block whose info string starts with `python`, `py` or `python3` (and the `>>>` lines
    of `pycon` blocks) and reports syntax errors at their line in the document. `...` is valid Python; write
    placeholders as `...` or comments. The word `nocheck` in the info string (```` ```python nocheck ````) skips a
    block; so does `<!-- odyssey: ignore ACC001 -->` right before the fence.

    ## Why is this bad?
    Readers copy examples. One that does not even parse was never run, and was probably edited by hand (or by an
    agent) after the API changed.

    ## Example
    ````markdown
    ```python
    model = LeNet5(variant="modern"
    ```
    ````

    ## Use instead
    ````markdown
    ```python
    model = LeNet5(variant="modern")
    ```
    ````
    """,
)
ACC002 = Rule(
    code="ACC002",
    name="python-example-fails",
    family="accuracy",
    summary="Runnable Python example raises, exits non-zero or times out",
    doc="""
    ## What it does
    Runs the Python blocks marked runnable -- the word `run` in the info string (```` ```python run ````) or
    `<!-- odyssey: run -->` alone right before the fence -- each in a child process (working directory: a new
    temporary directory; the repository's packages importable; no network; killed after `accuracy.timeout` seconds)
    and reports a block that raises, exits non-zero or times out, at the failing line with the exception.

    ## Why is this bad?
    The example is the first thing a reader runs. When the API changes, an unrun example keeps showing the old
    call.

    ## Example
    ````markdown
    ```python run
    from lenet5.model import LeNet5
    model = LeNet5(classes=10)   # the keyword is num_classes
    ```
    ````

    ## Use instead
    ````markdown
    ```python run
    from lenet5.model import LeNet5
    model = LeNet5(num_classes=10)
    ```
    ````

    ## Options
    - `accuracy.timeout`: seconds a runnable block may take (default 30).
    - `accuracy.run`: set to false to compile runnable blocks without running them.
    """,
)
ACC003 = Rule(
    code="ACC003",
    name="unknown-cli-command",
    family="accuracy",
    summary="Shell example runs a subcommand the repository's CLI does not have",
    doc="""
    ## What it does
    Parses the commands of shell blocks (`bash`, `sh`, `shell`, `zsh`, `console`) that run one of the repository's
    CLIs -- `odyssey ...`, `.venv/bin/odyssey ...`, `python -m lenet5 ...` -- with that CLI's real argparse parser,
    and reports subcommands the parser does not know. The CLIs are the `[project.scripts]` whose module defines
    `build_parser()`, plus `accuracy.clis`.

    ## Why is this bad?
    Subcommands get renamed and merged; the README keeps the old name and every reader's first command fails.

    ## Example
    ```bash
    odyssey lint docs/
    ```

    ## Use instead
    ```bash
    odyssey check docs/
    ```

    ## Options
    - `accuracy.clis`: program name -> `"module:function"` returning the program's `argparse.ArgumentParser`.
    """,
)
ACC004 = Rule(
    code="ACC004",
    name="unknown-cli-option",
    family="accuracy",
    summary="Shell example passes an option the repository's CLI does not have",
    doc="""
    ## What it does
    Like `ACC003`, and reports options (flags) the subcommand's parser does not know.

    ## Why is this bad?
    Flags are renamed (`--learning-rate` became `--lr`) and the docs keep the old spelling; argparse rejects the
    whole command.

    ## Example
    ```bash
    lenet5 train --learning-rate 0.01
    ```

    ## Use instead
    ```bash
    lenet5 train --lr 0.01
    ```
    """,
)
ACC005 = Rule(
    code="ACC005",
    name="invalid-cli-arguments",
    family="accuracy",
    summary="Shell example's arguments are rejected by the CLI (bad choice or value, missing argument)",
    doc="""
    ## What it does
    Like `ACC003`, and reports every other usage error the CLI's parser raises: a value outside the choices
    (`--format xml`), a value of the wrong type (`--epochs ten`), a missing required argument, extra positional
    arguments, mutually exclusive options together. Placeholders (`<path>`, `PATH`, `$DIR`, `...`) are not judged.

    ## Why is this bad?
    The command fails with a usage message instead of doing what the page says.

    ## Example
    ```bash
    odyssey check --format xml
    ```

    ## Use instead
    ```bash
    odyssey check --format sarif
    ```
    """,
)


@dataclass(frozen=True)
class AccuracySettings:
    timeout: float = DEFAULT_TIMEOUT
    run: bool = True
    clis: tuple[tuple[str, str], ...] = ()


def accuracy_settings(project: Project) -> AccuracySettings:
    raw = project.config.extra_section(SECTION)
    return AccuracySettings(
        timeout=float(raw.get("timeout", DEFAULT_TIMEOUT)),
        run=bool(raw.get("run", True)),
        clis=tuple(sorted(raw.get("clis", {}).items())),
    )


def info_words(fence: Fence) -> tuple[str, set[str]]:
    """The language of a fence and the other words of its info string (``python run`` -> python, {run})."""
    words = [word for word in re.split(r"[\s,{}]+", fence.info.lower()) if word and "=" not in word]
    words = [word.lstrip(".") for word in words]
    return (words[0] if words else ""), set(words[1:])


def pycon_source(content: str) -> str:
    """The code of an interactive session: ``>>>`` and ``...`` lines, prompts removed; output becomes blank lines
    so that line numbers still match."""
    lines = []
    for line in content.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith((">>> ", "... ")) or stripped in (">>>", "..."):
            lines.append(stripped[4:])
        else:
            lines.append("")
    return "\n".join(lines)


# -- running examples -----------------------------------------------------------------------------------------------
RUNNER = r'''
import ipaddress, os, socket, sys

def _local(address):
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # AF_UNIX and friends
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False

def _refuse(*args):
    raise OSError("network access is disabled while odyssey runs documentation examples")

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
def connect(self, address):
    return _connect(self, address) if _local(address) else _refuse()
def connect_ex(self, address):
    return _connect_ex(self, address) if _local(address) else _refuse()
socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    return _getaddrinfo(host, *args, **kwargs) if _local((host,)) else _refuse()
socket.getaddrinfo = getaddrinfo

path, padding = sys.argv[1], int(sys.argv[2])
with open("example.py", encoding="utf-8") as handle:
    code = compile("\n" * padding + handle.read(), path, "exec")
sys.argv = [path]
exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
'''


@dataclass(frozen=True)
class RunFailure:
    line: int | None  # file line of the failure, when the traceback names one
    message: str


def run_example(source: str, document_path: str, first_line: int, timeout: float,
                python_path: list[str]) -> RunFailure | None:
    """Run one example; None when it exits 0. ``first_line`` is the file line of the block's first line."""
    with tempfile.TemporaryDirectory(prefix="odyssey-example-") as directory:
        with open(os.path.join(directory, "example.py"), "w", encoding="utf-8") as handle:
            handle.write(source)
        with open(os.path.join(directory, "_odyssey_runner.py"), "w", encoding="utf-8") as handle:
            handle.write(RUNNER)
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": os.pathsep.join([*python_path, env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "PIP_NO_INDEX": "1",
            **{name: "http://127.0.0.1:9" for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY",
                                                         "HTTPS_PROXY", "ALL_PROXY")},
        })
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        try:
            process = subprocess.Popen(
                [sys.executable, "_odyssey_runner.py", document_path, str(first_line - 1)],
                cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return RunFailure(None, f"cannot start Python: {exc}")
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Kill the whole group (the example's own children too) and do not wait for the pipe: a grandchild
            # that left the group could hold it open forever.
            _kill_group(process)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()
            return RunFailure(None, f"did not finish within {timeout:g} s (accuracy.timeout)")
        finally:
            if process.poll() is None:
                _kill_group(process)
        if process.returncode == 0:
            return None
        return _failure(stderr.decode("utf-8", "replace"), document_path, process.returncode)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)


def _failure(stderr: str, document_path: str, returncode: int) -> RunFailure:
    """The failing file line (the innermost traceback frame in the document) and the exception's last line."""
    located = re.findall(rf'File "{re.escape(document_path)}", line (\d+)', stderr)
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    message = lines[-1] if lines else f"exit status {returncode}"
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return RunFailure(int(located[-1]) if located else None, message)


# -- shell commands -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShellCommand:
    lines: tuple[int, ...]  # the file lines of its logical line (continuations included)
    text: str  # the logical line (continuations joined)
    tokens: tuple[str, ...]


def strip_comment(line: str) -> str:
    """The line without a shell comment: ``#`` at the start of a word, outside quotes."""
    quote = None
    previous = " "
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and previous.isspace():
            return line[:index]
        elif char == "\\":
            previous = "x"
            continue
        previous = char
    return line


def logical_lines(content: str, first_line: int, prompted: bool) -> Iterator[tuple[tuple[int, ...], str]]:
    """(file lines, command text) of every command line of a shell block: continuations joined, prompts removed,
    output lines of prompted blocks and heredoc bodies skipped."""
    lines = content.split("\n")
    index = 0
    heredoc: str | None = None
    while index < len(lines):
        raw = lines[index]
        number = first_line + index
        index += 1
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        if prompted:
            match = _PROMPT.match(raw)
            if match is None:
                continue
            raw = raw[match.end():]
        text = strip_comment(raw).rstrip()
        numbers = [number]
        while text.endswith("\\") and index < len(lines):
            following = lines[index]
            numbers.append(first_line + index)
            index += 1
            if prompted:
                following = _CONTINUATION_PROMPT.sub("", following, count=1)
            text = text[:-1] + " " + strip_comment(following).strip()
        if not text.strip():
            continue
        found = _HEREDOC.search(text)
        if found:
            heredoc = found.group(1)
            text = text[: found.start()]
        yield tuple(numbers), text


def shell_commands(content: str, first_line: int, prompted: bool) -> Iterator[ShellCommand]:
    for numbers, text in logical_lines(content, first_line, prompted):
        # <name> is a placeholder, not two redirections: make it {name}, which stays one word
        words = _ANGLE_PLACEHOLDER.sub(r"{\1}", text)
        lexer = shlex.shlex(_REDIRECTION.sub(" ", words), posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        try:
            tokens = list(lexer)
        except ValueError:  # an unclosed quote: not a command we can read
            logger.debug("unreadable shell line %d: %s", numbers[0], text)
            continue
        current: list[str] = []
        for token in [*tokens, ";"]:
            if token in CONTROL_OPERATORS:
                if current:
                    yield ShellCommand(numbers, text, tuple(current))
                current = []
            else:
                current.append(token)


# -- the CLIs -------------------------------------------------------------------------------------------------------
class UsageError(Exception):
    """argparse's complaint, raised instead of printing it and exiting."""


class _Exit(Exception):
    """argparse wanted to exit (help, version): the command line is fine."""


def _raise_usage(message: str) -> None:
    raise UsageError(message)


def _raise_exit(status: int = 0, message: str | None = None) -> None:
    if status:
        raise UsageError(message or f"exit status {status}")
    raise _Exit()


def _disarm(parser: argparse.ArgumentParser, seen: set[int] | None = None) -> list[str]:
    """Make ``parser`` and its subparsers raise instead of exiting; return the names of their subcommand
    arguments (``COMMAND``), which is how argparse's messages name them."""
    seen = seen if seen is not None else set()
    names: list[str] = []
    if id(parser) in seen:
        return names
    seen.add(id(parser))
    parser.error = _raise_usage  # type: ignore[method-assign]
    parser.exit = _raise_exit  # type: ignore[method-assign]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            names.append(action.metavar or action.dest or "command")
            for subparser in action.choices.values():
                names.extend(_disarm(subparser, seen))
    return names


@dataclass
class Cli:
    name: str
    module: str
    parser: argparse.ArgumentParser
    command_names: tuple[str, ...]


def _inside(path: str | None, root: str) -> bool:
    return bool(path) and os.path.realpath(path).startswith(root + os.sep)


@contextlib.contextmanager
def _importable(module_name: str, paths: list[str], root: str, own: bool) -> Iterator[bool]:
    """Import ``module_name`` as the repository at ``root`` has it: its package directories go first on ``sys.path``;
    when the package is one of the repository's own (``own``), a same-named package already imported from elsewhere
    is set aside meanwhile (and restored afterwards), so that the parser is this repository's. A CLI of another
    package (an installed tool the docs use) is imported as installed. Yields False when the repository's package
    would replace odyssey's own modules."""
    top = module_name.split(".")[0]
    loaded = {name: module for name, module in sys.modules.items() if name == top or name.startswith(top + ".")}
    foreign = own and any(not _inside(getattr(module, "__file__", None), root) for module in loaded.values())
    if foreign and top == __name__.split(".")[0]:
        yield False
        return
    if foreign:
        for name in loaded:
            del sys.modules[name]
    added = [path for path in paths if path not in sys.path]
    sys.path[:0] = added
    saved_environment = dict(os.environ)
    write_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # a check never writes into the repository (no __pycache__ beside its code)
    try:
        yield True
    finally:
        sys.dont_write_bytecode = write_bytecode
        for path in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(path)
        for key in set(os.environ) - set(saved_environment):  # lenet5.cli sets BLAS thread variables on import
            del os.environ[key]
        os.environ.update(saved_environment)
        if foreign:
            for name in [name for name in sys.modules if name == top or name.startswith(top + ".")]:
                del sys.modules[name]
            sys.modules.update(loaded)


def load_cli(name: str, target: str, paths: list[str], root: str, own: bool) -> Cli | None:
    """Build the parser ``module:function`` names; None (logged) when it cannot be built."""
    module_name, _, function_name = target.partition(":")
    try:
        with _importable(module_name, paths, root, own) as possible, warnings.catch_warnings():
            if not possible:
                logger.warning("accuracy: '%s' would replace odyssey's own modules; not checked", name)
                return None
            warnings.simplefilter("ignore")
            module = importlib.import_module(module_name)
            factory: Callable[[], Any] = getattr(module, function_name or "build_parser")
            parser = factory()
    except Exception as exc:  # a CLI we cannot build is not checked; the run goes on
        logger.warning("accuracy: cannot build the parser of '%s' from %s: %s: %s", name, target,
                       type(exc).__name__, exc)
        return None
    if not isinstance(parser, argparse.ArgumentParser):
        logger.warning("accuracy: %s did not return an argparse.ArgumentParser; '%s' not checked", target, name)
        return None
    return Cli(name, module_name, parser, tuple(_disarm(parser)))


def discover_clis(project: Project, configured: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Program name -> ``module:function``: console scripts whose module defines ``build_parser``, then config."""
    found: dict[str, str] = {}
    if project.files.is_file("pyproject.toml"):
        try:
            data = tomllib.loads(project.read_text("pyproject.toml") or "")
        except tomllib.TOMLDecodeError:
            data = {}
        scripts = data.get("project", {}).get("scripts", {})
        index = python_index(project)
        for script, entry in scripts.items() if isinstance(scripts, dict) else ():
            if not isinstance(entry, str) or ":" not in entry:
                continue
            module = entry.split(":", 1)[0].strip()
            symbols = index.symbols(module)
            if symbols is not None and "build_parser" in symbols.defined:
                found[script] = f"{module}:build_parser"
    found.update(dict(configured))
    return found


class AccuracyCheck(DocumentCheck):
    family = "accuracy"
    summary = "Code in the docs works: Python examples compile (and run), CLI examples parse"
    rules = (ACC001, ACC002, ACC003, ACC004, ACC005)

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.settings = accuracy_settings(project)
        self._cli_targets: dict[str, str] | None = None
        self._clis: dict[str, Cli | None] = {}

    # -- python ---------------------------------------------------------------------------------------------------
    def check_document(self, document: Document) -> Iterator[Finding]:
        if not document.readable:
            return
        for fence in document.fences:
            if not fence.closed:
                continue  # FEN001's business: the "content" runs to the end of the file
            language, words = info_words(fence)
            if "nocheck" in words or "no-check" in words:
                continue
            if language in PYTHON_LANGUAGES or language in PYCON_LANGUAGES:
                if not self._suppressed_block(document, fence, "ACC001"):
                    yield from self.python_block(document, fence, language, words)
            elif language in SHELL_LANGUAGES:
                yield from self.shell_block(document, fence, language)

    @staticmethod
    def _suppressed_block(document: Document, fence: Fence, code: str) -> bool:
        """A suppression comment right before the fence covers every line of the block."""
        if fence.line not in document.suppressions:
            return False
        codes = document.suppressions[fence.line]
        return codes is None or any(code.startswith(selector) for selector in codes)

    def python_block(self, document: Document, fence: Fence, language: str, words: set[str]) -> Iterator[Finding]:
        source = pycon_source(fence.content) if language in PYCON_LANGUAGES else fence.content
        first_line = fence.line + 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Compiled to bytecode (never run): catches what the parser lets through, like a `return` outside a
                # function; top-level `await` is allowed, as in notebooks and asyncio REPLs.
                compile(source, document.path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        except SyntaxError as exc:
            line = first_line + (exc.lineno or 1) - 1
            # The block's text starts where its fence does (a fence in a list item is indented); pycon's prompt.
            opening = document.lines[fence.line - 1] if fence.line <= len(document.lines) else ""
            column = (exc.offset or 1) + max(opening.find(fence.marker), 0)
            if language in PYCON_LANGUAGES:
                column += 4
            message = re.sub(r"\(detected at line (\d+)\)",
                             lambda found: f"(detected at line {first_line + int(found.group(1)) - 1})", exc.msg)
            yield self.finding(ACC001, document.path, min(line, fence.end_line), column,
                               f"Python block does not compile: {type(exc).__name__}: {message}")
            return
        except (ValueError, RecursionError) as exc:
            yield self.finding(ACC001, document.path, fence.line, 1, f"Python block does not compile: {exc}")
            return
        runnable = "run" in words or self._run_comment(document, fence)
        if runnable and language not in PYCON_LANGUAGES and self.settings.run:
            if self._suppressed_block(document, fence, "ACC002"):
                return
            failure = run_example(source, document.path, first_line, self.settings.timeout, self._python_path())
            if failure is not None:
                line = failure.line if failure.line and first_line <= failure.line <= fence.end_line else fence.line
                yield self.finding(ACC002, document.path, line, 1, f"runnable Python example fails: {failure.message}")

    @staticmethod
    def _run_comment(document: Document, fence: Fence) -> bool:
        """Is ``<!-- odyssey: run -->`` alone on the last non-blank line before the fence?"""
        index = fence.line - 2
        while index >= 0 and not document.lines[index].strip():
            index -= 1
        return index >= 0 and bool(_RUN_COMMENT.match(document.lines[index]))

    def _python_path(self) -> list[str]:
        """Directories that make the repository's packages importable without installing them."""
        paths: list[str] = []
        for name, directory in python_index(self.project).packages.items():
            if "." in name or posixpath.basename(directory) != name:
                continue
            parent = str(self.project.root / posixpath.dirname(directory)) if posixpath.dirname(directory) \
                else str(self.project.root)
            if parent not in paths:
                paths.append(parent)
        return paths

    # -- shell ----------------------------------------------------------------------------------------------------
    def cli(self, program: str) -> Cli | None:
        if self._cli_targets is None:
            self._cli_targets = discover_clis(self.project, self.settings.clis)
        if program not in self._cli_targets:
            return None
        if program not in self._clis:
            target = self._cli_targets[program]
            own = target.split(".")[0].split(":")[0] in python_index(self.project).top_level_packages
            self._clis[program] = load_cli(program, target, self._python_path(), os.path.realpath(self.project.root),
                                           own)
        return self._clis[program]

    def cli_for_module(self, module: str) -> Cli | None:
        """The CLI ``python -m module`` runs: a program of that name, or the one whose module is in that package."""
        if self._cli_targets is None:
            self._cli_targets = discover_clis(self.project, self.settings.clis)
        if module in self._cli_targets:
            return self.cli(module)
        matches = [name for name, target in self._cli_targets.items()
                   if target.split(":")[0] == module or target.split(":")[0].rsplit(".", 1)[0] == module]
        return self.cli(matches[0]) if len(matches) == 1 else None

    def invocation(self, tokens: tuple[str, ...]) -> tuple[Cli, list[str], str] | None:
        """The CLI a simple command runs, its arguments, and the program as written; None for other programs."""
        words = list(tokens)
        while words:
            word = words[0]
            if _ASSIGNMENT.match(word):
                words.pop(0)
            elif word in WRAPPERS:
                if WRAPPERS[word] is None:
                    return None  # xargs: the arguments come from elsewhere
                words.pop(0)
                while words and words[0].startswith("-"):
                    words.pop(0)
            elif len(words) > 1 and (posixpath.basename(word), words[1]) in RUNNERS:
                del words[:2]
            else:
                break
        if not words:
            return None
        program = words[0]
        name = posixpath.basename(program)
        if _PYTHON.match(name):
            rest = words[1:]
            while rest and rest[0].startswith("-") and rest[0] != "-m":
                option = rest.pop(0)
                if option in ("-W", "-X") and rest:
                    rest.pop(0)
            if len(rest) >= 2 and rest[0] == "-m":
                cli = self.cli_for_module(rest[1])
                return (cli, rest[2:], f"{program} -m {rest[1]}") if cli is not None else None
            return None
        cli = self.cli(name)
        return (cli, words[1:], program) if cli is not None else None

    def shell_block(self, document: Document, fence: Fence, language: str) -> Iterator[Finding]:
        prompted = language in PROMPT_LANGUAGES or any(_PROMPT.match(line) and line.lstrip().startswith("$")
                                                       for line in fence.content.split("\n"))
        for command in shell_commands(fence.content, fence.line + 1, prompted):
            found = self.invocation(command.tokens)
            if found is None:
                continue
            cli, arguments, written = found
            if any("$(" in argument or "`" in argument for argument in arguments):
                continue
            problem = self.parse(cli, arguments)
            if problem is None:
                continue
            rule, message, token = problem
            if self._suppressed_block(document, fence, rule.code):
                continue
            line, column = self._locate(document, command, token, written)
            yield self.finding(rule, document.path, line, column,
                               f"'{' '.join([cli.name, *arguments])}': {message}")

    @staticmethod
    def _locate(document: Document, command: ShellCommand, token: str | None, written: str) -> tuple[int, int]:
        """Where to point: the offending token on the command's lines, else the program, else the first line."""
        program = posixpath.basename(written.split()[0])
        for wanted in (token, program):
            if not wanted:
                continue
            for number in command.lines:
                source = document.lines[number - 1] if number <= len(document.lines) else ""
                column = source.find(wanted)
                if column >= 0:
                    return number, column + 1
        return command.lines[0], 1

    def parse(self, cli: Cli, arguments: list[str]) -> tuple[Rule, str, str | None] | None:
        """Parse ``arguments`` with the CLI's parser: None when it accepts them, else (rule, message, token)."""
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                cli.parser.parse_args(arguments)
        except _Exit:
            return None
        except UsageError as exc:
            return self.classify(cli, str(exc), arguments)
        except Exception as exc:  # a type= callable that raised something else: report, do not crash
            return ACC005, f"rejected by the parser: {type(exc).__name__}: {exc}", None
        return None

    @staticmethod
    def classify(cli: Cli, message: str, arguments: list[str]) -> tuple[Rule, str, str | None] | None:
        quoted = re.search(r"invalid choice: '([^']*)'", message)
        if quoted:
            token = quoted.group(1)
            if _PLACEHOLDER.match(token):
                return None
            if any(message.startswith(f"argument {name}: invalid choice") for name in cli.command_names):
                choices = re.search(r"\(choose from (.*)\)", message)
                known = f"; the subcommands are {choices.group(1)}" if choices else ""
                return ACC003, f"unknown subcommand '{token}'{known}", token
            return ACC005, message, token
        if message.startswith("unrecognized arguments: "):
            extra = message[len("unrecognized arguments: "):].split()
            judged = [word for word in extra if not _PLACEHOLDER.match(word)]
            options = [word for word in judged if word.startswith("-")]
            if options:
                plural = "s" if len(options) > 1 else ""
                return ACC004, f"unknown option{plural} {', '.join(options)}", options[0].split("=")[0]
            if judged:
                return ACC005, f"unexpected argument{'s' if len(judged) > 1 else ''} {', '.join(judged)}", judged[0]
            return None
        if message.startswith("ambiguous option: "):
            token = message[len("ambiguous option: "):].split()[0].split("=")[0]
            return ACC004, message, token
        if any(_PLACEHOLDER.match(argument) for argument in arguments) and (
            "required" in message or "expected" in message
        ):
            return None  # a placeholder stood where a value was expected
        value = re.search(r"invalid \w+ value: '([^']*)'", message)
        if value and _PLACEHOLDER.match(value.group(1)):
            return None
        option = re.match(r"argument ([^:]+):", message)
        token = value.group(1) if value else option.group(1).split("/")[0] if option else None
        return ACC005, message, token


CHECKS = (AccuracyCheck,)
