"""Speed of the duplicates and xref families (``odyssey check --select DUP,XRF``) at 2,000 / 5,000 / 20,000
documents, side by side with jscpd, the copy/paste detector, on the same trees.

Usage (from the repository root)::

    .venv/bin/python benchmarks/odyssey_duplicates.py                       # 2k, 5k, 20k docs, with jscpd
    .venv/bin/python benchmarks/odyssey_duplicates.py --sizes 2000 --runs 1 --skip-jscpd
    .venv/bin/python benchmarks/odyssey_duplicates.py --keep benchmarks/out/duplicates   # keep and reuse the trees

Trees: ``synthetic_repo.generate`` (git-initialised and committed, since discovery is git-aware), then ``plant``
adds what the synthetic generator does not write, as untracked files (discovery lists them too): an exact copy of a
page, an edited copy, a section pasted into another page, a section of a guide pasted and edited in a note, two
pairs of documents saying the same thing in different words (the paraphrases of the DUP005 rule fixture), five
template scaffolds and a boilerplate section appended to five agent files. The run reports which planted duplicates
were found (a benchmark that finds nothing fast proves nothing).

Timed, per size, each as a fresh process with a warm file cache (one untimed run first):

- ``odyssey check --select DUP,XRF``: the families end to end (discovery, parsing, link graph, the checks), once
  with ``--no-cache`` (every document parsed) and once by default (unchanged documents come from odyssey's
  document cache, which the untimed run filled), when odyssey has that cache;
- its phases, in one more fresh process: parse, link graph, the duplicates check, the xref check (in-process);
- ``jscpd --format markdown`` (pinned, installed on first use with ``npm install --prefix`` under ``--tools-dir``,
  default ``benchmarks/.tools/``; "not available: why" when npm or the install fails, or when a run exceeds
  ``--jscpd-timeout``). jscpd finds token-level clones in Markdown, the closest existing tool; it has no
  near-duplicate, topical or boilerplate notion. It runs ``--jscpd-runs`` times (default once: it is slow).

The table shows the median wall seconds, CPU seconds (process and workers), documents per second and seconds per
1,000 documents; the curve line divides each size's time by the smallest size's, against the size ratio (linear
growth keeps them equal). The issue's target: 20,000 documents in <= 20 s on 2 cores (``--check`` exits 1 if missed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

try:
    import synthetic_repo
except ImportError:  # run as ``python -m benchmarks.odyssey_duplicates``
    from benchmarks import synthetic_repo  # type: ignore[no-redef]

BENCHMARKS = Path(__file__).resolve().parent
FIXTURES = BENCHMARKS.parent / "tests" / "fixtures" / "rules"
DEFAULT_TOOLS_DIR = BENCHMARKS / ".tools"
JSCPD = "jscpd@4.0.5"
PLANT_MARKER = ".planted-duplicates.json"
PLANT_VERSION = 3
RUN_TIMEOUT = 900
TARGET = (20000, 20.0)  # (documents, seconds) from the issue


# -- planted duplicates ------------------------------------------------------------------------------------------
@dataclass
class Planted:
    """What ``plant`` wrote, and the finding each item should produce: (code, path)."""

    files: list[str] = field(default_factory=list)
    expected: list[tuple[str, str]] = field(default_factory=list)


def _pages(root: Path) -> list[Path]:
    """Content pages of the synthetic docs tree (not index pages), in a stable order."""
    return sorted(p for p in (root / "docs").rglob("*.md") if p.name != "index.md")


def _write(root: Path, path: str, text: str, planted: Planted) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    planted.files.append(path)


def _edit(text: str, rng: random.Random) -> str:
    """A light edit: a new title, and one word replaced in the first line of every paragraph of prose."""
    lines = text.split("\n")
    edited, in_fence, previous_blank = [], False, True
    for line in lines:
        if line.startswith("```"):
            in_fence = not in_fence
        words = line.split(" ")
        if line.startswith("# "):
            line = f"{line} (session notes)"
        elif not in_fence and previous_blank and len(words) > 8 and not line.startswith(("#", "|", "<", "-", ">")):
            words[rng.randrange(1, len(words))] = rng.choice(("however", "again", "also", "now"))
            line = " ".join(words)
        previous_blank = not line.strip()
        edited.append(line)
    return "\n".join(edited)


def _largest_section(text: str) -> str:
    """The longest '## ' section of a page, heading included; not the "Related" list of links."""
    parts = ["## " + part for part in text.split("\n## ")[1:] if not part.startswith("Related")]
    return max(parts, key=len) if parts else text


def plant(root: Path, seed: int) -> Planted:
    """Add realistic duplicates to a synthetic tree (see the module docstring); idempotent per (tree, seed)."""
    rng = random.Random(f"plant/{seed}")
    planted = Planted()
    pages = _pages(root)
    first, second, third, fourth = (pages[i] for i in rng.sample(range(len(pages)), 4))
    relative = lambda path: path.relative_to(root).as_posix()  # noqa: E731 - a one-line local helper
    # DUP001: an agent's copy of a page, kept in notes/.
    _write(root, "notes/copies/page-copy.md", first.read_text(encoding="utf-8"), planted)
    planted.expected.append(("DUP001", "notes/copies/page-copy.md"))
    # DUP003: an edited copy.
    _write(root, "notes/copies/page-edited.md", _edit(second.read_text(encoding="utf-8"), rng), planted)
    planted.expected.append(("DUP003", "notes/copies/page-edited.md"))
    # DUP002: a section pasted into another document.
    pasted = _largest_section(third.read_text(encoding="utf-8"))
    _write(root, "notes/copies/pasted-section.md",
           "# Working notes\n\nWhat the docs say about it, for reference:\n\n" + pasted + "\n", planted)
    planted.expected.append(("DUP002", "notes/copies/pasted-section.md"))
    # DUP004: a section pasted and lightly edited (one word per paragraph), among new text.
    edited_section = _edit(_largest_section(fourth.read_text(encoding="utf-8")), rng)
    _write(root, "notes/copies/edited-section.md",
           "# Follow-up\n\n## Context\n\nThe CI run of this week failed twice for reasons unrelated to the model; the "
           "runner image was rebuilt and the jobs were retried by hand.\n\n" + edited_section + "\n", planted)
    planted.expected.append(("DUP004", "notes/copies/edited-section.md"))
    # DUP005: two pairs of paraphrases (texts of the DUP005 rule fixture).
    fixture = FIXTURES / "DUP005"
    for source, destination in (
        ("docs/performance/why-training-is-slow.md", "docs/performance-planted/why-training-is-slow.md"),
        ("notes/2024-05-training-speed-investigation.md", "notes/planted/2024-05-training-speed-investigation.md"),
        ("SESSION_SUMMARY.md", "notes/planted/SESSION_SUMMARY.md"),
        ("notes/session-2-summary.md", "notes/planted/session-2-summary.md"),
    ):
        _write(root, destination, (fixture / source).read_text(encoding="utf-8"), planted)
    planted.expected += [("DUP005", "pair:training-speed"), ("DUP005", "pair:session-summary")]
    # DUP006: five scaffolds from one template.
    for name in ("conv2d", "maxpool", "linear", "relu", "softmax"):
        _write(root, f"docs/api-planted/{name}.md",
               f"# {name}\n\n## Overview\n\nTODO\n\n## Usage\n\nTODO\n\n## Parameters\n\nTBD\n", planted)
    planted.expected.append(("DUP006", "docs/api-planted/conv2d.md"))
    # DUP007: the same "Reporting back" section appended to five agent files (tracked files, rewritten in place:
    # the tree is regenerated whenever the planting changes).
    reporting = ("\n## Reporting back\n\nWhen the work is done, reply to the agent that delegated it with a short "
                 "summary: what changed, which files, and which commands you ran to check it. Quote numbers only from "
                 "the output of a command you ran in this session; never estimate them. If something is left undone, "
                 "say so and explain why, so that the orchestrator can plan the next step.\n")
    agents = [a for a in sorted((root / "agents").glob("*.md")) if a.name != "README.md"][:5]
    for agent in agents:
        agent.write_text(agent.read_text(encoding="utf-8") + reporting, encoding="utf-8")
    planted.expected.append(("DUP007", relative(agents[0])))
    return planted


def prepared_tree(parent: Path, docs: int, seed: int) -> tuple[Path, Planted]:
    """A committed synthetic tree with planted duplicates, reused when the generator and planting are unchanged."""
    root = parent / f"repo-{docs}-seed{seed}"
    manifest = synthetic_repo.load_manifest(root)
    marker = root / PLANT_MARKER
    if manifest is not None and manifest.docs == docs and (root / ".git").is_dir() and marker.is_file():
        stored = json.loads(marker.read_text(encoding="utf-8"))
        if stored.get("version") == PLANT_VERSION and stored.get("seed") == seed:
            print(f"reusing {root}", flush=True)
            return root, Planted(stored["files"], [tuple(item) for item in stored["expected"]])
    start = time.perf_counter()
    synthetic_repo.generate(root, docs, seed=seed, git=True, force=True)
    planted = plant(root, seed)
    marker.write_text(json.dumps({"version": PLANT_VERSION, "seed": seed, "files": planted.files,
                                  "expected": planted.expected}, indent=1) + "\n", encoding="utf-8")
    print(f"generated {root}: {docs} docs + {len(planted.files)} planted in {time.perf_counter() - start:.1f} s",
          flush=True)
    return root, planted


def recall(findings: list[dict[str, object]], planted: Planted) -> str:
    """Which planted duplicates the run reported."""
    found = {(str(f["code"]), str(f["path"])) for f in findings}
    topical = [f"{f['path']} {f['message']}" for f in findings if f["code"] == "DUP005"]
    pairs = {"pair:training-speed": "training-speed-investigation", "pair:session-summary": "SESSION_SUMMARY"}
    hits = []
    for code, path in planted.expected:
        ok = any(pairs[path] in text for text in topical) if path in pairs else (code, path) in found
        hits.append(f"{code} {'found' if ok else 'MISSED'}")
    return ", ".join(hits)


# -- running -------------------------------------------------------------------------------------------------------
@dataclass
class Timing:
    walls: list[float]
    cpus: list[float]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def timed(argv: Sequence[str], cwd: Path, runs: int, ok: tuple[int, ...]) -> tuple[Timing | None, str]:
    """Wall and CPU seconds (children included) of ``runs`` fresh runs, or None and why the command failed."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        try:
            done = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, str(exc)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in ok:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            return None, f"exit status {done.returncode}: {lines[-1] if lines else 'no message'}"
        walls.append(wall)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return Timing(walls, cpus), ""


def odyssey_variants() -> list[tuple[str, list[str]]]:
    """The runs to time: every document parsed (``--no-cache``, when odyssey has a document cache), and the default
    run, which takes unchanged documents from the cache that the untimed run filled."""
    help_text = subprocess.run([*odyssey_argv(), "check", "--help"], capture_output=True, text=True).stdout
    if "--no-cache" not in help_text:
        return [("odyssey check --select DUP,XRF", [])]
    return [("odyssey ... --no-cache (cold)", ["--no-cache"]), ("odyssey ... (cache warm)", [])]


def odyssey_argv() -> list[str]:
    script = Path(sys.executable).parent / "odyssey"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "odyssey"]


def sanity_run(root: Path, planted: Planted) -> str:
    """One untimed run (it warms the file cache): findings by code and the recall of planted duplicates."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "findings.json"
        done = subprocess.run([*odyssey_argv(), "check", "--select", "DUP,XRF", "--format", "json", "--output",
                               str(report)], cwd=root, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        if done.returncode not in (0, 1):
            return f"odyssey check failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
        findings = json.loads(report.read_text(encoding="utf-8"))
    counts = Counter(str(f["code"]) for f in findings)
    by_code = ", ".join(f"{code} {count}" for code, count in sorted(counts.items()))
    return f"findings: {len(findings)} ({by_code}); planted: {recall(findings, planted)}"


def phases(root: Path) -> dict[str, float]:
    """In this (fresh) process: wall seconds of parsing, the link graph, and each family's check."""
    from odyssey.checks.duplicates import DuplicatesCheck
    from odyssey.checks.xref import XrefCheck
    from odyssey.linkgraph import link_graph
    from odyssey.project import Project

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    project = Project(root)
    list(project.documents())
    timings["discover + parse"] = time.perf_counter() - clock
    clock = time.perf_counter()
    link_graph(project)
    timings["link graph"] = time.perf_counter() - clock
    for name, check in (("duplicates check", DuplicatesCheck), ("xref check", XrefCheck)):
        clock = time.perf_counter()
        list(check(project).check_project())
        timings[name] = time.perf_counter() - clock
    return timings


def ensure_jscpd(tools_dir: Path) -> tuple[list[str] | None, str]:
    """jscpd under ``tools_dir`` (installed now if missing, pinned), or None and the reason."""
    binary = tools_dir / "node_modules" / ".bin" / "jscpd"
    if not binary.is_file():
        if shutil.which("npm") is None or shutil.which("node") is None:
            return None, "node/npm not on PATH"
        print(f"installing {JSCPD} into {tools_dir} (npm) ...", flush=True)
        tools_dir.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(["npm", "install", "--prefix", str(tools_dir), "--no-audit", "--no-fund",
                                   "--loglevel=error", JSCPD], capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"npm install {JSCPD} failed: {exc}"
        if done.returncode != 0 or not binary.is_file():
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            return None, f"npm install {JSCPD} failed: {lines[-1] if lines else done.returncode}"
    return [str(binary)], ""


def time_jscpd(argv: list[str], root: Path, runs: int, timeout: float) -> tuple[Timing | None, str]:
    """Timed jscpd runs on ``root`` (each writes its JSON report); the clones of the last one, or why it failed."""
    walls, cpus = [], []
    summary = ""
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            try:
                done = subprocess.run([*argv, *jscpd_options(scratch), "."], cwd=root, capture_output=True,
                                      text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                return None, f"timed out after {timeout:g} s"
            except OSError as exc:
                return None, str(exc)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            report = Path(scratch) / "jscpd-report.json"
            if done.returncode != 0 or not report.is_file():
                lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
                return None, f"exit status {done.returncode}: {lines[-1] if lines else 'no report'}"
            data = json.loads(report.read_text(encoding="utf-8"))
        walls.append(wall)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        total = data.get("statistics", {}).get("total", {})
        summary = f"{len(data.get('duplicates', []))} clones, {total.get('percentage', 0):.1f}% duplicated lines"
    return Timing(walls, cpus), summary


def jscpd_options(output: str) -> list[str]:
    return ["--format", "markdown", "--reporters", "json", "--output", output, "--silent", "--gitignore",
            "--ignore", "**/.git/**,**/node_modules/**"]


# -- report --------------------------------------------------------------------------------------------------------
@dataclass
class Row:
    tool: str
    docs: int
    timing: Timing | None
    note: str = ""


HEADER = f"{'tool':<32} {'docs':>6} {'runs':>4} {'wall s':>8} {'cpu s':>7} {'docs/s':>7} {'s/1000 docs':>11}"


def print_row(row: Row) -> None:
    if row.timing is None:
        print(f"{row.tool:<32} {row.docs:>6}  not available: {row.note}", flush=True)
        return
    t = row.timing
    print(f"{row.tool:<32} {row.docs:>6} {len(t.walls):>4} {t.wall:8.2f} {t.cpu:7.2f} {row.docs / t.wall:7.0f} "
          f"{t.wall / row.docs * 1000:11.3f}", flush=True)


def print_table(rows: list[Row]) -> None:
    print("\n" + HEADER)
    print("-" * len(HEADER))
    for row in rows:
        print_row(row)


def print_curve(rows: list[Row], tool: str) -> None:
    measured = [(row.docs, row.timing.wall) for row in rows if row.tool == tool and row.timing is not None]
    if len(measured) < 2:
        return
    base_docs, base_seconds = measured[0]
    steps = ", ".join(f"{docs / base_docs:.1f}x docs -> {seconds / base_seconds:.2f}x time" for docs, seconds in
                      measured[1:])
    print(f"curve of {tool} (from {base_docs} docs): {steps}")


@contextlib.contextmanager
def trees_parent(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="odyssey-duplicates-") as scratch:
        yield Path(scratch)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the duplicates/xref families against jscpd.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 20000], help="documents per tree")
    parser.add_argument("--runs", type=int, default=2, help="timed runs per command (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-jscpd", action="store_true")
    parser.add_argument("--jscpd-runs", type=int, default=1, help="timed jscpd runs per size (it is slow)")
    parser.add_argument("--jscpd-timeout", type=float, default=900.0, help="seconds before a jscpd run is given up")
    parser.add_argument("--keep", type=Path, help="generate the trees here and keep them (reused when present)")
    parser.add_argument("--tools-dir", type=Path, default=DEFAULT_TOOLS_DIR, help="where jscpd is installed")
    parser.add_argument("--check", action="store_true", help="exit 1 when the issue's target is missed")
    parser.add_argument("--phases", type=Path, help=argparse.SUPPRESS)  # internal: the fresh phase-timing process
    args = parser.parse_args(argv)
    if args.phases is not None:
        print(json.dumps(phases(args.phases.resolve())))
        return 0
    if args.runs < 1 or any(size < synthetic_repo.MIN_DOCS for size in args.sizes):
        parser.error(f"--runs must be >= 1 and every size >= {synthetic_repo.MIN_DOCS}")
    print(f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    jscpd: list[str] | None = None
    why_not = "--skip-jscpd"
    if not args.skip_jscpd:
        jscpd, why_not = ensure_jscpd(args.tools_dir)
        print(f"jscpd: {'not available: ' + why_not if jscpd is None else JSCPD}")
    rows: list[Row] = []
    with trees_parent(args.keep) as parent:
        for size in sorted(args.sizes):
            print(f"\n## {size} documents", flush=True)
            try:
                root, planted = prepared_tree(parent, size, args.seed)
            except (OSError, subprocess.CalledProcessError) as exc:
                print(f"odyssey_duplicates: error: cannot prepare the {size}-document tree: {exc}", file=sys.stderr)
                return 2
            docs = size + len(planted.files)
            print(sanity_run(root, planted), flush=True)
            for name, extra in odyssey_variants():
                timing, note = timed([*odyssey_argv(), "check", "--select", "DUP,XRF", *extra], root, args.runs,
                                     ok=(0, 1))
                rows.append(Row(name, docs, timing, note))
                print_row(rows[-1])
            done = subprocess.run([sys.executable, __file__, "--phases", str(root)], capture_output=True, text=True,
                                  timeout=RUN_TIMEOUT)
            if done.returncode == 0:
                split = json.loads(done.stdout.strip().splitlines()[-1])
                print("phases (in-process, wall s): " + ", ".join(f"{k} {v:.2f}" for k, v in split.items()))
            if jscpd is not None:
                timing, note = time_jscpd(jscpd, root, args.jscpd_runs, args.jscpd_timeout)
                rows.append(Row("jscpd --format markdown", docs, timing, "" if timing else note))
                if timing is not None:
                    print(f"jscpd: {note}")
            else:
                rows.append(Row("jscpd --format markdown", docs, None, why_not))
            print_row(rows[-1])
    print_table(rows)
    for name in dict.fromkeys(row.tool for row in rows):
        print_curve(rows, name)
    docs_target, seconds_target = TARGET
    missed = False
    print()
    for row in rows:
        if row.tool.startswith("odyssey") and row.timing is not None and row.docs >= docs_target:
            verdict = "met" if row.timing.wall <= seconds_target else "MISSED"
            missed |= verdict == "MISSED"
            print(f"target: {docs_target} docs in <= {seconds_target:g} s, {row.tool}: {row.timing.wall:.2f} s, "
                  f"{verdict}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
