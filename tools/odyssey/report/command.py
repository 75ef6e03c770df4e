"""``odyssey report``: run every check on the whole repository and write the report as Markdown, HTML and JSON.

    odyssey report [--root DIR] [--out-dir DIR] [--format md,html,json] [--previous FILE] [--base-url URL]
                   [--coverage | --coverage-file FILE]

Files are ``report.md``, ``report.html`` and ``report.json`` in ``--out-dir`` (default ``reports/odyssey/`` under the
repository root; keep it in .gitignore). The trend compares with ``--previous``, else with the ``report.json``
already in the output directory, which this run then replaces: running the command again and again shows what
changed since the last run. The output directory itself is never checked.

``--coverage`` runs the test suite under coverage.py (``[workflow] coverage.command``, default ``python -m pytest -q
-x``) and adds the coverage section; ``--coverage-file`` reads ``coverage.xml``, ``coverage.json`` or ``.coverage``
instead; without either, ``[workflow] coverage.file`` is read when it exists. The phase table of the workflow family
is added whenever that family runs (``odyssey.report.phases``, ``odyssey.report.coverage``).

Each file is written to a temporary file first and renamed into place, so an interrupted run leaves the previous
report whole. Exit status: 0 clean, 1 findings (not counting info), 2 a crashed check, bad options or configuration.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from odyssey.cli import EXIT_CLEAN, UsageError, find_root

if TYPE_CHECKING:
    from odyssey.project import Project
    from odyssey.workflow.coverage_data import CoverageResult

# `odyssey --help` and every other command build this parser: the report machinery (numpy, scipy through the
# similarity checks) is imported only when a report is made.
DEFAULT_TITLE = "Validation report"  # the same as odyssey.report.collect.DEFAULT_TITLE (a test keeps them equal)

logger = logging.getLogger(__name__)

FORMATS = ("md", "html", "json")
FILE_NAMES = {"md": "report.md", "html": "report.html", "json": "report.json"}
DEFAULT_OUT_DIR = "reports/odyssey"


def parse_formats(value: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [name for name in wanted if name not in FORMATS]
    if unknown or not wanted:
        raise UsageError(f"--format: unknown format '{(unknown or [value])[0]}' (choose from {', '.join(FORMATS)})")
    return wanted


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename (created with the
    usual permissions, unlike ``tempfile``'s private 0600 files)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _previous(
    args: argparse.Namespace, out_dir: Path, root: Path
) -> tuple[dict[str, Any] | None, str, str | None]:
    """The previous report (or None), how to name it, and why there is none."""
    from odyssey.report.trend import PreviousReportError, load_previous

    if args.previous:
        path = Path(args.previous)
        try:
            return load_previous(path), _display(path, root), None
        except PreviousReportError as exc:
            raise UsageError(str(exc)) from None
    path = out_dir / FILE_NAMES["json"]
    if not path.exists():
        return None, "", f"No previous report to compare with (none at {_display(path, root)})."
    try:
        return load_previous(path), _display(path, root), None
    except PreviousReportError as exc:
        print(f"odyssey: warning: {exc}; no trend this time (the file is replaced)", file=sys.stderr)
        return None, "", f"The previous report could not be read: {exc}."


def _files_without(project_root: Path, exclude: tuple[str, ...], out_dir: Path) -> tuple[str, ...]:
    """The configured excludes plus the output directory when it lies inside the repository."""
    try:
        relative = out_dir.resolve().relative_to(project_root).as_posix()
    except ValueError:
        return exclude
    return exclude if relative in ("", ".") else (*exclude, f"{relative}/**")


def _coverage(args: argparse.Namespace, project: Project) -> CoverageResult | None:
    """Coverage for the report: measured (--coverage), read (--coverage-file), the configured file, or None."""
    from odyssey.report.coverage import default_coverage
    from odyssey.workflow.coverage_data import CoverageError, measure_coverage, read_coverage_file
    from odyssey.workflow.settings import workflow_settings

    try:
        if args.coverage:
            settings = workflow_settings(project.config).coverage
            print(f"odyssey: running {' '.join(settings.command)} under coverage ...", file=sys.stderr)
            measured = measure_coverage(project, settings)
            if measured.exit_status:
                print(f"odyssey: warning: the test command exited {measured.exit_status}; the coverage is partial",
                      file=sys.stderr)
            return measured
        if args.coverage_file:
            return read_coverage_file(project, Path(args.coverage_file))
        return default_coverage(project)
    except CoverageError as exc:
        raise UsageError(f"coverage: {exc}") from None


def cmd_report(args: argparse.Namespace) -> int:
    from odyssey.config import load_config
    from odyssey.discovery import discover
    from odyssey.policy import Selection
    from odyssey.project import Project
    from odyssey.report.collect import build_report
    from odyssey.report.links import RelativeLinks
    from odyssey.report.progress import run_with_progress
    from odyssey.report.render_html import render_html
    from odyssey.report.render_json import render_json
    from odyssey.report.render_md import render_markdown
    from odyssey.workflow.inputs import report_inputs

    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    formats = parse_formats(args.format)
    if args.worst < 1:
        raise UsageError("--worst must be at least 1")
    if args.coverage and args.coverage_file:
        raise UsageError("--coverage and --coverage-file exclude each other: measure, or read a file")
    config = load_config(root)
    out_dir = Path(args.out_dir) if args.out_dir else root / DEFAULT_OUT_DIR
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: --out-dir exists and is not a directory")
    previous, previous_label, trend_note = _previous(args, out_dir, root)

    project = Project(root, config, files=discover(root, _files_without(root, config.exclude, out_dir)))
    coverage = _coverage(args, project)
    selection = Selection(select=config.select, ignore=config.ignore)
    result = run_with_progress(project, None, selection, sys.stderr)
    with report_inputs(project, coverage):
        report = build_report(
            project, result, selection, previous=previous, previous_label=previous_label, trend_note=trend_note,
            title=args.title, worst_files=args.worst,
        )

    links = RelativeLinks(root, out_dir, args.base_url)
    renderings = {
        "md": lambda: render_markdown(report, links),
        "html": lambda: render_html(report, links),
        "json": lambda: render_json(report),
    }
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in formats:
            path = out_dir / FILE_NAMES[name]
            write_atomically(path, renderings[name]())
            written.append(_display(path, root))
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot write the report: {exc.strerror or exc}") from None

    for error in result.errors:
        print(f"odyssey: {error}", file=sys.stderr)
    trend = report.section("trend")
    change = ""
    if trend is not None and trend.data is not None:
        change = f" ({len(trend.data['new'])} new, {len(trend.data['fixed'])} fixed since the previous report)"
    noun = "finding" if report.totals.findings == 1 else "findings"
    print(f"{report.totals.findings} {noun} in {report.files_checked} files checked{change}; "
          f"wrote {', '.join(written)}")
    return EXIT_CLEAN if args.exit_zero and not report.errors else report.exit_status


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "report",
        help="run every check and write a report (Markdown, HTML, JSON) with totals and the trend",
        description="Run every check on the whole repository and write report.md, report.html and report.json.",
    )
    parser.add_argument("--root", help="repository root (default: the git work tree of the current directory)")
    parser.add_argument(
        "--out-dir", metavar="DIR", help=f"where to write the report (default: {DEFAULT_OUT_DIR}/ under the root)"
    )
    parser.add_argument(
        "--format", default=",".join(FORMATS), metavar="FORMATS",
        help="comma-separated formats to write: md, html, json (default: all three)",
    )
    parser.add_argument(
        "--previous", metavar="FILE",
        help="JSON report to compare with (default: the report.json already in --out-dir, if any)",
    )
    parser.add_argument(
        "--base-url", metavar="URL",
        help="link findings to URL + path + #Lline (e.g. https://github.com/org/repo/blob/main/) instead of "
        "relative paths",
    )
    parser.add_argument("--worst", type=int, default=10, metavar="N", help="how many worst files to list (10)")
    parser.add_argument("--title", default=DEFAULT_TITLE, help=f"report title (default: {DEFAULT_TITLE!r})")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument(
        "--coverage", action="store_true",
        help="run the tests under coverage.py ([workflow] coverage.command, default: python -m pytest -q -x) and "
        "add line and branch coverage per module and component",
    )
    parser.add_argument(
        "--coverage-file", metavar="FILE",
        help="add the coverage in FILE (coverage.xml, coverage.json or .coverage) instead of running the tests",
    )
    parser.set_defaults(handler=cmd_report)
