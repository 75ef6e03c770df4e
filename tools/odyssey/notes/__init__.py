"""``odyssey notes``: structured notes, memory that does not rot.

Agents (and people) that keep Markdown as memory write a new file instead of updating the old one, put it in the
wrong place, link it from nowhere and never clean up. This package gives them the mechanism to do better:

- ``odyssey notes new --kind K --title T`` first looks for an existing note that already covers the topic (same or
  overlapping title, shared tags, near-duplicate or topically similar text) and, when one does, names it and exits 1
  ("update that one instead"; ``--force`` creates anyway). Otherwise it writes the note where the configuration
  says, under a conforming, non-colliding name, with complete frontmatter.
- ``supersede``, ``archive`` and ``adopt`` edit frontmatter surgically (only the keys they touch change; the body
  and every other byte stay as they were) and atomically (temporary file + ``os.replace``).
- ``list`` shows notes by kind, status and age (``--stale DAYS``); ``index`` regenerates the notes directory's
  README.md; the ``notes`` check family (NTS) keeps the index current and the frontmatter valid.

The note format
    A note is a Markdown file below the notes directory (default ``notes/``; ``[notes] directory``, else the first
    directory of the ``note`` document kind), other than the generated index (``README.md``), any other
    ``README.md``/``index.md``, and paths matching ``[notes] exclude``. Its YAML frontmatter::

        ---
        title: Where odyssey's time goes when parsing Markdown
        kind: analysis          # one of [notes] kinds: review, decision, analysis, journal, plan by default
        status: active          # active | superseded | archived
        created: 2026-11-26     # YYYY-MM-DD
        updated: 2026-11-26     # YYYY-MM-DD, never earlier than created
        tags: [odyssey, performance]
        related: [decision-document-model.md]
        superseded_by: analysis-parse-cost-2.md   # only, and always, when status is superseded
        ---

    ``title``, ``kind``, ``status``, ``created`` and ``updated`` are required; ``tags``, ``related`` and
    ``superseded_by`` are optional; other keys are errors unless listed in ``[notes] extra-keys``. The schema is
    ``odyssey/schemas/note.schema.json`` (its ``kind`` list is replaced by ``[notes] kinds``).

    Paths in ``related`` and ``superseded_by`` are relative to the note itself, like a Markdown link written in it:
    from ``notes/reviews/a.md``, ``b.md`` is ``notes/reviews/b.md`` and ``../plan.md`` is ``notes/plan.md``. A path
    starting with ``/`` is relative to the repository root; URLs are allowed in ``related`` and never checked.

Layout
    ``[notes] kind-dirs`` maps kinds to subdirectories of the notes directory (``review = "reviews"`` puts new reviews
    in ``notes/reviews/``); by default every note sits flat in ``notes/``.
"""

from __future__ import annotations
