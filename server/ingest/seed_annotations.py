"""Export-shaped annotations for the demo rows: every kind of docs/export-format.md, seeded."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.ingest.seed_ontology import BuiltOntology, Feature, Seeded
from server.ingest.shapes import MESSAGE_ANSWER_PREFIX, answer_key

# The demo's images and masks are made by the server itself (server.web.demo_media) at this path of the host that
# serves the catalog, so the demo renders offline.
DEMO_MEDIA = "/demo-media"

Json = dict[str, Any]
PHRASES = ("looks fine", "needs a second look", "edge case", "partially hidden", "double-checked")


@dataclass
class Shape:
    """What an annotator needs to know about a row: its size, frames, entity spans or message count."""

    width: int = 0
    height: int = 0
    frames: int = 0
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # (entity, start, end): `end` inclusive
    messages: int = 0
    text: str = ""


class Annotator:
    """Builds feature instances with fresh feature ids; classification answers recurse into nested ones."""

    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded
        self.rng = seeded.rng

    def base(self, feature: Feature) -> Json:
        return {
            "feature_id": self.seeded.id(),
            "feature_schema_id": feature.id,
            "name": feature.name,
            "value": feature.value,
        }

    def answer(self, option: Feature) -> Json:
        return {**self.base(option), "classifications": [self.classify(c) for c in option.options]}

    def classify(self, feature: Feature, **extra: Any) -> Json:
        out = {**self.base(feature), **extra}
        ANSWERS[feature.type](self, feature, out)
        return out

    def obj(self, feature: Feature, kind: str, **geometry: Any) -> Json:
        nested = [self.classify(c) for c in feature.options]
        return {**self.base(feature), "annotation_kind": kind, **geometry, "classifications": nested}

    def num(self, limit: float) -> float:
        return round(self.rng.random() * limit, 1)

    def xy(self, shape: Shape) -> Json:
        return {"x": self.num(shape.width), "y": self.num(shape.height)}

    def box(self, shape: Shape) -> Json:
        top, left = self.num(shape.height * 0.7), self.num(shape.width * 0.7)
        return {
            "top": top,
            "left": left,
            "height": self.num(shape.height * 0.3) + 1,
            "width": self.num(shape.width * 0.3) + 1,
        }

    def relation(self, feature: Feature, source: Json, target: Json) -> Json:
        link = {"source": source["feature_id"], "target": target["feature_id"]}
        return {**self.base(feature), "unidirectional_relationship": link}


def _radio(a: Annotator, feature: Feature, out: Json) -> None:
    out["radio_answer"] = a.answer(a.rng.choice(feature.options))


def _checklist(a: Annotator, feature: Feature, out: Json) -> None:
    options = feature.options
    picks = sorted(a.rng.sample(range(len(options)), a.rng.randint(1, len(options))))
    out["checklist_answers"] = [a.answer(options[i]) for i in picks]


def _text(a: Annotator, feature: Feature, out: Json) -> None:
    out["text_answer"] = {"content": a.rng.choice(PHRASES)}


ANSWERS: dict[str, Callable[[Annotator, Feature, Json], None]] = {
    "radio": _radio,
    "checklist": _checklist,
    "text": _text,
}


def _color(feature_id: str) -> list[int]:
    """The feature's color in composite masks (Labelbox's colors are per feature), fixed by its id."""
    return list(hashlib.blake2b(feature_id.encode(), digest_size=3).digest())


def _closed(points: list[Json]) -> list[Json]:
    """A polygon ring as Labelbox writes it: the first point again at the end."""
    return [*points, dict(points[0])]


def _globals(a: Annotator, ont: BuiltOntology, names: tuple[str, ...]) -> list[Json]:
    return [a.classify(ont[name]) for name in names]


def image(a: Annotator, ont: BuiltOntology, shape: Shape) -> Json:
    cars = [a.obj(ont["car"], "ImageBoundingBox", bounding_box=a.box(shape)) for _ in range(a.rng.randint(1, 3))]
    walker = a.obj(ont["pedestrian"], "ImagePoint", point=a.xy(shape))
    objects = [
        *cars,
        walker,
        a.obj(ont["road"], "ImagePolygon", polygon=_closed([a.xy(shape) for _ in range(4)])),
        a.obj(ont["lane marking"], "ImagePolyline", line=[a.xy(shape) for _ in range(3)]),
    ]
    if a.rng.random() < 0.5:
        url = f"{DEMO_MEDIA}/masks/{a.seeded.id()}.png"
        # the composite mask (every instance of the label in one image, this one in its color) and the legacy
        # one-instance mask that Labelbox still writes beside it
        composite = {"url": url, "color_rgb": _color(ont["sky"].id)}
        objects.append(a.obj(ont["sky"], "ImageSegmentationMask", composite_mask=composite, mask={"url": url}))
    classifications = _globals(a, ont, ("weather", "image tags", "notes"))
    return {
        "objects": objects,
        "classifications": classifications,
        "relationships": [a.relation(ont["near"], walker, cars[0])],
    }


VIDEO_TOOLS = (
    ("vehicle", "VideoBoundingBox", "bounding_box"),
    ("cyclist", "VideoPoint", "point"),
    ("trajectory", "VideoPolyline", "line"),
)


def _segments(a: Annotator, frames: int) -> list[list[int]]:
    cuts = sorted(a.rng.sample(range(1, frames + 1), 4))
    return [cuts[:2], cuts[2:]]


def _geometry(a: Annotator, key: str, shape: Shape) -> Any:
    return {"bounding_box": a.box, "point": a.xy, "line": lambda s: [a.xy(s), a.xy(s)]}[key](shape)


def video(a: Annotator, ont: BuiltOntology, shape: Shape) -> Json:
    frames: dict[int, Json] = {}
    segments: Json = {}
    key_frames: Json = {}
    for name, kind, key in VIDEO_TOOLS[: a.rng.randint(1, 3)]:
        track = a.seeded.id()
        segments[track] = _segments(a, shape.frames)
        key_frames[track] = [n for segment in segments[track] for n in segment]
        for n in key_frames[track]:
            obj = {**a.obj(ont[name], kind, **{key: _geometry(a, key, shape)}), "feature_id": track}
            frames.setdefault(n, {"objects": {}, "classifications": []})["objects"][track] = obj
    first = min(frames)
    frames[first]["classifications"].append(a.classify(ont["traffic light"]))
    ordered = {str(n): frames[n] for n in sorted(frames)}
    classifications = _globals(a, ont, ("scene", "video tags", "video notes"))
    return {
        "frames": ordered,
        "segments": segments,
        "key_frame_feature_map": key_frames,
        "classifications": classifications,
        "relationships": [],
    }


def _works_for(a: Annotator, ont: BuiltOntology, entities: list[Json]) -> list[Json]:
    people = [e for e in entities if e["name"] == "person"]
    orgs = [e for e in entities if e["name"] == "organization"]
    return [a.relation(ont["works for"], people[0], orgs[0])] if people and orgs else []


def text_entities(a: Annotator, ont: BuiltOntology, shape: Shape) -> Json:
    entities = [
        a.obj(ont[name], "TextEntity", location={"start": s, "end": e, "token": shape.text[s : e + 1]})
        for name, s, e in shape.spans
    ]
    classifications = _globals(a, ont, ("sentiment", "topics", "summary"))
    return {"objects": entities, "classifications": classifications, "relationships": _works_for(a, ont, entities)}


def _message_entity(a: Annotator, ont: BuiltOntology, name: str, shape: Shape) -> Json:
    start = a.rng.randrange(60)
    where = {
        "message_id": str(a.rng.randrange(shape.messages)),
        "location": {"start": start, "end": start + a.rng.randint(3, 12)},
    }
    return a.obj(ont[name], "ConversationalTextEntity", conversational_location=where)


def _for_message(classification: Json) -> Json:
    """A message-level classification: Labelbox prefixes its answer key with `conversational_`."""
    key = answer_key(classification)
    assert key is not None
    return {k if k != key else MESSAGE_ANSWER_PREFIX + k: v for k, v in classification.items()}


def conversation(a: Annotator, ont: BuiltOntology, shape: Shape) -> Json:
    entities = [
        _message_entity(a, ont, name, shape) for name in ("person", "organization", "location")[: a.rng.randint(1, 3)]
    ]
    by_message = [
        _for_message(a.classify(ont["intent"], message_id=str(m)))
        for m in range(shape.messages)
        if a.rng.random() < 0.6
    ]
    classifications = [*_globals(a, ont, ("sentiment", "topics", "summary")), *by_message]
    return {"objects": entities, "classifications": classifications, "relationships": _works_for(a, ont, entities)}


Annotate = Callable[[Annotator, BuiltOntology, Shape], Json]
