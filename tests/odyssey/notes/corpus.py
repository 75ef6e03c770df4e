"""A realistic notes directory of an agent-maintained ML repository, and notes an agent might write next.

``NOTES`` are existing notes (path -> file text): several topics, overlapping vocabulary (every note talks about
training, the model, the data), one note without frontmatter, one superseded note. ``PARAPHRASES`` restate an
existing note's content in other words (not copies) under a different title; ``UNRELATED`` are new topics that share
the repository's general vocabulary but no note's topic. The matching tests expect every paraphrase to be caught and
no unrelated note to be.
"""

from __future__ import annotations


def note(title: str, kind: str, body: str, *, status: str = "active", created: str = "2026-10-01",
         updated: str | None = None, tags: str = "", extra: str = "") -> str:
    lines = ["---", f"title: {title}", f"kind: {kind}", f"status: {status}", f"created: {created}",
             f"updated: {updated or created}", f"tags: [{tags}]"]
    if extra:
        lines.append(extra)
    return "\n".join([*lines, "---", "", f"# {title}", "", body.strip(), ""])


NOTES: dict[str, str] = {
    "notes/tokenizer-merge-analysis.md": note(
        "BPE merge table growth in the tokenizer", "analysis", """
We measured how the byte-pair encoding merge table grows as the training corpus grows. With 10 MB of text the
tokenizer learns 31,000 merges before the frequency cutoff; with 100 MB it learns 47,000. Most new merges join rare
subword fragments from code snippets and URLs, which inflates the vocabulary without improving compression of
ordinary prose.

Capping the merges at 32,000 keeps the vocabulary within the embedding budget and loses under 1% compression on the
validation set. Filtering URLs before training removes about a third of the rare merges.
""", created="2026-10-02", updated="2026-10-05", tags="tokenizer, bpe"),
    "notes/learning-rate-warmup.md": note(
        "Learning rate warmup and loss spikes", "analysis", """
Training loss spiked at step 400 on every seed with the default schedule. The warmup lasted 100 steps and the peak
learning rate was 1e-3, so Adam's second-moment estimates were still noisy when the rate reached its peak.
Lengthening the warmup to 2,000 steps and lowering the peak to 3e-4 removed the spikes; final validation loss
improved by 0.02.
""", created="2026-10-10", tags="training, optimizer"),
    "notes/decision-mixed-precision.md": note(
        "Train in bfloat16 mixed precision", "decision", """
We train with bfloat16 autocast and keep master weights in float32. float16 needed loss scaling and still overflowed
in the attention logits; bfloat16 has float32's exponent range, so no scaler is needed. Throughput rose by 1.8x on
the A100s and the loss curves match float32 within noise over 20,000 steps.
""", created="2026-09-20", tags="training, performance"),
    "notes/review-data-loader.md": note(
        "Review of the data loader", "review", """
The loader reads shards with four worker processes and shuffles within a 10,000-example buffer. Problems found:
workers reseed from the same global seed, so every worker yields the same order on restart; the last partial batch
is dropped silently; and corrupt JSON lines raise inside a worker, which kills the whole epoch. Recommended: seed
each worker from its id, keep the partial batch, and skip corrupt lines with a counter.
""", created="2026-10-15", tags="data, review"),
    "notes/plan-evaluation-harness.md": note(
        "Plan for the evaluation harness", "plan", """
Build one harness that runs every benchmark (perplexity on the held-out set, the reading-comprehension suite, code
completion pass@1) against a checkpoint and writes a JSON report. Milestones: a runner with a registry of tasks; CI
that evaluates the nightly checkpoint; a dashboard comparing the last ten checkpoints.
""", created="2026-10-20", tags="evaluation, planning"),
    "notes/journal-cluster-outage.md": note(
        "Cluster outage on 2026-11-03", "journal", """
The shared file system went read-only at 02:10 and every training job crashed while writing checkpoints. Jobs that
checkpoint every 1,000 steps lost up to 40 minutes. We moved checkpoint writes to local disk with an asynchronous
upload, and the scheduler now retries jobs that fail with I/O errors.
""", created="2026-11-03", tags="infrastructure"),
    "notes/decision-vocabulary-size.md": note(
        "Vocabulary size of 32k", "decision", """
We fix the tokenizer vocabulary at 32,000 entries. Larger vocabularies gave no measurable gain in validation loss
per byte and cost 50 MB more embedding parameters.
""", created="2026-10-06", tags="tokenizer", extra="related: [tokenizer-merge-analysis.md]"),
    "notes/plan-q3.md": note(
        "Q3 plan", "plan", """
Ship the data loader fixes, start the evaluation harness, and reach 1.3 validation loss on the 350M model.
""", status="superseded", created="2026-07-01", updated="2026-08-01", tags="planning",
        extra="superseded_by: plan-q3-revised.md"),
    "notes/plan-q3-revised.md": note(
        "Q3 plan, revised after the August review", "plan", """
The data loader fixes shipped; the evaluation harness moves to Q4. New goal: 1.35 validation loss on the 350M model
by the end of September, with bfloat16 training to make up the lost time.
""", created="2026-08-02", tags="planning", extra="related: [plan-q3.md]"),
    "notes/gpu-memory.md": """# GPU memory notes

Activation checkpointing on every other transformer block cut peak memory from 71 GB to 44 GB per GPU at a 23%
slowdown. With it the 1.3B model fits with a micro-batch of 8 sequences of 2,048 tokens.
""",
}

# Same content as an existing note, other words and another title: (new title, kind, tags, body, note it restates).
PARAPHRASES: list[tuple[str, str, str, str, str]] = [
    ("How the tokenizer vocabulary grows with corpus size", "analysis", "", """
The tokenizer's vocabulary keeps growing when we feed it more training text. On a small corpus the byte-pair merges
stop around thirty thousand; a corpus ten times larger produces far more merges, mostly for rare pieces of source
code and web addresses. Those merges bloat the vocabulary but do not make normal English text any shorter. We should
limit the number of merges and strip URLs from the corpus before training the tokenizer.
""", "notes/tokenizer-merge-analysis.md"),
    ("Why the loss jumps early in training", "analysis", "training", """
Early in every run the loss shoots up around step 400. The optimizer reaches the full learning rate after only 100
warmup steps, before Adam's variance estimates have settled. A longer warmup (2k steps) and a smaller peak rate fix
the spikes and give a slightly lower validation loss at the end.
""", "notes/learning-rate-warmup.md"),
    ("Problems in the dataset loading code", "review", "data", """
Looked at how shards are loaded and shuffled. Every worker process starts from the same seed, so after a restart all
workers produce identical orderings. The final incomplete batch disappears without a warning, and one malformed
JSON record in a shard crashes a worker and ends the epoch. Each worker should derive its seed from its worker id,
partial batches should be kept, and bad records skipped and counted.
""", "notes/review-data-loader.md"),
    ("Switch training to bf16", "decision", "", """
Mixed precision with bf16 autocast, float32 master weights. With fp16 we needed a loss scaler and the attention
logits still overflowed; bf16 shares the exponent range of float32 so the scaler goes away. About 1.8 times faster
on A100 GPUs, and training curves are indistinguishable from full precision.
""", "notes/decision-mixed-precision.md"),
    ("Saving GPU memory with activation checkpointing", "analysis", "memory", """
Recomputing activations for every second transformer block lowers peak GPU memory from 71 GB to 44 GB, costing
about a quarter of the step time, which lets the 1.3B model train with micro-batches of 8 at 2,048 tokens.
""", "notes/gpu-memory.md"),
]

# The next plan: its topic is the revised Q3 plan's, so it is caught unless it says it supersedes it.
NEXT_PLAN = ("Q4 plan", "plan", "planning", """
Finish the evaluation harness, train the 1.3B model to 1.2 validation loss, and publish the model card.
""")

# New topics: (title, kind, tags, body).
UNRELATED: list[tuple[str, str, str, str]] = [
    ("Gradient clipping threshold", "decision", "training, optimizer", """
We clip the global gradient norm at 1.0. Without clipping, rare batches with very long sequences produced gradient
norms above 50 and the loss never recovered; thresholds of 0.5 and 2.0 behaved the same as 1.0 on the 350M model.
"""),
    ("Review of the checkpoint format", "review", "infrastructure", """
Checkpoints are single 14 GB pickle files. Loading one takes four minutes because every tensor is deserialised
before the model exists. Proposed: safetensors shards of 2 GB, loaded lazily, plus a manifest with the step number
and the optimizer state location.
"""),
    ("Tokenizer handling of Unicode normalisation", "analysis", "tokenizer", """
Text is not NFC-normalised before tokenization, so the same accented word appears under two or three different
token sequences depending on how the source encoded it. Normalising to NFC at ingestion removes the duplicates.
"""),
    ("Journal: first week on the project", "journal", "", """
Set up the development environment, read the architecture overview, and ran the small model end to end on one GPU.
Questions for Monday: who owns the tokenizer, and where are the benchmark results kept?
"""),
]

# The rest of the repository: the similarity index weighs words by how many of all documents use them.
OTHER_DOCUMENTS: dict[str, str] = {
    "README.md": """# Tokenizer lab

A 350M and a 1.3B language model trained from scratch. See the [notes](notes/README.md) and the
[training guide](docs/guide.md).

## Training

Run `python train.py --config configs/350m.yaml`. Checkpoints are written every 1,000 steps; the evaluation runs on
the held-out set after each checkpoint.
""",
    "docs/guide.md": """# Training guide

The model trains on 8 GPUs with data parallelism. Set the learning rate schedule, the batch size and the number of
steps in the config. The data loader reads shards; the tokenizer is trained beforehand on the same corpus.
""",
}
