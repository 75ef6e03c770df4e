"""The documentation site, built once per test session with this repository's own mkdocs.yml.

``mkdocs build --strict`` runs in a subprocess (the venv's mkdocs, as CI and a developer run it) into a temporary
directory; every test in this package reads that one build. The build's output is kept for the strict-build test to
show when it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 300  # seconds; a build takes about 10 s on the 2-core CI machine


@dataclass(frozen=True)
class SiteBuild:
    site: Path  # the built site
    returncode: int
    output: str  # mkdocs' log (stderr and stdout)
    seconds: float


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    site = tmp_path_factory.mktemp("site") / "html"
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",  # mkdocs-material's banner about MkDocs 2.0
        "PYTHONDONTWRITEBYTECODE": "1",  # the hook file is imported from the tree: no __pycache__ written there
    }
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(REPO / "mkdocs.yml"),
               "--site-dir", str(site)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
                          check=False)
    return SiteBuild(site, done.returncode, done.stderr + done.stdout, time.perf_counter() - start)


@pytest.fixture(scope="session")
def built_site(site_build: SiteBuild) -> Path:
    """The built site; fails (rather than testing a partial site) when the strict build did not pass."""
    if site_build.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed (exit {site_build.returncode}):\n{site_build.output[-4000:]}")
    return site_build.site
