"""The plan as people read it: the moves, the removals, a unified diff of every edited file, and what was left alone.

Diffs are of the text with line endings normalized (a CRLF file shows as text, not as ``^M``); the bytes written keep
every line ending as it was. A file that moves shows its old path in ``---`` and its new one in ``+++``, as ``git diff
-M`` does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from odyssey.fix.plan import Plan

CONTEXT_LINES = 2


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n").splitlines()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_moves(plan: Plan) -> Iterator[str]:
    moves = [m for m in plan.moves if not m.is_rename]
    renames = [m for m in plan.moves if m.is_rename]
    for title, group in (("Moves", moves), ("Renames", renames)):
        if group:
            yield f"{title} ({len(group)}):"
            width = max(len(m.source) + (1 if m.is_dir else 0) for m in group)
            for move in group:
                slash = "/" if move.is_dir else ""
                yield f"  {move.source + slash:<{width}} -> {plan.final(move.source)}{slash}  [{move.code}]"
    if plan.deletions:
        yield f"Removals ({len(plan.deletions)}):"
        for deletion in plan.deletions:
            yield f"  {deletion.path}  (identical to {deletion.canonical})  [{deletion.code}]"


def render_diffs(plan: Plan) -> Iterator[str]:
    for edit in plan.edits:
        diff = difflib.unified_diff(
            _lines(edit.original), _lines(edit.updated), fromfile=f"a/{edit.path}", tofile=f"b/{edit.new_path}",
            lineterm="", n=CONTEXT_LINES,
        )
        yield from diff


def render_skipped(plan: Plan) -> Iterator[str]:
    if plan.skipped:
        yield f"Left alone ({len(plan.skipped)}):"
        for skip in plan.skipped:
            yield f"  {skip}"


def summary(plan: Plan) -> str:
    moves = sum(1 for m in plan.moves if not m.is_rename)
    renames = len(plan.moves) - moves
    parts = []
    if moves:
        parts.append(_plural(moves, "move"))
    if renames:
        parts.append(_plural(renames, "rename"))
    if plan.deletions:
        parts.append(_plural(len(plan.deletions), "removal"))
    rewritten = plan.rewrite_count
    if rewritten:
        parts.append(f"{_plural(rewritten, 'link')} rewritten in {_plural(len(plan.edits), 'file')}")
    text = ", ".join(parts) if parts else "nothing to fix"
    if plan.skipped:
        text += f"; {_plural(len(plan.skipped), 'finding')} left alone"
    return text


def render_plan(plan: Plan, diffs: bool = True) -> Iterator[str]:
    """The whole plan, line by line."""
    yield from render_moves(plan)
    if diffs:
        yield from render_diffs(plan)
    yield from render_skipped(plan)
