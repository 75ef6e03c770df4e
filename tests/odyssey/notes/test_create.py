"""Names of new notes: a title becomes a kebab-case stem that keeps each word of the title whole."""

from __future__ import annotations

import pytest
from odyssey.kinds import NamingPattern
from odyssey.notes.create import MAX_NAME_LENGTH, file_stem


@pytest.mark.parametrize(("title", "stem"), [
    ("LeNet-5 results on Fashion-MNIST", "lenet-5-results-on-fashion-mnist"),
    ("Review of PyTorch's im2col / col2im", "review-of-pytorch-s-im2col-col2im"),
    ("Entscheidung: Größe der Batches", "entscheidung-grosse-der-batches"),
    ("SessionSummary", "session-summary"),  # one word is a name: its camel case splits
    ("  Input scaling  ", "input-scaling"),
])
def test_title_stems(title: str, stem: str) -> None:
    assert file_stem(title) == stem
    assert NamingPattern("notes", "kebab").accepts(f"{stem}.md")


def test_long_titles_are_cut_between_words() -> None:
    stem = file_stem("why the optimizer keeps one flat parameter buffer " * 5)
    assert len(stem) <= MAX_NAME_LENGTH and not stem.endswith("-")
    assert ("why-the-optimizer-keeps-one-flat-parameter-buffer-" * 5).startswith(stem)
