"""Topical similarity for ``odyssey notes new``: the repository-wide ``odyssey.similarity`` index.

The index holds every readable Markdown file of the project (built once per Project and cached), so the idf that
weighs a word reflects the whole repository, not just the notes directory: with few notes, an idf over the notes
alone would make every word look rare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from odyssey.notes.matching import TopicalScorer, index_scorer
from odyssey.similarity import SimilarityIndex

if TYPE_CHECKING:
    from odyssey.project import Project


def topical_scorer(project: Project) -> TopicalScorer:
    return index_scorer(SimilarityIndex.from_project(project))
