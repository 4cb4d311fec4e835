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


def composite_mask(value: Any) -> None:
    color = value.get("color_rgb") if isinstance(value, dict) else None
    ok = isinstance(color, list) and len(color) == 3 and all(type(c) is int and 0 <= c <= 255 for c in color)
    if not isinstance(value, dict) or not isinstance(value.get("url"), str) or not ok:
        raise ValueError("an object with a string url and color_rgb, three integers from 0 to 255")


def location(value: Any) -> None:
    """A text span: `end` is inclusive (the span's last character); `token`, when given, is the covered text."""
    ok = isinstance(value, dict) and all(type(value.get(k)) is int for k in ("start", "end"))
    if not ok or not 0 <= value["start"] <= value["end"]:
        raise ValueError("an object with integer start and end (inclusive), 0 <= start <= end")
    token = value.get("token")
    if token is not None and (not isinstance(token, str) or len(token) != value["end"] - value["start"] + 1):
        raise ValueError("an object whose token is the covered text: end - start + 1 characters")


def conversational_location(value: Any) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("message_id"), str):
        raise ValueError("an object with a string message_id and a location {start, end}")
    location(value.get("location"))


polygon = _points(3)
line = _points(2)
