"""The normalized feature index of a label: which feature schemas its export-shaped annotations use, and how often."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from server.ingest.shapes import ANSWER_KEYS, answer_key, answers

Feature = tuple[str, str, str]  # (feature_schema_id, name, kind)


def _classification_kind(item: dict[str, Any]) -> str:
    key = answer_key(item)
    return "Classification" if key is None else ANSWER_KEYS[key].title()


def _classifications(items: list[dict[str, Any]]) -> Iterator[Feature]:
    for item in items:
        yield item["feature_schema_id"], item["name"], _classification_kind(item)
        for answer in answers(item):
            yield answer["feature_schema_id"], answer["name"], "Option"
            yield from _classifications(answer.get("classifications") or [])


def _objects(items: list[dict[str, Any]]) -> Iterator[Feature]:
    for obj in items:
        yield obj["feature_schema_id"], obj["name"], obj.get("annotation_kind", "Object")
        yield from _classifications(obj.get("classifications") or [])


def _frames(frames: dict[str, Any]) -> Iterator[Feature]:
    for frame in frames.values():
        yield from _objects(list((frame.get("objects") or {}).values()))
        yield from _classifications(frame.get("classifications") or [])


def iter_features(annotations: dict[str, Any]) -> Iterator[Feature]:
    """Every feature instance of a label (objects, classifications at any depth, relationships, frames)."""
    yield from _objects(annotations.get("objects") or [])
    yield from _classifications(annotations.get("classifications") or [])
    for rel in annotations.get("relationships") or []:
        yield rel["feature_schema_id"], rel["name"], "Relationship"
    yield from _frames(annotations.get("frames") or {})


def feature_counts(annotations: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """(feature_schema_id, name, kind, count) per distinct feature schema, in first-seen order."""
    counts = Counter(iter_features(annotations))
    return [(fid, name, kind, n) for (fid, name, kind), n in counts.items()]
