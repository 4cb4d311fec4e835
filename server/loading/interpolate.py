"""interpolatedFrames: fill the frames between a video object's key frames, within its segments, linearly.

Stored video labels hold key frames only (as annotators drew them). With the export option on, every frame
between two key frames of the same segment gets the object too, its geometry interpolated linearly and its
other fields copied from the earlier key frame; frame-level classifications are not interpolated.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import orjson

Frames = dict[str, dict[str, Any]]
GEOMETRY_KEYS = ("bounding_box", "point", "polygon", "line")


def _mix(a: Any, b: Any, t: float) -> Any:
    """Linear mix of two equally shaped geometry values (numbers, dicts of numbers, lists of points)."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: _mix(a[k], b[k], t) for k in a}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [_mix(x, y, t) for x, y in zip(a, b, strict=True)]
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return a + (b - a) * t
    return a


def _between(first: dict[str, Any], last: dict[str, Any], t: float) -> dict[str, Any]:
    obj = dict(first)
    for key in GEOMETRY_KEYS:
        if key in first and key in last:
            obj[key] = _mix(first[key], last[key], t)
    return obj


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
    if first is None or last is None:
        return
    for frame in range(k1 + 1, k2):
        slot = frames.setdefault(str(frame), {"objects": {}, "classifications": []})
        slot.setdefault("objects", {}).setdefault(feature_id, _between(first, last, (frame - k1) / (k2 - k1)))


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
