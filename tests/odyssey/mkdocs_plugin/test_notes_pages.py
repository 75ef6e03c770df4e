"""The notes directory as site pages (``notes_pages: true``): which files are published where, how each kind of link
in a note is rewritten for the site, and a real strict build of a repository whose notes link everywhere."""

from __future__ import annotations

from pathlib import Path

from odyssey.mkdocs_plugin.links import SiteLinks
from odyssey.mkdocs_plugin.notes_pages import UNLINKED, NotesLayout, published_files, rewrite_note, unlink_html
from odyssey.project import Project

from tests.odyssey.mkdocs_plugin.test_plugin import build, page
from tests.odyssey.report.fixture_repo import write_tree

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
DECISION = """\
---
title: Keep activations batch-innermost
kind: decision
status: active
created: 2026-11-20
updated: 2026-11-24
tags: [lenet5, performance]
related: [analysis-gemm-cost.md]
---

# Keep activations batch-innermost

The [cost analysis](analysis-gemm-cost.md#results) measured it; the [notes index](README.md) lists the others.
Background is in the [training guide](../docs/guide.md#installing) and the code in [model.py](../lenet5/model.py).

![Epoch time per layout](plots/epoch-time.png)

Earlier drafts: [an old path](../../elsewhere/draft.md), [a machine path](/home/me/notes/draft.md), the
[paper](https://doi.org/10.1109/5.726791) and the [project file][pyproject].

<a href="../README.md">The repository README</a> explains the layout.

```markdown
A link in a code block is text: [guide](../docs/guide.md)
```

[pyproject]: ../pyproject.toml
"""
FILES: dict[str, str] = {
    "odyssey.toml": 'select = ["LNK"]\n',
    "README.md": "# LeNet-5 manual\n\nThe [guide](docs/guide.md) and the [notes](notes/README.md).\n",
    "pyproject.toml": "[project]\nname = \"lenet5-manual\"\n",
    "lenet5/model.py": '"""The model."""\n',
    "docs/index.md": "# Home\n\nStart with the [guide](guide.md).\n",
    "docs/guide.md": "# Guide\n\n## Installing\n\nRun `pip install -e .`.\n",
    "notes/README.md": (
        "# Notes\n\n- [Keep activations batch-innermost](decision-batch-innermost.md)\n"
        "- [Where the GEMM time goes](analysis-gemm-cost.md)\n"
    ),
    "notes/decision-batch-innermost.md": DECISION,
    "notes/analysis-gemm-cost.md": (
        "---\ntitle: Where the GEMM time goes\nkind: analysis\nstatus: active\ncreated: 2026-11-20\n"
        "updated: 2026-11-20\n---\n\n# Where the GEMM time goes\n\n## Results\n\nim2col dominates; see the "
        "[decision](decision-batch-innermost.md).\n"
    ),
}
LAYOUT = NotesLayout(directory="notes", index="notes/README.md", site_dir="notes")


def make_repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", FILES)
    (root / "notes" / "plots").mkdir()
    (root / "notes" / "plots" / "epoch-time.png").write_bytes(PNG)
    return root


def rewritten(root: Path, source_url: str | None = None) -> str:
    project = Project(root)
    pages, assets = published_files(project, LAYOUT)
    path = "notes/decision-batch-innermost.md"
    links = SiteLinks(pages[path], "docs", {"index.md", "guide.md"}, source_url)
    return rewrite_note(project.document(path), project, pages[path], {**pages, **assets}, links)


def test_every_file_under_the_notes_directory_is_published_the_index_as_index_md(tmp_path: Path) -> None:
    pages, assets = published_files(Project(make_repo(tmp_path)), LAYOUT)
    assert pages == {
        "notes/README.md": "notes/index.md",
        "notes/analysis-gemm-cost.md": "notes/analysis-gemm-cost.md",
        "notes/decision-batch-innermost.md": "notes/decision-batch-innermost.md",
    }
    assert assets == {"notes/plots/epoch-time.png": "notes/plots/epoch-time.png"}


def test_links_are_rewritten_for_the_place_of_the_note_in_the_site(tmp_path: Path) -> None:
    text = rewritten(make_repo(tmp_path))
    assert "[cost analysis](analysis-gemm-cost.md#results)" in text  # another note: as written
    assert "[notes index](index.md)" in text  # the index is index.md in the site
    assert "[training guide](../guide.md#installing)" in text  # a docs page: its place in the docs tree
    assert "![Epoch time per layout](plots/epoch-time.png)" in text  # published beside the note
    assert "[paper](https://doi.org/10.1109/5.726791)" in text
    # Not in the site, no forge URL: plain text once rendered.
    assert f"[model.py]({UNLINKED}lenet5/model.py)" in text
    assert f"[an old path]({UNLINKED}../../elsewhere/draft.md)" in text
    assert f"[a machine path]({UNLINKED}/home/me/notes/draft.md)" in text
    assert f"[pyproject]: {UNLINKED}pyproject.toml" in text and "[project file][pyproject]" in text
    assert f'<a href="{UNLINKED}README.md">' in text
    assert "[guide](../docs/guide.md)" in text  # inside a code block: untouched
    # The frontmatter keeps only the title (the theme reads other keys); the note's facts are a line of text.
    assert text.startswith(
        '---\ntitle: "Keep activations batch-innermost"\n---\n\n# Keep activations batch-innermost\n\n'
        "*Decision · active · created 2026-11-20 · updated 2026-11-24 · tags: lenet5, performance*\n\n"
        "The [cost analysis]"
    )


def test_with_a_forge_url_files_outside_the_site_link_to_the_forge(tmp_path: Path) -> None:
    text = rewritten(make_repo(tmp_path), source_url="https://forge.example/org/manual/blob/main/")
    assert "[model.py](https://forge.example/org/manual/blob/main/lenet5/model.py)" in text
    assert "[pyproject]: https://forge.example/org/manual/blob/main/pyproject.toml" in text
    assert f"[an old path]({UNLINKED}../../elsewhere/draft.md)" in text  # outside the repository: still text


def test_unlinked_anchors_become_spans_and_unlinked_images_their_alt_text() -> None:
    html = (
        f'<p>The code in <a href="{UNLINKED}lenet5/model.py">model<code>.py</code></a> and '
        f'<a href="guide/">the guide</a>. <img alt="old plot" src="{UNLINKED}plots/old.png" /></p>'
    )
    assert unlink_html(html) == (
        '<p>The code in <span class="odyssey-unlinked" title="lenet5/model.py is not part of the site">'
        'model<code>.py</code></span> and <a href="guide/">the guide</a>. old plot</p>'
    )


def test_a_strict_build_publishes_the_notes_and_the_configuration_reference(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "mkdocs.yml").write_text(
        "site_name: LeNet-5 manual\ntheme:\n  name: material\n  font: false\n"
        "nav:\n  - Home: index.md\n  - Guide: guide.md\n  - Notes:\n      - notes/index.md\n"
        "plugins:\n  - search\n  - odyssey:\n      fail_on: never\n      notes_pages: true\n"
        "      config_reference_page: reference/configuration.md\n"
    )
    completed, built = build(root, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "WARNING" not in completed.stderr
    assert not (root / "docs" / "notes").exists() and not (root / "docs" / "reference").exists()

    decision = page(built, "notes/decision-batch-innermost")
    assert '<a href="../../guide/#installing">training guide</a>' in decision
    assert '<a href="../analysis-gemm-cost/#results">cost analysis</a>' in decision
    assert '<a href="../">notes index</a>' in decision
    assert '<span class="odyssey-unlinked" title="lenet5/model.py is not part of the site">model.py</span>' in decision
    assert UNLINKED not in decision
    assert '<img alt="Epoch time per layout" src="../plots/epoch-time.png" />' in decision
    assert (built / "notes" / "plots" / "epoch-time.png").read_bytes() == PNG
    assert "<title>Keep activations batch-innermost" in decision  # the frontmatter title
    facts = "Decision · active · created 2026-11-20 · updated 2026-11-24 · tags: lenet5, performance"
    assert f"<em>{facts}</em>" in decision
    assert "md-status" not in decision  # status: active is the note's, not a page status for the theme

    index = page(built, "notes")
    assert '<a href="decision-batch-innermost/">Keep activations batch-innermost</a>' in index
    # The notes joined the site's own "Notes" section; the reference went to the plugin's section.
    assert index.count('href="analysis-gemm-cost/"') >= 2  # in the nav and in the index text
    home = page(built, ".")
    assert 'href="reference/configuration/"' in home

    reference = page(built, "reference/configuration")
    assert "Configuration reference" in reference and "duplicate-threshold" in reference


def test_the_facts_line_goes_under_the_first_title_setext_or_not_and_notes_without_frontmatter_stay() -> None:
    from odyssey.document import parse_document
    from odyssey.mkdocs_plugin.notes_pages import with_site_frontmatter

    setext = "---\ntitle: Cost\nkind: analysis\nstatus: superseded\n---\nCost\n====\nText.\n"
    document = parse_document("notes/cost.md", setext.encode())
    assert with_site_frontmatter(document, setext) == (
        '---\ntitle: "Cost"\n---\nCost\n====\n\n*Analysis · superseded*\n\nText.\n')
    untitled = "---\nkind: journal\ncreated: 2026-11-01\n---\nSome text, no heading.\n"
    document = parse_document("notes/journal.md", untitled.encode())
    assert with_site_frontmatter(document, untitled) == "*Journal · created 2026-11-01*\n\nSome text, no heading.\n"
    plain = "# Notes\n\n- [Cost](cost.md)\n"
    assert with_site_frontmatter(parse_document("notes/README.md", plain.encode()), plain) == plain


def test_checks_learn_the_repository_paths_of_generated_pages_and_published_notes(tmp_path: Path) -> None:
    from odyssey.mkdocs_plugin.generated import generated_repo_paths

    root = make_repo(tmp_path)
    (root / "mkdocs.yml").write_text(
        "site_name: m\nplugins:\n  - odyssey:\n      notes_pages: true\n      rules_pages: false\n"
        "      config_reference_page: reference/configuration.md\n")
    assert generated_repo_paths(Project(root)) == {
        "docs/validation/report.md", "docs/validation/agents.md", "docs/reference/configuration.md",
        "docs/notes/index.md", "docs/notes/analysis-gemm-cost.md", "docs/notes/decision-batch-innermost.md",
        "docs/notes/plots/epoch-time.png",
    }
    (root / "mkdocs.yml").write_text("site_name: m\nplugins:\n  - search\n")
    assert generated_repo_paths(Project(root)) == frozenset()
