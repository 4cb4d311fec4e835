"""What real readers of Labelbox exports do, run over a seeded export with every section: not one exception.

The access patterns are those of the Labelbox SDK's own export tests, Labelbox's notebooks and public readers of
Labelbox exports (FiftyOne's and deeplake's Labelbox importers), written here in our words.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from server.ingest.seed import seed_database
from server.settings import Settings
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import running, start_export

ROWS = 1000


def _objects(annotations: dict[str, Any]) -> list[dict[str, Any]]:
    frames = annotations.get("frames", {}).values()
    return [*annotations.get("objects", []), *(o for f in frames for o in f["objects"].values())]


def _read_label(label: dict[str, Any], row: dict[str, Any], seen: Counter[str]) -> None:
    media = row["media_attributes"]["mime_type"]
    assert (label["label_kind"] == "Video") == media.startswith("video/")
    annotations = label["annotations"]
    for obj in _objects(annotations):
        seen[obj["annotation_kind"]] += 1
        if obj["annotation_kind"] == "TextEntity":
            loc = obj["location"]
            assert row["data_row"]["row_data"][loc["start"] : loc["end"] + 1] == loc["token"]
        if obj["annotation_kind"] == "ImageSegmentationMask":
            assert obj["composite_mask"]["url"] and len(obj["composite_mask"]["color_rgb"]) == 3
        if obj["annotation_kind"] == "ImagePolygon":
            assert obj["polygon"][0] == obj["polygon"][-1]
    for rel in annotations.get("relationships", []):
        ends = rel["unidirectional_relationship"]
        assert {ends["source"], ends["target"]} <= {o["feature_id"] for o in _objects(annotations)}
        seen["relationship"] += 1
    for classification in annotations.get("classifications", []):
        if "message_id" in classification:
            assert classification["conversational_radio_answer"]["name"]
            seen["message classification"] += 1


def _read(row: dict[str, Any], seen: Counter[str]) -> None:
    details = row["data_row"]["details"]
    assert details["last_activity_at"] >= details["created_at"]
    media = row["media_attributes"]
    if media["mime_type"].startswith("video/"):
        assert media["frame_rate"] > 0 and media["frame_count"] > 0
        seen["video"] += 1
    for emb in row["embeddings"]:
        assert len(emb["values"][0]["value"]) == emb["dimensions"] and emb["is_custom"] is True
    for project in row["projects"].values():
        assert project["name"]
        for label in project["labels"]:
            assert label["label_details"]["content_last_updated_at"]
            _read_label(label, row, seen)
    for model in row["experiments"].values():
        assert model["name"]
        for run in model["runs"].values():
            assert run["name"] and run["run_data_row_id"]
            for label in [*run["labels"], *run["predictions"]]:
                _read_label(label, row, seen)
                seen["model run label"] += 1


async def test_the_readers_access_patterns_hold_on_every_line(settings: Settings) -> None:
    await seed_database(settings, rows=ROWS, seed=5)
    async with running(settings) as (_, gql, http):
        task = await start_export(gql, EVERYTHING)
        assert (await gql.wait_export(task["id"]))["status"] == "COMPLETE"
        body = (await http.get(f"/exports/{task['id']}.ndjson")).content
    lines = body.splitlines()
    assert len(lines) == ROWS
    seen: Counter[str] = Counter()
    for line in lines:
        _read(orjson.loads(line), seen)
    # every kind the patterns read appeared, so none of them passed by not looking
    kinds = {"TextEntity", "ImageSegmentationMask", "ImagePolygon", "VideoBoundingBox", "ConversationalTextEntity"}
    assert kinds | {"relationship", "message classification", "video", "model run label"} <= set(seen), seen
