"""A small agent-written repository with findings of several families, shared by the report and plugin tests.

It has what such repositories look like: a session summary left at the root, a broken link in the README, a
misclosed code fence, an anchor to a heading that was renamed, the same missing plot linked twice (two findings with
one fingerprint), link targets with Markdown and HTML metacharacters, and a small agent team with one agent nobody
delegates to (a warning). ``odyssey.toml`` selects the families the tests rely on, so families added later do not
change what these tests see.
"""

from __future__ import annotations

from pathlib import Path
from tests.odyssey.helpers import write_tree

SELECT = ["INP", "PLC", "NAM", "LNK", "ANC", "FEN", "ORP", "AGT"]

FILES: dict[str, str] = {
    "odyssey.toml": "select = [" + ", ".join(f'"{code}"' for code in SELECT) + "]\n",
    "mkdocs.yml": "site_name: LeNet-5 manual\nnav:\n  - Home: index.md\n  - Guide: guide.md\n",
    "README.md": (
        "# LeNet-5 manual\n\n"
        "Start with the [guide](docs/guide.md), then [setup](docs/setup.md). Results live in "
        "[notes](notes/README.md).\n"
        "The team is described in [agents](agents/orchestrator.md).\n"
    ),
    "docs/index.md": "# Home\n\nRead the [guide](guide.md#installing) and the [training section](guide.md#training).\n",
    "docs/guide.md": (
        "# Guide\n\n## Installing\n\n```bash\npip install -e .\n```bash\n\nSee the [results](../notes/results.md).\n"
    ),
    "notes/README.md": (
        "# Notes\n\n- [Results](results.md)\n- [Ablation | batch *size*](ablation_[draft].md)\n"
        "- [Old table](results|old.md)\n"
    ),
    "notes/results.md": (
        "# Results\n\nAccuracy 98.9 % on the test set; see [the plot](plots/accuracy.png) and "
        "[the same plot](plots/accuracy.png).\n"
    ),
    "SESSION_SUMMARY.md": "# Session summary\n\nDone: the layers and the training loop.\n",
    "agents/orchestrator.md": (
        "---\nname: orchestrator\ndescription: Root agent; splits the work between the engineers.\n"
        "tools: Read, Grep, Agent\nmodel: opus\ncolor: purple\nlevel: 0\ndelegates_to: [model-engineer]\n---\n\n"
        "# Orchestrator\n"
    ),
    "agents/engineers/model-engineer.md": (
        "---\nname: model-engineer\ndescription: Builds the layers <and> checks their gradients.\n"
        "tools: Read, Edit, Bash\nmodel: sonnet\ncolor: blue\nlevel: 1\nreceives_from: [orchestrator]\n---\n\n"
        "# Model engineer\n"
    ),
    "agents/engineers/data-engineer.md": (
        "---\nname: data-engineer\ndescription: Loads the datasets.\ntools: Read, Edit\nmodel: haiku\nlevel: 1\n"
        "---\n\n# Data engineer\n"
    ),
}


def fixture_repo(directory: Path) -> Path:
    """Write the repository into ``directory`` (created) and return it."""
    return write_tree(directory, FILES)
