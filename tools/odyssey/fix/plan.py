"""Planning a fix: which files move, which links are rewritten and how, what is left alone and why.

The plan is computed without touching the tree, from the findings of ``odyssey check`` (placement and naming moves,
link and anchor replacements, exact-duplicate removals) and the link graph:

1. ``collect_operations`` takes the candidate operations (see ``operations``).
2. The new tree is computed (``PathMap``): every file's final path.
3. Every link that may change meaning is re-planned: links *to* a path that moves or disappears (any file linking it,
   found through the link graph's reverse edges), every link *of* a document that moves (relative links are relative
   to it), and links with a replacement fix. A link keeps its style (relative, ``./``, root-absolute, trailing slash,
   query and fragment as written); a link that still leads to the same file from the new place is not touched. A
   fragment is translated when the slug style between the two files changes (a page moving out of the mkdocs docs
   directory is rendered by GitHub: ``#setup_1`` becomes ``#setup-1``). A broken link of a moving document keeps
   pointing at the same (missing) path, so moving never makes a broken link resolve by accident.
4. Each new target is written at the exact span where the old one is (``rewrite.locate_target``), the file is parsed
   again and every one of its links must read exactly as planned, and every rewritten link must resolve, in the new
   tree, to the file it led to before. The mkdocs nav is edited the same way (``navedit``).
5. Whatever cannot be done exactly blocks the operations it depends on: a move whose inbound link cannot be located
   is dropped (with the reason), and planning starts again from step 2 without it. Each round drops at least one
   operation, so this ends; in practice it takes one or two rounds.

Cost: the checks run once; planning then reads and re-parses only the documents it edits, so a 2,000-document
repository with 100 moves plans in well under the time of the checks (``benchmarks/odyssey_fix.py``).
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from odyssey.checks.anchors import heading_slugs
from odyssey.checks.orphans import is_external, nav_page
from odyssey.discovery import FileIndex, is_markdown
from odyssey.document import Document, Link, parse_document
from odyssey.engine import run_checks
from odyssey.findings import Finding
from odyssey.fix.navedit import NavEditError, NavScalar, edit_nav, nav_scalars
from odyssey.fix.operations import (
    Deletion,
    LinkFix,
    Move,
    Operations,
    OpKey,
    PathMap,
    Skip,
    collect_operations,
)
from odyssey.fix.rewrite import (
    Edit,
    EditError,
    LocateError,
    ReferenceUse,
    TargetSpan,
    apply_edits,
    candidate_spans,
    encode_fragment,
    encode_path,
    locate_target,
    read_as,
    split_written,
)
from odyssey.linkgraph import link_graph
from odyssey.policy import Selection
from odyssey.project import Project, read_repository_file
from odyssey.resolve import Target, resolve

logger = logging.getLogger(__name__)

# The findings odyssey fix acts on: placement and naming moves, broken and escaping links (when the links check
# names a repair), anchors; with --dedupe, exact duplicates too.
FIXABLE_SELECTORS = ("PLC", "NAM", "LNK001", "LNK002", "ANC")
DEDUPE_SELECTORS = ("DUP001",)
MAX_ROUNDS = 1000


@dataclass(frozen=True)
class FixOptions:
    unsafe: bool = False  # also apply fixes marked unsafe (numbered destinations, close anchor spellings, ...)
    dedupe: bool = False  # remove exact duplicates, pointing their links at the canonical copy


@dataclass(frozen=True)
class Rewrite:
    """One link target rewritten in ``path`` (today's path) at ``line``: ``old`` -> ``new`` as written."""

    path: str
    line: int
    column: int
    old: str
    new: str


@dataclass
class FileEdit:
    """A file whose bytes change: ``path`` today, ``new_path`` after the moves."""

    path: str
    new_path: str
    original: bytes
    updated: bytes
    rewrites: list[Rewrite] = field(default_factory=list)


@dataclass
class Plan:
    moves: list[Move]
    deletions: list[Deletion]
    edits: list[FileEdit]
    skipped: list[Skip]
    mapping: dict[str, str]  # every repository file whose path changes: today's path -> final path
    link_fixes: list[LinkFix] = field(default_factory=list)

    def final(self, path: str) -> str:
        """Where the file or directory ``path`` ends up."""
        return PathMap(self.moves, self.deletions).final(path)

    @property
    def empty(self) -> bool:
        return not (self.moves or self.deletions or self.edits)

    @property
    def rewrite_count(self) -> int:
        return sum(len(edit.rewrites) for edit in self.edits)


def collect_findings(project: Project, select: Sequence[str], ignore: Sequence[str],
                     dedupe: bool = False) -> tuple[list[Finding], list[str]]:
    """The findings a fix can act on, after the user's selection and the policy (suppressions, per-file ignores).
    Only the families with fixes run (duplicates only for ``dedupe``), which keeps a fix run short."""
    fixable = FIXABLE_SELECTORS + (DEDUPE_SELECTORS if dedupe else ())
    result = run_checks(project, None, Selection(select=fixable, ignore=tuple(ignore)))
    user = Selection(select=tuple(select), ignore=tuple(ignore))
    kept = [f for f in result.findings if user.enabled(f.code) and any(f.code.startswith(s) for s in fixable)]
    return kept, result.errors


def relative_path(target: str, from_dir: str) -> str:
    """The relative path from the directory ``from_dir`` to ``target`` (normalized repository paths; ``target`` may
    start with ``..`` when it lies outside the repository). Purely lexical, unlike ``posixpath.relpath``."""
    target_parts = [part for part in target.split("/") if part and part != "."]
    from_parts = [part for part in from_dir.split("/") if part and part != "."]
    common = 0
    while common < min(len(target_parts), len(from_parts)) and target_parts[common] == from_parts[common]:
        common += 1
    parts = [".."] * (len(from_parts) - common) + target_parts[common:]
    return "/".join(parts) or "."


@dataclass
class _LinkPlan:
    """How one link changes: ``path_text`` (unencoded; None keeps the written path) and ``fragment`` (None keeps
    the written one); ``expected`` is what the new target must resolve to from the new place."""

    index: int
    link: Link
    path_text: str | None
    fragment: str | None
    expected_status: str
    expected_path: str | None
    expected_fragment: str | None
    needs: set[OpKey]


class _Blocked(Exception):
    def __init__(self, needs: Iterable[OpKey], reason: str) -> None:
        super().__init__(reason)
        self.needs = set(needs)
        self.reason = reason


class Planner:
    """Plans one fix of ``project`` from ``findings``."""

    def __init__(self, project: Project, findings: Sequence[Finding], options: FixOptions) -> None:
        self.project = project
        self.files = project.files
        self.prefixes = project.config.machine_path_prefixes
        self.options = options
        self.ops: Operations = collect_operations(project, findings, options.unsafe, options.dedupe)
        self._raw: dict[str, bytes | None] = {}
        self._nav_scalars: list[NavScalar] | None = None  # composed once: pure-Python YAML is slow on big navs

    # -- the rounds ---------------------------------------------------------------------------------------------
    def plan(self) -> Plan:
        for _round in range(MAX_ROUNDS):
            blocked: dict[OpKey, str] = {}
            plan = self._attempt(blocked)
            if not blocked:
                self._report_unused_fixes(plan)
                return plan
            logger.debug("planning round %d: dropping %d operations", _round + 1, len(blocked))
            for key, reason in sorted(blocked.items()):
                self._drop(key, reason)
        raise RuntimeError("planning did not settle")  # unreachable: every round drops an operation

    def _report_unused_fixes(self, plan: Plan) -> None:
        used = {fix.key for fix in plan.link_fixes}
        for fix in self.ops.fixes.values():
            if fix.key not in used:
                plan.skipped.append(Skip(fix.path, fix.line, fix.column, fix.code,
                                         f"not fixed: no link reading '{fix.old}' at this position"))
        plan.skipped.sort()

    def _drop(self, key: OpKey, reason: str) -> None:
        ops = self.ops
        if key[0] == "move" and key[1] in ops.moves:
            move = ops.moves.pop(key[1])
            ops.skipped.append(Skip(move.source, 1, 1, move.code, f"not moved to {move.destination}: {reason}"))
        elif key[0] == "delete" and key[1] in ops.deletions:
            deletion = ops.deletions.pop(key[1])
            ops.skipped.append(Skip(deletion.path, 1, 1, deletion.code, f"not removed: {reason}"))
        elif key[0] == "fix":
            fix = ops.fixes.pop((key[1], int(key[2]), int(key[3])), None)
            if fix is not None:
                ops.skipped.append(Skip(fix.path, fix.line, fix.column, fix.code, f"not fixed: {reason}"))

    def _active_moves(self) -> list[Move]:
        """The moves, minus directory renames left with nothing to rename once the files inside moved away."""
        file_moves = {m.source: m.destination for m in self.ops.moves.values() if not m.is_dir}
        moves = []
        for move in self.ops.moves.values():
            if move.is_dir:
                prefix = move.source + "/"
                stays = (p for p in self.files.files if p.startswith(prefix) and p not in self.ops.deletions)
                if not any(file_moves.get(p, p).startswith(prefix) for p in stays):
                    continue
            moves.append(move)
        return moves

    def _attempt(self, blocked: dict[OpKey, str]) -> Plan:
        moves = self._active_moves()
        paths = PathMap(moves, self.ops.deletions.values())
        new_files = [paths.final(p) for p in self.files.files if p not in paths.deleted]
        new_index = FileIndex(self.files.root, frozenset(new_files))
        if len(new_index.files) != len(new_files):
            self._block_collisions(paths, blocked)
        self._block_vanishing_directories(paths, new_index, blocked)
        edits: list[FileEdit] = []
        unexplained: list[Skip] = []
        for path in sorted(self._affected_documents(paths)):
            failures: list[_Blocked] = []
            try:
                edit = self._plan_document(path, paths, new_index, failures)
            except _Blocked as exc:
                failures.append(exc)
                edit = None
            for failure in failures:
                for key in failure.needs:
                    blocked.setdefault(key, failure.reason)
                if not failure.needs:  # nothing to drop: say so rather than loop
                    unexplained.append(Skip(path, 1, 1, "FIX", failure.reason))
            if edit is not None and not failures:
                edits.append(edit)
        nav_edit = self._plan_nav(paths, blocked)
        if nav_edit is not None:
            edits.append(nav_edit)
        self._block_config_references(paths, blocked)
        mapping = {p: paths.final(p) for p in sorted(self.files.files) if p not in paths.deleted
                   and paths.final(p) != p}
        used_fixes = {(r.path, r.line, r.column) for e in edits for r in e.rewrites}
        return Plan(
            moves=sorted(moves, key=lambda m: m.source),
            deletions=sorted(self.ops.deletions.values(), key=lambda d: d.path),
            edits=edits,
            skipped=sorted(self.ops.skipped + unexplained),
            mapping=mapping,
            link_fixes=[fix for key, fix in sorted(self.ops.fixes.items()) if key in used_fixes],
        )

    # -- whole-tree checks --------------------------------------------------------------------------------------
    def _block_collisions(self, paths: PathMap, blocked: dict[OpKey, str]) -> None:
        seen: dict[str, str] = {}
        for path in sorted(self.files.files):
            if path in paths.deleted:
                continue
            final = paths.final(path)
            if final in seen:
                for key in paths.ops_for(path) | paths.ops_for(seen[final]):
                    blocked.setdefault(key, f"{seen[final]} and {path} would both end up at {final}")
            else:
                seen[final] = path

    def _block_vanishing_directories(self, paths: PathMap, new_index: FileIndex, blocked: dict[OpKey, str]) -> None:
        """A link to a directory must still find the directory: keep the files that would empty it."""
        graph = link_graph(self.project)
        for target in graph.incoming:
            if target not in self.files.dirs:
                continue
            final = paths.final(target)
            if new_index.exists(final):
                continue
            reason = f"it would empty {target}/, which is linked from {graph.incoming[target][0].source}"
            prefix = target + "/"
            for source in self.ops.moves:
                if source.startswith(prefix) and not paths.final(source).startswith(final + "/"):
                    blocked.setdefault(("move", source), reason)
            for source in self.ops.deletions:
                if source.startswith(prefix):
                    blocked.setdefault(("delete", source), reason)

    def _affected_documents(self, paths: PathMap) -> set[str]:
        """Documents with a link that may change: moved ones, linkers of what moves, and those with link fixes."""
        graph = link_graph(self.project)
        affected = {path for path in self.files.markdown if paths.changes(path)}
        for target, edges in graph.incoming.items():
            if paths.changes(target):
                affected.update(edge.source for edge in edges)
        affected.update(path for path, _line, _column in self.ops.fixes)
        return affected - set(paths.deleted)

    # -- one document -------------------------------------------------------------------------------------------
    def _read(self, path: str) -> bytes | None:
        if path not in self._raw:
            self._raw[path], _reason = read_repository_file(self.project.root, path)
        return self._raw[path]

    def _plan_document(self, path: str, paths: PathMap, new_index: FileIndex,
                       failures: list[_Blocked]) -> FileEdit | None:
        """The edit of one document, or None when none of its links changes; what cannot be done exactly is
        appended to ``failures`` (with the operations it blocks)."""
        document = self.project.document(path)
        if not document.readable:
            return None
        new_path = paths.final(path)
        plans: list[_LinkPlan] = []
        for index, link in enumerate(document.links):
            if link.kind in ("reference", "autolink"):
                continue
            try:
                planned = self._plan_link(document, index, link, new_path, paths, new_index)
            except _Blocked as exc:
                failures.append(exc)
                continue
            if planned is not None:
                plans.append(planned)
        edits, rewrites, expected = self._write_links(document, new_path, plans, new_index, failures)
        if failures:
            # The document is not edited this round; what its other rewrites serve must wait for the next one.
            everything = set().union(*(p.needs for p in plans))
            for failure in failures:
                if not failure.needs:
                    failure.needs = everything
            return None
        if not edits:
            return None
        raw = self._read(path)
        needs = set().union(*(p.needs for p in plans))
        if raw is None or os.path.islink(self.project.root / path):
            raise _Blocked(needs, f"{path} cannot be read or is a symlink; its links cannot be rewritten")
        try:
            updated = apply_edits(raw, edits)
        except EditError as exc:
            raise _Blocked(needs, f"{path}: {exc}") from None
        self._verify_reparse(document, updated, expected, needs)
        return FileEdit(path, new_path, raw, updated, rewrites)

    def _resolve(self, source: str, written: str, files: FileIndex) -> Target:
        return resolve(source, written, files, self.prefixes)

    def _plan_link(self, document: Document, index: int, link: Link, new_path: str, paths: PathMap,
                   new_index: FileIndex) -> _LinkPlan | None:
        source = document.path
        fix = self.ops.fixes.get((source, link.line, link.column))
        target = self._resolve(source, link.target, self.files)
        needs = paths.ops_for(source)
        if fix is not None:
            needs.add(fix.key)
        if target.status == "same-file":
            fragment = self._fixed_fragment(link, fix, target.fragment)
            fragment = self._translated(source, source, new_path, new_path, fragment)
            if fragment == target.fragment:
                return None
            return _LinkPlan(index, link, None, fragment, "same-file", new_path, fragment, needs)
        lnk_fix = fix is not None and fix.code.startswith("LNK")
        if target.status == "escape" and not lnk_fix:
            if new_path == source:
                return None
            outside = posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(target.path_part)))
            text = relative_path(outside, posixpath.dirname(new_path))
            return _LinkPlan(index, link, _keep_trailing(target.path_part, text), None, "escape", outside, None, needs)
        if target.status not in ("local", "escape") or (target.path is None and not lnk_fix):
            return None
        old_target = target.path or ""
        path_changed = False
        if fix is not None and lnk_fix:
            if fix.old != target.path_part:
                raise _Blocked({fix.key}, f"the link at {source}:{link.line} no longer reads '{fix.old}'")
            fixed = _join(source, fix.new)
            if fixed is None or not self.files.exists(fixed):
                raise _Blocked({fix.key}, f"the replacement '{fix.new}' does not lead to a repository file")
            old_target, path_changed = fixed, True
        final_target = paths.final(old_target)
        needs |= paths.ops_for(old_target)
        fragment = self._fixed_fragment(link, fix, target.fragment)
        fragment = self._translated(source, old_target, new_path, final_target, fragment)
        if not path_changed and new_path == source and final_target == old_target and fragment == target.fragment:
            return None
        if not path_changed and fragment == target.fragment:
            # Still leads to the same place from the new one (``../README.md`` from a sibling directory)? Keep it.
            again = self._resolve(new_path, link.target, new_index)
            if again.status == "local" and again.path == final_target:
                return None
        if path_changed and new_path == source and final_target == old_target and fix is not None:
            text = fix.new  # exactly the repair the check named ("did you mean ...")
        elif target.root_absolute:
            text = "/" + final_target
        else:
            text = relative_path(final_target, posixpath.dirname(new_path))
            if target.path_part.startswith("./") and not text.startswith(".."):
                text = "./" + text if text != "." else "./"
            elif text == ".":
                text = "./"
        return _LinkPlan(index, link, _keep_trailing(target.path_part, text), fragment, "local", final_target,
                         fragment, needs)

    @staticmethod
    def _fixed_fragment(link: Link, fix: LinkFix | None, fragment: str | None) -> str | None:
        if fix is None or not fix.code.startswith("ANC"):
            return fragment
        if fix.old != link.target or "#" not in fix.new:
            raise _Blocked({fix.key}, f"the link at {link.line}:{link.column} no longer reads '{fix.old}'")
        return unquote(fix.new.partition("#")[2])

    def _style(self, source: str, target: str) -> str:
        """The slug style a reader of ``source`` meets on ``target`` (as the anchors check decides it)."""
        source_style = self.project.slug_style(source)
        target_style = self.project.slug_style(target)
        return source_style if source_style == target_style else "github"

    def _translated(self, source: str, target: str, new_source: str, new_target: str,
                    fragment: str | None) -> str | None:
        """``fragment`` as the renderer of the new place writes the same anchor."""
        if not fragment or not is_markdown(target) or not self.files.is_file(target):
            return fragment
        old_style, new_style = self._style(source, target), self._style(new_source, new_target)
        if old_style == new_style:
            return fragment
        linked = self.project.document(target)
        if not linked.readable or fragment in {anchor for anchor, _line in linked.html_ids}:
            return fragment
        old_slugs = heading_slugs(linked, old_style) if old_style != "any" else []
        if fragment not in old_slugs:
            return fragment
        return heading_slugs(linked, new_style)[old_slugs.index(fragment)] if new_style != "any" else fragment

    def _write_links(self, document: Document, new_path: str, plans: list[_LinkPlan], new_index: FileIndex,
                     failures: list[_Blocked]) -> tuple[list[Edit], list[Rewrite], dict[int, str]]:
        """Locate each planned link's written target, write the new one, and check it resolves as planned."""
        edits: dict[tuple[int, int, int], Edit] = {}
        rewrites: list[Rewrite] = []
        expected: dict[int, str] = {}
        for planned in plans:
            link = planned.link
            where = f"{document.path}:{link.line}:{link.column}"
            try:
                span = locate_target(document.lines, link)
            except ReferenceUse:
                continue  # ![alt][label]: the definition is rewritten
            except LocateError as exc:
                failures.append(_Blocked(planned.needs, f"cannot rewrite the link at {where} exactly: {exc}"))
                continue
            new_written = _new_written(span, planned)
            if new_written == span.text:
                continue
            reads = read_as(new_written, span.syntax)
            if not self._resolves_as_planned(new_path, reads, planned, new_index):
                failures.append(_Blocked(planned.needs, f"the rewritten link at {where} ('{new_written}') would not "
                                                        "lead to the same file"))
                continue
            key = (span.line, span.start, span.end)
            if key in edits:
                # Two links placed at one span (identical links in table cells get one column): take the next
                # occurrence on the line that no link has claimed; the re-parse confirms the pairing.
                spare = [other for other in candidate_spans(document.lines, link)
                         if (other.line, other.start, other.end) not in edits and other.start > span.start]
                if not spare:
                    failures.append(_Blocked(planned.needs, f"two links at {where} share one written target"))
                    continue
                span = spare[0]
                key = (span.line, span.start, span.end)
                new_written = _new_written(span, planned)
            edits[key] = Edit(span.line, span.start, span.end, span.text, new_written)
            expected[planned.index] = reads
            rewrites.append(Rewrite(document.path, link.line, link.column, span.text, new_written))
        return list(edits.values()), rewrites, expected

    def _resolves_as_planned(self, new_path: str, reads: str, planned: _LinkPlan, new_index: FileIndex) -> bool:
        if planned.expected_status == "escape":
            raw_path = split_written(reads)[0]
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(new_path), unquote(raw_path)))
            return joined == planned.expected_path
        again = self._resolve(new_path, reads, new_index)
        if planned.expected_status == "same-file":
            return again.status == "same-file" and again.fragment == planned.expected_fragment
        return (again.status == "local" and again.path == planned.expected_path
                and again.fragment == planned.expected_fragment)

    def _verify_reparse(self, document: Document, updated: bytes, expected: dict[int, str], needs: set[OpKey]) -> None:
        """Parse the edited file: every link must read as planned (edited ones) or as before (the others)."""
        reread = parse_document(document.path, updated, max_size=max(len(updated), self.project.config.max_file_size))
        old_links, new_links = document.links, reread.links
        problem = None
        if len(old_links) != len(new_links):
            problem = f"it has {len(new_links)} links after the edit instead of {len(old_links)}"
        else:
            renamed = {old_links[i].target: target for i, target in expected.items()
                       if old_links[i].kind == "definition"}
            for index, (old, new) in enumerate(zip(old_links, new_links, strict=True)):
                want = expected.get(index)
                if want is None:
                    uses_definition = old.kind == "reference" or (old.kind == "image" and index not in expected)
                    want = renamed.get(old.target, old.target) if uses_definition else old.target
                if new.target != want or new.kind != old.kind or new.line != old.line:
                    problem = f"the link at line {old.line} reads '{new.target}' after the edit, not '{want}'"
                    break
        if problem is not None:
            raise _Blocked(needs, f"{document.path} does not parse back as planned ({problem})")

    # -- mkdocs.yml ---------------------------------------------------------------------------------------------
    def _plan_nav(self, paths: PathMap, blocked: dict[OpKey, str]) -> FileEdit | None:
        mkdocs = self.project.mkdocs
        if mkdocs is not None and mkdocs.problem is not None:
            # The nav cannot be read, so it cannot be kept right: nothing moves into, out of or inside the site.
            for path in self.files.markdown:
                if paths.changes(path) and (self.project.in_docs_dir(path) or self.project.in_docs_dir(
                        paths.final(path))):
                    for key in paths.ops_for(path):
                        blocked.setdefault(key, f"{mkdocs.path} cannot be read ({mkdocs.problem[1]}), so its nav "
                                                "cannot be updated")
            return None
        if mkdocs is None or not mkdocs.nav:
            return None
        docs_dir = mkdocs.docs_dir
        changes: dict[int, str] = {}
        needs: set[OpKey] = set()
        for index, entry in enumerate(mkdocs.nav):
            if is_external(entry.target):
                continue
            page = nav_page(mkdocs, entry)
            if not self.files.is_file(page) or not paths.changes(page):
                continue
            final = paths.final(page)
            where = f"{mkdocs.path}:{entry.line}"
            if not (final.startswith(docs_dir + "/") or docs_dir in ("", ".")):
                for key in paths.ops_for(page):
                    blocked.setdefault(key, f"{page} is in the mkdocs nav ({where}); moving it out of {docs_dir}/ "
                                            "would drop it from the site")
                continue
            _path, hash_mark, fragment = entry.target.partition("#")
            changes[index] = relative_path(final, docs_dir) + hash_mark + fragment
            needs |= paths.ops_for(page)
        if not changes:
            return None
        raw = self._read(mkdocs.path)
        try:
            if raw is None:
                raise NavEditError(f"{mkdocs.path} cannot be read")
            if self._nav_scalars is None:
                self._nav_scalars = nav_scalars(raw.decode("utf-8"))
            if len(self._nav_scalars) != len(mkdocs.nav):
                raise NavEditError(f"{mkdocs.path}: the nav entries cannot be matched to the YAML text")
            updated = edit_nav(mkdocs.path, raw, changes, self._nav_scalars)
        except (NavEditError, UnicodeDecodeError) as exc:
            for key in needs:
                blocked.setdefault(key, f"cannot edit the nav of {mkdocs.path}: {exc}")
            return None
        rewrites = [Rewrite(mkdocs.path, mkdocs.nav[i].line, 1, mkdocs.nav[i].target, new)
                    for i, new in sorted(changes.items())]
        return FileEdit(mkdocs.path, mkdocs.path, raw, updated, rewrites)

    def _block_config_references(self, paths: PathMap, blocked: dict[OpKey, str]) -> None:
        """mkdocs.yml names files outside the nav too (``extra_css``, ``theme.logo``): those are not rewritten, so
        what they name must not move."""
        mkdocs = self.project.mkdocs
        if mkdocs is None or mkdocs.problem is not None:
            return
        for value in _strings(mkdocs.data, skip_key="nav"):
            for candidate in (posixpath.join(mkdocs.docs_dir, value), value):
                path = posixpath.normpath(candidate)
                if path != "." and self.files.exists(path) and paths.changes(path):
                    for key in paths.ops_for(path):
                        blocked.setdefault(key, f"{mkdocs.path} refers to '{value}', which is not rewritten")


def _strings(data: Any, skip_key: str) -> Iterable[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key != skip_key:
                yield from _strings(value, skip_key)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item, skip_key)
    elif isinstance(data, str) and data and len(data) < 500 and not data.startswith(("http:", "https:")):
        yield data


def _join(source: str, written: str) -> str | None:
    """The repository path ``written`` (a path, no fragment; not percent-decoded) leads to from ``source``."""
    if written.startswith("/"):
        joined = posixpath.normpath(written.lstrip("/")) if written.strip("/") else ""
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), written))
    if joined == ".":
        return ""
    return None if joined == ".." or joined.startswith("../") else joined


def _keep_trailing(written: str, text: str) -> str:
    if written.endswith("/") and not text.endswith("/"):
        return text + "/"
    return text


def _new_written(span: TargetSpan, planned: _LinkPlan) -> str:
    """The new target as written in ``span``'s syntax: new path (or the written one), then the written query and
    fragment (or the new fragment)."""
    written_path, rest = split_written(span.text)
    path = written_path if planned.path_text is None else encode_path(planned.path_text, span.syntax)
    if planned.fragment is not None:
        query = rest.partition("#")[0]
        old_fragment = rest.partition("#")[2]
        if unquote(read_as(old_fragment, span.syntax)) != planned.fragment:
            rest = query + "#" + encode_fragment(planned.fragment, span.syntax)
    if not path and not rest:
        return "./"
    return path + rest
