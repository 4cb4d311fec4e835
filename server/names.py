"""Name spellings, each in one place: the API speaks camelCase, export lines and the database snake_case, and an
ontology feature's `value` is a slug of its display name.

- `snake_case` / `camel_case`: one identifier in the two spellings (`mimeType` ↔ `mime_type`). `camel_case` is the
  GraphQL name the schema gives a Python field (Strawberry's auto camel case, which the server may not import;
  `tests/test_names.py` holds the two equal on every input field of the schema).
- `feature_value`: what a display name ("Traffic Light") becomes as a feature's `value` (`traffic_light`): any run of
  characters other than ASCII letters and digits is one underscore, as Labelbox makes it; not an identifier
  conversion (`snake_case("Traffic Light")` is `traffic light`).

The frozen migrations keep their own copies: a revision never changes with the code."""

from __future__ import annotations

import re

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_ALNUM = re.compile(r"[^0-9a-zA-Z]+")


def snake_case(name: str) -> str:
    """`mimeType` → `mime_type`, `frameRate` → `frame_rate`; a snake_case name stays as it is."""
    return _CAMEL_HUMP.sub("_", name).lower()


def camel_case(name: str) -> str:
    """`include_embeddings` → `includeEmbeddings`: each part after an underscore capitalized (an empty part, from a
    doubled or trailing underscore, stays an underscore), as Strawberry names a field in the schema."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() if part else "_" for part in rest)


def feature_value(name: str) -> str:
    """A feature's `value`: its display name in snake_case ("Traffic Light" → "traffic_light", "trafficLight" →
    "traffic_light", " Car (parked) " → "car_parked")."""
    humped = _CAMEL_HUMP.sub("_", name.strip())
    return _NOT_ALNUM.sub("_", humped).strip("_").lower()
