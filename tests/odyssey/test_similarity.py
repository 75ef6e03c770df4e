"""odyssey.similarity: normalization, the document text model, MinHash/LSH against datasketch and exact Jaccard,
TF-IDF against a hand-computed example, exact topical pairs against brute force, grouping."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

import odyssey.similarity as similarity
from odyssey.document import parse_document
from odyssey.similarity import (
    MinHasher,
    SimilarityIndex,
    TextOptions,
    affine32_permutations,
    average_linkage_groups,
    document_text,
    estimated_jaccard,
    jaccard,
    lsh_candidates,
    lsh_parameters,
    minhash_reference,
    shingle_hashes,
    stem,
    union_find_groups,
    words,
)


def doc(path: str, text: str):  # type: ignore[no-untyped-def]
    return parse_document(path, text.encode("utf-8"))


def index_of(files: dict[str, str], options: TextOptions | None = None) -> SimilarityIndex:
    return SimilarityIndex.from_documents([doc(path, text) for path, text in files.items()], options)


# -- words ----------------------------------------------------------------------------------------------------------
def test_words_drop_case_markup_punctuation_and_apostrophes() -> None:
    assert words("**Don't** call `train_epoch()` -- use the *Trainer*!") == [
        "dont", "call", "train", "epoch", "use", "the", "trainer"]
    # NFKC and the non-ASCII path: fullwidth letters fold, accents stay.
    assert words("Ｆｕｌｌｗｉｄｔｈ naïve café's") == ["fullwidth", "naïve", "cafés"]


@pytest.mark.parametrize(("word", "expected"), [
    ("training", "train"), ("trained", "train"), ("trains", "train"), ("batches", "batch"),
    ("libraries", "library"), ("running", "run"), ("cached", "cach"), ("cache", "cach"), ("speed", "speed"),
    ("class", "class"), ("thing", "thing"), ("float32", "float32"), ("bus", "bus"),
])
def test_light_stemmer(word: str, expected: str) -> None:
    assert stem(word) == expected


# -- the text of a document -----------------------------------------------------------------------------------------
SAMPLE = """---
title: Training guide
tags: [training]
---

# Training guide

Intro paragraph with a [link](other.md) and **bold** text.

## Setup

- first item of a tight list
- second item of the list

| Setting | Value |
|---|---|
| batch | 32 |

```bash
pip install -e .
```

<!-- TODO: an invisible comment -->

## License

This project is licensed under the MIT License.

## Usage

TODO
"""


def test_document_text_sections_passages_and_lines() -> None:
    text = document_text(doc("docs/guide.md", SAMPLE))
    headings = [(s.heading, s.level, s.line, s.end_line) for s in text.sections]
    # The License section is license text: left out by default.
    assert headings == [("Training guide", 1, 6, 8), ("Setup", 2, 10, 17), ("Usage", 2, 29, 31)]
    setup = text.sections[1]
    kinds = [(p.kind, p.line, p.end_line) for p in setup.passages]
    # The tight list is one passage, the table another; the code block and the HTML comment are not text.
    assert kinds == [("heading", 10, 10), ("paragraph", 12, 13), ("table", 15, 17)]
    assert setup.passages[1].words == ("first", "item", "of", "a", "tight", "list", "second", "item", "of", "the",
                                       "list")
    assert text.sections[0].passages[1].key == "intro paragraph with a link and bold text"
    assert text.sections[2].placeholder and not text.sections[1].placeholder
    assert all("mit" not in p.words for p in text.passages)


def test_text_options_bring_code_frontmatter_and_license_in() -> None:
    options = TextOptions(include_code=True, include_frontmatter=True, include_license=True)
    text = document_text(doc("docs/guide.md", SAMPLE), options)
    kinds = {p.kind for p in text.passages}
    assert {"code", "frontmatter"} <= kinds
    assert any(p.words == ("pip", "install", "e") for p in text.passages)
    assert any("license" == s.heading.lower() for s in text.sections if s.heading)
    assert any(p.words[:2] == ("title", "training") for p in text.passages)


# -- MinHash --------------------------------------------------------------------------------------------------------
def test_permutations_are_datasketchs() -> None:
    a, b = affine32_permutations(128, 1)
    expected_a, expected_b = MinHash(num_perm=128, seed=1, scheme="affine32").permutations
    assert np.array_equal(a, expected_a) and np.array_equal(b, expected_b)


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
def test_lsh_parameters_keep_recall_at_the_threshold(threshold: float) -> None:
    bands, rows = lsh_parameters(threshold, 128)
    assert bands * rows <= 128
    assert 1 - (1 - threshold**rows) ** bands >= 0.9
    # One more row per band would lose the recall: the parameters are as selective as the recall allows.
    assert 1 - (1 - threshold ** (rows + 1)) ** (128 // (rows + 1)) < 0.9
    # datasketch's optimum, for comparison, trades recall at the threshold for fewer false candidates.
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    assert 1 - (1 - threshold**lsh.r) ** lsh.b <= 1 - (1 - threshold**rows) ** bands


def test_vectorised_signatures_equal_datasketch_one_value_at_a_time() -> None:
    rng = np.random.default_rng(7)
    sets = [rng.integers(0, 2**32, size, dtype=np.uint32) for size in (1, 5, 40, 300)]
    hashes = np.concatenate(sets)
    owners = np.repeat(np.arange(len(sets) + 1), [len(s) for s in sets] + [0])  # the last set is empty
    signatures, present = MinHasher().signatures(hashes, owners[: len(hashes)], len(sets) + 1)
    for row, values in enumerate(sets):
        assert np.array_equal(signatures[row], minhash_reference(values.tolist()))
    assert present.tolist() == [True] * len(sets) + [False]
    assert (signatures[-1] == np.iinfo(np.uint32).max).all()


def random_text(rng: random.Random, vocabulary: list[str], length: int) -> list[str]:
    return [rng.choice(vocabulary) for _ in range(length)]


def test_minhash_estimates_follow_exact_jaccard_on_random_texts() -> None:
    """Pairs of random texts sharing a random share of their words: the MinHash estimate stays within four
    standard deviations (sqrt(J(1-J)/P)) of the exact Jaccard of the shingle sets, and has no bias overall."""
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(400)]
    files = {}
    for pair in range(40):
        base = random_text(rng, vocabulary, 200)
        edited = list(base)
        for _ in range(rng.randint(0, 60)):  # word substitutions: Jaccard from 1 down to ~0.1
            edited[rng.randrange(len(edited))] = rng.choice(vocabulary)
        files[f"a{pair}.md"] = " ".join(base)
        files[f"b{pair}.md"] = " ".join(edited)
    index = index_of(files)
    signatures, _present = index.signatures("file")
    errors = []
    for pair in range(40):
        first, second = index.position[f"a{pair}.md"], index.position[f"b{pair}.md"]
        exact = index.shingle_similarity(f"a{pair}.md", f"b{pair}.md")
        estimate = float(estimated_jaccard(signatures, np.array([[first, second]]))[0])
        sigma = math.sqrt(max(exact * (1 - exact), 1e-4) / index.minhasher.num_perm)
        assert abs(estimate - exact) <= 4 * sigma + 1e-9, (pair, estimate, exact)
        errors.append(estimate - exact)
    assert abs(float(np.mean(errors))) < 0.02


def test_lsh_recall_at_the_threshold_matches_the_s_curve() -> None:
    """Random sets with Jaccard exactly at the threshold become candidates about as often as the banding promises
    (1 - (1 - J^r)^b), and sets far below it rarely do."""
    threshold = 0.7
    bands, rows = lsh_parameters(threshold)
    rng = np.random.default_rng(11)
    hasher = MinHasher()

    def pairs_at(similarity: float, count: int) -> float:
        hashes, owners = [], []
        for pair in range(count):
            # |A| = |B| = 100 with `shared` common elements: J = shared / (200 - shared).
            shared = round(200 * similarity / (1 + similarity))
            common = rng.integers(0, 2**32, shared, dtype=np.uint32)
            only_a = rng.integers(0, 2**32, 100 - shared, dtype=np.uint32)
            only_b = rng.integers(0, 2**32, 100 - shared, dtype=np.uint32)
            for number, values in ((2 * pair, np.concatenate([common, only_a])),
                                   (2 * pair + 1, np.concatenate([common, only_b]))):
                hashes.append(values)
                owners.append(np.full(len(values), number))
        signatures, _present = hasher.signatures(np.concatenate(hashes), np.concatenate(owners), 2 * count)
        found = {tuple(p) for p in lsh_candidates(signatures, bands, rows).tolist()}
        return sum((2 * pair, 2 * pair + 1) in found for pair in range(count)) / count

    expected = 1 - (1 - threshold**rows) ** bands
    assert expected >= 0.9
    assert pairs_at(threshold, 400) >= expected - 0.06
    assert pairs_at(0.3, 400) <= 0.05


def test_shingles_stay_inside_segments() -> None:
    word_hashes = np.arange(1, 9, dtype=np.uint32)
    segments = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    hashes, owners = shingle_hashes(word_hashes, segments, 3)
    assert owners.tolist() == [0, 1, 1, 1]  # one shingle in the 3-word segment, three in the 5-word one
    short, short_owners = shingle_hashes(word_hashes[:2], np.array([0, 0]), 5)
    assert len(short) == 1 and short_owners.tolist() == [0]  # a segment shorter than a shingle: one shingle
    assert len(set(hashes.tolist())) == 4


def test_near_duplicates_finds_an_edited_copy_and_not_a_sibling() -> None:
    guide = " ".join(f"Sentence number {i} of the training guide explains step {i} of the procedure."
                     for i in range(30))
    edited = guide.replace("step 7 of", "stage seven of").replace("number 12", "no. 12")
    sibling = " ".join(f"Sentence number {i} of the evaluation guide covers metric {i} of the report."
                       for i in range(30))
    index = index_of({"docs/training.md": guide, "notes/copy.md": edited, "docs/evaluation.md": sibling})
    pairs = index.near_duplicates("file", 0.7, 30)
    assert [(p.first.path, p.second.path) for p in pairs] == [("docs/training.md", "notes/copy.md")]
    assert pairs[0].similarity == pytest.approx(index.shingle_similarity("docs/training.md", "notes/copy.md"))
    assert 0.7 <= pairs[0].similarity < 1.0
    assert pairs[0].first.line == 1 and pairs[0].first.end_line == 1


def test_jaccard() -> None:
    assert jaccard(np.array([1, 2, 3, 3]), np.array([2, 3, 4])) == pytest.approx(0.5)
    assert jaccard(np.array([], dtype=np.uint32), np.array([], dtype=np.uint32)) == 1.0


# -- TF-IDF ---------------------------------------------------------------------------------------------------------
def test_tfidf_matches_a_hand_computed_example() -> None:
    """Three documents; "the" is a stop word, "apple" and "apples" are one term, named by its first form.

    n = 3; document frequencies: apple 1, banana 2, cherry 2, date 1.
    idf = ln((1 + n) / (1 + df)) + 1: apple = date = ln 2 + 1 = 1.693147, banana = cherry = ln(4/3) + 1 = 1.287682.
    Document 0, "apple banana the apples": tf apple 2 -> 1 + ln 2 = 1.693147, banana 1 -> 1.
      weights: apple 1.693147 * 1.693147 = 2.866747, banana 1.287682; norm sqrt(2.866747^2 + 1.287682^2) = 3.142669
      normalized: apple 0.912202, banana 0.409742.
    Document 1, "banana cherry": both 1.287682, normalized 0.707107 each.
    Document 2, "cherry date": cherry 1.287682, date 1.693147; norm 2.127175; normalized 0.605349, 0.795961.
    cos(0, 1) = 0.409742 * 0.707107 = 0.289731; cos(1, 2) = 0.707107 * 0.605349 = 0.428046; cos(0, 2) = 0.
    """
    index = index_of({"a.md": "apple banana the apples", "b.md": "banana cherry", "c.md": "cherry date"})
    tfidf = index.tfidf()
    weights = {tfidf.term_names[column]: value
               for column, value in zip(tfidf.matrix[0].indices, tfidf.matrix[0].data)}
    assert weights == pytest.approx({"apple": 0.912202, "banana": 0.409742}, abs=1e-6)
    assert index.cosine("a.md", "b.md") == pytest.approx(0.289731, abs=1e-6)
    assert index.cosine("b.md", "c.md") == pytest.approx(0.428046, abs=1e-6)
    assert index.cosine("a.md", "c.md") == 0.0
    assert index.key_terms("a.md", 2) == ["apple", "banana"]
    assert index.shared_terms(["b.md", "c.md"]) == ["cherry"]


def topical_corpus(seed: int, documents: int = 60) -> dict[str, str]:
    """Documents mixing a few of twelve topics (each with its own words) with common filler words."""
    rng = random.Random(seed)
    topics = [[f"topic{t}word{w}" for w in range(15)] for t in range(12)]
    filler = [f"common{w}" for w in range(40)]
    files = {}
    for number in range(documents):
        chosen = rng.sample(range(12), rng.choice((1, 1, 2, 3)))
        text = [rng.choice(topics[rng.choice(chosen)]) for _ in range(60)] + [rng.choice(filler) for _ in range(40)]
        files[f"doc{number:03d}.md"] = " ".join(text)
    return files


@pytest.mark.parametrize(("budget", "dense_cells"), [
    (5e7, 20_000_000),  # every term rare: one sparse product
    (50.0, 20_000_000),  # almost every term common: dense products over them
    (50.0, 0),  # common terms, kept sparse
])
def test_topical_pairs_are_exactly_the_pairs_above_the_threshold(budget: float, dense_cells: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(similarity, "TOPICAL_PRODUCT_BUDGET", budget)
    monkeypatch.setattr(similarity, "MAX_DENSE_CELLS", dense_cells)
    index = index_of(topical_corpus(5))
    paths = [text.path for text in index.texts]
    brute = {(a, b) for a, b in itertools.combinations(paths, 2) if index.cosine(a, b) >= 0.3}
    found = {(a, b) for a, b, _cosine in index.topical_pairs(0.3, above_background=False)}
    assert brute and found == brute


def test_background_raises_the_bar_when_every_document_shares_one_vocabulary() -> None:
    """Thirty documents drawn from one vocabulary are all alike, so none stands out; two documents about their own
    subject, added to them, are measured against their own (low) background and stand out together."""
    rng = random.Random(1)
    vocabulary = [f"word{i}" for i in range(30)]
    files = {f"doc{i}.md": " ".join(random_text(rng, vocabulary, 120)) for i in range(30)}
    own = [f"subject{i}" for i in range(25)]
    files["planted-a.md"] = " ".join(random_text(rng, own, 80) + random_text(rng, vocabulary, 40))
    files["planted-b.md"] = " ".join(random_text(rng, own, 80) + random_text(rng, vocabulary, 40))
    index = index_of(files)
    median, spread = index.background("doc0.md")
    assert median > 0.5 and index.background_bar("doc0.md") > 0.8
    assert index.background_bar("planted-a.md") < 0.5
    assert [(a, b) for a, b, _c in index.topical_pairs(0.4)] == [("planted-a.md", "planted-b.md")]
    assert len(index.topical_pairs(0.4, above_background=False)) > 100  # without the bar, every pair


def test_topical_neighbours_of_a_new_text() -> None:
    files = topical_corpus(9)
    index = index_of(files)
    query = " ".join(f"topic3word{w}" for w in range(15))
    found = index.topical_neighbours(query, k=3)
    assert len(found) == 3 and found[0].score >= found[1].score >= found[2].score > 0
    assert all(any(term.startswith("topic3") for term in n.shared_terms) for n in found)
    only = index.topical_neighbours(query, k=2, eligible=lambda path: path == found[2].path)
    assert [n.path for n in only] == [found[2].path]
    assert index.nearest(found[0].path, 1)[0][1] == pytest.approx(
        max(index.cosine(found[0].path, p) for p in files if p != found[0].path))


# -- grouping -------------------------------------------------------------------------------------------------------
def test_union_find_groups() -> None:
    assert union_find_groups([(0, 1), (1, 2), (4, 5)], 6) == [[0, 1, 2], [4, 5]]


def test_average_linkage_does_not_chain_unrelated_ends() -> None:
    scores = {("a", "b"): 0.8, ("b", "c"): 0.7}  # a and c share nothing
    assert average_linkage_groups(scores, 0.5) == [["a", "b"]]
    scores[("a", "c")] = 0.6
    assert average_linkage_groups(scores, 0.5) == [["a", "b", "c"]]
