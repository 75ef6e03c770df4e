"""LeNet-5 results for the documentation site, rendered from the committed run artifacts, never typed by hand.

The benchmark scripts write JSON (and PNG) files to ``benchmarks/results/``; a page of the site asks for a view of them
with a marker, an HTML comment alone on its line::

    <!-- results: fashion-mnist summary -->

and the site's build hook (``tools/mkdocs_hooks/lenet5_results.py``) replaces it with the Markdown rendered here.

Markers (``DATASET`` as given to ``benchmarks/lenet5_accuracy.py --dataset``):

=============================  =========================================================================================
``DATASET summary``            configuration, median final test accuracy against the target, throughput, environment
``DATASET seeds``              one row per seed: final and best test accuracy, train accuracy, wall time, samples/s
``DATASET table``              one row per epoch: each seed's training loss and test accuracy, the median accuracy
``DATASET plots``              the best seed's history, confusion-matrix and sample-prediction PNGs, with captions
``speed``                      numpy against PyTorch samples/s (``lenet5-speed.json``, ``benchmarks/lenet5_speed.py``)
``memory``                     peak resident memory at EMNIST Balanced size (``lenet5-memory.json``)
=============================  =========================================================================================

Artifacts (``benchmarks/results/``): ``<DATASET>-summary.json`` and ``<DATASET>-seed<N>.json`` (written by
``benchmarks/lenet5_accuracy.py``), ``<DATASET>-{history,confusion,samples}.png`` (``lenet5 plot`` on the best seed),
``lenet5-speed.json``, ``lenet5-memory.json``. A missing artifact renders as a "not measured yet" note naming the
command that produces it; an unreadable one, or one without the keys a view needs, raises ``ResultsError`` (one line
naming the file), as does an unknown marker: the hook logs it as a warning, so ``mkdocs build --strict`` fails.

Only markers that are whole HTML blocks are replaced (found with markdown-it, so a marker shown inside a code block
in the documentation stays as written).
"""

from __future__ import annotations

import json
import logging
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

logger = logging.getLogger(__name__)

RESULTS_DIR = "benchmarks/results"  # repository path of the artifacts, as the pages name it
PLOTS = (  # file suffix, alt text, caption
    ("history", "Training loss and accuracy per epoch", "Training loss and train/test accuracy per epoch"),
    ("confusion", "Confusion matrix on the test set", "Confusion matrix on the whole test set"),
    ("samples", "Sample predictions", "The first test images with the predicted class and its probability; wrong "
                                      "predictions in red with the true class"),
)
ACCURACY_COMMAND = "python benchmarks/lenet5_accuracy.py --dataset {dataset}"
SPEED_COMMAND = "python benchmarks/lenet5_speed.py"
MEMORY_COMMAND = "python benchmarks/lenet5_memory.py"
_MARKER = re.compile(r"^<!--\s*results:\s*(?P<spec>.*?)\s*-->$", re.DOTALL)
_VIEWS = ("summary", "seeds", "table", "plots")


class ResultsError(Exception):
    """An artifact or a marker that cannot be rendered; the message is one line naming the file or the marker."""


@dataclass
class Results:
    """The artifacts in ``directory``, read on demand and cached; ``shown`` is how pages name the directory."""

    directory: Path
    shown: str = RESULTS_DIR
    _cache: dict[str, dict[str, Any] | None] = field(default_factory=dict, repr=False)

    def path(self, name: str) -> Path:
        return self.directory / name

    def read(self, name: str) -> dict[str, Any] | None:
        """The JSON object in ``name``, or None when the file does not exist."""
        if name not in self._cache:
            path = self.path(name)
            if not path.is_file():
                self._cache[name] = None
            else:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise ResultsError(f"{self.shown}/{name}: cannot be read: {exc}") from None
                if not isinstance(data, dict):
                    raise ResultsError(f"{self.shown}/{name}: expected a JSON object, found {type(data).__name__}")
                self._cache[name] = data
        return self._cache[name]

    def images(self, dataset: str) -> list[tuple[str, str, str]]:
        """(file name, alt, caption) of the dataset's plots that exist."""
        return [(f"{dataset}-{suffix}.png", alt, caption) for suffix, alt, caption in PLOTS
                if self.path(f"{dataset}-{suffix}.png").is_file()]


# -- small helpers --------------------------------------------------------------------------------------------------
def _get(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ResultsError(f"{where}: no '{key}' key")
    return data[key]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def _listing(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def not_measured(what: str, command: str) -> str:
    return f"*Not measured yet: {what}. Run `{command}` and commit what it writes to `{RESULTS_DIR}/`.*"


# -- accuracy views -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Runs:
    """One dataset's accuracy runs: the summary and each seed's record."""

    dataset: str
    summary: dict[str, Any]
    seeds: dict[int, dict[str, Any]]
    source: str  # the summary file, as pages name it

    @property
    def finals(self) -> list[float]:
        return [float(self.seeds[seed]["test_acc"]) for seed in self.seeds]


def load_runs(results: Results, dataset: str) -> Runs | None:
    name = f"{dataset}-summary.json"
    summary = results.read(name)
    if summary is None:
        return None
    where = f"{results.shown}/{name}"
    seeds: dict[int, dict[str, Any]] = {}
    for seed in _get(summary, "seeds", where):
        seed_name = f"{dataset}-seed{seed}.json"
        record = results.read(seed_name)
        if record is None:
            raise ResultsError(f"{where}: lists seed {seed}, but {results.shown}/{seed_name} does not exist")
        for key in ("test_acc", "history"):
            _get(record, key, f"{results.shown}/{seed_name}")
        seeds[int(seed)] = record
    return Runs(dataset, summary, seeds, where)


def render_summary(runs: Runs) -> str:
    summary, where = runs.summary, runs.source
    config = _get(summary, "configuration", where)
    median = float(_get(summary, "median_test_acc", where))
    seeds = sorted(runs.seeds)
    per_seed = ", ".join(f"seed {seed}: {_percent(runs.seeds[seed]['test_acc'])}" for seed in seeds)
    subset = f" on a {config['limit_train']:,}-image training subset" if config.get("limit_train") else ""
    parts = [
        f"LeNet-5 ({config.get('variant', '?')} variant) trained {config.get('epochs', '?')} epochs on "
        f"{runs.dataset}{subset}, batch {config.get('batch_size', '?')}, {str(config.get('optimizer', '?')).title()} "
        f"at learning rate {config.get('lr', '?')} ({config.get('schedule', 'constant')} schedule), once per seed "
        f"({_listing([str(s) for s in seeds])}): median final test accuracy **{_percent(median)}** ({per_seed})."
    ]
    target = summary.get("target")
    if target is not None:
        verdict = "met" if median >= float(target) else "not met"
        parts.append(f"Target: median ≥ {_percent(float(target))}, **{verdict}**.")
    if "train_samples_per_s" in summary:
        rates = f"Training ran at {_count(summary['train_samples_per_s'])} samples/s"
        if "eval_images_per_s" in summary:
            rates += f" and evaluation at {_count(summary['eval_images_per_s'])} images/s"
        rates += " (medians over the seeds)"
        estimate = summary.get("emnist_balanced_estimate") or {}
        if "minutes_for_10_epochs" in estimate:
            rates += (f"; at that pace 10 epochs of EMNIST Balanced (112,800 training and 18,800 test images) take "
                      f"about {estimate['minutes_for_10_epochs']:.1f} min")
        parts.append(rates + ".")
    environment = summary.get("environment") or {}
    if environment:
        machine = [f"Python {environment['python']}" if "python" in environment else "",
                   f"numpy {environment['numpy']}" if "numpy" in environment else "",
                   f"{environment['cpus']} CPUs" if "cpus" in environment else ""]
        line = "Measured with " + ", ".join(item for item in machine if item)
        if "load_average_1min" in environment:
            line += f" (1-minute load average {environment['load_average_1min']:.1f}: the machine is shared)"
        parts.append(line + ".")
    command = ACCURACY_COMMAND.format(dataset=runs.dataset) + " --seeds " + " ".join(str(s) for s in seeds)
    parts.append(f"Source: `{where}`, regenerated by `{command}`.")
    return " ".join(parts)


def render_seeds(runs: Runs) -> str:
    rows = ["| Seed | Final test accuracy | Best test accuracy (epoch) | Final train accuracy | Wall time | "
            "Training samples/s |", "|---:|---:|---:|---:|---:|---:|"]
    for seed in sorted(runs.seeds):
        record = runs.seeds[seed]
        history = record["history"]
        best = max(history, key=lambda row: row.get("test_acc") or 0.0) if history else None
        best_text = f"{_percent(best.get('test_acc'))} ({best.get('epoch')})" if best else "—"
        train_acc = history[-1].get("train_acc") if history else None
        wall = _seconds(record["wall_seconds"]) if "wall_seconds" in record else "—"
        rate = _count(record["train_samples_per_s"]) if "train_samples_per_s" in record else "—"
        rows.append(f"| {seed} | {_percent(record['test_acc'])} | {best_text} | {_percent(train_acc)} | {wall} | "
                    f"{rate} |")
    median = statistics.median(runs.finals)
    return "\n".join(rows) + f"\n\nMedian final test accuracy over {len(runs.seeds)} seeds: **{_percent(median)}**."


def render_table(runs: Runs) -> str:
    seeds = sorted(runs.seeds)
    header = "| Epoch | " + " | ".join(f"Seed {s} train loss | Seed {s} test accuracy" for s in seeds)
    header += " | Median test accuracy |"
    rule = "|---:|" + "---:|---:|" * len(seeds) + "---:|"
    rows = [header, rule]
    epochs = max(len(runs.seeds[s]["history"]) for s in seeds)
    for index in range(epochs):
        cells: list[str] = []
        accuracies: list[float] = []
        for seed in seeds:
            history = runs.seeds[seed]["history"]
            row = history[index] if index < len(history) else None
            if row is None:
                cells.extend(["", ""])
                continue
            loss = row.get("train_loss")
            cells.extend([f"{loss:.4f}" if loss is not None else "—", _percent(row.get("test_acc"))])
            if row.get("test_acc") is not None:
                accuracies.append(float(row["test_acc"]))
        median = _percent(statistics.median(accuracies)) if accuracies else "—"
        rows.append(f"| {index + 1} | " + " | ".join(cells) + f" | {median} |")
    return "\n".join(rows)


def render_plots(runs: Runs, results: Results, image_href: Callable[[str], str]) -> str:
    images = results.images(runs.dataset)
    if not images:
        return not_measured(f"no plots of the {runs.dataset} runs", ACCURACY_COMMAND.format(dataset=runs.dataset))
    best = runs.summary.get("best_seed")
    of_seed = f" (seed {best}, the best of the seeds)" if best is not None else ""
    blocks = []
    for name, alt, caption in images:
        blocks.append(f"![{alt}, {runs.dataset}{of_seed}]({image_href(name)})\n\n*{caption}{of_seed}.*")
    return "\n\n".join(blocks)


# -- speed and memory -----------------------------------------------------------------------------------------------
_SPEED_COLUMNS = (
    ("train_samples_per_s", "Training, batch 32 (samples/s)"),
    ("infer_samples_per_s", "Inference, batch 256 (samples/s)"),
    ("train_samples_per_cpu_s", "Training per CPU-second"),
    ("infer_samples_per_cpu_s", "Inference per CPU-second"),
)
_FRAMEWORK_NAMES = {"numpy": "lenet5 (numpy)", "torch": "PyTorch (CPU)"}


def _speed_table(medians: Mapping[str, Any], targets: Mapping[str, Any], where: str) -> str:
    if not isinstance(medians, Mapping) or not medians:
        raise ResultsError(f"{where}: 'medians' must map each framework to its median rates")
    columns = [(key, title) for key, title in _SPEED_COLUMNS
               if any(isinstance(m, Mapping) and key in m for m in medians.values())]
    if not columns:
        raise ResultsError(f"{where}: no rate in 'medians' (expected {', '.join(k for k, _ in _SPEED_COLUMNS)})")
    rows = ["| Framework | " + " | ".join(title for _, title in columns) + " |",
            "|---|" + "---:|" * len(columns)]
    for framework, values in medians.items():
        rows.append(f"| {_FRAMEWORK_NAMES.get(framework, framework)} | "
                    + " | ".join(_count(values[key]) if key in values else "—" for key, _ in columns) + " |")
    if "numpy" in medians and "torch" in medians:
        ratios = []
        for key, _ in columns:
            numpy_rate, torch_rate = medians["numpy"].get(key), medians["torch"].get(key)
            ratio = f"{numpy_rate / torch_rate:.2f}×" if numpy_rate and torch_rate else "—"
            kind = key.split("_")[0]
            if kind in targets and key.endswith("per_s") and "cpu" not in key and ratio != "—":
                target, goal = targets[kind]
                value = numpy_rate / torch_rate
                verdict = "goal met" if value >= goal else ("target met" if value >= target else "below target")
                ratio += f" (target ≥ {target}×, goal {goal}×: {verdict})"
            ratios.append(ratio)
        rows.append("| **numpy / PyTorch** | " + " | ".join(ratios) + " |")
    return "\n".join(rows)


def render_speed(results: Results) -> str:
    name = "lenet5-speed.json"
    data = results.read(name)
    if data is None:
        return not_measured("numpy against PyTorch samples per second", SPEED_COMMAND)
    where = f"{results.shown}/{name}"
    targets = data.get("targets") or {}
    parts = [_speed_table(_get(data, "medians", where), targets, where)]
    quiet = data.get("quiet_medians")
    if quiet:
        parts.append("Runs during which other processes used little CPU only:")
        parts.append(_speed_table(quiet, targets, where))
    parts.append(f"Medians over the runs; per CPU-second counts the process's CPU time on all its threads. Source: "
                 f"`{where}`, regenerated by `{SPEED_COMMAND}`.")
    return "\n\n".join(parts)


def _megabytes(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def render_memory(results: Results) -> str:
    name = "lenet5-memory.json"
    data = results.read(name)
    if data is None:
        return not_measured("peak memory of training", MEMORY_COMMAND)
    where = f"{results.shown}/{name}"
    stages = (("peak_rss_after_imports", "after the imports"), ("peak_rss_after_load", "after loading the data"),
              ("peak_rss_after_training", "after training"))
    present = [(key, label) for key, label in stages if key in data]
    if not present:
        raise ResultsError(f"{where}: no peak_rss_after_* key")
    rows = ["| Measured | Peak resident memory |", "|---|---:|"]
    rows += [f"| {label} | {_megabytes(data[key])} |" for key, label in present]
    text = "\n".join(rows)
    sizes = []
    if "train_images" in data and "test_images" in data:
        sizes.append(f"{data['train_images']:,} training and {data['test_images']:,} test images")
    if "dataset_bytes" in data:
        sizes.append(f"{_megabytes(data['dataset_bytes'])} of pixels")
    epochs = len(data.get("epoch_seconds") or ())
    detail = f"Training on synthetic data of EMNIST Balanced size ({'; '.join(sizes)})" if sizes else "Training"
    detail += f", {epochs} epoch{'s' if epochs != 1 else ''}" if epochs else ""
    if "limit_bytes" in data:
        peak = max(data[key] for key, _ in present)
        verdict = "met" if peak <= data["limit_bytes"] else "not met"
        detail += f"; target ≤ {_megabytes(data['limit_bytes'])}: **{verdict}**"
    return f"{text}\n\n{detail}. Source: `{where}`, regenerated by `{MEMORY_COMMAND}`."


# -- markers --------------------------------------------------------------------------------------------------------
def render_marker(spec: str, results: Results, image_href: Callable[[str], str]) -> str:
    """The Markdown for the marker ``<!-- results: SPEC -->``."""
    words = spec.split()
    if words == ["speed"]:
        return render_speed(results)
    if words == ["memory"]:
        return render_memory(results)
    if len(words) != 2 or words[1] not in _VIEWS:
        raise ResultsError(f"unknown results marker '<!-- results: {spec} -->' (expected 'DATASET "
                           f"{'|'.join(_VIEWS)}', 'speed' or 'memory')")
    dataset, view = words
    runs = load_runs(results, dataset)
    if runs is None:
        return not_measured(f"no {dataset} runs", ACCURACY_COMMAND.format(dataset=dataset))
    if view == "summary":
        return render_summary(runs)
    if view == "seeds":
        return render_seeds(runs)
    if view == "table":
        return render_table(runs)
    return render_plots(runs, results, image_href)


@dataclass(frozen=True)
class Expansion:
    markdown: str
    problems: list[str]  # one line each: unknown markers, unreadable artifacts
    images: list[str]  # artifact file names the page shows


_PARSER = MarkdownIt("commonmark")


def find_markers(markdown: str) -> list[tuple[int, int, str]]:
    """(first line, end line exclusive, spec) of each marker that is a whole HTML block, 0-based lines."""
    markers = []
    for token in _PARSER.parse(markdown):
        if token.type != "html_block" or token.map is None:
            continue
        match = _MARKER.match(token.content.strip())
        if match:
            markers.append((token.map[0], token.map[1], " ".join(match.group("spec").split())))
    return markers


def expand_markers(markdown: str, results: Results, image_href: Callable[[str], str]) -> Expansion:
    """``markdown`` with every marker replaced by its rendering (or, when it cannot be rendered, by a note saying
    so: the problem is returned for the build to report)."""
    lines = markdown.split("\n")
    problems: list[str] = []
    images: list[str] = []

    def href(name: str) -> str:
        images.append(name)
        return image_href(name)

    for start, end, spec in reversed(find_markers(markdown)):
        try:
            rendered = render_marker(spec, results, href)
        except ResultsError as exc:
            problems.append(str(exc))
            rendered = f"*Results unavailable: {exc}*"
        lines[start:end] = [rendered, ""]
    problems.reverse()
    return Expansion("\n".join(lines), problems, sorted(set(images)))
