"""Text similarity between the documents of a repository: shared by the duplicates and xref checks and by
``odyssey notes new`` (which looks for existing notes on the topic of a new one).

What is compared
    The prose a reader sees: paragraphs, list items, headings, table cells and the text of HTML blocks, taken from
    the parsed document (never the raw file), normalized to lower-case words (NFKC, markup and punctuation dropped).
    Fenced code, frontmatter and license text (license/copyright paragraphs and "License" sections) are left out by
    default; ``TextOptions`` (the ``[tool.odyssey.duplicates]`` keys ``include-code``, ``include-frontmatter``,
    ``include-license``) brings them in. HTML comments are never compared: nobody reads them.

    A document is a sequence of *leaf sections* (a heading up to the next heading of any level; the text before the
    first heading is a section without heading), each a sequence of *passages*: a heading, a paragraph, a tight list
    (consecutive list items with no blank line between them), a table, an HTML block, a code block.

Two measures
    *Shingle similarity* (copies, edited copies): the Jaccard similarity of the sets of word k-grams (``shingle_size``,
    default 5). Candidates come from MinHash signatures and LSH banding, so the cost grows with the number of
    documents, not with the number of pairs; each candidate is then verified with the exact Jaccard of the two
    shingle sets, which is the similarity reported. Signatures follow datasketch's ``affine32`` scheme bit for bit
    (same permutations, same MurmurHash3 pre-mix), computed for all sections at once with numpy; the banding gives
    a pair exactly at the threshold a 90% chance of being a candidate (``lsh_parameters``). ``minhash_reference`` is
    the one-set-at-a-time datasketch computation the tests compare the vectorised kernel with (datasketch is not
    imported at run time: its import costs more than a small repository's whole check).

    *Topical similarity* (the same subject in different words): the cosine of TF-IDF vectors of whole documents.
    Terms are words without English stop words and numbers, reduced by a light suffix-stripping stemmer (``stem``);
    weights are ``(1 + log tf) * idf`` with ``idf = log((1 + n) / (1 + df)) + 1`` (scikit-learn's smooth idf), rows
    L2-normalized. ``topical_pairs`` finds every pair above a threshold without comparing every pair (rare terms
    as a sparse product, common terms bounded, see ``_topical_candidates``), and by default only pairs that stand
    out from both documents' own background: in a repository whose documents all share one vocabulary every pair
    looks alike. The heaviest terms two documents share are what messages quote ("shared key terms: ...").

API
    ``SimilarityIndex.from_project(project)`` (built once per Project and cached) holds the texts of every readable
    Markdown file; signatures and TF-IDF are computed on first use.

    - ``near_duplicates(level, threshold, min_words)``: file or section pairs with shingle Jaccard >= threshold;
    - ``topical_pairs(threshold)``: document pairs with TF-IDF cosine >= threshold (standing out from background);
    - ``topical_neighbours(text, k)``: the k documents closest in topic to a text that is not in the repository;
    - ``nearest(path, k)``, ``cosine(a, b)``, ``shingle_similarity(a, b)``, ``background(path)``;
    - ``key_terms(path, k)``, ``shared_terms(paths, k)``: what documents are about, as words;
    - ``text(path)``: the ``DocumentText`` (sections and passages with their lines).

    The words are shared with ``odyssey.notes.matching``: ``words``, ``stem`` and ``STOPWORDS``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import threading
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import scipy.sparse as sparse

if TYPE_CHECKING:
    from odyssey.config import Config
    from odyssey.document import Document
    from odyssey.project import Project

logger = logging.getLogger(__name__)

NUM_PERM = 128  # MinHash permutations: enough for LSH at a recall of 0.9 without a flood of false candidates
LSH_RECALL = 0.9  # probability that a pair exactly at the threshold becomes an LSH candidate
MINHASH_SEED = 1
MAX_BUCKET_PAIRS = 32  # an LSH bucket larger than this is linked as a star from its first member, not all pairs
TOPICAL_CHUNK = 2048  # rows per block of the sparse product that finds topical pairs
TOPICAL_PRODUCT_BUDGET = 2e7  # multiply-adds allowed for the rare-term product (see _topical_candidates)
MAX_COMMON_HEAVY = 3000  # most documents compared densely over common terms (see _topical_candidates)
MAX_EXACT_PAIRS = 2_000_000  # most candidate pairs whose exact cosine is computed
MAX_DENSE_CELLS = 20_000_000  # largest documents x common-terms matrix held densely (80 MB of float32)
EXACT_CHUNK = 100_000
TOPICAL_MIN_TERMS = 25  # documents with fewer term occurrences have too unstable a vector to be paired
BACKGROUND_DOCUMENTS = 150  # documents sampled to measure how similar a document is to unrelated ones
BACKGROUND_SPREADS = 2.0  # a topical pair must stand this many robust deviations above both documents' medians
SEED_MIN_WORDS = 5

_WORD = re.compile(r"[^\W_]+")
# ASCII fast path of the same normalization: apostrophes vanish, other non-alphanumerics (but the passage separator
# 0x1f) become spaces.
_ASCII_SEPARATORS = str.maketrans(
    {i: (None if chr(i) == "'" else " ") for i in range(128) if not chr(i).isalnum() and i != 0x1F}
)
_LICENSE_CUES = ("copyright", "licens", "spdx", "permission is hereby", "all rights reserved")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")
_LICENSE = re.compile(
    r"spdx-license-identifier|\bcopyright\s+(?:\(c\)|©|\d{4})|licensed under the|permission is hereby granted|"
    r"all rights reserved",
    re.IGNORECASE,
)
LICENSE_HEADINGS = frozenset({"license", "licence", "licensing", "copyright", "copyright and license"})
PLACEHOLDER_STARTS = frozenset({"todo", "tbd", "tba", "fixme", "xxx", "wip", "placeholder", "lorem", "tk"})
PLACEHOLDER_PHRASES = frozenset({
    "coming soon", "to be written", "to be added", "to be completed", "to be documented", "to be filled in",
    "to be determined", "work in progress", "n a", "none yet", "nothing yet", "fill in", "fill me in", "add content",
    "add content here", "content goes here", "write this section", "description", "add description here",
})
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each either
else etc every few for from further had hadn't has hasn't have haven't having he her here hers herself him himself his
how however i if in into is isn't it it's its itself just let's like may me might more most much must mustn't my
myself neither no nor not now of off often on once one only or other ought our ours ourselves out over own per rather
same shall shan't she should shouldn't since so some such than that that's the their theirs them themselves then there
there's these they this those though through thus to too under until up upon us use used uses using very via was
wasn't we well were weren't what what's when where whether which while who whom whose why will with within without
won't would wouldn't yet you your yours yourself yourselves e g i e ie eg vs two three four five six seven eight
nine ten
""".replace("'", "").split())  # apostrophes are dropped from words too (don't -> dont)


# -- words --------------------------------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    """Lower-case words of ``text``: NFKC-normalized, apostrophes dropped (don't -> dont), every other character that
    is not a letter or digit a separator, so markup and punctuation vanish (``snake_case`` -> snake, case)."""
    if text.isascii():
        return text.lower().translate(_ASCII_SEPARATORS).split()
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("\u2019", ""))


def _words_of_each(texts: Sequence[str]) -> tuple[list[tuple[str, ...]], str]:
    """``words`` of each text, in one pass over all of them joined by a separator character; and the joined
    lower-case text."""
    joined = "\x1f".join(texts)
    if joined.isascii():
        lowered = joined.lower()
        return [tuple(part.split()) for part in lowered.translate(_ASCII_SEPARATORS).split("\x1f")], lowered
    lowered = unicodedata.normalize("NFKC", joined).lower()
    normalized = lowered.replace("'", "").replace("\u2019", "")
    return [tuple(_WORD.findall(part)) for part in normalized.split("\x1f")], lowered


def stem(word: str) -> str:
    """A light stemmer for topical similarity: plurals, -ing, -ed, -ly and a final -e.

    training/trained/trains -> train, batches -> batch, libraries -> library, cached/cache -> cach. It conflates less
    than Porter's and never produces a stem shorter than three letters, so unrelated short words stay apart.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("eed"):
        return word
    for suffix in ("ing", "ed", "ly"):
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= 3 and any(vowel in base for vowel in "aeiouy"):
                if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                    base = base[:-1]  # running -> run
                word = base
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def is_placeholder(passage_words: Sequence[str]) -> bool:
    """Is this the text of a section nobody wrote yet ("TODO", "TBD: describe usage", "Coming soon.")?"""
    if not passage_words or len(passage_words) > 12:
        return False
    return passage_words[0] in PLACEHOLDER_STARTS or " ".join(passage_words) in PLACEHOLDER_PHRASES


# -- the text of one document -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextOptions:
    """What counts as a document's text (``[tool.odyssey.duplicates]``)."""

    include_code: bool = False
    include_frontmatter: bool = False
    include_license: bool = False
    shingle_size: int = 5

    @classmethod
    def from_config(cls, config: Config) -> TextOptions:
        section = config.extra_section("duplicates")
        return cls(
            include_code=bool(section.get("include-code", cls.include_code)),
            include_frontmatter=bool(section.get("include-frontmatter", cls.include_frontmatter)),
            include_license=bool(section.get("include-license", cls.include_license)),
            shingle_size=int(section.get("shingle-size", cls.shingle_size)),
        )


class Passage(NamedTuple):
    """One unit of text: kind is heading, paragraph (a paragraph or a tight list), table, html, code or frontmatter.

    A named tuple: a large repository has about a million of them."""

    kind: str
    line: int
    end_line: int
    words: tuple[str, ...]

    @property
    def key(self) -> str:
        """The normalized text: equal keys are the same text up to whitespace, case and markup."""
        return " ".join(self.words)

    @property
    def placeholder(self) -> bool:
        return is_placeholder(self.words)


@dataclass(eq=False, slots=True)
class Section:
    """A leaf section: a heading and the passages up to the next heading of any level (level 0: no heading).
    Compared and hashed by identity."""

    path: str
    heading: str | None
    level: int
    line: int
    end_line: int
    passages: tuple[Passage, ...]  # the heading's own passage first, when there is a heading
    word_count: int  # words of every passage
    body_words: int  # words under the heading

    @property
    def body(self) -> tuple[Passage, ...]:
        return self.passages[1:] if self.level else self.passages

    @property
    def placeholder(self) -> bool:
        """A heading with nothing under it but placeholders (or nothing at all)."""
        return all(p.placeholder for p in self.body)

    @property
    def label(self) -> str:
        return f"section '{self.heading}'" if self.heading is not None else "the text before the first heading"


@dataclass
class DocumentText:
    """The comparable text of one document, as leaf sections."""

    path: str
    sections: list[Section]
    last_line: int

    @property
    def passages(self) -> list[Passage]:
        return [passage for section in self.sections for passage in section.passages]

    @property
    def word_count(self) -> int:
        return sum(section.word_count for section in self.sections)


def _html_text(html: str, keep_license_comments: bool) -> str:
    """Visible text of an HTML block: comments dropped (license comments kept on request), tags removed."""
    def comment(match: re.Match[str]) -> str:
        return match.group(0)[4:-3] if keep_license_comments and _LICENSE.search(match.group(0)) else " "

    return _HTML_TAG.sub(" ", _HTML_COMMENT.sub(comment, html))


def _raw_passages(document: Document, options: TextOptions) -> list[tuple[str, int, int, str]]:
    """(kind, line, end_line, text) in document order, before splitting into words."""
    raw: list[tuple[str, int, int, str]] = []
    frontmatter = document.frontmatter
    if options.include_frontmatter and frontmatter.present and frontmatter.end_line - frontmatter.start_line > 1:
        inner = document.lines[frontmatter.start_line : frontmatter.end_line - 1]
        raw.append(("frontmatter", frontmatter.start_line, frontmatter.end_line, "\n".join(inner)))
    previous: tuple[str, int, int, str] | None = None
    for block in document.blocks:
        kind = block.kind
        text = block.text
        if kind == "html":
            text = _html_text(text, options.include_license)
        elif kind == "table-cell":
            kind = "table"
        if previous is not None and kind == previous[0] and kind in ("paragraph", "table") and (
            block.line <= previous[2] + (1 if kind == "paragraph" else 2)
        ):
            # Items of a tight list sit on adjacent lines, cells of a table on the same or the next row (the header
            # and the first row have the delimiter row between them): one passage.
            previous = (kind, previous[1], max(previous[2], block.end_line), f"{previous[3]}\n{text}")
            raw[-1] = previous
            continue
        previous = (kind, block.line, block.end_line, text)
        raw.append(previous)
    if options.include_code and document.fences:
        raw.extend(("code", fence.line, fence.end_line, fence.content) for fence in document.fences)
        raw.sort(key=lambda item: item[1])
    return raw


def document_text(document: Document, options: TextOptions | None = None) -> DocumentText:
    """The comparable text of a parsed document (see the module docstring for what is left out)."""
    options = options or TextOptions()
    raw = _raw_passages(document, options)
    if not raw:
        return DocumentText(document.path, [], document.text.count("\n") + 1)
    split, lowered = _words_of_each([text for _kind, _line, _end, text in raw])
    check_license = not options.include_license and any(cue in lowered for cue in _LICENSE_CUES)
    levels = {h.line: h.level for h in document.headings}
    path = document.path
    sections: list[Section] = []
    current: list[Passage] = []
    heading: str | None = None
    level = line_of_heading = heading_words = body_words = 0
    skip_section = False

    def close() -> None:
        start = line_of_heading if level else current[0].line
        sections.append(Section(path, heading, level, start, current[-1].end_line, tuple(current),
                                heading_words + body_words, body_words))

    for (kind, line, end_line, text), passage_words in zip(raw, split):
        if kind == "heading":
            if current:
                close()
            skip_section = not options.include_license and " ".join(passage_words) in LICENSE_HEADINGS
            body_words = 0
            if skip_section:
                current, heading, level, heading_words = [], None, 0, 0
            else:
                heading, level, line_of_heading = text.strip(), levels.get(line, 1), line
                current = [Passage("heading", line, end_line, passage_words)]
                heading_words = len(passage_words)
        elif passage_words and not (skip_section and kind != "frontmatter") and not (
            check_license and kind != "code" and _LICENSE.search(text)
        ):
            current.append(Passage(kind, line, end_line, passage_words))
            body_words += len(passage_words)
    if current:
        close()
    return DocumentText(path, sections, document.text.count("\n") + 1)


# -- MinHash --------------------------------------------------------------------------------------------------------
_U32 = np.uint32
_U64 = np.uint64


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (datasketch's pre-mix of the affine32 scheme), element-wise, wrapping."""
    values = values ^ (values >> _U32(16))
    values = values * _U32(0x85EBCA6B)
    values = values ^ (values >> _U32(13))
    values = values * _U32(0xC2B2AE35)
    return values ^ (values >> _U32(16))


def _fmix64(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> _U64(33))
    values = values * _U64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> _U64(33))
    values = values * _U64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> _U64(33))


def word_hash(word: str) -> int:
    """A stable 32-bit hash of a word (Python's own hash changes between runs)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=4).digest(), "little")


_SHINGLE_MULTIPLIERS = np.array([_fmix64(np.array([i + 1], dtype=_U64))[0] | 1 for i in range(64)], dtype=_U64)
_SHINGLE_MULTIPLIERS_32 = (_SHINGLE_MULTIPLIERS & _U64(0xFFFFFFFF)).astype(_U32)


def shingle_hashes(word_hashes: np.ndarray, segment_ids: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of every run of ``size`` consecutive words that stays inside one segment, and their segments.

    word_hashes: (T,) uint32, the words of all segments one after the other; segment_ids: (T,) int, non-decreasing.
    A segment shorter than ``size`` gives one shingle of all its words. Returns (S,) uint32 and (S,) int arrays.
    A shingle's hash is fmix32 of a sum of its words' hashes times position constants, wrapping: 32-bit arithmetic
    halves the memory traffic of 64-bit, and two sets compared by Jaccard are small enough that a chance collision
    between two different shingles (2^-32 per pair) does not move the similarity.
    """
    total = len(word_hashes)
    if total == 0:
        return np.zeros(0, dtype=_U32), np.zeros(0, dtype=np.int64)
    multipliers = _SHINGLE_MULTIPLIERS_32
    with np.errstate(over="ignore"):
        count = max(total - size + 1, 0)
        combined = np.zeros(count, dtype=_U32)
        for offset in range(min(size, total)):
            combined += word_hashes[offset : offset + count] * multipliers[offset]
        inside = segment_ids[:count] == segment_ids[size - 1 : size - 1 + count] if count else np.zeros(0, bool)
        hashes = _fmix32(combined[inside])
        segments = segment_ids[:count][inside]
        # Segments shorter than a shingle: one shingle of all their words.
        starts = np.flatnonzero(np.r_[True, segment_ids[1:] != segment_ids[:-1]])
        lengths = np.diff(np.r_[starts, total])
        short = np.flatnonzero(lengths < size)
        if len(short):
            offsets = np.arange(size)
            taken = offsets[None, :] < lengths[short][:, None]
            positions = np.minimum(starts[short][:, None] + offsets[None, :], total - 1)
            terms = np.where(taken, word_hashes[positions] * multipliers[:size][None, :], _U32(0))
            hashes = np.concatenate([hashes, _fmix32(terms.sum(axis=1, dtype=_U32))])
            segments = np.concatenate([segments, segment_ids[starts[short]]])
            order = np.argsort(segments, kind="stable")
            hashes, segments = hashes[order], segments[order]
    return hashes, segments


@dataclass(frozen=True)
class MinHasher:
    """MinHash signatures in datasketch's affine32 scheme: sig[p] = min over the set of a[p] * fmix32(h) + b[p]."""

    num_perm: int = NUM_PERM
    seed: int = MINHASH_SEED
    a: np.ndarray = field(init=False, repr=False, compare=False)
    b: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        a, b = affine32_permutations(self.num_perm, self.seed)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)

    def signatures(self, hashes: np.ndarray, segments: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Signatures of ``count`` sets given as (hash, set index) pairs sorted by set index.

        Returns (count, num_perm) uint32 and a (count,) bool mask of the sets that have any element (the others'
        rows are all 0xFFFFFFFF, datasketch's empty signature).
        """
        signatures = np.full((count, self.num_perm), np.iinfo(_U32).max, dtype=_U32)
        present = np.zeros(count, dtype=bool)
        if len(hashes) == 0:
            return signatures, present
        starts = np.flatnonzero(np.r_[True, segments[1:] != segments[:-1]])
        owners = segments[starts]
        present[owners] = True
        mixed = _fmix32(hashes.astype(_U32))
        buffer = np.empty_like(mixed)
        minima = np.empty((self.num_perm, len(starts)), dtype=_U32)
        with np.errstate(over="ignore"):
            for p in range(self.num_perm):
                np.multiply(mixed, self.a[p], out=buffer)
                np.add(buffer, self.b[p], out=buffer)
                minima[p] = np.minimum.reduceat(buffer, starts)
        signatures[owners] = minima.T
        return signatures, present

    def signature_of(self, hashes: np.ndarray) -> np.ndarray:
        signatures, _present = self.signatures(hashes, np.zeros(len(hashes), dtype=np.int64), 1)
        return signatures[0]


def minhash_reference(hashes: Iterable[int], num_perm: int = NUM_PERM, seed: int = MINHASH_SEED) -> np.ndarray:
    """datasketch's own MinHash of a set of 32-bit hashes (one value at a time): the reference for the kernel."""
    from datasketch import MinHash

    sketch = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda value: value, scheme="affine32")
    for value in hashes:
        sketch.update(int(value))
    return np.asarray(sketch.hashvalues, dtype=_U32)


def affine32_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (odd ``a``, any ``b``), drawn exactly as it draws them, so that
    signatures equal datasketch's without importing it at run time (its import costs more than a small run)."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=_U32) * _U32(2) + _U32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=_U32)
    return a.astype(_U32), b.astype(_U32)


@functools.lru_cache(maxsize=32)
def lsh_parameters(threshold: float, num_perm: int = NUM_PERM, recall: float = LSH_RECALL) -> tuple[int, int]:
    """(bands, rows) for LSH at ``threshold``: the most rows per band (fewest false candidates) that still makes a
    pair exactly at the threshold a candidate with probability >= ``recall`` (1 - (1 - t^r)^b).

    datasketch's ``MinHashLSH`` instead minimizes the integrated false-positive + false-negative probability, which
    at 64 permutations and a threshold of 0.7 finds only 38% of the pairs at the threshold; every candidate here is
    verified exactly, so a false candidate costs little and a missed one is a missed finding.
    """
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            best = (bands, rows)
    return best


@functools.lru_cache(maxsize=MAX_BUCKET_PAIRS + 1)
def _triangle(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(size, 1)


def lsh_candidates(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Pairs (i, j), i < j, of signature rows that agree on every row of at least one band: (C, 2) int64.

    Each band is hashed to one 64-bit key and sorted; rows sharing a key form a bucket. A bucket of more than
    ``MAX_BUCKET_PAIRS`` members (many near-identical sections) contributes a star from its first member instead of
    all its pairs: clustering sees the same connected group at linear cost.
    """
    count = len(signatures)
    if count < 2:
        return np.zeros((0, 2), dtype=np.int64)
    pairs: list[np.ndarray] = []
    multipliers = _SHINGLE_MULTIPLIERS[:rows]
    with np.errstate(over="ignore"):
        for band in range(bands):
            block = signatures[:, band * rows : (band + 1) * rows].astype(_U64)
            keys = _fmix64((block * multipliers).sum(axis=1, dtype=_U64) + _U64(band))
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
            sizes = np.diff(np.r_[starts, count])
            for size in np.unique(sizes[sizes > 1]).tolist():
                chosen = starts[sizes == size]
                if size <= MAX_BUCKET_PAIRS:  # every pair of every bucket of this size, at once
                    members = order[chosen[:, None] + np.arange(size)]
                    first, second = _triangle(size)
                    pairs.append(np.column_stack([members[:, first].ravel(), members[:, second].ravel()]))
                else:
                    for start in chosen.tolist():
                        members = order[start : start + size]
                        pairs.append(np.column_stack([np.full(size - 1, members[0]), members[1:]]))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    found = np.sort(np.concatenate(pairs).astype(np.int64), axis=1)
    codes = np.unique(found[:, 0] * count + found[:, 1])
    return np.column_stack([codes // count, codes % count])


def estimated_jaccard(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """MinHash estimate of the Jaccard similarity of each pair: the share of permutations whose minima agree."""
    if len(pairs) == 0:
        return np.zeros(0)
    return (signatures[pairs[:, 0]] == signatures[pairs[:, 1]]).mean(axis=1)


def jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """Exact Jaccard similarity of two sets given as arrays (duplicates allowed)."""
    a, b = np.unique(first), np.unique(second)
    if len(a) == 0 and len(b) == 0:
        return 1.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


# -- results --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """Where something is: a file (``section`` None) or one of its leaf sections, with its line range."""

    path: str
    line: int
    end_line: int
    section: Section | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}-{self.end_line}" if self.end_line > self.line else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class SimilarPair:
    first: Span
    second: Span
    similarity: float


@dataclass(frozen=True)
class Neighbour:
    path: str
    score: float
    shared_terms: tuple[str, ...]


# -- the index ------------------------------------------------------------------------------------------------------
class _Vocabulary(dict[str, int]):
    """word -> id, assigning the next id to a word seen for the first time."""

    def __missing__(self, word: str) -> int:
        value = self[word] = len(self)
        return value


@dataclass
class _Corpus:
    """Every word of every section, as ids, one section after the other."""

    vocabulary: _Vocabulary
    ids: np.ndarray  # (T,) int64 word ids
    section_of_token: np.ndarray  # (T,) int64
    section_doc: np.ndarray  # (n_sections,) int64: document of each section
    doc_first_section: np.ndarray  # (n_docs + 1,) int64: sections of document d are [first[d], first[d + 1])


@dataclass
class _Shingles:
    hashes: np.ndarray  # (S,) uint32, grouped by section
    section_start: np.ndarray  # (n_sections + 1,) int64: shingles of section s are [start[s], start[s + 1])


@dataclass
class _Tfidf:
    matrix: sparse.csr_matrix  # (n_docs, n_terms) float64, rows L2-normalized (all-zero rows for empty documents)
    idf: np.ndarray  # (n_terms,)
    term_of_word: np.ndarray  # (n_words,) int64, -1 for stop words and numbers
    term_names: list[str]  # the most frequent word form of each term, for messages
    term_totals: np.ndarray  # (n_docs,) term occurrences per document
    stem_ids: dict[str, int]


class SimilarityIndex:
    """Similarity between the documents of one repository; see the module docstring."""

    def __init__(self, texts: Sequence[DocumentText], options: TextOptions | None = None) -> None:
        self.options = options or TextOptions()
        self.texts = list(texts)
        self.position = {text.path: index for index, text in enumerate(self.texts)}
        self.sections = [section for text in self.texts for section in text.sections]
        self.minhasher = MinHasher()
        self._corpus: _Corpus | None = None
        self._shingles: _Shingles | None = None
        self._signatures: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._tfidf: _Tfidf | None = None
        self._topical: dict[tuple[float, float], list[tuple[int, int, float]]] = {}
        self._background: tuple[np.ndarray, np.ndarray] | None = None
        self._unique: dict[tuple[str, int], np.ndarray] = {}
        self._section_number: dict[Section, int] | None = None
        self._topical_lock = threading.RLock()
        self._warming: threading.Thread | None = None

    # -- construction ------------------------------------------------------------------------------------------
    @classmethod
    def from_documents(cls, documents: Iterable[Document], options: TextOptions | None = None) -> SimilarityIndex:
        options = options or TextOptions()
        texts = [document_text(document, options) for document in documents if document.readable]
        return cls(texts, options)

    @classmethod
    def from_project(cls, project: Project) -> SimilarityIndex:
        """The index of every readable Markdown file of ``project``, built once and cached for the project's life."""
        options = TextOptions.from_config(project.config)
        cached = _INDEXES.get(project)
        if cached is not None and cached.options == options:
            return cached
        index = cls.from_documents(project.documents(), options)
        _INDEXES[project] = index
        logger.debug("similarity index: %d documents, %d sections", len(index.texts), len(index.sections))
        return index

    def text(self, path: str) -> DocumentText | None:
        position = self.position.get(path)
        return self.texts[position] if position is not None else None

    # -- words ---------------------------------------------------------------------------------------------------
    def corpus(self) -> _Corpus:
        if self._corpus is None:
            vocabulary = _Vocabulary()
            flat: list[str] = []
            lengths: list[int] = []
            section_doc: list[int] = []
            doc_first = [0]
            for doc, text in enumerate(self.texts):
                for section in text.sections:
                    before = len(flat)
                    for passage in section.passages:
                        flat.extend(passage.words)
                    lengths.append(len(flat) - before)
                    section_doc.append(doc)
                doc_first.append(len(section_doc))
            ids = np.fromiter(map(vocabulary.__getitem__, flat), dtype=np.int64, count=len(flat))
            section_of_token = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
            self._corpus = _Corpus(vocabulary, ids, section_of_token, np.array(section_doc, dtype=np.int64),
                                   np.array(doc_first, dtype=np.int64))
        return self._corpus

    def shingles(self) -> _Shingles:
        if self._shingles is None:
            corpus = self.corpus()
            word_hashes = np.fromiter((word_hash(word) for word in corpus.vocabulary), dtype=_U32,
                                      count=len(corpus.vocabulary))
            hashes, owners = shingle_hashes(word_hashes[corpus.ids], corpus.section_of_token,
                                            self.options.shingle_size)
            start = np.searchsorted(owners, np.arange(len(self.sections) + 1))
            self._shingles = _Shingles(hashes, start.astype(np.int64))
        return self._shingles

    def _shingle_set(self, level: str, item: int) -> np.ndarray:
        key = (level, item)
        found = self._unique.get(key)
        if found is None:
            shingles = self.shingles()
            if level == "section":
                first, last = item, item + 1
            else:
                corpus = self.corpus()
                first, last = corpus.doc_first_section[item], corpus.doc_first_section[item + 1]
            found = np.unique(shingles.hashes[shingles.section_start[first] : shingles.section_start[last]])
            if len(self._unique) > 50_000:
                self._unique.clear()
            self._unique[key] = found
        return found

    def signatures(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        """MinHash signatures of every section or document, and which have any shingle."""
        if level not in self._signatures:
            shingles = self.shingles()
            owners = np.repeat(np.arange(len(self.sections), dtype=np.int64), np.diff(shingles.section_start))
            sections, present = self.minhasher.signatures(shingles.hashes, owners, len(self.sections))
            self._signatures["section"] = (sections, present)
            corpus = self.corpus()
            documents = np.full((len(self.texts), self.minhasher.num_perm), np.iinfo(_U32).max, dtype=_U32)
            doc_present = np.zeros(len(self.texts), dtype=bool)
            nonempty = np.flatnonzero(np.diff(corpus.doc_first_section) > 0)
            if len(nonempty):
                starts = corpus.doc_first_section[nonempty]
                documents[nonempty] = np.minimum.reduceat(sections, starts, axis=0)
                doc_present[nonempty] = np.logical_or.reduceat(present, starts)
            self._signatures["file"] = (documents, doc_present)
        return self._signatures[level]

    # -- shingle similarity --------------------------------------------------------------------------------------
    def span(self, level: str, item: int) -> Span:
        if level == "section":
            section = self.sections[item]
            return Span(section.path, section.line, section.end_line, section)
        text = self.texts[item]
        return Span(text.path, 1, text.last_line)

    def near_duplicates(self, level: str = "file", threshold: float = 0.8, min_words: int = 30,
                        eligible: Callable[[str], bool] | None = None) -> list[SimilarPair]:
        """Pairs of files (``level="file"``) or of leaf sections of different files (``"section"``) whose shingle
        sets have an exact Jaccard similarity >= ``threshold``. Items with fewer than ``min_words`` words (a
        section's body) take no part; ``eligible`` filters by path. Sorted by decreasing similarity."""
        if level not in ("file", "section"):
            raise ValueError(f"level must be 'file' or 'section', not {level!r}")
        signatures, present = self.signatures(level)
        if level == "section":
            sizes = np.fromiter((s.body_words for s in self.sections), dtype=np.int64, count=len(self.sections))
            paths = [s.path for s in self.sections]
        else:
            sizes = np.fromiter((t.word_count for t in self.texts), dtype=np.int64, count=len(self.texts))
            paths = [t.path for t in self.texts]
        wanted = present & (sizes >= min_words)
        if eligible is not None:
            wanted &= np.fromiter((eligible(path) for path in paths), dtype=bool, count=len(paths))
        items = np.flatnonzero(wanted)
        if len(items) < 2:
            return []
        bands, rows = lsh_parameters(threshold, self.minhasher.num_perm)
        local = lsh_candidates(signatures[items], bands, rows)
        pairs = items[local] if len(local) else np.zeros((0, 2), dtype=np.int64)
        if level == "section" and len(pairs):
            corpus = self.corpus()
            pairs = pairs[corpus.section_doc[pairs[:, 0]] != corpus.section_doc[pairs[:, 1]]]
        # The estimate prunes candidates that are far below the threshold; the exact Jaccard decides.
        estimates = estimated_jaccard(signatures, pairs)
        pairs = pairs[estimates >= threshold - 0.2]
        found: list[SimilarPair] = []
        for first, second in pairs.tolist():
            similarity = jaccard(self._shingle_set(level, first), self._shingle_set(level, second))
            if similarity >= threshold:
                found.append(SimilarPair(self.span(level, first), self.span(level, second), similarity))
        found.sort(key=lambda pair: (-pair.similarity, pair.first.path, pair.first.line, pair.second.path))
        return found

    def sections_similarity(self, first: Sequence[Section], second: Sequence[Section]) -> float:
        """Exact Jaccard similarity of the shingles of two sets of sections (of the index), e.g. two documents
        without their boilerplate sections."""
        if self._section_number is None:
            self._section_number = {section: n for n, section in enumerate(self.sections)}
        number = self._section_number
        return jaccard(
            np.concatenate([self._shingle_set("section", number[s]) for s in first] or [np.zeros(0, _U32)]),
            np.concatenate([self._shingle_set("section", number[s]) for s in second] or [np.zeros(0, _U32)]),
        )

    def shingle_similarity(self, first: str, second: str) -> float:
        """Exact Jaccard similarity of the shingle sets of two documents of the index."""
        first_set = self._shingle_set("file", self.position[first])
        return jaccard(first_set, self._shingle_set("file", self.position[second]))

    # -- topical similarity -------------------------------------------------------------------------------------
    def tfidf(self) -> _Tfidf:
        with self._topical_lock:
            if self._tfidf is None:
                self._tfidf = self._build_tfidf()
            return self._tfidf

    def warm_topical(self, requests: Sequence[tuple[float, float]] = ()) -> None:
        """Start computing the TF-IDF matrix, the document backgrounds and the requested topical pairs
        ((threshold, spreads) each) in a background thread, while the caller does the shingle work.

        Both are mostly numpy and scipy, which release the GIL, so on two cores they overlap (a second off a
        20,000-document run). Every lazy topical result is computed under one lock: a caller that needs one before
        the thread has it waits for it, and if the thread failed, the caller computes it again and sees the error
        itself.
        """
        if self._warming is not None:
            return
        self.corpus()  # pure Python: in the caller's thread, where it would hold the GIL anyway

        def work() -> None:
            try:
                self._backgrounds()
                for threshold, spreads in requests:
                    self.topical_pairs(threshold, spreads=spreads)
            except Exception:  # the caller recomputes what is missing and meets the error there
                logger.debug("warming the topical similarity failed", exc_info=True)

        self._warming = threading.Thread(target=work, name="odyssey-topical", daemon=True)
        self._warming.start()

    def _build_tfidf(self) -> _Tfidf:
        corpus = self.corpus()
        stem_ids: dict[str, int] = {}
        term_of_word = np.full(len(corpus.vocabulary), -1, dtype=np.int64)
        for word, word_id in corpus.vocabulary.items():
            if word in STOPWORDS or word.isdigit() or len(word) < 2 or not any(c.isalpha() for c in word):
                continue
            term_of_word[word_id] = stem_ids.setdefault(stem(word), len(stem_ids))
        n_docs, n_terms = len(self.texts), len(stem_ids)
        terms = term_of_word[corpus.ids]
        docs = corpus.section_doc[corpus.section_of_token]
        keep = terms >= 0
        counts = sparse.coo_matrix((np.ones(int(keep.sum())), (docs[keep], terms[keep])),
                                   shape=(n_docs, max(n_terms, 1))).tocsr()
        counts.sum_duplicates()
        term_totals = np.asarray(counts.sum(axis=1)).ravel()
        document_frequency = np.bincount(counts.indices, minlength=max(n_terms, 1))
        idf = np.log((1.0 + n_docs) / (1.0 + document_frequency)) + 1.0
        weights = counts.copy()
        weights.data = (1.0 + np.log(weights.data)) * idf[weights.indices]
        norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        matrix = sparse.csr_matrix(sparse.diags(1.0 / norms) @ weights)
        # Name each term after its most frequent word form ("training", not "train").
        frequency = np.bincount(corpus.ids, minlength=len(corpus.vocabulary))
        best = np.full(max(n_terms, 1), -1, dtype=np.int64)
        best_count = np.full(max(n_terms, 1), -1, dtype=np.int64)
        words_by_id = list(corpus.vocabulary)
        for word_id in np.flatnonzero(term_of_word >= 0):
            term = term_of_word[word_id]
            if frequency[word_id] > best_count[term]:
                best_count[term], best[term] = frequency[word_id], word_id
        names = [words_by_id[word_id] if word_id >= 0 else "" for word_id in best[:n_terms]]
        return _Tfidf(matrix, idf, term_of_word, names, term_totals, stem_ids)

    def topical_pairs(self, threshold: float = 0.5, eligible: Callable[[str], bool] | None = None,
                      above_background: bool = True,
                      spreads: float = BACKGROUND_SPREADS) -> list[tuple[str, str, float]]:
        """Document pairs (path, path, cosine) with TF-IDF cosine >= ``threshold``, sorted by decreasing cosine.

        With ``above_background`` the cosine must also stand out from both documents' own backgrounds (see
        ``background``): in a repository whose documents share one vocabulary every pair looks similar, and only a
        pair far above what each of its documents scores with anything (``spreads`` robust deviations above its
        median) is about one subject. Documents with fewer than ``TOPICAL_MIN_TERMS`` term occurrences take no part.
        """
        key = (threshold, spreads if above_background else -1.0)
        with self._topical_lock:
            if key not in self._topical:
                self._topical[key] = self._topical_candidates(threshold, spreads if above_background else None)
        found = [
            (self.texts[i].path, self.texts[j].path, cosine)
            for i, j, cosine in self._topical[key]
            if eligible is None or (eligible(self.texts[i].path) and eligible(self.texts[j].path))
        ]
        found.sort(key=lambda item: (-item[2], item[0], item[1]))
        return found

    def background(self, path: str) -> tuple[float, float]:
        """Median and robust spread (1.4826 x the median absolute deviation) of the TF-IDF cosine between the
        document at ``path`` and up to ``BACKGROUND_DOCUMENTS`` documents of the repository taken at random: how
        similar it is to a document that nothing relates to it. Robust statistics, so that its few related
        documents do not raise its bar. (0, 0) for a document with too few terms, or in a very small repository."""
        medians, spreads = self._backgrounds()
        position = self.position[path]
        return float(medians[position]), float(spreads[position])

    def background_bar(self, path: str, spreads: float = BACKGROUND_SPREADS) -> float:
        """The cosine from which another document stands out from this document's background."""
        median, spread = self.background(path)
        return median + spreads * spread

    def _backgrounds(self) -> tuple[np.ndarray, np.ndarray]:
        with self._topical_lock:
            return self._compute_backgrounds()

    def _compute_backgrounds(self) -> tuple[np.ndarray, np.ndarray]:
        if self._background is None:
            tfidf = self.tfidf()
            medians = np.zeros(len(self.texts))
            spreads = np.zeros(len(self.texts))
            rows = np.flatnonzero(tfidf.term_totals >= TOPICAL_MIN_TERMS)
            if len(rows) >= 8:
                sample = rows
                if len(rows) > BACKGROUND_DOCUMENTS:
                    sample = np.sort(np.random.default_rng(0).choice(rows, BACKGROUND_DOCUMENTS, replace=False))
                cosines = (tfidf.matrix[rows] @ tfidf.matrix[sample].T).toarray().astype(np.float32)
                # A sampled document meets itself once among its 150 values: counted as 0, not as 1 (the median
                # barely moves either way, and a plain median is several times faster than a NaN-aware one).
                cosines[np.searchsorted(rows, sample), np.arange(len(sample))] = 0.0
                median = np.median(cosines, axis=1)
                medians[rows] = median
                spreads[rows] = 1.4826 * np.median(np.abs(cosines - median[:, None]), axis=1)
            self._background = (medians, spreads)
        return self._background

    def _topical_candidates(self, threshold: float, spreads: float | None) -> list[tuple[int, int, float]]:
        """Every pair of documents (with enough terms) whose cosine is >= its bar (``threshold``, raised to both
        documents' background bars at ``spreads`` deviations unless None), without forming all n^2 products.

        Terms are split by document frequency: *rare* terms are multiplied out as a sparse product, whose cost is
        the sum of the squared document frequencies, so the rarest terms are taken until that sum reaches
        ``TOPICAL_PRODUCT_BUDGET`` (every term, in repositories of up to a few thousand documents). The other,
        *common*, terms contribute to a cosine at most the product of the two documents' norms over them
        (Cauchy-Schwarz): a pair is a candidate when its rare-term product plus that bound reaches its bar, and
        candidates get their exact cosine. Only documents whose common-term norm is large ("heavy") can reach
        their bar through common terms alone; pairs of two of them are computed all at once (a dense product over
        the common terms plus the sparse rare-term products) when there are at most ``MAX_COMMON_HEAVY`` of them.
        Beyond that -- a repository whose documents all share one vocabulary, where
        their background bars are far above any threshold anyway -- pairs of two such documents are compared only
        when their rare terms alone reach half their bar (debug log), and candidates beyond ``MAX_EXACT_PAIRS`` are
        dropped, weakest bound first: only then is the result approximate.
        """
        tfidf = self.tfidf()
        rows = np.flatnonzero(tfidf.term_totals >= TOPICAL_MIN_TERMS)
        if len(rows) < 2:
            return []
        matrix = sparse.csr_matrix(tfidf.matrix[rows])
        bars = np.full(len(rows), threshold)
        if spreads is not None:
            medians, deviations = self._backgrounds()
            bars = np.maximum(bars, medians[rows] + spreads * deviations[rows])
        frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
        ordered = np.sort(frequency[frequency > 0]).astype(np.float64)
        cost = np.cumsum(ordered**2)
        cap = int(ordered[-1]) if cost[-1] <= TOPICAL_PRODUCT_BUDGET else int(
            ordered[max(int(np.searchsorted(cost, TOPICAL_PRODUCT_BUDGET, side="right")) - 1, 0)])
        rare = sparse.csr_matrix(matrix @ sparse.diags((frequency <= cap).astype(np.float64)))
        common = sparse.csr_matrix(matrix @ sparse.diags((frequency > cap).astype(np.float64)))
        rare.eliminate_zeros()
        common.eliminate_zeros()
        common_norm = np.sqrt(np.asarray(common.multiply(common).sum(axis=1)).ravel())
        is_heavy = common_norm * common_norm.max(initial=0.0) >= bars
        heavy = np.flatnonzero(is_heavy)
        dense_heavy = 1 < len(heavy) <= MAX_COMMON_HEAVY
        if len(heavy) > MAX_COMMON_HEAVY:
            logger.debug("topical pairs: %d documents are mostly common vocabulary; pairs among them are compared "
                         "only when their rare terms alone reach half the threshold", len(heavy))
        firsts: list[np.ndarray] = []
        seconds: list[np.ndarray] = []
        bounds: list[np.ndarray] = []
        rares: list[np.ndarray] = []
        heavy_pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (row, col, rare product) of heavy pairs
        rare_t = sparse.csr_matrix(rare.T)
        for start in range(0, len(rows), TOPICAL_CHUNK):
            block = (rare[start : start + TOPICAL_CHUNK] @ rare_t).tocoo()
            first = block.row.astype(np.int64) + start
            second = block.col.astype(np.int64)
            upper = second > first
            both_heavy = is_heavy[first] & is_heavy[second]
            bound = block.data + common_norm[first] * common_norm[second]
            bar = np.maximum(bars[first], bars[second])
            keep = upper & (bound >= bar) & ~both_heavy
            if dense_heavy:
                chosen = upper & both_heavy
                heavy_pairs.append((first[chosen], second[chosen], block.data[chosen]))
            else:
                keep |= upper & both_heavy & (block.data >= bar / 2)
            firsts.append(first[keep])
            seconds.append(second[keep])
            bounds.append(bound[keep])
            rares.append(block.data[keep])
        first, second = np.concatenate(firsts), np.concatenate(seconds)
        bound, rare_part = np.concatenate(bounds), np.concatenate(rares)
        found: list[tuple[int, int, float]] = []
        if dense_heavy:
            # Pairs of two heavy documents, exactly and at once: the common-term products densely, plus the
            # rare-term products gathered above.
            place = np.full(len(rows), -1)
            place[heavy] = np.arange(len(heavy))
            dense = common[heavy].toarray().astype(np.float32)
            cosines = dense @ dense.T
            for a, b, values in heavy_pairs:
                cosines[place[a], place[b]] += values
            a, b = np.triu_indices(len(heavy), 1)
            values = cosines[a, b]
            chosen = values >= np.maximum(bars[heavy[a]], bars[heavy[b]])
            found.extend(zip(rows[heavy[a[chosen]]].tolist(), rows[heavy[b[chosen]]].tolist(),
                             values[chosen].astype(np.float64).tolist()))
        if len(first) > MAX_EXACT_PAIRS:
            logger.debug("topical pairs: %d candidates, keeping the %d with the highest bound", len(first),
                         MAX_EXACT_PAIRS)
            top = np.argpartition(-bound, MAX_EXACT_PAIRS)[:MAX_EXACT_PAIRS]
            first, second, rare_part = first[top], second[top], rare_part[top]
        # Exact cosine = rare-term product (from the blocks) + common-term product, the latter from dense rows
        # when the common vocabulary is small enough to hold densely.
        common_columns = np.flatnonzero(frequency > cap)
        dense_common = None
        if len(rows) * len(common_columns) <= MAX_DENSE_CELLS:
            dense_common = common[:, common_columns].toarray().astype(np.float32)
        for start in range(0, len(first), EXACT_CHUNK):
            a, b = first[start : start + EXACT_CHUNK], second[start : start + EXACT_CHUNK]
            if dense_common is not None:
                shared = np.einsum("ij,ij->i", dense_common[a], dense_common[b]).astype(np.float64)
            else:
                shared = np.asarray(common[a].multiply(common[b]).sum(axis=1)).ravel()
            cosines = rare_part[start : start + EXACT_CHUNK] + shared
            chosen = cosines >= np.maximum(bars[a], bars[b])
            found.extend(zip(rows[a[chosen]].tolist(), rows[b[chosen]].tolist(), cosines[chosen].tolist()))
        return found

    def nearest(self, path: str, k: int = 1, eligible: Callable[[str], bool] | None = None) -> list[tuple[str, float]]:
        """The ``k`` documents most similar in topic to the document at ``path`` (itself excluded), best first: one
        sparse matrix-vector product over the repository."""
        tfidf = self.tfidf()
        row = self.position[path]
        scores = np.asarray((tfidf.matrix @ tfidf.matrix[row].T).todense()).ravel()
        scores[row] = -1.0
        found: list[tuple[str, float]] = []
        for other in np.argsort(-scores, kind="stable").tolist():
            if scores[other] <= 0 or len(found) == k:
                break
            candidate = self.texts[other].path
            if eligible is None or eligible(candidate):
                found.append((candidate, float(scores[other])))
        return found

    def cosines(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """TF-IDF cosine of each pair of documents, at once."""
        if not pairs:
            return np.zeros(0)
        matrix = self.tfidf().matrix
        first = [self.position[a] for a, _b in pairs]
        second = [self.position[b] for _a, b in pairs]
        return np.asarray(matrix[first].multiply(matrix[second]).sum(axis=1)).ravel()

    def cosine(self, first: str, second: str) -> float:
        matrix = self.tfidf().matrix
        return float(matrix[self.position[first]].multiply(matrix[self.position[second]]).sum())

    def key_terms(self, path: str, k: int = 8) -> list[str]:
        """The ``k`` heaviest terms of a document, as words, heaviest first."""
        tfidf = self.tfidf()
        row = tfidf.matrix[self.position[path]]
        order = np.argsort(-row.data, kind="stable")[:k]
        return [tfidf.term_names[row.indices[i]] for i in order]

    def shared_terms(self, paths: Sequence[str], k: int = 6) -> list[str]:
        """Terms every one of ``paths`` carries, ranked by their smallest weight among them, as words."""
        tfidf = self.tfidf()
        rows = tfidf.matrix[[self.position[path] for path in paths]].toarray()
        weakest = rows.min(axis=0)
        order = [i for i in np.argsort(-weakest, kind="stable")[:k] if weakest[i] > 0]
        return [tfidf.term_names[i] for i in order]

    def query_vector(self, text: str) -> sparse.csr_matrix:
        """TF-IDF vector (1, n_terms) of a text that is not in the repository, with the repository's idf."""
        tfidf = self.tfidf()
        counts: dict[int, int] = {}
        for word in words(text):
            if word in STOPWORDS or word.isdigit():
                continue
            term = tfidf.stem_ids.get(stem(word))
            if term is not None:
                counts[term] = counts.get(term, 0) + 1
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = np.array([(1.0 + math.log(counts[c])) * tfidf.idf[c] for c in columns.tolist()])
        norm = float(np.sqrt((values**2).sum())) or 1.0
        return sparse.csr_matrix((values / norm, columns, [0, len(columns)]), shape=(1, tfidf.matrix.shape[1]))

    def topical_neighbours(self, text: str, k: int = 5, min_score: float = 0.0,
                           eligible: Callable[[str], bool] | None = None) -> list[Neighbour]:
        """The ``k`` documents whose topic is closest to ``text`` (e.g. the draft of a new note), best first."""
        if not self.texts:
            return []
        query = self.query_vector(text)
        scores = np.asarray((self.tfidf().matrix @ query.T).todense()).ravel()
        order = np.argsort(-scores, kind="stable")
        found: list[Neighbour] = []
        tfidf = self.tfidf()
        for row in order.tolist():
            if scores[row] <= min_score or len(found) == k:
                break
            path = self.texts[row].path
            if eligible is not None and not eligible(path):
                continue
            product = tfidf.matrix[row].multiply(query)
            top = np.argsort(-product.data, kind="stable")[:6]
            shared = tuple(tfidf.term_names[product.indices[i]] for i in top)
            found.append(Neighbour(path, float(scores[row]), shared))
        return found


_INDEXES: weakref.WeakKeyDictionary[Any, SimilarityIndex] = weakref.WeakKeyDictionary()


def union_find_groups(pairs: Iterable[tuple[int, int]], count: int) -> list[list[int]]:
    """Connected components (of two or more members) of the graph with ``count`` nodes and edges ``pairs``."""
    parent = list(range(count))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for first, second in pairs:
        a, b = root(first), root(second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for node in range(count):
        groups.setdefault(root(node), []).append(node)
    return [members for members in groups.values() if len(members) > 1]


def average_linkage_groups(scores: Mapping[tuple[str, str], float], threshold: float) -> list[list[str]]:
    """Groups of items in which every member's average score to the rest of its group is >= ``threshold``.

    Agglomerative, strongest pair first; a pair missing from ``scores`` counts as 0, so a chain A~B~C where A and C
    share nothing does not become one group. Deterministic: ties are broken by name.
    """
    group_of: dict[str, int] = {}
    groups: dict[int, list[str]] = {}

    def score(a: str, b: str) -> float:
        return scores.get((a, b), scores.get((b, a), 0.0))

    def linkage(left: list[str], right: list[str]) -> float:
        return sum(score(a, b) for a in left for b in right) / (len(left) * len(right))

    for number, ((a, b), value) in enumerate(sorted(scores.items(), key=lambda item: (-item[1], item[0]))):
        if value < threshold:
            break
        left, right = group_of.get(a), group_of.get(b)
        if left is not None and left == right:
            continue
        members_left = groups.pop(left) if left is not None else [a]
        members_right = groups.pop(right) if right is not None else [b]
        if linkage(members_left, members_right) < threshold:
            for group_id, members in ((left, members_left), (right, members_right)):
                if group_id is not None:
                    groups[group_id] = members
            continue
        groups[number] = members_left + members_right
        for member in groups[number]:
            group_of[member] = number
    return sorted(sorted(members) for members in groups.values())
