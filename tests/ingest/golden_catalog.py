"""The small golden catalog, built only through the ingest mutations; returns placeholder name → id."""

from __future__ import annotations

from typing import Any

from tests.ingest import ops
from tests.utils.client import GraphQLClient

Ids = dict[str, str]

TOOLS = [
    {
        "name": "Car",
        "type": "BOUNDING_BOX",
        "classifications": [{"name": "Color", "type": "RADIO", "options": [{"name": "Red"}, {"name": "Blue"}]}],
    },
    {"name": "Roof", "type": "POLYGON"},
    {"name": "Lane", "type": "POLYLINE"},
    {"name": "Wheel", "type": "POINT"},
    {"name": "Road", "type": "SEGMENTATION_MASK"},
    {"name": "Person Name", "type": "NAMED_ENTITY"},
    {"name": "Drives", "type": "RELATIONSHIP"},
]
CLASSIFICATIONS = [
    {
        "name": "Weather",
        "type": "RADIO",
        "options": [
            {
                "name": "Sunny",
                "classifications": [
                    {
                        "name": "Sun Strength",
                        "type": "RADIO",
                        "options": [
                            {"name": "Strong", "classifications": [{"name": "Comment", "type": "TEXT"}]},
                            {"name": "Weak"},
                        ],
                    }
                ],
            },
            {"name": "Rainy"},
        ],
    },
    {"name": "Tags", "type": "CHECKLIST", "options": [{"name": "Blurry"}, {"name": "Dark"}]},
    {"name": "Note", "type": "TEXT"},
]


def feature_ids(ontology: dict[str, Any]) -> Ids:
    """`F.<value>` → feature schema id, for every node of the returned ontology tree."""
    out: Ids = {}
    stack = [*ontology["tools"], *ontology["classifications"]]
    while stack:
        node = stack.pop()
        out[f"F.{node['value']}"] = node["id"]
        stack += node.get("options", []) + node.get("classifications", [])
    return out


async def _schemas(gql: GraphQLClient, ids: Ids) -> None:
    for key, name, kind in (
        ("TAG", "tag", "STRING"),
        ("SCORE", "score", "NUMBER"),
        ("CAPTURED", "captured", "DATETIME"),
        ("CLIP", "clip", "EMBEDDING"),
    ):
        ids[f"MS.{key}"] = (await gql.data(ops.CREATE_SCHEMA, {"name": name, "kind": kind}))["createMetadataSchema"][
            "id"
        ]
    split = await gql.data(ops.CREATE_SCHEMA, {"name": "split", "kind": "ENUM", "options": ["train", "valid"]})
    ids["MS.SPLIT"] = split["createMetadataSchema"]["id"]
    for option in split["createMetadataSchema"]["options"]:
        ids[f"MS.{option['name'].upper()}"] = option["id"]


def _rows(ids: Ids) -> list[dict[str, Any]]:
    image = {
        "rowData": "https://example.com/1.jpg",
        "mediaType": "IMAGE",
        "globalKey": "gk-1",
        "externalId": "ext-1",
        "mediaAttributes": {"width": 640, "height": 480, "mimeType": "image/jpeg"},  # stored as mime_type
        "attachments": [
            {"type": "IMAGE_OVERLAY", "value": "https://example.com/o.png", "name": "overlay"},
            {"type": "TEXT", "value": "hello"},
        ],
        "metadataFields": [
            {"name": "tag", "value": "alpha"},
            {"schemaId": ids["MS.SCORE"], "value": 0.5},
            {"name": "captured", "value": "2024-01-31T12:00:00Z"},
            {"name": "split", "value": "train"},
            {"name": "clip", "value": [0.1, 0.2]},
        ],
    }
    video = {
        "rowData": "https://example.com/2.mp4",
        "mediaType": "VIDEO",
        "globalKey": "gk-2",
        "metadataFields": [{"name": "split", "value": ids["MS.VALID"]}],
    }
    text = {"rowData": "Alice drives.", "mediaType": "TEXT", "globalKey": "gk-3", "externalId": "ext-3"}
    return [image, video, text]


async def _catalog(gql: GraphQLClient, ids: Ids) -> None:
    await _schemas(gql, ids)
    ids["DS"] = (await gql.data(ops.CREATE_DATASET, {"name": "golden"}))["createDataset"]["id"]
    created = (await gql.data(ops.CREATE_ROWS, {"ds": ids["DS"], "rows": _rows(ids)}))["createDataRows"]
    ids.update(zip(("ROW1", "ROW2", "ROW3"), created, strict=True))
    ontology = await gql.data(ops.CREATE_ONTOLOGY, {"name": "golden", "tools": TOOLS, "cls": CLASSIFICATIONS})
    ids["ONT"] = ontology["createOntology"]["id"]
    ids.update(feature_ids(ontology["createOntology"]))


async def _projects(gql: GraphQLClient, ids: Ids) -> None:
    for n, (name, media, prio) in enumerate((("Images", "IMAGE", 2), ("Videos", "VIDEO", 5), ("Texts", "TEXT", 5)), 1):
        project = await gql.data(ops.CREATE_PROJECT, {"name": name, "media": media, "ont": ids["ONT"]})
        ids[f"P{n}"] = project["createProject"]["id"]
        batch = {"p": ids[f"P{n}"], "name": f"batch-{n}", "ids": [ids[f"ROW{n}"]], "prio": prio}
        ids[f"B{n}"] = (await gql.data(ops.CREATE_BATCH, batch))["createBatch"]["id"]
    for status in ("IN_REVIEW", "DONE"):
        moved = {"p": ids["P1"], "ids": [ids["ROW1"]], "s": status, "by": "rev@example.com"}
        assert (await gql.data(ops.SET_STATUS, moved))["setWorkflowStatus"] == 1


def feature(ids: Ids, value: str, name: str, fid: str, **rest: Any) -> dict[str, Any]:
    return {"feature_id": fid, "feature_schema_id": ids[f"F.{value}"], "name": name, "value": value, **rest}


def _weather(ids: Ids) -> dict[str, Any]:
    comment = feature(ids, "comment", "Comment", "fi-comment", text_answer={"content": "very bright"})
    strong = feature(ids, "strong", "Strong", "fi-strong", classifications=[comment])
    strength = feature(ids, "sun_strength", "Sun Strength", "fi-strength", radio_answer=strong)
    sunny = feature(ids, "sunny", "Sunny", "fi-sunny", classifications=[strength])
    return feature(ids, "weather", "Weather", "fi-weather", radio_answer=sunny)


def image_annotations(ids: Ids) -> dict[str, Any]:
    red = feature(ids, "red", "Red", "fi-red", classifications=[])
    color = feature(ids, "color", "Color", "fi-color", radio_answer=red)
    objects = [
        feature(
            ids,
            "car",
            "Car",
            "fi-car",
            annotation_kind="ImageBoundingBox",
            bounding_box={"top": 10.0, "left": 20.0, "height": 30.0, "width": 40.0},
            classifications=[color],
        ),
        feature(
            ids,
            "roof",
            "Roof",
            "fi-roof",
            annotation_kind="ImagePolygon",
            polygon=[{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}, {"x": 5.0, "y": 1.0}],  # closed when stored
            classifications=[],
        ),
        feature(
            ids,
            "lane",
            "Lane",
            "fi-lane",
            annotation_kind="ImagePolyline",
            line=[{"x": 0.0, "y": 0.0}, {"x": 9.0, "y": 9.0}],
            classifications=[],
        ),
        feature(
            ids,
            "wheel",
            "Wheel",
            "fi-wheel",
            annotation_kind="ImagePoint",
            point={"x": 5.0, "y": 6.0},
            classifications=[],
        ),
        feature(
            ids,
            "road",
            "Road",
            "fi-road",
            annotation_kind="ImageSegmentationMask",
            composite_mask={"url": "https://example.com/mask.png", "color_rgb": [255, 0, 0]},
            classifications=[],
        ),
    ]
    tags = feature(
        ids,
        "tags",
        "Tags",
        "fi-tags",
        checklist_answers=[
            feature(ids, "blurry", "Blurry", "fi-blurry", classifications=[]),
            feature(ids, "dark", "Dark", "fi-dark", classifications=[]),
        ],
    )
    note = feature(ids, "note", "Note", "fi-note", text_answer={"content": "free text"})
    drives = feature(
        ids,
        "drives",
        "Drives",
        "fi-drives",
        unidirectional_relationship={"source": "fi-car", "target": "fi-wheel"},
    )
    return {"objects": objects, "classifications": [_weather(ids), tags, note], "relationships": [drives]}


def video_annotations(ids: Ids) -> dict[str, Any]:
    def box(top: float) -> dict[str, Any]:
        return feature(
            ids,
            "car",
            "Car",
            "fv-car",
            annotation_kind="VideoBoundingBox",
            bounding_box={"top": top, "left": 1.0, "height": 2.0, "width": 3.0},
            classifications=[],
        )

    rainy = feature(ids, "rainy", "Rainy", "fv-rainy", classifications=[])
    weather = feature(ids, "weather", "Weather", "fv-weather", radio_answer=rainy)
    return {
        "frames": {
            "1": {"objects": {"fv-car": box(1.0)}, "classifications": [weather]},
            "5": {"objects": {"fv-car": box(5.0)}, "classifications": []},
        },
        "segments": {"fv-car": [[1, 5]]},
        "key_frame_feature_map": {"fv-car": [1, 5]},
        "classifications": [],
    }


def text_annotations(ids: Ids) -> dict[str, Any]:
    entity = feature(
        ids,
        "person_name",
        "Person Name",
        "ft-name",
        annotation_kind="TextEntity",
        location={"start": 0, "end": 4},  # "Alice": `end` is inclusive; the token is filled in from the row
        classifications=[],
    )
    return {"objects": [entity], "classifications": [], "relationships": []}


async def _labels(gql: GraphQLClient, ids: Ids) -> None:
    image = {
        "dataRowId": ids["ROW1"],
        "annotations": image_annotations(ids),
        "createdBy": "ann@example.com",
        "reviews": [{"reviewer": "rev@example.com", "score": 1}],
        "performanceDetails": {"seconds_to_create": 12.5, "seconds_to_review": 3.0, "skipped": False},
    }
    video = {"dataRowId": ids["ROW2"], "annotations": video_annotations(ids), "createdBy": "ann@example.com"}
    text = {"dataRowId": ids["ROW3"], "annotations": text_annotations(ids), "labelKind": "Benchmark"}
    for n, label in ((1, image), (2, video), (3, text)):
        (ids[f"L{n}"],) = (await gql.data(ops.CREATE_LABELS, {"p": ids[f"P{n}"], "labels": [label]}))["createLabels"]


async def _models(gql: GraphQLClient, ids: Ids) -> None:
    ids["M"] = (await gql.data(ops.CREATE_MODEL, {"name": "detector", "ont": ids["ONT"]}))["createModel"]["id"]
    ids["R"] = (await gql.data(ops.CREATE_RUN, {"m": ids["M"], "name": "run-1"}))["createModelRun"]["id"]
    added = (await gql.data(ops.ADD_TO_RUN, {"r": ids["R"], "ids": [ids["ROW1"], ids["ROW2"]]}))[
        "addDataRowsToModelRun"
    ]
    ids.update({f"AG{n}": a["annotationGroupId"] for n, a in enumerate(added, 1)})
    annotations = {"objects": [image_annotations(ids)["objects"][0]], "classifications": [], "relationships": []}
    predicted = {"objects": [image_annotations(ids)["objects"][3]], "classifications": [], "relationships": []}
    for key, source, ann in (("RL", "LABEL", annotations), ("RP", "PREDICTION", predicted)):
        labels = [{"dataRowId": ids["ROW1"], "annotations": ann}]
        (ids[key],) = (await gql.data(ops.RUN_LABELS, {"r": ids["R"], "labels": labels, "src": source}))[
            "createModelRunLabels"
        ]
    ids["E"] = (await gql.data(ops.CREATE_EMBEDDING, {"name": "clip-3", "dims": 3}))["createEmbedding"]["id"]
    vectors = [{"dataRowId": ids["ROW1"], "vector": [0.5, -1.0, 0.25]}, {"dataRowId": ids["ROW2"], "vector": [1, 2, 3]}]
    assert (await gql.data(ops.SET_EMBEDDINGS, {"e": ids["E"], "v": vectors}))["setEmbeddings"] == 2


async def build_golden_catalog(gql: GraphQLClient) -> Ids:
    ids: Ids = {}
    for step in (_catalog, _projects, _labels, _models):
        await step(gql, ids)
    return ids
