"""Generate a realistic synthetic agent-written ML repository, the input of the odyssey speed benchmark.

Usage::

    python benchmarks/synthetic_repo.py --docs 2000 --out /tmp/repo-2k --seed 0 --git
    python benchmarks/synthetic_repo.py --docs 200 --out /tmp/small --manifest /tmp/small.json

``--docs`` is the exact number of Markdown files written. The same ``--seed`` gives byte-identical trees (and, with
``--git``, the same commit: author, committer and dates are fixed). ``--force`` replaces an earlier synthetic repository
at ``--out`` (a directory holding ``.synthetic-repo.json``); any other non-empty directory is refused.

The shape is that of the repositories odyssey is built for, written mostly by coding agents:

- the root: ``README.md``, ``CLAUDE.md``, ``CONTRIBUTING.md``, a few misplaced screaming-case reports
  (``FINAL_REVIEW_REPORT.md``, ...), ``pyproject.toml`` with no odyssey configuration (defaults apply);
- ``docs/``: nested sections, an ``index.md`` in every directory listing its pages and subsections, images in
  ``docs/assets/``, and ``mkdocs.yml`` whose nav covers most pages (a few pages left out, a few entries broken);
- ``notes/``: dated notes grouped by month, each month with a ``README.md``, a few screaming-case reports;
- ``agents/``: agent definitions with YAML frontmatter (``level``, ``delegates_to``, ``tools``), a "Delegates To"
  section linking the delegates, a few inconsistent delegations;
- code directories (``src/<package>/<module>/``, ``scripts/``, ``configs/``) with Python files and package READMEs.

Each Markdown file has a log-normal size between 0.5 and 15 KB (mean about 3 KB) and holds headings, paragraphs,
lists, tables, fenced code (python, bash, text, yaml), inline code, block quotes, raw HTML and YAML frontmatter on a
fraction. Every page but the index pages (which list their children) has 5-20 links: relative, ``../`` chains,
anchors to other documents' headings, same-file anchors, external URLs, images, reference-style, raw HTML ``href``
and ``src``, links to code files. Planted defects, listed in the manifest: a few % broken links (missing files, one
``../`` too many, stale anchors, machine paths), orphan pages nobody links to, mis-closed fences (closed by
```` ```text ````, as agents write them) and a few unclosed fences at the end of a file.

The manifest (``.synthetic-repo.json`` at the root, also returned by ``generate``) records the parameters and every
planted defect, so a test can check that the generator produces what it claims and the benchmark can reuse a kept
repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import posixpath
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 1
MANIFEST_NAME = ".synthetic-repo.json"
MIN_DOCS = 50
MIN_BYTES, MAX_BYTES = 500, 15 * 1024
# Log-normal size targets (median 1.95 KB, sigma 0.75); rendering overshoots a target by ~0.4 KB on average, so the
# files have a mean of about 3 KB and a median of about 2.4 KB.
SIZE_MEDIAN, SIZE_SIGMA = 1950.0, 0.75
SIZE_CAP = 13_500  # the last block and the "Related" list overshoot a target by well under 1.5 KB
MIN_LINKS, MAX_LINKS = 5, 20
BROKEN_LINK_RATE = 0.03
MISCLOSED_RATE = 0.05  # content files with fences closed by ```text
UNCLOSED_RATE = 0.005
ORPHAN_RATE = 0.02
NAV_SKIP_RATE = 0.06
LEAF_CAPACITY = 40  # a docs directory with more pages than this is split into subsections
FIXED_GIT_DATE = "2024-06-01T12:00:00+00:00"
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000105f0b2e40000000049454e44ae426082"
)

TOPICS = (
    "data loading", "augmentation", "input normalization", "optimizer", "learning rate schedule", "checkpointing",
    "mixed precision", "evaluation", "metrics", "convolution", "pooling", "backpropagation", "gradient checking",
    "batch normalization", "dropout", "weight initialization", "fashion mnist", "emnist", "hyperparameter search",
    "distributed training", "profiling", "inference", "quantization", "model export", "ci pipeline",
    "pre commit hooks", "benchmarks", "reproducibility", "seeding", "logging", "tensorboard", "early stopping",
    "regularization", "loss functions", "softmax", "cross entropy", "lenet5", "feature maps", "subsampling",
    "activation functions", "training loop", "validation split", "data versioning", "experiment tracking",
    "error analysis", "confusion matrix", "calibration", "memory layout", "vectorization", "numerical stability",
    "gradient clipping", "label smoothing", "dataset splits", "test fixtures", "documentation", "release process",
)
SECTIONS = (
    "getting-started", "guides", "architecture", "reference", "api", "tutorials", "experiments", "models", "data",
    "training", "evaluation", "deployment", "operations", "research", "decisions", "howto", "troubleshooting",
    "internals", "design", "roadmap", "benchmarks", "datasets", "tooling", "testing", "performance",
)
HEADING_STARTS = (
    "Overview", "Background", "Motivation", "Usage", "Configuration", "Results", "Known issues", "Next steps",
    "Implementation notes", "Design", "Limitations", "Troubleshooting", "Prerequisites", "Verification",
    "Open questions", "Alternatives considered", "Performance", "Testing", "Examples", "Summary",
)
HEADING_PATTERNS = (
    "How {t} works", "{T} in practice", "Tuning the {t}", "Step {n}: check the {t}", "Why {t} matters",
    "Debugging {t}", "{T} settings", "Measuring {t}", "{T} and {u}", "Common {t} mistakes",
)
SENTENCES = (
    "The {t} stage runs before {u}, so a bug in it shows up as a slow drift in the validation loss.",
    "We tried {t} with a batch size of {n} and a learning rate of {lr} and kept the setting that converged.",
    "This page explains how {t} interacts with {u} and what to check when the two disagree.",
    "Accuracy on the held-out split reached {pct}% after {n} epochs with {t} enabled.",
    "The review found that {t} was configured twice, once in the defaults and once in the experiment file.",
    "Agents that change {t} must rerun the {u} checks before they hand the work back.",
    "Keep {t} deterministic: every random draw goes through the seeded generator.",
    "The numbers below come from {n} runs on the CPU machine; variance between runs was under {pct}%.",
    "In practice {t} costs about {pct}% of the epoch time, most of it in {u}.",
    "When {t} fails, the first thing to look at is the shape of the batch coming out of {u}.",
    "The reference implementation of {t} is a plain loop; the vectorised version must match it to {lr}.",
    "None of this changes the public API, but it does change the layout of the saved checkpoints.",
    "The original paper describes {t} only briefly, so the details here follow the reference code.",
    "A smaller model trains in minutes and is enough to see whether {t} helps at all.",
    "We record every {t} decision in this page so later sessions do not repeat the same experiment.",
    "The defaults were chosen for the {n}-class setting and may need tuning for other datasets.",
    "Measurements were taken after a warm-up epoch, because the first epoch pays for {u}.",
    "If the loss becomes NaN, lower the learning rate to {lr} and enable {t}.",
)
CODE_SENTENCES = (
    "Run `{cmd}` to reproduce the {t} numbers.",
    "The entry point is `{sym}`, which wraps {t} and {u}.",
    "Set `{flag}` when {t} is too slow on the CPU machine.",
    "`{sym}` returns a tuple of arrays; the second one holds the {t} statistics.",
    "Pass `--seed {n}` so that {t} is repeatable, and compare against `{file}`.",
    "The `{file}` module keeps the {t} code apart from {u}.",
)
COMMANDS = (
    "python -m visionlab.train --epochs 10", "pytest -q tests/models", "python scripts/evaluate.py --split test",
    "make docs", "pre-commit run --all-files", "python -m visionlab.export --format onnx", "odyssey check",
)
SYMBOLS = (
    "visionlab.models.LeNet5", "visionlab.data.load_split", "Trainer.fit", "np.float32", "torch.nn.Conv2d",
    "visionlab.metrics.confusion_matrix", "Checkpoint.save", "visionlab.layers.conv2d_forward",
)
FLAGS = ("--batch-size 128", "--workers 2", "--no-augment", "--precision fp32", "--lr 0.01", "--log-every 50")
CODE_FILES = ("train.py", "config.yaml", "model.py", "data.py", "metrics.py", "conftest.py")
EXTERNAL_URLS = (
    "https://pytorch.org/docs/stable/nn.html", "https://numpy.org/doc/stable/reference/arrays.html",
    "https://arxiv.org/abs/1412.6980", "https://github.com/zalandoresearch/fashion-mnist",
    "https://www.mkdocs.org/user-guide/configuration/", "https://docs.python.org/3/library/argparse.html",
    "https://en.wikipedia.org/wiki/LeNet", "https://pre-commit.com/#usage", "https://peps.python.org/pep-0008/",
    "http://yann.lecun.com/exdb/lenet/", "https://scikit-learn.org/stable/modules/model_evaluation.html",
)
AGENT_ROLES = (
    "architect", "lead", "engineer", "reviewer", "specialist", "tester", "writer", "analyst", "planner", "auditor",
)
AGENT_TOOLS = ("Read", "Write", "Edit", "Bash", "Grep", "Glob", "WebFetch", "TodoWrite")
REPORT_NAMES = (
    "FINAL_REVIEW_REPORT", "SESSION_SUMMARY", "IMPLEMENTATION_STATUS", "CODE_REVIEW_FINDINGS", "PROGRESS_REPORT",
    "TEST_RESULTS", "ARCHITECTURE_ANALYSIS", "MIGRATION_PLAN", "PERFORMANCE_AUDIT", "HANDOFF_NOTES",
    "LESSONS_LEARNED", "DOCS_REVIEW_SUMMARY", "TRAINING_RUN_REPORT", "BUGFIX_INVESTIGATION", "RELEASE_CHECKLIST",
)
PYTHON_SNIPPETS = (
    "import numpy as np\n\nfrom visionlab.models import LeNet5\n\nmodel = LeNet5(num_classes={n})\n"
    "logits = model.forward(np.zeros((8, 1, 32, 32), dtype=np.float32))\nprint(logits.shape)",
    "def train_epoch(model, batches, lr={lr}):\n    total = 0.0\n    for images, labels in batches:\n"
    "        loss, grads = model.loss_and_grads(images, labels)\n        model.step(grads, lr)\n"
    "        total += loss\n    return total / max(len(batches), 1)",
    "rng = np.random.default_rng({n})\nindices = rng.permutation(len(dataset))\n"
    "train, valid = indices[:-{n}], indices[-{n}:]",
    "with open(path, \"rb\") as handle:\n    header = handle.read(16)\n    images = np.frombuffer(handle.read(), "
    "dtype=np.uint8)\nimages = images.reshape(-1, 28, 28).astype(np.float32) / 255.0",
    "for epoch in range(epochs):\n    loss = train_epoch(model, loader)\n    acc = evaluate(model, valid)\n"
    "    logger.info(\"epoch %d loss=%.4f acc=%.4f\", epoch, loss, acc)\n    if acc > best:\n"
    "        best = acc\n        save_checkpoint(model, f\"runs/epoch-{{epoch}}.npz\")",
)
BASH_SNIPPETS = (
    "python -m venv .venv\n. .venv/bin/activate\npip install -e '.[dev]'",
    "python -m visionlab.train --epochs {n} --lr {lr} --seed 0\npython scripts/evaluate.py --checkpoint runs/best.npz",
    "pytest -q tests/ -k \"not slow\"\npre-commit run --all-files",
    "git log --oneline -5\ngit diff --stat HEAD~1",
    "mkdocs build --strict\nmkdocs serve -a 127.0.0.1:8000",
)
YAML_SNIPPETS = (
    "model:\n  name: lenet5\n  classes: {n}\noptimizer:\n  name: sgd\n  lr: {lr}\n  momentum: 0.9",
    "data:\n  root: datasets/fashion-mnist\n  valid_fraction: 0.1\n  augment: false\nseed: {n}",
)


@dataclass
class Page:
    """A Markdown file to write. ``kind``: readme, claude, contributing, report, docs-index, docs-page,
    notes-index, note, agents-index, agent, package-readme."""

    path: str
    kind: str
    title: str
    size: int = 0
    headings: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # pages an index lists (orphans left out)
    frontmatter: bool = False
    orphan: bool = False
    misclosed: int = 0
    unclosed: bool = False
    level: int = 0  # agents
    delegates: list[str] = field(default_factory=list)  # agent names


@dataclass
class Manifest:
    """What a generated repository holds; paths are repository-relative POSIX paths."""

    docs: int
    seed: int
    version: int = GENERATOR_VERSION
    generator: str = ""  # digest of this file's source: a kept repository is stale once the generator changes
    markdown_bytes: int = 0
    # Links outside code as a checker counts them: inline, image, raw HTML, autolink, reference definition (a
    # reference-style use is counted at its definition).
    links: int = 0
    broken_links: list[dict[str, str]] = field(default_factory=list)  # {path, target, reason}
    broken_nav: list[str] = field(default_factory=list)
    bad_delegations: list[dict[str, str]] = field(default_factory=list)  # {path, delegate}
    orphans: list[str] = field(default_factory=list)
    misclosed_fences: list[str] = field(default_factory=list)  # paths with fences closed by ```text
    unclosed_fences: list[str] = field(default_factory=list)
    frontmatter: list[str] = field(default_factory=list)
    nav_pages: int = 0
    docs_pages: int = 0  # Markdown files under docs/
    other_files: int = 0


def slug(text: str) -> str:
    """The anchor of a generated heading; generated headings make the mkdocs and GitHub slugs agree."""
    return re.sub(r"[^a-z0-9 -]", "", text.lower()).strip().replace(" ", "-")


def title_case(words: str) -> str:
    return " ".join(word.capitalize() if word not in ("and", "of", "in", "the") else word for word in words.split())


def draw_size(rng: random.Random) -> int:
    size = rng.lognormvariate(math.log(SIZE_MEDIAN), SIZE_SIGMA)
    return int(min(max(size, MIN_BYTES), SIZE_CAP))


class Planner:
    """Decides every file: paths, titles, headings, sizes, which pages are orphans, what is broken where."""

    def __init__(self, docs: int, seed: int) -> None:
        self.rng = random.Random(f"plan/{seed}")
        self.docs = docs
        self.pages: list[Page] = []
        self.other_files: dict[str, bytes] = {}
        self.used_paths: set[str] = set()

    # -- names -------------------------------------------------------------------------------------------------
    def topic_name(self, words: int) -> str:
        parts: list[str] = []
        while len(parts) < words:
            parts.extend(self.rng.choice(TOPICS).split())
        return "-".join(parts[:words])

    def unique_name(self, directory: str, stem: str, suffix: str = ".md") -> str:
        candidate, counter = stem, 2
        while posixpath.join(directory, candidate + suffix) in self.used_paths:
            candidate = f"{stem}-{counter}"
            counter += 1
        path = posixpath.join(directory, candidate + suffix)
        self.used_paths.add(path)
        return path

    def page_stem(self) -> str:
        """Mostly kebab-case, as configured; agents sometimes write snake_case or CamelCase names."""
        stem = self.topic_name(self.rng.choice((1, 2, 2, 3, 3, 4)))
        roll = self.rng.random()
        if roll < 0.02:
            return stem.replace("-", "_")
        if roll < 0.03:
            return "".join(word.capitalize() for word in stem.split("-"))
        return stem

    def headings_for(self, size: int, taken: Sequence[str] = ()) -> list[str]:
        """Section headings, unique by anchor (the title's included) so anchors never get duplicate suffixes."""
        count = max(1, min(14, round(size / 650)))
        headings: list[str] = []
        seen = {slug(text) for text in taken}
        while len(headings) < count:
            if self.rng.random() < 0.45:
                text = self.rng.choice(HEADING_STARTS)
            else:
                topic, other = self.rng.choice(TOPICS), self.rng.choice(TOPICS)
                text = self.rng.choice(HEADING_PATTERNS).format(
                    t=topic, T=topic.capitalize(), u=other, n=self.rng.randint(1, 9)
                )
            if slug(text) in seen:
                text = f"{text} {len(headings) + 1}"
                if slug(text) in seen:
                    continue
            seen.add(slug(text))
            headings.append(text)
        return headings

    def add(self, path: str, kind: str, title: str, **extra: object) -> Page:
        size = draw_size(self.rng)
        page = Page(path=path, kind=kind, title=title, size=size, **extra)  # type: ignore[arg-type]
        if kind not in ("docs-index", "notes-index", "agents-index"):
            fixed = ["Role", "Delegates To"] if kind == "agent" else []
            page.headings = fixed + self.headings_for(size, taken=[title, *fixed])
        self.used_paths.add(path)
        self.pages.append(page)
        return page

    # -- layout ------------------------------------------------------------------------------------------------
    def plan(self) -> list[Page]:
        docs = self.docs
        reports = 3 + docs // 2500
        agents = min(max(docs // 40, 6), 120)
        notes = docs * 12 // 100
        packages = max(3, docs // 200)
        root = 3 + reports
        docs_pages = docs - root - agents - notes - packages
        for path, kind, title in (
            ("README.md", "readme", "VisionLab"),
            ("CLAUDE.md", "claude", "Instructions for Coding Agents"),
            ("CONTRIBUTING.md", "contributing", "Contributing"),
        ):
            self.add(path, kind, title)
        for index in range(reports):
            name = REPORT_NAMES[index % len(REPORT_NAMES)]
            path = self.unique_name("", name if index < len(REPORT_NAMES) else f"{name}_{index // len(REPORT_NAMES)}")
            self.add(path, "report", title_case(name.replace("_", " ").lower()))
        self.plan_docs("docs", docs_pages, depth=0)
        self.plan_notes(notes)
        self.plan_agents(agents)
        self.plan_packages(packages)
        assert len(self.pages) == docs, (len(self.pages), docs)
        self.plan_defects()
        return self.pages

    def plan_docs(self, directory: str, capacity: int, depth: int) -> None:
        """One directory of docs: its index.md, its own pages, and subsections sharing the rest."""
        index_title = "Documentation" if depth == 0 else title_case(posixpath.basename(directory).replace("-", " "))
        index = self.add(f"{directory}/index.md", "docs-index", index_title)
        capacity -= 1
        if capacity <= LEAF_CAPACITY:
            own, subsections = capacity, 0
        else:
            subsections = min(self.rng.randint(3, 8), max(2, capacity // 6))
            own = min(self.rng.randint(3, 12), capacity - 2 * subsections)
        for _ in range(own):
            stem = self.page_stem()
            path = self.unique_name(directory, stem)
            page = self.add(path, "docs-page", title_case(stem.replace("-", " ").replace("_", " ")))
            index.children.append(page.path)
        rest = capacity - own
        if subsections == 0:
            return
        weights = [self.rng.random() + 0.3 for _ in range(subsections)]
        shares = [max(2, int(rest * w / sum(weights))) for w in weights]
        shares[-1] += rest - sum(shares)
        if shares[-1] < 2:  # rounding took too much from the last section: rebalance from the largest
            largest = shares.index(max(shares))
            shares[largest] -= 2 - shares[-1]
            shares[-1] = 2
        names = list(SECTIONS) if depth == 0 else []
        self.rng.shuffle(names)
        for share in shares:
            stem = names.pop() if names else self.topic_name(self.rng.choice((1, 2, 2)))
            subdir = self.unique_name(directory, stem, suffix="")
            index.children.append(f"{subdir}/index.md")
            self.plan_docs(subdir, share, depth + 1)

    def plan_notes(self, count: int) -> None:
        index = self.add("notes/README.md", "notes-index", "Notes")
        count -= 1
        month = 0
        while count > 0:
            year, month_of_year = 2023 + month // 12, month % 12 + 1
            directory = f"notes/{year}-{month_of_year:02d}"
            month += 1
            month_index = self.add(f"{directory}/README.md", "notes-index", f"Notes from {year}-{month_of_year:02d}")
            index.children.append(month_index.path)
            count -= 1
            for _ in range(min(count, self.rng.randint(15, LEAF_CAPACITY - 5))):
                if self.rng.random() < 0.04:
                    stem = self.rng.choice(REPORT_NAMES)
                    title = title_case(stem.replace("_", " ").lower())
                else:
                    topic = self.topic_name(self.rng.choice((2, 3)))
                    stem = f"{year}-{month_of_year:02d}-{self.rng.randint(1, 28):02d}-{topic}"
                    title = f"{year}-{month_of_year:02d}: {title_case(topic.replace('-', ' '))}"
                note = self.add(self.unique_name(directory, stem), "note", title, frontmatter=self.rng.random() < 0.6)
                month_index.children.append(note.path)
                count -= 1

    def plan_agents(self, count: int) -> None:
        index = self.add("agents/README.md", "agents-index", "Agents")
        agents: list[Page] = []
        for number in range(count - 1):
            level = 0 if number == 0 else min(4, 1 + int(math.log2(number + 1) / 1.6))
            role = AGENT_ROLES[number % len(AGENT_ROLES)]
            stem = f"{self.topic_name(self.rng.choice((1, 2)))}-{role}"
            path = self.unique_name("agents", stem)
            agent = self.add(path, "agent", title_case(stem.replace("-", " ")), frontmatter=True, level=level)
            # Each agent below the top is delegated to by one agent one level up.
            parents = [a for a in agents if a.level == level - 1]
            if parents:
                parent = parents[self.rng.randrange(len(parents))]
                parent.delegates.append(posixpath.basename(path)[:-3])
            agents.append(agent)
            index.children.append(agent.path)

    def plan_packages(self, count: int) -> None:
        modules = ("models", "data", "layers", "metrics", "training", "export", "utils", "viz")
        for number in range(count):
            if number == 0:
                directory = "scripts"
            elif number == 1:
                directory = "configs"
            else:
                package = "visionlab" if number < 2 + len(modules) else f"visionlab_{(number - 2) // len(modules)}"
                directory = f"src/{package}/{modules[(number - 2) % len(modules)]}"
            path = self.unique_name(directory, "README")
            self.add(path, "package-readme", directory.replace("src/", "").replace("/", "."))
            for name in self.rng.sample(CODE_FILES, 4):
                code_path = posixpath.join(directory, name)
                self.other_files[code_path] = f"# {code_path}: synthetic module\n".encode()
                self.used_paths.add(code_path)
            if directory.startswith("src/"):
                self.other_files[f"{directory}/__init__.py"] = b""
        assets = max(5, self.docs // 50)
        for number in range(assets):
            path = self.unique_name("docs/assets", f"{self.topic_name(2)}-{number}", suffix=".png")
            self.other_files[path] = PNG_1X1
        self.other_files["pyproject.toml"] = (
            b'[project]\nname = "visionlab"\nversion = "0.3.0"\nrequires-python = ">=3.11"\n'
            b'dependencies = ["numpy>=1.26"]\n'
        )
        self.other_files[".gitignore"] = b".venv/\n__pycache__/\nruns/\ndatasets/\nsite/\n"
        self.other_files["LICENSE"] = b"MIT License\n\nCopyright (c) 2024 VisionLab contributors\n"

    def plan_defects(self) -> None:
        """Orphans (left out of every index, the nav and every link), frontmatter, mis-closed and unclosed fences."""
        for page in self.pages:
            if page.kind in ("docs-page", "note") and self.rng.random() < ORPHAN_RATE:
                page.orphan = True
        orphans = {page.path for page in self.pages if page.orphan}
        for page in self.pages:
            if page.kind in ("docs-index", "notes-index", "agents-index"):
                page.children = [child for child in page.children if child not in orphans]
            elif page.kind == "docs-page" and self.rng.random() < 0.2:
                page.frontmatter = True
            if page.kind not in ("docs-index", "notes-index", "agents-index"):
                if self.rng.random() < MISCLOSED_RATE:
                    page.misclosed = self.rng.choice((1, 1, 1, 2, 3))
                if self.rng.random() < UNCLOSED_RATE:
                    page.unclosed = True


class Renderer:
    """Writes one page's Markdown from the plan; ``rng`` is the page's own, so pages do not depend on each other."""

    def __init__(self, page: Page, repo: Repository, rng: random.Random) -> None:
        self.page = page
        self.repo = repo
        self.rng = rng
        self.out: list[str] = []
        self.size = 0
        self.links: list[str] = []  # Markdown of links still to place
        self.definitions: list[str] = []
        self.link_count = 0
        self.fences_left = page.misclosed
        self.directory = posixpath.dirname(page.path)

    # -- text --------------------------------------------------------------------------------------------------
    def emit(self, text: str) -> None:
        self.out.append(text)
        self.size += len(text.encode("utf-8")) + 1

    def fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            t=rng.choice(TOPICS), u=rng.choice(TOPICS), n=rng.choice((10, 16, 32, 47, 64, 128, 256, 3)),
            lr=rng.choice(("0.01", "0.001", "3e-4", "0.05", "1e-5")), pct=rng.randint(2, 98),
            cmd=rng.choice(COMMANDS), sym=rng.choice(SYMBOLS), flag=rng.choice(FLAGS), file=rng.choice(CODE_FILES),
        )

    def sentence(self) -> str:
        if self.rng.random() < 0.22:
            return self.fill(self.rng.choice(CODE_SENTENCES))
        text = self.fill(self.rng.choice(SENTENCES))
        roll = self.rng.random()
        if roll < 0.06:
            words = text.split(" ")
            at = self.rng.randrange(1, len(words))
            words[at] = f"**{words[at]}**"
            text = " ".join(words)
        return text

    def paragraph(self, links: int = 0) -> str:
        sentences = [self.sentence() for _ in range(self.rng.randint(2, 5))]
        for _ in range(links):
            if not self.links:
                break
            link = self.links.pop()
            at = self.rng.randrange(len(sentences) + 1)
            sentences.insert(at, self.rng.choice(("See {}.", "The details are in {}.", "Compare with {}.",
                                                  "This follows {}.", "({})")).format(link))
        return " ".join(sentences)

    # -- blocks ------------------------------------------------------------------------------------------------
    def block(self) -> None:
        roll = self.rng.random()
        wants_link = self.links and self.rng.random() < 0.55
        if roll < 0.42:
            self.emit(self.paragraph(links=self.rng.randint(1, 2) if wants_link else 0))
        elif roll < 0.58:
            self.bullet_list(with_links=bool(wants_link))
        elif roll < 0.64:
            self.numbered_list()
        elif roll < 0.72:
            self.table(with_link=bool(wants_link))
        elif roll < 0.90:
            self.fence()
        elif roll < 0.95:
            self.emit(f"> **Note:** {self.sentence()}\n> {self.sentence()}")
        elif roll < 0.98:
            self.details()
        else:
            self.emit(f"<!-- TODO({self.rng.choice(AGENT_ROLES)}): {self.sentence()} -->")
        self.emit("")

    def bullet_list(self, with_links: bool) -> None:
        items = []
        for _ in range(self.rng.randint(3, 7)):
            if with_links and self.links and self.rng.random() < 0.6:
                items.append(f"- {self.links.pop()}: {self.sentence()}")
            else:
                items.append(f"- {self.sentence()}")
        self.emit("\n".join(items))

    def numbered_list(self) -> None:
        self.emit("\n".join(f"{n}. {self.sentence()}" for n in range(1, self.rng.randint(3, 6) + 1)))

    def table(self, with_link: bool) -> None:
        rows = ["| Setting | Value | Notes |", "|---|---|---|"]
        for _ in range(self.rng.randint(3, 8)):
            topic = self.rng.choice(TOPICS)
            if with_link and self.links and self.rng.random() < 0.4:
                note = self.links.pop()
            else:
                note = f"`{self.rng.choice(FLAGS)}`"
            rows.append(f"| {topic} | {self.rng.choice(('0.01', '64', 'on', 'off', '3e-4', '47', 'sgd'))} | {note} |")
        self.emit("\n".join(rows))

    def details(self) -> None:
        self.emit(f"<details>\n<summary>Full {self.rng.choice(TOPICS)} log</summary>\n\n```text\n"
                  f"epoch 1/10  loss=2.3012  acc=0.1043\nepoch 10/10  loss=0.3120  acc=0.8891\n```\n\n</details>")

    def fence(self) -> None:
        language = self.rng.choice(("python", "python", "bash", "bash", "text", "yaml"))
        if language == "python":
            body = self.fill(self.rng.choice(PYTHON_SNIPPETS))
        elif language == "bash":
            body = self.fill(self.rng.choice(BASH_SNIPPETS))
        elif language == "yaml":
            body = self.fill(self.rng.choice(YAML_SNIPPETS))
        else:
            body = "\n".join(
                f"epoch {e:>2}/{10}  loss={self.rng.uniform(0.2, 2.3):.4f}  acc={self.rng.uniform(0.1, 0.95):.4f}"
                for e in range(1, self.rng.randint(3, 8))
            )
        closer = "```"
        if self.fences_left:
            self.fences_left -= 1
            language, closer = "text", "```text"  # the agent habit: the opener copied as the closer
        self.emit(f"```{language}\n{body}\n{closer}")

    # -- page kinds --------------------------------------------------------------------------------------------
    def frontmatter(self) -> None:
        page, rng = self.page, self.rng
        lines = ["---"]
        if page.kind == "agent":
            name = posixpath.basename(page.path)[:-3]
            lines += [f"name: {name}", f"description: {self.fill('Owns {t} and reviews changes to {u}')}",
                      f"level: {page.level}"]
            if page.delegates:
                lines.append("delegates_to:")
                lines += [f"  - {d}" for d in page.delegates]
            lines.append(f"tools: [{', '.join(rng.sample(AGENT_TOOLS, 4))}]")
            lines.append(f"model: {rng.choice(('sonnet', 'opus', 'haiku'))}")
        elif page.kind == "note":
            lines += [f"date: 2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                      f"author: {rng.choice(AGENT_ROLES)}-agent",
                      f"tags: [{', '.join(t.replace(' ', '-') for t in rng.sample(TOPICS, 3))}]",
                      f"status: {rng.choice(('draft', 'done', 'superseded'))}"]
        else:
            lines += [f"title: {page.title}", f"description: {self.fill('How {t} works with {u}')}",
                      f"tags: [{', '.join(t.replace(' ', '-') for t in rng.sample(TOPICS, 2))}]"]
        lines.append("---")
        self.emit("\n".join(lines))
        self.emit("")

    def render(self) -> str:
        page = self.page
        if page.frontmatter:
            self.frontmatter()
        self.emit(f"# {page.title}")
        self.emit("")
        if page.kind in ("docs-index", "notes-index", "agents-index"):
            self.render_index()
        else:
            self.render_content()
        text = "\n".join(self.out).rstrip("\n") + "\n"
        return text

    def render_index(self) -> None:
        page = self.page
        self.emit(self.paragraph())
        self.emit("")
        if page.kind == "docs-index" and page.path == "docs/index.md":
            self.emit("Start with the [project README](../README.md) and the [agent guide](../agents/README.md).")
            self.emit("")
            self.link_count += 2
        pages = [c for c in page.children if not c.endswith(("/index.md", "/README.md"))]
        sections = [c for c in page.children if c.endswith(("/index.md", "/README.md"))]
        for heading, paths in (("Pages", pages), ("Sections", sections)):
            if not paths:
                continue
            self.emit(f"## {heading}")
            self.emit("")
            lines = []
            for child in paths:
                target = posixpath.relpath(child, self.directory)
                blurb = f" — {self.sentence()}" if len(paths) <= LEAF_CAPACITY else ""  # long rosters stay terse
                lines.append(f"- [{self.repo.pages[child].title}]({target}){blurb}")
                self.link_count += 1
            self.emit("\n".join(lines))
            self.emit("")
        while self.size < min(self.page.size, 4000):
            self.emit(self.paragraph())
            self.emit("")

    def render_content(self) -> None:
        page = self.page
        count = min(MAX_LINKS, max(MIN_LINKS, int(3 + page.size / 400 + self.rng.gauss(0, 2))))
        fixed = self.fixed_links()
        badges = 1 if page.kind == "readme" else 0
        self.links = [self.repo.make_link(page, self.rng, self) for _ in range(max(0, count - len(fixed) - badges))]
        if page.kind == "readme":
            self.emit("![CI](https://github.com/visionlab/visionlab/actions/workflows/ci.yml/badge.svg)")
            self.emit("")
            self.link_count += 1
        self.emit(self.paragraph(links=1))
        self.emit("")
        if fixed and page.kind != "agent":
            self.emit("\n".join(f"- {link}" for link in fixed))
            self.emit("")
        # Each section ends where the running total reaches its share, so block overshoots do not accumulate.
        base = self.size
        budget = max(page.size - base - 70 * len(self.links), 0) / max(len(page.headings), 1)
        last_section = len(page.headings) - 1
        for number, heading in enumerate(page.headings):
            level = "###" if number and page.kind != "agent" and self.rng.random() < 0.3 else "##"
            self.emit(f"{level} {heading}")
            self.emit("")
            if page.kind == "agent" and heading == "Delegates To":
                delegates = "\n".join(f"- {link}" for link in fixed)
                self.emit(delegates or "None: this agent does the work itself.")
                self.emit("")
                continue
            self.emit(self.paragraph(links=1 if self.rng.random() < 0.3 else 0))
            self.emit("")
            while self.size < base + budget * (number + 1):
                self.block()
            if number == last_section and self.fences_left:
                while self.fences_left:
                    self.fence()
                    self.emit("")
        if self.links:
            self.emit("## Related")
            self.emit("")
            self.emit("\n".join(f"- {link}" for link in self.links))
            self.emit("")
            self.links.clear()
        if self.definitions:
            self.emit("\n".join(self.definitions))
            self.emit("")
        if page.unclosed:
            self.emit(f"```bash\n{self.fill(self.rng.choice(BASH_SNIPPETS))}")  # never closed: the file ends here

    def fixed_links(self) -> list[str]:
        """Links a page of this kind always has: the README's map of the repository, an agent's delegates."""
        page = self.page
        if page.kind == "readme":
            targets = [("Documentation", "docs/index.md"), ("Notes", "notes/README.md"),
                       ("Agents", "agents/README.md"), ("Contributing", "CONTRIBUTING.md"),
                       ("Agent instructions", "CLAUDE.md")]
        elif page.kind == "claude":
            targets = [("Agent roster", "agents/README.md"), ("Documentation", "docs/index.md")]
        elif page.kind == "agent":
            targets = [(title_case(name.replace("-", " ")), f"agents/{name}.md") for name in page.delegates]
        else:
            return []
        self.link_count += len(targets)
        return [f"[{text}]({posixpath.relpath(path, self.directory or '.')})" for text, path in targets]


class Repository:
    """The whole plan plus the link maker, which needs to see every page."""

    def __init__(self, pages: list[Page], other_files: dict[str, bytes], manifest: Manifest) -> None:
        self.pages = {page.path: page for page in pages}
        self.other_files = other_files
        self.manifest = manifest
        linkable = [p for p in pages if not p.orphan and p.kind != "report"]
        self.targets = {
            "docs": [p for p in linkable if p.path.startswith("docs/") and p.kind == "docs-page"],
            "notes": [p for p in linkable if p.kind == "note"],
            "agents": [p for p in linkable if p.kind == "agent"],
            "code": [p for p in linkable if p.kind == "package-readme"],
        }
        self.by_dir: dict[str, list[Page]] = {}
        for page in self.targets["docs"]:
            self.by_dir.setdefault(posixpath.dirname(page.path), []).append(page)
        self.code_files = sorted(path for path in other_files if path.endswith((".py", ".yaml")))
        self.images = sorted(path for path in other_files if path.endswith(".png"))
        self.all_paths = set(self.pages) | set(other_files)
        self.all_dirs = {posixpath.dirname(p) for p in self.all_paths}

    def exists(self, path: str) -> bool:
        return path in self.all_paths or path in self.all_dirs

    def pick_target(self, page: Page, rng: random.Random) -> Page:
        siblings = self.by_dir.get(posixpath.dirname(page.path), [])
        if siblings and rng.random() < 0.35:
            candidate = rng.choice(siblings)
            if candidate.path != page.path:
                return candidate
        area = rng.choices(("docs", "notes", "agents", "code"), weights=(75, 12, 5, 8))[0]
        pool = self.targets[area] or self.targets["docs"]
        return rng.choice(pool)

    def make_link(self, page: Page, rng: random.Random, renderer: Renderer) -> str:
        """Markdown for one link from ``page``; a few are planted broken and recorded in the manifest."""
        renderer.link_count += 1
        directory = posixpath.dirname(page.path)
        roll = rng.random()
        if rng.random() < BROKEN_LINK_RATE:
            return self.broken_link(page, rng)
        if roll < 0.13:
            return f"[{rng.choice(('PyTorch', 'NumPy', 'the paper', 'the dataset', 'upstream docs'))}]" \
                   f"({rng.choice(EXTERNAL_URLS)})"
        if roll < 0.15:
            return f"<{rng.choice(EXTERNAL_URLS)}>"
        if roll < 0.20:
            image = posixpath.relpath(rng.choice(self.images), directory or ".")
            if rng.random() < 0.3:
                return f'<img src="{image}" alt="{rng.choice(TOPICS)} plot" width="480">'
            return f"![{rng.choice(TOPICS)} plot]({image})"
        if roll < 0.24:
            code = posixpath.relpath(rng.choice(self.code_files), directory or ".")
            return f"[`{posixpath.basename(code)}`]({code})"
        if roll < 0.28 and page.headings:
            heading = rng.choice(page.headings)
            return f"[{heading.lower()}](#{slug(heading)})"
        target = self.pick_target(page, rng)
        written = posixpath.relpath(target.path, directory or ".")
        text = target.title
        if roll < 0.45 and target.headings:
            heading = rng.choice(target.headings)
            written += f"#{slug(heading)}"
            text = f"{target.title}: {heading.lower()}"
        if roll > 0.96:
            label = f"{slug(target.title)[:24]}-{len(renderer.definitions) + 1}"
            renderer.definitions.append(f"[{label}]: {written}")
            return f"[{text}][{label}]"
        if roll > 0.93:
            return f'<a href="{written}">{text}</a>'
        return f"[{text}]({written})"

    def broken_link(self, page: Page, rng: random.Random) -> str:
        directory = posixpath.dirname(page.path)
        target = self.pick_target(page, rng)
        written = posixpath.relpath(target.path, directory or ".")
        kind = rng.choices(("missing-file", "extra-dotdot", "stale-anchor", "machine-path"), weights=(45, 20, 30, 5))[0]
        if kind == "extra-dotdot":
            candidate = "../" + written
            resolved = posixpath.normpath(posixpath.join(directory, candidate))
            if resolved.startswith("..") or self.exists(resolved):
                kind = "missing-file"
            else:
                written = candidate
        if kind == "missing-file":
            stem, _dot, suffix = written.rpartition(".")
            written = f"{stem}{rng.choice(('-old', '-v2', '_draft', '-final'))}.{suffix}"
        elif kind == "stale-anchor":
            written += f"#{slug(rng.choice(HEADING_STARTS))}-{rng.choice(('legacy', 'old', 'draft'))}"
        elif kind == "machine-path":
            written = f"/home/agent/work/visionlab/{target.path}"
        self.manifest.broken_links.append({"path": page.path, "target": written, "reason": kind})
        return f"[{target.title}]({written})"


def nav_yaml(repo: Repository, rng: random.Random, manifest: Manifest) -> str:
    """mkdocs.yml with a nav mirroring the docs tree: most pages, not orphans, a few entries to missing pages."""
    lines = [
        "site_name: VisionLab",
        "repo_url: https://github.com/visionlab/visionlab",
        "docs_dir: docs",
        "theme:",
        "  name: material",
        "  features: [navigation.sections, navigation.indexes, content.code.copy]",
        "markdown_extensions:",
        "  - admonition",
        "  - toc:",
        "      permalink: true",
        "  - pymdownx.superfences",
        "  - pymdownx.emoji:",
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji",
        "plugins:",
        "  - search",
        "nav:",
    ]

    def walk(index_path: str, indent: int) -> None:
        index = repo.pages[index_path]
        pad = " " * indent
        lines.append(f"{pad}- {index_path[len('docs/'):]}")
        manifest.nav_pages += 1
        for child in index.children:
            if child.endswith("/index.md"):
                lines.append(f"{pad}- {repo.pages[child].title}:")
                walk(child, indent + 4)
            elif rng.random() >= NAV_SKIP_RATE:
                lines.append(f"{pad}- {repo.pages[child].title}: {child[len('docs/'):]}")
                manifest.nav_pages += 1
        if rng.random() < 0.01:
            missing = f"{posixpath.dirname(index_path)[len('docs/'):]}/{rng.choice(TOPICS).replace(' ', '-')}-draft.md"
            missing = missing.lstrip("/")
            if not repo.exists(f"docs/{missing}"):
                lines.append(f"{pad}- Draft: {missing}")
                manifest.broken_nav.append(missing)

    lines.append("  - Home: index.md")
    manifest.nav_pages += 1
    for child in repo.pages["docs/index.md"].children:
        if child.endswith("/index.md"):
            lines.append(f"  - {repo.pages[child].title}:")
            walk(child, 6)
        elif rng.random() >= NAV_SKIP_RATE:
            lines.append(f"  - {repo.pages[child].title}: {child[len('docs/'):]}")
            manifest.nav_pages += 1
    return "\n".join(lines) + "\n"


def generate(out: Path, docs: int, seed: int = 0, git: bool = False, force: bool = False) -> Manifest:
    """Write a synthetic repository of exactly ``docs`` Markdown files to ``out``; return its manifest."""
    if docs < MIN_DOCS:
        raise ValueError(f"--docs must be at least {MIN_DOCS} (got {docs})")
    prepare_output(out, force)
    planner = Planner(docs, seed)
    pages = planner.plan()
    manifest = Manifest(docs=docs, seed=seed, generator=generator_digest())
    repo = Repository(pages, planner.other_files, manifest)
    delegate_rng = random.Random(f"delegates/{seed}")
    for page in pages:
        if page.kind == "agent" and page.delegates and delegate_rng.random() < 0.08:
            missing = f"{page.delegates[0]}-v2"
            page.delegates.append(missing)
            manifest.bad_delegations.append({"path": page.path, "delegate": missing})
            # The "Delegates To" section links the missing agent's file as well.
            manifest.broken_links.append({"path": page.path, "target": f"{missing}.md", "reason": "missing-agent"})
    for page in pages:
        renderer = Renderer(page, repo, random.Random(f"page/{seed}/{page.path}"))
        text = renderer.render()
        data = text.encode("utf-8")
        write_file(out, page.path, data)
        manifest.markdown_bytes += len(data)
        manifest.links += renderer.link_count
        if page.orphan:
            manifest.orphans.append(page.path)
        if page.misclosed:
            manifest.misclosed_fences.append(page.path)
        if page.unclosed:
            manifest.unclosed_fences.append(page.path)
        if page.frontmatter:
            manifest.frontmatter.append(page.path)
        if page.path.startswith("docs/"):
            manifest.docs_pages += 1
    for path, data in sorted(planner.other_files.items()):
        write_file(out, path, data)
    write_file(out, "mkdocs.yml", nav_yaml(repo, random.Random(f"nav/{seed}"), manifest).encode())
    manifest.other_files = len(planner.other_files) + 2  # + mkdocs.yml and the manifest
    write_file(out, MANIFEST_NAME, (json.dumps(asdict(manifest), indent=1, sort_keys=True) + "\n").encode())
    if git:
        commit_all(out)
    return manifest


def prepare_output(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out}: directory is not empty (use --force to replace a synthetic repository)")
        if not (out / MANIFEST_NAME).is_file():
            raise FileExistsError(f"{out}: not a synthetic repository (no {MANIFEST_NAME}); refusing to delete it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def write_file(root: Path, path: str, data: bytes) -> None:
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(data)


def commit_all(root: Path) -> None:
    """``git init`` + one commit with a fixed identity and date, so the same seed gives the same commit."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Synthetic Agent", "GIT_AUTHOR_EMAIL": "agent@example.invalid",
        "GIT_COMMITTER_NAME": "Synthetic Agent", "GIT_COMMITTER_EMAIL": "agent@example.invalid",
        "GIT_AUTHOR_DATE": FIXED_GIT_DATE, "GIT_COMMITTER_DATE": FIXED_GIT_DATE,
    }
    quiet = {"cwd": root, "env": env, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q", "-b", "main"], **quiet)  # type: ignore[call-overload]
    subprocess.run(["git", "add", "-A"], **quiet)  # type: ignore[call-overload]
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "Synthetic repository"], **quiet
    )  # type: ignore[call-overload]


def generator_digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def load_manifest(root: Path) -> Manifest | None:
    """The manifest of a synthetic repository at ``root``, or None when there is none or another generator wrote it."""
    try:
        data = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None
    if manifest.version != GENERATOR_VERSION or manifest.generator != generator_digest():
        return None
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, required=True, help="number of Markdown files to write")
    parser.add_argument("--out", type=Path, required=True, help="directory to create (must be empty or absent)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--git", action="store_true", help="git init and commit every file")
    parser.add_argument("--force", action="store_true", help="replace an earlier synthetic repository at --out")
    parser.add_argument("--manifest", type=Path, help="also write the manifest (planted defects) to this JSON file")
    args = parser.parse_args(argv)
    try:
        manifest = generate(args.out, args.docs, seed=args.seed, git=args.git, force=args.force)
    except (ValueError, FileExistsError) as exc:
        print(f"synthetic_repo: error: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"synthetic_repo: error: {' '.join(exc.cmd)} failed: {exc.stderr.decode(errors='replace').strip()}",
              file=sys.stderr)
        return 2
    if args.manifest:
        args.manifest.write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    mean = manifest.markdown_bytes / manifest.docs / 1024
    print(f"wrote {manifest.docs} Markdown files ({manifest.markdown_bytes / 1e6:.1f} MB, mean {mean:.1f} KiB) "
          f"and {manifest.other_files} other files to {args.out}")
    print(f"links: {manifest.links}, planted broken: {len(manifest.broken_links)}, broken nav entries: "
          f"{len(manifest.broken_nav)}, orphans: {len(manifest.orphans)}, mis-closed fences in "
          f"{len(manifest.misclosed_fences)} files, unclosed in {len(manifest.unclosed_fences)}, frontmatter on "
          f"{len(manifest.frontmatter)}; mkdocs nav lists {manifest.nav_pages} of {manifest.docs_pages} docs pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
