"""The ``odyssey`` command: ``check``, ``rules``, ``init``.

Exit status: 0 clean, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from odyssey import __version__
from odyssey.config import ConfigError, load_config
from odyssey.findings import Severity
from odyssey.globs import any_match

logger = logging.getLogger("odyssey")

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# Subcommands implemented in their own modules (each has `register(subparsers)`).
COMMAND_MODULES = ("odyssey.fix.command", "odyssey.notes.command", "odyssey.report.command")


class UsageError(Exception):
    """Bad command-line input, phrased as one line."""


@functools.lru_cache(maxsize=4)
def find_root(start: Path) -> Path:
    """The repository root: the git work tree holding ``start``, else the nearest directory with odyssey config."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, timeout=30
        )
        if top.returncode == 0 and top.stdout.strip():
            return Path(top.stdout.strip()).resolve()
    except (OSError, subprocess.TimeoutExpired):
        pass
    for directory in (start, *start.parents):
        if (directory / "odyssey.toml").is_file() or (directory / "pyproject.toml").is_file():
            return directory.resolve()
    return start.resolve()


def _split_codes(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(code.strip() for value in values or () for code in value.split(",") if code.strip())


def resolve_targets(
    root: Path, raw_paths: Sequence[str], markdown_files: Sequence[str], exclude: Sequence[str] = ()
) -> list[str]:
    """Command-line paths (relative to the working directory) as repository-relative POSIX paths.

    A directory stands for the Markdown files below it. A file matching the configured ``exclude`` globs is skipped
    even when named explicitly, because pre-commit passes every staged file and excluded ones must stay unchecked.
    A path outside the repository, or one that is not a regular file (a FIFO would block the read), is a usage error.
    """
    targets: list[str] = []
    for raw in raw_paths:
        absolute = Path(os.path.abspath(raw))
        try:
            relative = absolute.relative_to(root).as_posix()
        except ValueError:
            raise UsageError(f"{raw}: not inside the repository at {root}") from None
        relative = "" if relative == "." else relative
        if absolute.is_dir():
            prefix = f"{relative}/" if relative else ""
            targets.extend(path for path in markdown_files if path.startswith(prefix))
        elif absolute.is_symlink() or absolute.is_file():
            if any_match(relative, exclude):
                logger.debug("%s: excluded by configuration; skipped", relative)
                continue
            targets.append(relative)
        elif absolute.exists():
            raise UsageError(f"{raw}: not a regular file")
        else:
            raise UsageError(f"{raw}: no such file or directory")
    return list(dict.fromkeys(targets))


def _report_stream(output: str | None) -> TextIO:
    """Where the report goes. Paths git hands over undecodable (surrogate-escaped) are written as ``\\udcff``
    escapes instead of crashing the report; JSON and SARIF stay valid UTF-8."""
    if output is None:
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(errors="backslashreplace")
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write the report: {exc.strerror or exc}") from None


def cmd_check(args: argparse.Namespace) -> int:
    from odyssey.cache import cache_for
    from odyssey.engine import run_checks
    from odyssey.policy import Selection
    from odyssey.project import Project
    from odyssey.reporters import Summary, make_reporter

    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    config = load_config(root)
    project = Project(root, config, cache=cache_for(root, config, disabled=args.no_cache))
    targets = resolve_targets(root, args.paths, project.files.markdown, config.exclude) if args.paths else None
    selection = Selection(
        select=_split_codes(args.select) or config.select,
        ignore=config.ignore + _split_codes(args.ignore),
    )
    from odyssey.checks import all_rules

    known = [rule.code for rule in all_rules()]
    for selector in selection.select + selection.ignore:
        if selector != "ALL" and not any(code.startswith(selector) for code in known):
            raise UsageError(f"unknown rule selector '{selector}' (see `odyssey rules`)")
    result = run_checks(project, targets, selection)
    stream = _report_stream(args.output)
    try:
        reporter = make_reporter(args.format, stream)
        reporter.start()
        for finding in result.findings:
            reporter.handle(finding)
        reporter.stop(
            Summary(
                findings=len(result.findings),
                files_checked=result.files_checked,
                errors=tuple(result.errors),
                fixable=sum(1 for f in result.findings if f.fix is not None),
            )
        )
    finally:
        if args.output:
            stream.close()
    for error in result.errors:
        print(f"odyssey: {error}", file=sys.stderr)
    if result.errors:
        return EXIT_ERROR
    failing = [f for f in result.findings if f.severity is not Severity.INFO]
    return EXIT_FINDINGS if failing and not args.exit_zero else EXIT_CLEAN


def cmd_rules(args: argparse.Namespace) -> int:
    from odyssey.checks import all_checks, all_rules

    rules = all_rules()
    if args.code:
        wanted = [rule for rule in rules if rule.code.startswith(args.code.upper())]
        if not wanted:
            raise UsageError(f"unknown rule '{args.code}' (see `odyssey rules`)")
        for rule in wanted:
            print(f"# {rule.code} {rule.name}\n\n{rule.summary}.\n\n{rule.doc}")
        return EXIT_CLEAN
    if args.format == "json":
        print(json.dumps([
            {"code": r.code, "name": r.name, "family": r.family, "severity": r.severity.value, "summary": r.summary}
            for r in rules
        ], indent=2))
    elif args.format == "markdown":
        print("| Code | Name | Family | Summary |\n|---|---|---|---|")
        for rule in rules:
            print(f"| `{rule.code}` | {rule.name} | {rule.family} | {rule.summary} |")
    else:
        for check in all_checks():
            print(f"{check.family}: {check.summary}")
            for rule in check.rules:
                print(f"  {rule.code}  {rule.name:<32} {rule.summary}")
    return EXIT_CLEAN


def cmd_init(args: argparse.Namespace) -> int:
    from odyssey.init_config import write_starter_config

    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    try:
        path, action = write_starter_config(root, force=args.force)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    if action == "exists":
        print(f"{path.name} already configures odyssey; nothing written (use --force to overwrite odyssey.toml)")
        return EXIT_CLEAN
    print(f"{'appended [tool.odyssey] to' if action == 'appended' else 'wrote'} {path}")
    return EXIT_CLEAN


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odyssey", description="Keep an agent-written repository's documentation placed, linked and true."
    )
    parser.add_argument("--version", action="version", version=f"odyssey {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what odyssey is doing (stderr)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="run the checks and report findings")
    check.add_argument("paths", nargs="*", help="files or directories to report on (default: the whole repository)")
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument("--select", action="append", metavar="CODES", help="comma-separated rule selectors to run")
    check.add_argument("--ignore", action="append", metavar="CODES", help="comma-separated rule selectors to skip")
    check.add_argument("--root", help="repository root (default: the git work tree of the current directory)")
    check.add_argument("--output", "-o", help="write the report to this file instead of standard output")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--no-cache", action="store_true", help="parse every document, ignoring the document cache")
    check.set_defaults(handler=cmd_check)

    rules = commands.add_parser("rules", help="list the rules, or explain one (odyssey rules LNK001)")
    rules.add_argument("code", nargs="?", help="a rule code or prefix to explain")
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    rules.set_defaults(handler=cmd_rules)

    init = commands.add_parser("init", help="write a commented starter configuration")
    init.add_argument("--root", help="repository root (default: the git work tree of the current directory)")
    init.add_argument("--force", action="store_true", help="overwrite an existing odyssey.toml")
    init.set_defaults(handler=cmd_init)

    # Commands that live in their own modules register themselves: register(subparsers) adds a parser whose
    # `handler(args) -> int` default runs the command.
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 for --help/--version
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="odyssey: %(message)s")
    # A run builds hundreds of thousands of small objects (tokens, links) and frees few: the default collection
    # threshold (700) rescans the growing heap over and over. Collect rarely, and never the modules loaded so far.
    gc.set_threshold(50_000, 20, 100)
    gc.freeze()
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        from odyssey.fix.recovery import recover_at_startup

        # A fix killed mid-way left a journal: restore the tree before doing anything else (one lstat otherwise).
        root = Path(args.root).resolve() if getattr(args, "root", None) else find_root(Path.cwd())
        # `odyssey fix` checks the journal itself (a busy journal is its own error, not a warning on top).
        if args.command != "fix" and not recover_at_startup(root):
            return EXIT_ERROR
        return int(args.handler(args))
    except (UsageError, ConfigError) as exc:
        print(f"odyssey: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("odyssey: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # a bug of ours: one line, the traceback only on request
        logger.debug("internal error", exc_info=True)
        print(f"odyssey: internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
