"""Label annotations (export shape) checked against an ontology before anything is written; errors name the path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

from server.errors import bad_input
from server.ingest import geometry
from server.ingest.shapes import ANSWER_KEYS, MESSAGE_ANSWER_PREFIX, RELATIONSHIP_KEYS

Geometry = tuple[str, geometry.Check]  # (geometry key, its check)
# tool type → annotation kind → its geometry
TOOLS: dict[str, dict[str, Geometry]] = {
    "BOUNDING_BOX": dict.fromkeys(("ImageBoundingBox", "VideoBoundingBox"), ("bounding_box", geometry.bounding_box)),
    "POLYGON": dict.fromkeys(("ImagePolygon", "VideoPolygon"), ("polygon", geometry.polygon)),
    "POLYLINE": dict.fromkeys(("ImagePolyline", "VideoPolyline"), ("line", geometry.line)),
    "POINT": dict.fromkeys(("ImagePoint", "VideoPoint"), ("point", geometry.point)),
    "SEGMENTATION_MASK": dict.fromkeys(
        ("ImageSegmentationMask", "VideoSegmentationMask"), ("composite_mask", geometry.composite_mask)
    ),
    "NAMED_ENTITY": {
        "TextEntity": ("location", geometry.location),
        "ConversationalTextEntity": ("conversational_location", geometry.conversational_location),
    },
}
# what an answer key's value is checked as (a conversation's message-level answers like the plain ones)
ANSWER_CHECKS = {"RADIO": "radio_answer", "CHECKLIST": "checklist_answers", "TEXT": "text_answer"}
TOP_KEYS = ("objects", "classifications", "relationships", "frames", "segments", "key_frame_feature_map")


def _fail(message: str, path: str) -> NoReturn:
    raise bad_input(message, path)


def _expect(value: Any, kind: type, what: str, path: str) -> Any:
    if not isinstance(value, kind):
        _fail(f"Expected {what}.", path)
    return value


@dataclass
class Validator:
    features: dict[str, Any]
    object_ids: set[str] = field(default_factory=set)

    def feature(self, item: Any, category: str, path: str) -> Any:
        _expect(item, dict, "an object", path)
        for key in ("feature_id", "name", "value") if category != "option" else ("name", "value"):
            _expect(item.get(key), str, f"`{key}` to be a string", f"{path}.{key}")
        ident = item.get("feature_schema_id")
        found = self.features.get(ident) if isinstance(ident, str) else None
        if found is None:
            _fail(f"Feature schema {ident!r} is not in the ontology.", f"{path}.feature_schema_id")
        if found.category != category:
            _fail(
                f"Feature schema {ident!r} ({found.name}) is a {found.category}, not a {category}.",
                f"{path}.feature_schema_id",
            )
        return found

    def nested(self, item: dict[str, Any], parent: str | None, path: str) -> None:
        items = _expect(item.get("classifications", []), list, "a list", f"{path}.classifications")
        self.classifications(items, parent, f"{path}.classifications")

    def classifications(self, items: list[Any], parent: str | None, path: str) -> None:
        for i, item in enumerate(items):
            self.classification(item, parent, f"{path}.{i}")

    def classification(self, item: Any, parent: str | None, path: str) -> None:
        schema = self.feature(item, "classification", path)
        if schema.parent_id != parent:
            _fail(
                f"Classification {schema.name!r} is not defined at this place in the ontology.",
                f"{path}.feature_schema_id",
            )
        keys = [k for k in ANSWER_KEYS if k in item]
        if len(keys) != 1:
            _fail(f"A classification needs exactly one of {', '.join(ANSWER_KEYS)}.", path)
        key = keys[0]
        if ANSWER_KEYS[key] != schema.type:
            _fail(f"{key} does not fit {schema.type} classification {schema.name!r}.", f"{path}.{key}")
        if key.startswith(MESSAGE_ANSWER_PREFIX) and not isinstance(item.get("message_id"), str):
            _fail(f"A message-level classification ({key}) needs the string message_id of its message.", path)
        getattr(self, ANSWER_CHECKS[schema.type])(item[key], schema, f"{path}.{key}")

    def radio_answer(self, answer: Any, schema: Any, path: str) -> None:
        option = self.feature(answer, "option", path)
        if option.parent_id != schema.id:
            _fail(
                f"Option {option.name!r} is not an answer of classification {schema.name!r}.",
                f"{path}.feature_schema_id",
            )
        self.nested(answer, option.id, path)

    def checklist_answers(self, answers: Any, schema: Any, path: str) -> None:
        for i, answer in enumerate(_expect(answers, list, "a list of answers", path)):
            self.radio_answer(answer, schema, f"{path}.{i}")

    def text_answer(self, answer: Any, schema: Any, path: str) -> None:
        if not isinstance(answer, dict) or not isinstance(answer.get("content"), str):
            _fail("text_answer must be an object with a string content.", path)

    def object(self, obj: Any, path: str) -> None:
        tool = self.feature(obj, "tool", path)
        if tool.type not in TOOLS:
            _fail(f"Tool {tool.name!r} is a {tool.type}; put it under relationships.", f"{path}.feature_schema_id")
        kinds = TOOLS[tool.type]
        if obj.get("annotation_kind") not in kinds:
            _fail(
                f"annotation_kind {obj.get('annotation_kind')!r} does not fit {tool.type} tool {tool.name!r}; "
                f"expected {' or '.join(kinds)}.",
                f"{path}.annotation_kind",
            )
        key, check = kinds[obj["annotation_kind"]]
        try:
            check(obj.get(key))
        except ValueError as exc:
            _fail(f"{key} must be {exc}.", f"{path}.{key}")
        self.object_ids.add(obj["feature_id"])
        self.nested(obj, tool.id, path)

    def relationship(self, rel: Any, path: str) -> None:
        tool = self.feature(rel, "tool", path)
        if tool.type != "RELATIONSHIP":
            _fail(f"Tool {tool.name!r} is {tool.type}, not RELATIONSHIP.", f"{path}.feature_schema_id")
        keys = [k for k in RELATIONSHIP_KEYS if k in rel]
        if len(keys) != 1:
            _fail(f"A relationship needs exactly one of {' or '.join(RELATIONSHIP_KEYS)}.", path)
        body = _expect(rel[keys[0]], dict, "an object with source and target", f"{path}.{keys[0]}")
        for end in ("source", "target"):
            if body.get(end) not in self.object_ids:
                _fail(
                    f"{end} {body.get(end)!r} is not the feature_id of an object in this label.",
                    f"{path}.{keys[0]}.{end}",
                )

    def frame(self, number: str, frame: Any, path: str) -> None:
        if not number.isdigit():
            _fail(f'Frame key {number!r} must be a frame number such as "1".', path)
        _expect(frame, dict, "an object with objects and classifications", path)
        objects = _expect(frame.get("objects", {}), dict, "a map from feature_id to object", f"{path}.objects")
        for fid, obj in objects.items():
            self.object(obj, f"{path}.objects.{fid}")
            if obj["feature_id"] != fid:
                _fail(
                    f"Object key {fid!r} differs from its feature_id {obj['feature_id']!r}.",
                    f"{path}.objects.{fid}.feature_id",
                )
        self.nested(frame, None, path)

    def frame_ranges(self, ranges: Any, path: str) -> None:
        for fid, spans in _expect(ranges, dict, "a map from feature_id to [start, end] pairs", path).items():
            self.known_object(fid, f"{path}.{fid}")
            for i, span in enumerate(_expect(spans, list, "a list of [start, end] pairs", f"{path}.{fid}")):
                ok = isinstance(span, list) and len(span) == 2 and all(type(n) is int for n in span)
                if not ok or not 0 <= span[0] <= span[1]:
                    _fail("A segment is [start, end] frame numbers with 0 <= start <= end.", f"{path}.{fid}.{i}")

    def key_frames(self, mapping: Any, path: str) -> None:
        for fid, numbers in _expect(mapping, dict, "a map from feature_id to frame numbers", path).items():
            self.known_object(fid, f"{path}.{fid}")
            if not isinstance(numbers, list) or not all(type(n) is int and n >= 0 for n in numbers):
                _fail("Key frames are a list of frame numbers (integers, 0 or more).", f"{path}.{fid}")

    def known_object(self, fid: str, path: str) -> None:
        if fid not in self.object_ids:
            _fail(f"{fid!r} is not the feature_id of an object in this label.", path)

    def label(self, annotations: Any, path: str) -> None:
        _expect(
            annotations, dict, "an object with objects, classifications, relationships (and frames for video)", path
        )
        for key in annotations:
            if key not in TOP_KEYS:
                _fail(f"Unknown annotation section {key!r}; use {', '.join(TOP_KEYS)}.", f"{path}.{key}")
        for i, obj in enumerate(_expect(annotations.get("objects", []), list, "a list", f"{path}.objects")):
            self.object(obj, f"{path}.objects.{i}")
        frames = _expect(annotations.get("frames", {}), dict, "a map from frame number to frame", f"{path}.frames")
        for number, frame in frames.items():
            self.frame(number, frame, f"{path}.frames.{number}")
        self.nested(annotations, None, path)
        self.frame_ranges(annotations.get("segments", {}), f"{path}.segments")
        self.key_frames(annotations.get("key_frame_feature_map", {}), f"{path}.key_frame_feature_map")
        relationships = _expect(annotations.get("relationships", []), list, "a list", f"{path}.relationships")
        for i, rel in enumerate(relationships):
            self.relationship(rel, f"{path}.relationships.{i}")


def validate_annotations(annotations: Any, features: dict[str, Any], path: str) -> None:
    """BAD_USER_INPUT at the first annotation that does not fit the ontology (`features` by id) or its shape."""
    Validator(features).label(annotations, path)
