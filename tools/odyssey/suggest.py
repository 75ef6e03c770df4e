"""The wording shared by findings that quote a bad value and suggest the intended one."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import Any


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest candidate: same letters ignoring case and ``-``/``_``, else the most similar spelling."""
    pool = sorted(candidates)
    folded = {re.sub(r"[-_]", "", c).casefold(): c for c in pool}
    key = re.sub(r"[-_]", "", word).casefold()
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    if not close:
        hit = difflib.get_close_matches(key, list(folded), n=1, cutoff=cutoff)
        close = [folded[hit[0]]] if hit else []
    return close[0] if close else None


def shown(value: Any) -> str:
    """A value as a message quotes it: strings in quotes, empty ones named, anything else as short JSON."""
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        return f"'{value}'" if value.strip() else "an empty string"
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
