"""``odyssey fix``: move misplaced documents, rename badly named ones, repair links; a dry run unless ``--apply``.

Exit status, following ruff's ``--fix`` convention (where a dry run is ``--diff``):

- dry run: 1 when there is something to fix (the plan is printed), 0 when there is nothing;
- ``--apply``: 0 once the plan is applied (or there was nothing to apply); with ``--exit-non-zero-on-fix``, 1 when
  anything was changed, as ruff's flag of the same name;
- 2 on a usage, configuration, check or apply error (one line on stderr; with ``--apply`` the tree is left as it was).

Findings left alone (ambiguous links, unsafe fixes without ``--unsafe``) are listed with the reason and do not change
the exit status: ``odyssey check`` reports what remains.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

EXIT_CLEAN, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add the ``fix`` command to the ``odyssey`` parser (called by ``odyssey.cli.build_parser``)."""
    parser = subparsers.add_parser(
        "fix",
        help="move misplaced docs, rename badly named ones and repair links (a dry run unless --apply)",
        description=(
            "Plan (and with --apply, make) the fixes of odyssey check's findings: misplaced documents are moved and "
            "badly named files and directories renamed (git mv semantics, so history follows), every link to them "
            "and their own relative links are rewritten, broken links with one unambiguous repair are repaired. "
            "Without --apply the plan is printed as a diff and nothing changes. The apply is all-or-nothing: if it is "
            "interrupted, the next odyssey run restores the tree."
        ),
        epilog=(
            "exit status: dry run 1 when there is something to fix, 0 when there is nothing; --apply 0 once applied "
            "(1 with --exit-non-zero-on-fix when anything changed); 2 on error (the tree is left as it was)"
        ),
    )
    parser.add_argument("paths", nargs="*", help="only fix findings in these files or directories (default: all); "
                                                 "links to what moves are rewritten everywhere")
    parser.add_argument("--apply", action="store_true", help="make the changes (default: only print the plan)")
    parser.add_argument("--unsafe", action="store_true",
                        help="also apply unsafe fixes (numbered destinations, guessed anchors, case collisions)")
    parser.add_argument("--dedupe", action="store_true",
                        help="remove exact duplicate files, pointing their links at the canonical copy")
    parser.add_argument("--select", action="append", metavar="CODES", help="comma-separated rule selectors to fix")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="comma-separated rule selectors to skip")
    parser.add_argument("--root", help="repository root (default: the git work tree of the current directory)")
    parser.add_argument("--no-diff", action="store_true", help="list moves and counts only, not the diff")
    parser.add_argument("--exit-non-zero-on-fix", action="store_true",
                        help="with --apply, exit 1 when anything was changed")
    parser.set_defaults(handler=run_fix)


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(code.strip() for value in values or () for code in value.split(",") if code.strip())


def _prefixes(root: Path, raw_paths: list[str], markdown: tuple[str, ...], exclude: tuple[str, ...]) -> list[str]:
    """The command-line paths as repository paths (validated like ``odyssey check``'s)."""
    from odyssey.cli import UsageError, resolve_targets

    resolve_targets(root, raw_paths, markdown, exclude)  # raises UsageError for paths outside or missing
    prefixes = []
    for raw in raw_paths:
        relative = Path(raw).resolve().relative_to(root).as_posix()
        if relative.startswith(".."):
            raise UsageError(f"{raw}: not inside the repository at {root}")
        prefixes.append("" if relative == "." else relative)
    return prefixes


def _wanted(path: str, prefixes: list[str]) -> bool:
    return any(not p or path == p or path.startswith(p + "/") for p in prefixes)


def _stdout() -> Any:
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    return sys.stdout


def run_fix(args: argparse.Namespace) -> int:
    from odyssey.cli import find_root
    from odyssey.config import load_config
    from odyssey.fix.apply import Applier
    from odyssey.fix.gitindex import GitError, GitIndex
    from odyssey.fix.journal import JournalError, recover_interrupted_fix
    from odyssey.fix.plan import FixOptions, Planner, collect_findings
    from odyssey.fix.render import render_plan, summary
    from odyssey.kinds import NamingConfigError
    from odyssey.project import Project

    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    if not root.is_dir():
        from odyssey.cli import UsageError

        raise UsageError(f"{args.root}: not a directory")
    out = _stdout()
    try:
        notice = recover_interrupted_fix(root)
    except JournalError as exc:
        print(f"odyssey: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if notice:
        print(f"odyssey: {notice}", file=sys.stderr)
    config = load_config(root)
    project = Project(root, config)
    started = time.perf_counter()
    try:
        findings, errors = collect_findings(project, _split(args.select) or config.select,
                                            config.ignore + _split(args.ignore), dedupe=args.dedupe)
    except NamingConfigError as exc:
        print(f"odyssey: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if errors:
        for error in errors:
            print(f"odyssey: {error}", file=sys.stderr)
        print("odyssey: error: the checks did not all run; nothing was planned", file=sys.stderr)
        return EXIT_ERROR
    if args.paths:
        prefixes = _prefixes(root, args.paths, project.files.markdown, config.exclude)
        findings = [f for f in findings if _wanted(f.path, prefixes)]
    plan = Planner(project, findings, FixOptions(unsafe=args.unsafe, dedupe=args.dedupe)).plan()
    logger.debug("planned in %.2f s (checks included)", time.perf_counter() - started)
    for line in render_plan(plan, diffs=not (args.no_diff or args.apply)):
        print(line, file=out)
    if not args.apply:
        if plan.empty:
            print(f"Nothing to fix{'; ' + summary(plan).split('; ', 1)[1] if plan.skipped else ''}.", file=out)
            return EXIT_CLEAN
        print(f"Would fix: {summary(plan)}. Nothing was changed: run `odyssey fix --apply` to apply.", file=out)
        return EXIT_CHANGES
    if plan.empty:
        print(f"Nothing to fix{'; ' + summary(plan).split('; ', 1)[1] if plan.skipped else ''}.", file=out)
        return EXIT_CLEAN
    try:
        report = Applier(root, plan, GitIndex.detect(root)).apply()
    except (JournalError, GitError) as exc:
        print(f"odyssey: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    index_note = f"; {report.index_entries} git index entries moved as git mv does" if report.index_entries else ""
    print(f"Fixed: {summary(plan)}{index_note}.", file=out)
    return EXIT_CHANGES if args.exit_non_zero_on_fix else EXIT_CLEAN
