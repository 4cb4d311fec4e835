"""The vocabulary of stored annotation JSON (Labelbox's released export shapes): one home for its key names.

Read by the validator, the feature index and the demo seed. `docs/export-format.md` shows each shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# answer key → classification type; message-level classifications of a conversation use the `conversational_` keys
ANSWER_KEYS: dict[str, str] = {
    "radio_answer": "RADIO",
    "checklist_answers": "CHECKLIST",
    "text_answer": "TEXT",
    "conversational_radio_answer": "RADIO",
    "conversational_checklist_answers": "CHECKLIST",
    "conversational_text_answer": "TEXT",
}
MESSAGE_ANSWER_PREFIX = "conversational_"
# relationship key → its direction
RELATIONSHIP_KEYS: dict[str, str] = {
    "unidirectional_relationship": "unidirectional",
    "bidirectional_relationship": "bidirectional",
}


LABEL_KINDS = {"VIDEO": "Video"}  # media type → the label_kind Labelbox writes for it; every other one is "Default"


def label_kind(media_type: str) -> str:
    return LABEL_KINDS.get(media_type, "Default")


def answer_key(item: dict[str, Any]) -> str | None:
    """The one answer key of a classification (None when it has none)."""
    return next((key for key in ANSWER_KEYS if key in item), None)


def answers(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The chosen options of a radio or checklist classification (none for free text)."""
    key = answer_key(item)
    if key is None or ANSWER_KEYS[key] == "TEXT":
        return []
    value = item[key]
    return [value] if ANSWER_KEYS[key] == "RADIO" else list(value or [])


def relationship(rel: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(direction, {source, target}) of a relationship, or None when it has no relationship key."""
    key = next((key for key in RELATIONSHIP_KEYS if key in rel), None)
    return None if key is None else (RELATIONSHIP_KEYS[key], rel[key])


def all_objects(annotations: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object of a label: its list, and each video frame's map."""
    yield from annotations.get("objects") or []
    for frame in (annotations.get("frames") or {}).values():
        yield from (frame.get("objects") or {}).values()


def close_polygons(annotations: dict[str, Any]) -> None:
    """Repeat each polygon's first point at its end when it is not there already, as Labelbox writes polygons."""
    for obj in all_objects(annotations):
        points = obj.get("polygon")
        if isinstance(points, list) and points and points[0] != points[-1]:
            points.append(dict(points[0]))


def entity_token(text: str, location: dict[str, Any]) -> str:
    """The characters a text entity covers: `end` is inclusive."""
    return text[location["start"] : location["end"] + 1]


def text_entities(annotations: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index in `objects`, location) of each TextEntity of a label."""
    for index, obj in enumerate(annotations.get("objects") or []):
        if obj.get("annotation_kind") == "TextEntity" and isinstance(obj.get("location"), dict):
            yield index, obj["location"]
