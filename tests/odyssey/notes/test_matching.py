"""The "an existing note covers this topic" test on a realistic notes directory: paraphrases are caught (they share
the topic, not the sentences), unrelated notes are not, copies and same titles are, and retired notes point on to
their successor or drop out."""

from __future__ import annotations

import posixpath

import pytest

from odyssey.document import parse_document
from odyssey.notes.create import body_prose, split_tags
from odyssey.notes.matching import Cover, Query, find_covering, index_scorer, stem, terms, title_terms
from odyssey.notes.model import DEFAULT_DUPLICATE_THRESHOLD, Note, note_from_document
from odyssey.similarity import SimilarityIndex
from tests.odyssey.notes.corpus import NEXT_PLAN, NOTES, OTHER_DOCUMENTS, PARAPHRASES, UNRELATED

THRESHOLD = DEFAULT_DUPLICATE_THRESHOLD


def build(files: dict[str, str]) -> tuple[list[Note], SimilarityIndex]:
    documents = [parse_document(path, text.encode("utf-8")) for path, text in files.items()]
    notes = [note_from_document(d) for d in documents if d.path.startswith("notes/")]
    return notes, SimilarityIndex.from_documents(documents)


def resolve(note: Note, written: str) -> str | None:
    return posixpath.normpath(posixpath.join(posixpath.dirname(note.path), written))


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Note], SimilarityIndex]:
    return build({**NOTES, **OTHER_DOCUMENTS})


def covering(corpus: tuple[list[Note], SimilarityIndex], title: str, kind: str, tags: str, body: str,
             exempt: frozenset[str] = frozenset()) -> list[Cover]:
    notes, index = corpus
    query = Query(title, kind, split_tags([tags]), body_prose(body) if body else "")
    return find_covering(query, notes, THRESHOLD, resolve, index_scorer(index), exempt=exempt)


@pytest.mark.parametrize("title, kind, tags, body, restated", PARAPHRASES, ids=[p[0] for p in PARAPHRASES])
def test_a_paraphrase_is_caught_as_covered_by_the_note_it_restates(corpus, title, kind, tags, body, restated) -> None:
    covers = covering(corpus, title, kind, tags, body)
    assert covers, f"'{title}' restates {restated} but nothing was found"
    assert covers[0].note.path == restated
    assert any(reason.startswith("similar content") for reason in covers[0].reasons)


@pytest.mark.parametrize("title, kind, tags, body", UNRELATED, ids=[u[0] for u in UNRELATED])
def test_a_new_topic_is_not_blocked(corpus, title, kind, tags, body) -> None:
    assert covering(corpus, title, kind, tags, body) == []


def test_the_next_plan_is_caught_unless_it_names_the_plan_it_replaces(corpus) -> None:
    covers = covering(corpus, *NEXT_PLAN)
    # The Q3 plan matched too; it is superseded, so its successor is the note to update (listed once).
    assert [cover.note.path for cover in covers] == ["notes/plan-q3-revised.md"]
    assert covering(corpus, *NEXT_PLAN, exempt=frozenset({"notes/plan-q3-revised.md"})) == []


def test_a_copy_is_a_near_duplicate(corpus) -> None:
    text = NOTES["notes/review-data-loader.md"].split("# Review of the data loader\n", 1)[1]
    covers = covering(corpus, "Data pipeline review", "review", "", text)
    assert covers[0].note.path == "notes/review-data-loader.md"
    assert any(reason.startswith("near-duplicate text (100%") for reason in covers[0].reasons)


def test_the_same_title_is_caught_without_a_body(corpus) -> None:
    covers = covering(corpus, "review of the Data-Loader", "review", "", "")
    assert [c.note.path for c in covers] == ["notes/review-data-loader.md"]
    assert covers[0].reasons[0] == "same title"


def test_an_overlapping_title_with_a_shared_tag_is_caught_without_a_body(corpus) -> None:
    covers = covering(corpus, "Learning rate warmup schedule", "decision", "optimizer", "")
    assert covers[0].note.path == "notes/learning-rate-warmup.md"
    assert covers[0].reasons[0] == "titles share 'learning', 'rate', 'warmup'"


def test_archived_notes_are_closed(corpus) -> None:
    notes, index = corpus
    archived = [
        Note(**{**note.__dict__, "status": "archived"}) if note.path == "notes/learning-rate-warmup.md" else note
        for note in notes
    ]
    title, kind, tags, body, _restated = PARAPHRASES[1]
    query = Query(title, kind, split_tags([tags]), body_prose(body))
    assert find_covering(query, archived, THRESHOLD, resolve, index_scorer(index)) == []


def test_an_empty_notes_directory_covers_nothing() -> None:
    notes, index = build(OTHER_DOCUMENTS)
    assert find_covering(Query("Anything", "plan"), notes, THRESHOLD, resolve, index_scorer(index)) == []


def test_terms_fold_inflections_and_drop_stop_words() -> None:
    assert terms("The tokenizer's merges were growing") == ["tokenizer", "merg", "grow"]
    assert title_terms("Reviews of the data loaders") == title_terms("review of a data loader")
    assert stem("analyses") == stem("analyse")
