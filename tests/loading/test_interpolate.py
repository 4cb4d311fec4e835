"""interpolatedFrames: in-between frames of a video object, linear within a segment, copied fields, sorted frames."""

from __future__ import annotations

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
