"""Geometry checks of annotation objects, one per tool type: raise ValueError saying what the shape must be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.ingest.checks import is_number

Check = Callable[[Any], None]


def _numbers(value: Any, keys: tuple[str, ...], what: str) -> None:
    if not isinstance(value, dict) or not all(is_number(value.get(k)) for k in keys):
        raise ValueError(f"{what} with numeric {', '.join(keys)}")


def bounding_box(value: Any) -> None:
    _numbers(value, ("top", "left", "height", "width"), "an object")
    if value["height"] < 0 or value["width"] < 0:
        raise ValueError("an object whose height and width are 0 or more")


def point(value: Any) -> None:
    _numbers(value, ("x", "y"), "an object")


def _points(minimum: int) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, list) or len(value) < minimum:
            raise ValueError(f"a list of at least {minimum} points {{x, y}}")
        for p in value:
            _numbers(p, ("x", "y"), f"a list of at least {minimum} points, each an object")

    return check


def mask(value: Any) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        raise ValueError("an object with a string url")


def location(value: Any) -> None:
    ok = isinstance(value, dict) and all(type(value.get(k)) is int for k in ("start", "end"))
    if not ok or not 0 <= value["start"] <= value["end"]:
        raise ValueError("an object with integer start and end, 0 <= start <= end")


polygon = _points(3)
line = _points(2)
