"""interpolatedFrames: in-between frames of a video object, linear within a segment, copied fields, sorted frames."""

from __future__ import annotations

import copy
import itertools
import random
from typing import Any

import orjson

from server.loading.interpolate import interpolate


def _car(top: float, left: float) -> dict[str, object]:
    return {
        "feature_id": "car1",
        "name": "car",
        "annotation_kind": "VideoBoundingBox",
        "bounding_box": {"top": top, "left": left, "height": 10.0, "width": 20.0},
        "classifications": [],
    }


VIDEO = {
    "frames": {
        "1": {"objects": {"car1": _car(0.0, 100.0)}, "classifications": [{"name": "weather"}]},
        "5": {"objects": {"car1": _car(40.0, 60.0)}, "classifications": []},
        "9": {"objects": {"car1": _car(0.0, 0.0)}, "classifications": []},
    },
    "segments": {"car1": [[1, 5], [9, 9]]},
    "key_frame_feature_map": {"car1": [1, 5, 9]},
    "classifications": [],
}


def test_frames_between_key_frames_of_one_segment_are_interpolated() -> None:
    frames = orjson.loads(interpolate(orjson.dumps(VIDEO).decode()))["frames"]
    assert list(frames) == ["1", "2", "3", "4", "5", "9"]  # 6..8 lie between two segments: not filled
    assert frames["2"] == {"objects": {"car1": _car(10.0, 90.0)}, "classifications": []}
    assert frames["4"]["objects"]["car1"]["bounding_box"] == {"top": 30.0, "left": 70.0, "height": 10.0, "width": 20.0}
    assert frames["1"]["classifications"] == [{"name": "weather"}]  # key frames are left as stored


def test_labels_without_key_frames_are_unchanged() -> None:
    image = '{"objects":[],"classifications":[],"relationships":[]}'
    assert orjson.loads(interpolate(image)) == orjson.loads(image)


def _mix(a: Any, b: Any, t: float) -> Any:
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: _mix(a[k], b[k], t) for k in a}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [_mix(x, y, t) for x, y in zip(a, b, strict=True)]
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return a + (b - a) * t
    return a


def _one_by_one(stored: dict[str, Any]) -> bytes:
    """The definition, an object at a time in Python: what interpolate must write, byte for byte."""
    data = copy.deepcopy(stored)
    frames = data["frames"]
    for feature_id, keys in data["key_frame_feature_map"].items():
        for start, end in data["segments"][feature_id]:
            inside = sorted(k for k in keys if start <= k <= end)
            for k1, k2 in itertools.pairwise(inside):
                first = frames.get(str(k1), {}).get("objects", {}).get(feature_id)
                last = frames.get(str(k2), {}).get("objects", {}).get(feature_id)
                if first is None or last is None:
                    continue
                for frame in range(k1 + 1, k2):
                    obj = dict(first)
                    for key in ("bounding_box", "point", "polygon", "line"):
                        if key in first and key in last:
                            obj[key] = _mix(first[key], last[key], (frame - k1) / (k2 - k1))
                    slot = frames.setdefault(str(frame), {"objects": {}, "classifications": []})
                    slot.setdefault("objects", {}).setdefault(feature_id, obj)
    data["frames"] = dict(sorted(frames.items(), key=lambda item: int(item[0])))
    return orjson.dumps(data)


def _shapes(rng: random.Random, first: bool) -> dict[str, Any]:
    """Geometry of every kind, ints and floats, shapes that differ between key frames, a boolean, and text with %."""
    n = rng.choice([3, 4]) if first else 3
    return {
        "name": '50% occluded "car"',
        "point": {"x": rng.randint(-5000, 5000), "y": rng.uniform(-1e6, 1e6)},
        "bounding_box": {"top": rng.uniform(0, 1080), "left": rng.randint(0, 1920), "height": 0.1, "width": True},
        "line": [{"x": rng.uniform(0, 1) / 3, "y": rng.randint(0, 9)} for _ in range(n)],
        "polygon": [{"x": 2**60, "y": 1e300} for _ in range(3)] if first else [{"x": 1, "y": -1e300}] * 3,
        "classifications": [{"name": "%s %b %%", "value": None}],
    }


def test_in_between_frames_are_the_bytes_of_mixing_each_object_in_python() -> None:
    rng = random.Random(7)
    frames: dict[str, Any] = {}
    keys: dict[str, list[int]] = {}
    for feature in ("a", "b", "c"):
        keys[feature] = sorted(rng.sample(range(0, 300), 6))
        for k in keys[feature]:
            obj = _shapes(rng, first=k == keys[feature][0])
            if feature == "b":  # geometry written in another order
                obj = dict(reversed(obj.items()))
            frames.setdefault(str(k), {"objects": {}, "classifications": []})["objects"][feature] = obj
    del frames[str(keys["c"][2])]["objects"]["c"]  # a key frame without its object: not filled on either side
    segments = {f: [[k[0], k[3]], [k[2], k[5]]] for f, k in keys.items()}  # overlapping segments
    video = {"frames": frames, "segments": segments, "key_frame_feature_map": keys, "classifications": []}
    expected = _one_by_one(video)
    assert interpolate(orjson.dumps(video).decode()) == expected
    assert len(orjson.loads(expected)["frames"]) > 200
