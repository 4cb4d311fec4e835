"""interpolatedFrames: fill the frames between a video object's key frames, within its segments, linearly.

Stored video labels hold key frames only (as annotators drew them). With the export option on, every frame
between two key frames of the same segment gets the object too, its geometry interpolated linearly and its
other fields copied from the earlier key frame; frame-level classifications are not interpolated.

A geometry value is mixed as `a + (b - a) * t` at each number of equal shape (dicts with the same keys, lists of
the same length; anything else keeps the earlier key frame's value). An in-between object is written once per pair
of key frames as JSON text with a slot per mixed number (`bytes %` formatting); the numbers of all its frames are
written by one orjson call, which writes a float the same wherever it stands, so the bytes are those of the objects
built one by one. Each frame's object is spliced as an orjson.Fragment.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import orjson

Frames = dict[str, dict[str, Any]]
GEOMETRY_KEYS = ("bounding_box", "point", "polygon", "line")
SLOT = orjson.Fragment(b"\x00")  # raw NUL: never in orjson's output, whose strings escape it


def _skeleton(a: Any, b: Any, leaves: list[tuple[Any, Any]]) -> Any:
    """The mix of two geometry values with a SLOT for each mixed number; `leaves` gets each number's (a, b - a) in
    the order orjson writes them. Shapes that differ keep `a`, as do booleans in `a`."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: _skeleton(a[k], b[k], leaves) for k in a}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [_skeleton(x, y, leaves) for x, y in zip(a, b, strict=True)]
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        leaves.append((a, b - a))
        return SLOT
    return a


def _numbers(leaves: list[tuple[Any, Any]], span: int) -> list[bytes]:
    """The JSON text of every mixed number at t = 1/span … (span-1)/span, frame after frame."""
    values = [a + d * t for t in [step / span for step in range(1, span)] for a, d in leaves]
    return orjson.dumps(values)[1:-1].split(b",")


def _in_between(first: dict[str, Any], last: dict[str, Any], span: int) -> Iterator[orjson.Fragment]:
    """The objects of the frames between two key frames `span` apart: `first` with its geometry mixed."""
    leaves: list[tuple[Any, Any]] = []
    obj = dict(first)
    for key in [k for k in obj if k in GEOMETRY_KEYS and k in last]:  # in the order they are written
        obj[key] = _skeleton(first[key], last[key], leaves)
    template = b"%b".join(orjson.dumps(obj).replace(b"%", b"%%").split(b"\x00"))
    if not leaves:
        return (orjson.Fragment(template % ()) for _ in range(1, span))
    numbers, width = _numbers(leaves, span), len(leaves)
    return (orjson.Fragment(template % tuple(numbers[i : i + width])) for i in range(0, len(numbers), width))


def _key_pairs(keys: list[int], segments: list[list[int]]) -> Iterator[tuple[int, int]]:
    """Consecutive key frames that lie in the same segment."""
    for start, end in segments:
        inside = sorted(k for k in keys if start <= k <= end)
        yield from pairwise(inside)


def _object(frames: Frames, frame: int, feature_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (frames.get(str(frame)) or {}).get("objects", {}).get(feature_id)
    return found


def _fill(frames: Frames, feature_id: str, k1: int, k2: int) -> None:
    first, last = _object(frames, k1, feature_id), _object(frames, k2, feature_id)
    if first is None or last is None or k2 - k1 < 2:
        return
    for frame, obj in zip(range(k1 + 1, k2), _in_between(first, last, k2 - k1), strict=True):
        slot = frames.get(key := str(frame))
        if slot is None:
            frames[key] = {"objects": {feature_id: obj}, "classifications": []}
        else:
            slot.setdefault("objects", {}).setdefault(feature_id, obj)


def interpolate(annotations: str) -> bytes:
    """The label's annotations JSON with in-between frames filled (unchanged when it has no key frames)."""
    data = orjson.loads(annotations)
    frames: Frames = data.get("frames") or {}
    for feature_id, keys in (data.get("key_frame_feature_map") or {}).items():
        for k1, k2 in _key_pairs(keys, (data.get("segments") or {}).get(feature_id, [])):
            _fill(frames, feature_id, k1, k2)
    if frames:
        data["frames"] = dict(sorted(frames.items(), key=lambda item: int(item[0])))
    return orjson.dumps(data)
