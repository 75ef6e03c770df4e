"""Line and branch coverage per module: measured by running the tests under coverage.py, or read from a file.

Measuring (``measure_coverage``) runs ``[workflow] coverage.command`` (default ``python -m pytest -q -x``) under
``coverage run --branch`` in the repository root, with ``--source`` set to the repository's own package directories
(``pysource.package_dirs``; ``coverage.source`` overrides) so modules no test imports are counted at 0 %. A leading
``python`` is the running interpreter; another first word is resolved on PATH (a console script such as ``pytest``).
The data file and its JSON export go to a temporary directory, never into the repository.

It cannot recurse: the child process gets ``ODYSSEY_COVERAGE_RUN=<repository root>``, and ``measure_coverage``
refuses to measure that same repository while it is set, so a test that calls ``odyssey report --coverage`` on its
own repository fails with one line instead of running the suite inside the suite forever. Measuring another
repository from a test (a tiny fixture repository with its own tests, as odyssey's own tests do) stays possible,
also when the outer suite is itself being measured. The command also has a timeout (``coverage.timeout``).

Reading (``read_coverage_file``) takes what CI usually keeps: ``coverage.xml`` (Cobertura, from ``coverage xml`` or
pytest-cov), ``coverage.json`` (``coverage json``) or a ``.coverage`` data file (exported with coverage.py's own
``coverage json``, so it needs coverage.py installed and the measured sources present). Paths are mapped to
repository paths: relative to the root when under it, else by the longest path suffix naming a repository file
(a report made on a CI machine); files outside the repository are dropped.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from odyssey.project import Project
from odyssey.pysource import package_dirs
from odyssey.workflow.settings import CoverageSettings

logger = logging.getLogger(__name__)

RECURSION_GUARD = "ODYSSEY_COVERAGE_RUN"
OUTPUT_TAIL = 20  # lines of the test command's output kept for the report when it fails


class CoverageError(Exception):
    """Coverage could not be measured or read; the message is one line naming the file or command."""


@dataclass(frozen=True)
class FileCoverage:
    statements: int
    covered: int
    branches: int = 0
    covered_branches: int = 0

    @property
    def line_percent(self) -> float | None:
        return 100.0 * self.covered / self.statements if self.statements else None

    @property
    def branch_percent(self) -> float | None:
        return 100.0 * self.covered_branches / self.branches if self.branches else None

    def to_dict(self) -> dict[str, Any]:
        return {"statements": self.statements, "covered": self.covered, "branches": self.branches,
                "covered_branches": self.covered_branches, "line_percent": _rounded(self.line_percent),
                "branch_percent": _rounded(self.branch_percent)}


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


@dataclass(frozen=True)
class CoverageResult:
    """Coverage of the repository's modules. ``origin`` says where it came from (shown in the report)."""

    origin: str
    files: dict[str, FileCoverage]
    command: tuple[str, ...] = ()
    exit_status: int | None = None
    seconds: float | None = None
    output_tail: tuple[str, ...] = field(default=())

    @property
    def totals(self) -> FileCoverage:
        return FileCoverage(
            sum(f.statements for f in self.files.values()), sum(f.covered for f in self.files.values()),
            sum(f.branches for f in self.files.values()), sum(f.covered_branches for f in self.files.values()),
        )

    @property
    def has_branches(self) -> bool:
        return any(f.branches for f in self.files.values())


# -- mapping paths ----------------------------------------------------------------------------------------------------
class PathMapper:
    """Measured file names -> repository paths (see the module docstring); None for files outside the repository."""

    def __init__(self, project: Project) -> None:
        self.root = project.root
        self.files = project.files.files
        self._by_name: dict[str, list[str]] = {}
        for path in self.files:
            if path.endswith(".py"):
                self._by_name.setdefault(posixpath.basename(path), []).append(path)

    def __call__(self, name: str, base: str | None = None) -> str | None:
        candidates = [name] if base is None else [posixpath.join(base, name), name]
        for candidate in candidates:
            path = Path(candidate)
            if path.is_absolute():
                try:
                    relative = path.resolve().relative_to(self.root).as_posix()
                except (ValueError, OSError):
                    continue
                if relative in self.files:
                    return relative
            else:
                normalized = posixpath.normpath(candidate.replace("\\", "/"))
                if normalized in self.files:
                    return normalized
        # A report made elsewhere: the longest suffix of the path that names exactly one repository file.
        parts = PurePosixPath(name.replace("\\", "/")).parts
        same_name = self._by_name.get(parts[-1], []) if parts else []
        for start in range(len(parts) - 1):
            suffix = "/".join(parts[start:])
            matches = [path for path in same_name if path == suffix or path.endswith("/" + suffix)]
            if len(matches) == 1:
                return matches[0]
        return same_name[0] if len(same_name) == 1 and len(parts) == 1 else None


# -- reading ----------------------------------------------------------------------------------------------------------
def from_coverage_json(data: Any, mapper: PathMapper, where: str) -> dict[str, FileCoverage]:
    """Files of a ``coverage json`` export."""
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise CoverageError(f"{where}: not a coverage.py JSON report (no 'files' object)")
    result: dict[str, FileCoverage] = {}
    for name, entry in files.items():
        summary = entry.get("summary") if isinstance(entry, dict) else None
        path = mapper(str(name))
        if path is None or not isinstance(summary, dict):
            continue
        result[path] = FileCoverage(int(summary.get("num_statements", 0)), int(summary.get("covered_lines", 0)),
                                    int(summary.get("num_branches", 0)), int(summary.get("covered_branches", 0)))
    return result


def from_cobertura(text: str, mapper: PathMapper, where: str) -> dict[str, FileCoverage]:
    """Files of a Cobertura ``coverage.xml``; branches from each line's ``condition-coverage="50% (1/2)"``."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise CoverageError(f"{where}: not valid XML: {exc}") from None
    if root.tag != "coverage":
        raise CoverageError(f"{where}: not a Cobertura coverage report (root element <{root.tag}>)")
    sources = [s.text.strip() for s in root.iter("source") if s.text and s.text.strip()]
    result: dict[str, FileCoverage] = {}
    for element in root.iter("class"):
        name = element.get("filename")
        if not name:
            continue
        path = next((p for p in (mapper(name, base) for base in sources) if p), None) if sources else mapper(name)
        if path is None:
            continue
        statements = covered = branches = covered_branches = 0
        for line in element.iter("line"):
            statements += 1
            covered += int(line.get("hits", "0") or 0) > 0
            condition = line.get("condition-coverage", "")
            if "(" in condition and "/" in condition:
                done, _, total = condition[condition.index("(") + 1 : condition.rindex(")")].partition("/")
                if done.isdigit() and total.isdigit():
                    covered_branches += int(done)
                    branches += int(total)
        previous = result.get(path)  # a module may be split over several <class> elements
        if previous is not None:
            statements, covered = statements + previous.statements, covered + previous.covered
            branches, covered_branches = branches + previous.branches, covered_branches + previous.covered_branches
        result[path] = FileCoverage(statements, covered, branches, covered_branches)
    return result


def _coverage_json_export(data_file: Path, root: Path, where: str) -> Any:
    """Export a coverage.py data file as JSON (coverage.py itself does the analysis)."""
    with tempfile.TemporaryDirectory(prefix="odyssey-coverage-") as scratch:
        output = Path(scratch) / "coverage.json"
        argv = [sys.executable, "-m", "coverage", "json", f"--data-file={data_file}", "-o", str(output),
                "--ignore-errors", "-q"]
        try:
            done = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CoverageError(f"{where}: cannot export it with coverage.py: {exc}") from None
        if done.returncode != 0 or not output.is_file():
            reason = (done.stderr or done.stdout).strip().splitlines()
            if reason and "No module named coverage" in reason[-1]:
                raise CoverageError(f"{where}: reading a .coverage data file needs coverage.py "
                                    "(pip install coverage)")
            raise CoverageError(f"{where}: coverage json failed: {reason[-1] if reason else 'no output'}")
        return json.loads(output.read_text(encoding="utf-8"))


def read_coverage_file(project: Project, path: Path) -> CoverageResult:
    """Coverage from ``coverage.xml``, ``coverage.json`` or a ``.coverage`` data file (see the module docstring)."""
    where = str(path)
    if not path.is_file():
        raise CoverageError(f"{where}: no such coverage file")
    mapper = PathMapper(project)
    head = path.read_bytes()[:64]
    if head.lstrip().startswith(b"<"):
        files = from_cobertura(path.read_text(encoding="utf-8", errors="replace"), mapper, where)
    elif head.lstrip().startswith(b"{"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CoverageError(f"{where}: not valid JSON: {exc}") from None
        files = from_coverage_json(data, mapper, where)
    elif head.startswith(b"SQLite format 3"):
        files = from_coverage_json(_coverage_json_export(path.resolve(), project.root, where), mapper, where)
    else:
        raise CoverageError(f"{where}: not a coverage file (expected coverage.xml, coverage.json or .coverage)")
    if not files:
        raise CoverageError(f"{where}: it measures no file of this repository")
    return CoverageResult(origin=f"read from {_display(path, project.root)}", files=files)


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


# -- measuring --------------------------------------------------------------------------------------------------------
def coverage_argv(command: tuple[str, ...], data_file: Path, sources: list[str]) -> list[str]:
    """``coverage run --branch`` wrapped around ``command``."""
    argv = [sys.executable, "-m", "coverage", "run", "--branch", f"--data-file={data_file}"]
    if sources:
        argv.append(f"--source={','.join(sources)}")
    first, rest = command[0], list(command[1:])
    if posixpath.basename(first) in ("python", "python3", posixpath.basename(sys.executable)):
        if not rest:
            raise CoverageError("coverage.command: 'python' needs a script or -m module to run")
        return argv + rest  # "-m pytest ..." and "script.py ..." are what coverage run takes
    executable = shutil.which(first)
    if executable is None:
        raise CoverageError(f"coverage.command: '{first}' is not on PATH")
    return argv + [executable, *rest]  # a console script is a Python file coverage can run


def measure_coverage(project: Project, settings: CoverageSettings) -> CoverageResult:
    """Run the test command under coverage and read the result (see the module docstring)."""
    running = os.environ.get(RECURSION_GUARD, "")
    if running and os.path.realpath(running) == os.path.realpath(project.root):
        raise CoverageError(f"refusing to measure coverage inside a coverage run of the same repository "
                            f"({RECURSION_GUARD}={running}): one of its tests runs `odyssey report --coverage` on it")
    sources = list(settings.source) or sorted(set(package_dirs(project).values()))
    with tempfile.TemporaryDirectory(prefix="odyssey-coverage-") as scratch:
        data_file = Path(scratch) / ".coverage"
        argv = coverage_argv(settings.command, data_file, sources)
        env = {**os.environ, RECURSION_GUARD: str(project.root)}
        logger.info("running %s", " ".join(argv))
        started = time.monotonic()
        try:
            done = subprocess.run(argv, cwd=project.root, env=env, capture_output=True, text=True,
                                  timeout=settings.timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise CoverageError(f"coverage.command '{' '.join(settings.command)}' did not finish in "
                                f"{settings.timeout:g} s (coverage.timeout)") from None
        except OSError as exc:
            raise CoverageError(f"coverage.command '{' '.join(settings.command)}': cannot run: {exc}") from None
        seconds = time.monotonic() - started
        output = (done.stdout + done.stderr).rstrip().splitlines()
        if not data_file.is_file():
            last = output[-1] if output else "no output"
            raise CoverageError(f"coverage.command '{' '.join(settings.command)}' exited {done.returncode} without "
                                f"coverage data: {last}")
        files = from_coverage_json(_coverage_json_export(data_file, project.root, "coverage data"),
                                   PathMapper(project), "coverage data")
    return CoverageResult(
        origin=f"measured by running `{' '.join(settings.command)}` under `coverage run --branch`",
        files=files,
        command=tuple(settings.command),
        exit_status=done.returncode,
        seconds=seconds,
        output_tail=tuple(output[-OUTPUT_TAIL:]) if done.returncode != 0 else (),
    )
