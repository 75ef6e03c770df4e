"""The results hook (tools/mkdocs_hooks/lenet5_results.py) in real ``mkdocs build --strict`` runs of a small site
with its own run artifacts: markers become tables and images, the PNGs are added to the built site (never to docs/),
and an unknown marker fails the strict build naming the page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.lenet5.test_site import write_runs
from tests.site.conftest import REPO

HOOK = REPO / "tools" / "mkdocs_hooks" / "lenet5_results.py"
RESULTS_PAGE = """\
# Results

## Fashion-MNIST

<!-- results: fashion-mnist summary -->

<!-- results: fashion-mnist seeds -->

<!-- results: fashion-mnist plots -->

## Speed

<!-- results: speed -->
"""


def make_site(root: Path, results_page: str = RESULTS_PAGE) -> Path:
    (root / "docs" / "lenet5").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Manual\n\nSee the [results](lenet5/results.md).\n")
    (root / "docs" / "lenet5" / "results.md").write_text(results_page)
    (root / "mkdocs.yml").write_text(f"site_name: LeNet-5 results\nhooks:\n  - {HOOK}\n")
    write_runs(root / "benchmarks" / "results")
    return root


def build(site: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    built = site.parent / f"built-{site.name}"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_MKDOCS_2_WARNING": "1"}
    completed = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(built)],
                               cwd=site, env=env, capture_output=True, text=True, timeout=300, check=False)
    return completed, built


def test_markers_become_tables_and_images_generated_into_the_site(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    completed, built = build(site)
    assert completed.returncode == 0, completed.stderr
    html = (built / "lenet5" / "results" / "index.html").read_text(encoding="utf-8")
    assert "median final test accuracy <strong>89.81%</strong>" in html
    assert ">88.57%</td>" in html  # the seeds table (right-aligned cells)
    for kind in ("history", "confusion", "samples"):
        assert f'src="../../assets/lenet5-results/fashion-mnist-{kind}.png"' in html
        image = built / "assets" / "lenet5-results" / f"fashion-mnist-{kind}.png"
        assert image.read_bytes() == (site / "benchmarks/results" / image.name).read_bytes()
    assert "Not measured yet: numpy against PyTorch samples per second" in html
    assert "<!-- results:" not in html
    assert sorted(p.name for p in (site / "docs").rglob("*")) == ["index.md", "lenet5", "results.md"]


def test_an_unknown_marker_fails_the_strict_build_naming_the_page(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", RESULTS_PAGE + "\n<!-- results: fashion-mnist chart -->\n")
    completed, _ = build(site)
    assert completed.returncode != 0
    assert ("WARNING -  lenet5_results: lenet5/results.md: unknown results marker "
            "'<!-- results: fashion-mnist chart -->'") in completed.stderr
