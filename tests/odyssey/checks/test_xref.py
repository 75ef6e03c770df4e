"""xref (XRF001-XRF003): `related:` entries read like links, what counts as linked, tags that relate and tags that do
not, limits and configuration."""

from __future__ import annotations

import random
from pathlib import Path

from odyssey.checks.xref import related_entries, tags_of
from odyssey.findings import Finding
from odyssey.project import Project
from tests.odyssey.helpers import check_findings, located, make_repo


def findings(project: Project, select: str = "XRF") -> list[Finding]:
    return check_findings(project, select)


def topic_text(topic: str, sentences: int, seed: int) -> str:
    rng = random.Random(seed)
    vocabulary = [f"{topic}{suffix}" for suffix in ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa",
                                                     "theta", "lambda", "zeta", "epsilon", "iota")]
    return "\n\n".join(" ".join(rng.sample(vocabulary, 8)) + "." for _ in range(sentences))


def mixed(main: str, side: str, seed: int) -> str:
    """Mostly ``main``'s words, some of ``side``'s: related to a document about ``main``, not a paraphrase of it."""
    return topic_text(main, 5, seed) + "\n\n" + topic_text(side, 7, seed + 100)


OTHERS = {f"docs/other-{i}.md": f"# Other {i}\n\n" + topic_text(f"subject{i}x", 8, 50 + i) for i in range(6)}


# -- related: ---------------------------------------------------------------------------------------------------
def test_related_entries_are_read_like_links_with_their_positions(tmp_path: Path) -> None:
    files = {
        "docs/guides/a.md": "---\nrelated:\n  - b.md\n  - /docs/data/c.md\n  - https://example.org/x\n"
                            "  - 42\n  - a.md\n---\n\n# A\n",
        "docs/guides/b.md": "---\nrelated: a.md\n---\n\n# B\n",
        "docs/data/c.md": "---\nrelated: [../guides/a.md, ../guides/a.md]\n---\n\n# C\n",
    }
    project = make_repo(tmp_path, files)
    entries = related_entries(project, project.document("docs/guides/a.md"), ("related",))
    summary = [(e.written, e.line, e.column, e.target, e.problem is not None) for e in entries]
    assert summary == [
        ("b.md", 3, 5, "docs/guides/b.md", False),
        ("/docs/data/c.md", 4, 5, "docs/data/c.md", False),
        ("https://example.org/x", 5, 5, None, False),  # URLs are not checked
        ("42", 2, 1, None, True),  # not a path
        ("a.md", 7, 5, None, True),  # itself
    ]
    twice = related_entries(project, project.document("docs/data/c.md"), ("related",))
    assert [(e.line, e.column) for e in twice] == [(2, 11), (2, 27)]  # the same text twice: two positions
    single = related_entries(project, project.document("docs/guides/b.md"), ("related",))
    assert [e.target for e in single] == ["docs/guides/a.md"]
    messages = [f.message for f in findings(project, "XRF002")]
    assert messages == ["'related' entry 42 is not a path", "'related' entry 'a.md' names this document itself"]


def test_notes_are_left_to_the_notes_family(tmp_path: Path) -> None:
    files = {
        "notes/analysis.md": "---\ntitle: Analysis\nkind: analysis\nstatus: active\ncreated: 2024-01-02\n"
                             "updated: 2024-01-02\ntags: []\nrelated: [missing-note.md]\n---\n\n# Analysis\n",
        "docs/page.md": "---\nrelated: [missing-page.md]\n---\n\n# Page\n",
    }
    assert located(findings(make_repo(tmp_path, files), "XRF002")) == ["docs/page.md:2:11: XRF002"]


def test_reciprocity_and_what_satisfies_it(tmp_path: Path) -> None:
    files = {
        "docs/a.md": "---\nrelated: [b.md, c.md, d.md]\n---\n\n# A\n",
        "docs/b.md": "---\nrelated: [a.md]\n---\n\n# B\n",  # lists it back
        "docs/c.md": "# C\n\nBuilt on [A](a.md).\n",  # links back in its text
        "docs/d.md": "# D\n\nNothing back.\n",
        "docs/e.md": "---\nrelated: [old.md]\n---\n\n# E\n",
        "docs/old.md": "---\nstatus: superseded\nsuperseded_by: e.md\n---\n\n# Old\n",  # names its successor
    }
    found = findings(make_repo(tmp_path / "on", files), "XRF003")
    assert located(found) == ["docs/a.md:2:23: XRF003"]
    assert "docs/d.md does not relate back" in found[0].message and "add 'a.md'" in found[0].message
    off = {**files, "odyssey.toml": "[xref]\nreciprocal = false\n"}
    assert findings(make_repo(tmp_path / "off", off), "XRF003") == []


def test_related_keys_are_configurable(tmp_path: Path) -> None:
    files = {
        "docs/a.md": "---\nsee-also: [missing.md]\nrelated: [also-missing.md]\n---\n\n# A\n",
        "odyssey.toml": '[xref]\nrelated-keys = ["see-also"]\n',
    }
    found = findings(make_repo(tmp_path, files), "XRF002")
    assert [f.message for f in found] == ["'see-also' entry 'missing.md' names docs/missing.md, which does not exist"]


def test_tags_are_read_from_lists_and_strings() -> None:
    assert tags_of({"tags": ["EMNIST", "#data-loading"]}) == {"emnist", "data-loading"}
    assert tags_of({"tags": "emnist, data-loading training"}) == {"emnist", "data-loading", "training"}
    assert tags_of({"tags": 3}) == frozenset()


# -- unlinked related documents ---------------------------------------------------------------------------------
def test_related_documents_are_reported_only_when_nothing_links_them(tmp_path: Path) -> None:
    first = "# Loader\n\n" + mixed("loader", "kernel", 1)
    second = "# Loader notes\n\n" + mixed("loader", "cache", 2)
    unlinked = {**OTHERS, "docs/loader.md": first, "notes/loader-notes.md": second}
    found = findings(make_repo(tmp_path / "unlinked", unlinked), "XRF001")
    assert located(found) == ["docs/loader.md:1:1: XRF001"]
    assert "this document and notes/loader-notes.md are about the same subject" in found[0].message
    for number, (path, extra) in enumerate([
        ("docs/loader.md", "\n\nSee the [notes](../notes/loader-notes.md).\n"),
        ("notes/loader-notes.md", "\n\nThe [loader page](../docs/loader.md) has the details.\n"),
    ]):
        linked = {**unlinked, path: unlinked[path] + extra}
        assert findings(make_repo(tmp_path / f"linked-{number}", linked), "XRF001") == []
    related = {**unlinked, "notes/loader-notes.md": "---\nrelated: [../docs/loader.md]\n---\n\n" + second}
    assert findings(make_repo(tmp_path / "related", related), "XRF001") == []


def test_specific_shared_tags_relate_documents_and_common_ones_do_not(tmp_path: Path) -> None:
    page = "---\ntags: [{tags}]\n---\n\n# {title}\n\n{text}\n"
    files = {
        **OTHERS,
        "docs/emnist.md": page.format(tags="emnist, data-loading, lenet5", title="EMNIST",
                                      text=mixed("emnist", "pixels", 1)),
        "notes/emnist-review.md": page.format(tags="emnist, data-loading, review, lenet5", title="Review",
                                              text=mixed("emnist", "review", 2)),
        # Sharing only lenet5, which most tagged documents carry, relates nothing.
        "docs/training.md": page.format(tags="training, lenet5", title="Training", text=topic_text("train", 8, 3)),
        "docs/evaluation.md": page.format(tags="evaluation, lenet5", title="Evaluation",
                                          text=topic_text("metric", 8, 4)),
    }
    found = findings(make_repo(tmp_path, files), "XRF001")
    assert located(found) == ["docs/emnist.md:1:1: XRF001"]
    assert "share the tags data-loading, emnist" in found[0].message


def test_at_most_max_suggestions_per_document(tmp_path: Path) -> None:
    page = "---\ntags: [{tags}]\n---\n\n# {title}\n\n{text}\n"
    hub = page.format(tags="tokenizer, bpe, merges, vocabulary", title="Hub", text=mixed("token", "merge", 1))
    files = {**OTHERS, "docs/hub.md": hub}
    for number, pair in enumerate(("tokenizer, bpe", "bpe, merges", "merges, vocabulary", "tokenizer, vocabulary")):
        files[f"docs/spoke-{number}.md"] = page.format(tags=pair, title=f"Spoke {number}",
                                                       text=mixed("token", f"side{number}y", 10 + number))
    found = findings(make_repo(tmp_path / "default", files), "XRF001")
    assert sum("docs/hub.md" in (f.path, f.message.split(" and ")[1].split()[0]) for f in found) == 3
    limited = {**files, "odyssey.toml": "[xref]\nmax-suggestions = 1\n"}
    found = findings(make_repo(tmp_path / "limited", limited), "XRF001")
    assert sum("docs/hub.md" in (f.path, f.message.split(" and ")[1].split()[0]) for f in found) == 1


def test_agent_definitions_and_index_pages_get_no_suggestions(tmp_path: Path) -> None:
    text = mixed("loader", "kernel", 1)
    files = {
        **OTHERS,
        "docs/loader.md": "# Loader\n\n" + text,
        "agents/loader-engineer.md": "---\nname: loader-engineer\ndescription: x\ntools: Read\n---\n\n# Loader\n\n"
                                     + mixed("loader", "cache", 2),
        "notes/README.md": "# Notes\n\n" + mixed("loader", "queue", 3),
    }
    assert findings(make_repo(tmp_path, files), "XRF001") == []
