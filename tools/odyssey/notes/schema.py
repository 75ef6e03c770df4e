"""The note frontmatter schema (``schemas/note.schema.json``) with the configured kinds, and its errors in words.

``problems(data)`` validates one note's frontmatter and returns one ``SchemaProblem`` per key at fault (the key that
is missing, unknown or has a bad value), phrased for a human: a did-you-mean for misspelt keys and enum values, the
expected shape from the schema's ``description`` for bad values.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema

from odyssey.notes.model import KEY_ORDER, NotesSettings, jsonable
from odyssey.suggest import did_you_mean, shown

# What agents write instead of the note keys.
KEY_ALIASES = {
    "date": "created",
    "created_at": "created",
    "created-at": "created",
    "last_updated": "updated",
    "updated_at": "updated",
    "updated-at": "updated",
    "modified": "updated",
    "type": "kind",
    "category": "kind",
    "state": "status",
    "tag": "tags",
    "keywords": "tags",
    "see_also": "related",
    "see-also": "related",
    "links": "related",
    "superseded-by": "superseded_by",
    "supersededBy": "superseded_by",
    "replaced_by": "superseded_by",
    "name": "title",
}


@dataclass(frozen=True)
class SchemaProblem:
    key: str | None  # the frontmatter key at fault; None for the frontmatter as a whole
    message: str


@functools.lru_cache(maxsize=1)
def base_schema_text() -> str:
    return resources.files("odyssey").joinpath("schemas/note.schema.json").read_text(encoding="utf-8")


def note_schema(settings: NotesSettings) -> dict[str, Any]:
    """The shipped schema with ``kind`` limited to the configured kinds and the extra keys allowed."""
    schema: dict[str, Any] = copy.deepcopy(json.loads(base_schema_text()))
    kind = schema["properties"]["kind"]
    kind["enum"] = list(settings.kinds)
    kind["description"] = "one of " + ", ".join(settings.kinds)
    for key in settings.extra_keys:
        schema["properties"].setdefault(key, {})
    return schema


def _where(error: jsonschema.ValidationError) -> str:
    parts = list(error.path)
    text = f"'{parts[0]}'"
    for part in parts[1:]:
        text += f" item {part + 1}" if isinstance(part, int) else f".{part}"
    return text


class NoteValidator:
    """Validates note frontmatter against the configured schema."""

    def __init__(self, settings: NotesSettings) -> None:
        self.schema = note_schema(settings)
        self.validator = jsonschema.Draft202012Validator(
            self.schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        self.known_keys = list(self.schema["properties"])

    def problems(self, data: Mapping[str, Any]) -> list[SchemaProblem]:
        """One problem per key at fault, in frontmatter key order (required keys that are missing come first)."""
        instance = jsonable(dict(data))
        missing: list[str] = []
        unknown: list[str] = []
        by_key: dict[str, jsonschema.ValidationError] = {}
        for error in self.validator.iter_errors(instance):
            if not error.path and error.validator == "required":
                missing.extend(key for key in error.validator_value if key not in instance and key not in missing)
            elif not error.path and error.validator == "additionalProperties":
                unknown.extend(key for key in instance if key not in self.schema["properties"] and key not in unknown)
            elif error.path:
                key = str(error.path[0])
                current = by_key.get(key)
                if current is None or len(error.path) < len(current.path):
                    by_key[key] = error  # the shallowest error of a key says what is wrong with the value as a whole
            else:
                return [SchemaProblem(None, f"frontmatter is invalid: {error.message}")]
        found: list[SchemaProblem] = []
        hints = {key: KEY_ALIASES.get(key) or did_you_mean(key, self.known_keys) for key in unknown}
        for key in missing:
            message = f"required key '{key}' is missing"
            typo = next((u for u in unknown if hints[u] == key), None)
            if typo is not None:
                message += f" ('{typo}' looks like a misspelling of it)"
            found.append(SchemaProblem(None, message))
        for key in unknown:
            hint = hints[key]
            message = f"unknown key '{key}' in note frontmatter"
            message += f"; did you mean '{hint}'?" if hint else "; allow it with [notes] extra-keys"
            found.append(SchemaProblem(key, message))
        order = {key: index for index, key in enumerate(KEY_ORDER)}
        for key, error in sorted(by_key.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
            found.append(SchemaProblem(key, self.value_message(error)))
        return found

    @staticmethod
    def value_message(error: jsonschema.ValidationError) -> str:
        where = _where(error)
        schema = error.schema if isinstance(error.schema, dict) else {}
        description = schema.get("description")
        if error.validator == "uniqueItems":
            return f"{where} lists the same value twice"
        if not description:
            return f"invalid {where}: {error.message}"
        message = f"invalid {where}: {shown(error.instance)}; expected {description}"
        if isinstance(error.instance, str) and "enum" in schema:
            suggestion = did_you_mean(error.instance, [str(v) for v in schema["enum"]], cutoff=0.7)
            if suggestion and suggestion != error.instance:
                message += f" (did you mean '{suggestion}'?)"
        return message
