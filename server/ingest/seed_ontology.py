"""The demo ontologies as data, and the seeded ids, timestamps and FeatureSchema rows built from them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.names import feature_value

BASE_TIME = datetime(2024, 1, 1)


class Seeded:
    """Every id and timestamp of a seed run, drawn in call order from one `random.Random(seed)`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.count = 0

    def id(self) -> str:
        """25 chars, `c` + 24 hex digits as server.models.base.new_id makes them; like cuids, a rising prefix
        (a counter) before the random part, so bulk inserts append to the id indexes instead of scattering."""
        self.count += 1
        return f"c{self.count:08x}{self.rng.getrandbits(64):016x}"

    def at(self, after: datetime = BASE_TIME, days: float = 30.0) -> datetime:
        """A millisecond-precision time up to `days` after `after`."""
        return after + timedelta(milliseconds=self.rng.randrange(int(days * 86_400_000)))


@dataclass(frozen=True)
class Spec:
    """One ontology node: a tool, classification or option, with its nested children."""

    name: str
    type: str
    children: tuple[Spec, ...] = ()


def tool(name: str, kind: str, *classifications: Spec) -> Spec:
    return Spec(name, kind, classifications)


def radio(name: str, *options: Spec) -> Spec:
    return Spec(name, "radio", options)


def checklist(name: str, *options: Spec) -> Spec:
    return Spec(name, "checklist", options)


def text(name: str) -> Spec:
    return Spec(name, "text")


def opt(name: str, *classifications: Spec) -> Spec:
    return Spec(name, "option", classifications)


TOOL_TYPES = ("bbox", "polygon", "line", "point", "raster-segmentation", "named-entity", "relationship")

STREET = (
    tool(
        "car",
        "bbox",
        radio(
            "vehicle type",
            opt("sedan", checklist("sedan features", opt("sunroof"), opt("spoiler"))),
            opt("truck", radio("truck size", opt("light"), opt("heavy"))),
        ),
        text("plate"),
    ),
    tool("pedestrian", "point"),
    tool("road", "polygon"),
    tool("lane marking", "line"),
    tool("sky", "raster-segmentation"),
    tool("near", "relationship"),
    radio(
        "weather",
        opt("sunny"),
        opt("cloudy"),
        opt(
            "rainy",
            radio(
                "rain intensity",
                opt("light"),
                opt("heavy", checklist("hazards", opt("flooding"), opt("low visibility"))),
            ),
        ),
    ),
    checklist("image tags", opt("blurry"), opt("night"), opt("crowded")),
    text("notes"),
)

TRAFFIC = (
    tool("vehicle", "bbox", radio("moving", opt("yes"), opt("no"))),
    tool("cyclist", "point"),
    tool("trajectory", "line"),
    radio(
        "scene",
        opt("urban", radio("density", opt("low"), opt("high", checklist("events", opt("jam"), opt("accident"))))),
        opt("highway"),
    ),
    checklist("video tags", opt("dashcam"), opt("night")),
    text("video notes"),
    radio("traffic light", opt("red"), opt("green")),
)

LANGUAGE = (
    tool(
        "person",
        "named-entity",
        radio("role", opt("customer", checklist("customer flags", opt("vip"), opt("new"))), opt("agent")),
    ),
    tool("organization", "named-entity"),
    tool("location", "named-entity"),
    tool("works for", "relationship"),
    radio(
        "sentiment",
        opt("positive", radio("strength", opt("mild"), opt("strong", checklist("reasons", opt("praise"), opt("fix"))))),
        opt("neutral"),
        opt("negative"),
    ),
    checklist("topics", opt("billing"), opt("shipping"), opt("product")),
    text("summary"),
    radio("intent", opt("question"), opt("answer"), opt("greeting")),
)

ONTOLOGIES: dict[str, tuple[Spec, ...]] = {
    "Street scenes": STREET,
    "Traffic video": TRAFFIC,
    "Language": LANGUAGE,
}


@dataclass
class Feature:
    """A feature schema as annotations use it: id, name, snake_case value, type and children by name."""

    id: str
    name: str
    type: str
    children: dict[str, Feature] = field(default_factory=dict)
    value: str = ""

    options: list[Feature] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.value = feature_value(self.name)

    def add(self, child: Feature) -> None:
        self.children[child.name] = child
        self.options.append(child)

    def __getitem__(self, name: str) -> Feature:
        return self.children[name]


@dataclass
class BuiltOntology:
    id: str
    name: str
    features: dict[str, Feature]
    rows: list[dict[str, Any]]

    def __getitem__(self, name: str) -> Feature:
        return self.features[name]


def _category(spec: Spec) -> str:
    if spec.type == "option":
        return "option"
    return "tool" if spec.type in TOOL_TYPES else "classification"


def _build(
    spec: Spec, seeded: Seeded, common: dict[str, Any], parent: str | None, position: int, rows: list[Any]
) -> Feature:
    """The Feature for `spec` and its subtree; appends their FeatureSchema rows, parents first."""
    feature = Feature(seeded.id(), spec.name, spec.type)
    rows.append(
        {
            **common,
            "id": feature.id,
            "parent_id": parent,
            "category": _category(spec),
            "type": spec.type,
            "name": spec.name,
            "value": feature.value,
            "position": position,
        }
    )
    for index, child in enumerate(spec.children):
        feature.add(_build(child, seeded, common, feature.id, index, rows))
    return feature


def build_ontology(seeded: Seeded, organization_id: str, name: str) -> BuiltOntology:
    """Ids for every node of ONTOLOGIES[name] plus the FeatureSchema rows (parents before children)."""
    ontology_id = seeded.id()
    common = {"organization_id": organization_id, "ontology_id": ontology_id}
    features: dict[str, Feature] = {}
    rows: list[dict[str, Any]] = []
    for index, spec in enumerate(ONTOLOGIES[name]):
        features[spec.name] = _build(spec, seeded, common, None, index, rows)
    return BuiltOntology(ontology_id, name, features, rows)
