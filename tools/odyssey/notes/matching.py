"""Does an existing note already cover the topic of a new one? The "update that one instead" test.

Evidence, per existing note (active ones; a superseded note stands for its successor, archived ones are closed):

- **same title** (after case, punctuation and inflection folding) — covers;
- **near-duplicate text** — word-trigram shingles of the new body against the note's text: a Jaccard of 0.5, or 70 %
  of the new body's trigrams found in the note — covers;
- **topical similarity** — the TF-IDF cosine between the new note (title, tags, body) and the existing note, from the
  repository-wide ``odyssey.similarity`` index (idf over every Markdown file, so words the whole repository uses
  weigh little), against ``[notes] duplicate-threshold`` (default 0.4) — covers; this is what catches a paraphrase,
  which shares the topic's vocabulary but not its sentences;
- **overlapping titles** — at least two shared content words and a title Jaccard of 0.6 — covers; with a Jaccard of
  a third, it covers only when topical similarity reaches 60 % of the threshold or a tag is shared;
- **shared tags** are reported as supporting evidence, never on their own (every note of a project shares some).

The new note's kind plays no part: agents pick kinds inconsistently, and a "review" that restates an "analysis" is
the duplicate this is meant to stop.

Measured on the realistic corpus of ``tests/odyssey/notes/corpus.py`` (10 notes, two other documents): paraphrases
with a body score 0.57-0.78 against the note they restate and at most 0.29 against any other note; new topics score
at most 0.27 against any note; the next quarter's plan scores 0.47 against the current one (hence ``--supersedes``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from odyssey.notes.model import Note
from odyssey.similarity import STOPWORDS, SimilarityIndex, stem, words

logger = logging.getLogger(__name__)

NEAR_DUPLICATE_JACCARD = 0.5
NEAR_DUPLICATE_CONTAINMENT = 0.7
MIN_SHINGLES = 8  # a body shorter than this many trigrams says too little to be a near-duplicate of anything
TITLE_JACCARD = 0.6
TITLE_JACCARD_WITH_SUPPORT = 1 / 3
SUPPORT_FRACTION = 0.6
MAX_SUCCESSION = 50



def terms(text: str) -> list[str]:
    """Content words of ``text``, stemmed like the similarity index stems them, in order."""
    return [stem(word) for word in words(text) if word not in STOPWORDS and not word.isdigit()]


def title_terms(title: str) -> frozenset[str]:
    return frozenset(terms(title))


def shingles(text: str, size: int = 3) -> frozenset[tuple[str, ...]]:
    stems = [stem(word) for word in words(text)]
    return frozenset(tuple(stems[i : i + size]) for i in range(len(stems) - size + 1))


@dataclass(frozen=True)
class Query:
    """The note about to be written."""

    title: str
    kind: str
    tags: tuple[str, ...] = ()
    body: str = ""  # prose, without frontmatter

    @property
    def text(self) -> str:
        return query_text(self.title, self.tags, self.body)


def query_text(title: str, tags: Iterable[str], body: str) -> str:
    """What topical similarity compares with the existing notes: the title, the tags and the prose."""
    return "\n".join([title, " ".join(tags), body])


@dataclass
class Evidence:
    note: Note
    topical: float = 0.0
    topical_terms: tuple[str, ...] = ()  # the terms that contribute most to the topical similarity
    title_shared: tuple[str, ...] = ()
    title_jaccard: float = 0.0
    same_title: bool = False
    jaccard: float = 0.0  # of word-trigram shingles, new body against the note's text
    containment: float = 0.0  # share of the new body's trigrams found in the note
    tags_shared: tuple[str, ...] = ()

    @property
    def near_duplicate(self) -> bool:
        return self.jaccard >= NEAR_DUPLICATE_JACCARD or self.containment >= NEAR_DUPLICATE_CONTAINMENT

    @property
    def score(self) -> float:
        duplicate = max(self.jaccard, self.containment) if self.near_duplicate else 0.0
        return max(self.topical, self.title_jaccard, duplicate, 1.0 if self.same_title else 0.0)


@dataclass(frozen=True)
class Cover:
    """An existing note that covers the query: ``note`` is the one to update (``matched`` when that is active, else
    the active note that superseded it)."""

    note: Note
    matched: Note
    score: float
    reasons: tuple[str, ...]


# (query text, candidate notes) -> path -> (topical similarity, the terms contributing most to it)
TopicalScorer = Callable[[str, Sequence[Note]], Mapping[str, tuple[float, tuple[str, ...]]]]


def index_scorer(index: SimilarityIndex) -> TopicalScorer:
    """Topical similarity from a similarity index that holds the notes (and, for a good idf, everything else)."""

    def score(text: str, notes: Sequence[Note]) -> dict[str, tuple[float, tuple[str, ...]]]:
        wanted = {note.path for note in notes}
        neighbours = index.topical_neighbours(text, k=len(wanted), eligible=wanted.__contains__)
        return {found.path: (found.score, found.shared_terms) for found in neighbours}

    return score


def _normal_title(title: str) -> str:
    return " ".join(stem(word) for word in words(title))


def gather_evidence(query: Query, note: Note, topical: tuple[float, tuple[str, ...]],
                    query_shingles: frozenset[tuple[str, ...]], query_title: frozenset[str]) -> Evidence:
    evidence = Evidence(note=note, topical=topical[0], topical_terms=topical[1])
    evidence.same_title = _normal_title(query.title) == _normal_title(note.title) != ""
    note_title = title_terms(note.title)
    shared = query_title & note_title
    # Say the shared words as the new title writes them ("learning", not the stem "learn").
    spelled = {stem(word): word for word in reversed(words(query.title))}
    evidence.title_shared = tuple(spelled.get(term, term) for term in sorted(shared))
    evidence.title_jaccard = len(shared) / len(query_title | note_title) if query_title | note_title else 0.0
    if len(query_shingles) >= MIN_SHINGLES:
        theirs = shingles(note.text)
        common = len(query_shingles & theirs)
        union = len(query_shingles | theirs)
        evidence.jaccard = common / union if union else 0.0
        evidence.containment = common / len(query_shingles)
    wanted = {tag.casefold() for tag in query.tags}
    evidence.tags_shared = tuple(sorted(tag for tag in note.tags if tag.casefold() in wanted))
    return evidence


def covers(evidence: Evidence, threshold: float) -> bool:
    if evidence.same_title or evidence.topical >= threshold:
        return True
    if evidence.near_duplicate:
        return True
    if len(evidence.title_shared) >= 2:
        if evidence.title_jaccard >= TITLE_JACCARD:
            return True
        if evidence.title_jaccard >= TITLE_JACCARD_WITH_SUPPORT and (
            evidence.topical >= SUPPORT_FRACTION * threshold or evidence.tags_shared
        ):
            return True
    return False


def explain(evidence: Evidence, threshold: float) -> tuple[str, ...]:
    reasons: list[str] = []
    if evidence.same_title:
        reasons.append("same title")
    elif evidence.title_shared and len(evidence.title_shared) >= 2:
        reasons.append("titles share " + ", ".join(f"'{word}'" for word in evidence.title_shared))
    if evidence.near_duplicate:
        reasons.append(f"near-duplicate text ({evidence.containment:.0%} of the new text's word triples are in it)")
    if evidence.topical >= SUPPORT_FRACTION * threshold:
        shared = f"; shared key terms: {', '.join(evidence.topical_terms[:5])}" if evidence.topical_terms else ""
        reasons.append(
            f"similar content (topical similarity {evidence.topical:.2f}, threshold {threshold:.2f}{shared})"
        )
    if evidence.tags_shared:
        reasons.append("shared tags: " + ", ".join(evidence.tags_shared))
    return tuple(reasons)


def successor_of(note: Note, by_path: Mapping[str, Note], resolve_path: Callable[[Note, str], str | None]) -> Note:
    """The note that finally replaces ``note`` along ``superseded_by`` (``note`` itself when none can be followed)."""
    current = note
    seen = {note.path}
    for _ in range(MAX_SUCCESSION):
        if current.status != "superseded" or not current.superseded_by:
            return current
        path = resolve_path(current, current.superseded_by)
        following = by_path.get(path or "")
        if following is None or following.path in seen:
            return current
        seen.add(following.path)
        current = following
    return current


def find_covering(
    query: Query,
    notes: Sequence[Note],
    threshold: float,
    resolve_path: Callable[[Note, str], str | None],
    scorer: TopicalScorer,
    exempt: frozenset[str] = frozenset(),
    limit: int = 3,
) -> list[Cover]:
    """Existing notes that cover ``query``, best first (at most ``limit``). ``exempt`` paths never count: the notes
    the new one names in ``related`` (its author knows them and wants a separate note) or supersedes."""
    candidates = [note for note in notes if note.effective_status != "archived" and note.path not in exempt]
    if not candidates:
        return []
    topical = scorer(query.text, candidates)
    query_shingles = shingles(query.body)
    query_title = title_terms(query.title)
    by_path = {note.path: note for note in notes}
    best: dict[str, Cover] = {}
    for note in candidates:
        evidence = gather_evidence(query, note, topical.get(note.path, (0.0, ())), query_shingles, query_title)
        if not covers(evidence, threshold):
            continue
        target = successor_of(note, by_path, resolve_path)
        if target.effective_status == "archived" or target.path in exempt:
            continue
        reasons = explain(evidence, threshold)
        if target is not note:
            reasons += (f"matched {note.path}, which {target.path} superseded",)
        cover = Cover(target, note, evidence.score, reasons)
        current = best.get(target.path)
        if current is None or cover.score > current.score:
            best[target.path] = cover
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.note.path))
    for cover in ranked:
        logger.debug("covers: %s score %.3f (%s)", cover.note.path, cover.score, "; ".join(cover.reasons))
    return ranked[:limit]
