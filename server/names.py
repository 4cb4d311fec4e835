"""Name spellings: the API speaks camelCase, export lines and the database snake_case."""

from __future__ import annotations

import re

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    """`mimeType` → `mime_type`, `frameRate` → `frame_rate`; a snake_case name stays as it is."""
    return _CAMEL_HUMP.sub("_", name).lower()
