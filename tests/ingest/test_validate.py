"""Each annotation validation rule through createLabels: exact code, message and field; nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.models import Label, LabelFeature
from tests.ingest import ops
from tests.ingest.golden_catalog import Ids, feature, image_annotations, video_annotations
from tests.ingest.rows import count_rows
from tests.utils.client import GraphQLClient

Ann = dict[str, Any]
A = "labels.0.annotations"


def set_in(path: str, value: Any) -> Callable[[Ann, Ids], None]:
    def apply(ann: Ann, ids: Ids) -> None:
        *parents, last = path.split(".")
        node: Any = ann
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value(ids) if callable(value) else value

    return apply


def swap_schema(path: str, value: str) -> Callable[[Ann, Ids], None]:
    return set_in(f"{path}.feature_schema_id", lambda ids: ids[value])


CASES: dict[str, tuple[Callable[[Ann, Ids], None], str, str]] = {
    "unknown feature schema": (
        set_in("objects.2.feature_schema_id", "nope"),
        "Feature schema 'nope' is not in the ontology.",
        f"{A}.objects.2.feature_schema_id",
    ),
    "bounding box on a polygon tool": (
        swap_schema("objects.0", "F.roof"),
        "annotation_kind 'ImageBoundingBox' does not fit POLYGON tool 'Roof'; expected ImagePolygon or VideoPolygon.",
        f"{A}.objects.0.annotation_kind",
    ),
    "classification used as a tool": (
        swap_schema("objects.1", "F.note"),
        "Feature schema '{F.note}' (Note) is a classification, not a tool.",
        f"{A}.objects.1.feature_schema_id",
    ),
    "two answer kinds at once": (
        set_in("classifications.1.radio_answer", lambda ids: {}),
        "A classification needs exactly one of radio_answer, checklist_answers, text_answer, "
        "conversational_radio_answer, conversational_checklist_answers, conversational_text_answer.",
        f"{A}.classifications.1",
    ),
    "radio_answer on a CHECKLIST classification": (
        lambda ann, ids: ann["classifications"][1].update(
            {"radio_answer": ann["classifications"][1].pop("checklist_answers")[0]}
        ),
        "radio_answer does not fit CHECKLIST classification 'Tags'.",
        f"{A}.classifications.1.radio_answer",
    ),
    "option of another classification": (
        swap_schema("classifications.0.radio_answer", "F.blurry"),
        "Option 'Blurry' is not an answer of classification 'Weather'.",
        f"{A}.classifications.0.radio_answer.feature_schema_id",
    ),
    "nested classification out of place": (
        swap_schema("classifications.0.radio_answer.classifications.0", "F.note"),
        "Classification 'Note' is not defined at this place in the ontology.",
        f"{A}.classifications.0.radio_answer.classifications.0.feature_schema_id",
    ),
    "negative width": (
        set_in("objects.0.bounding_box.width", -1),
        "bounding_box must be an object whose height and width are 0 or more.",
        f"{A}.objects.0.bounding_box",
    ),
    "non-numeric top": (
        set_in("objects.0.bounding_box.top", "10"),
        "bounding_box must be an object with numeric top, left, height, width.",
        f"{A}.objects.0.bounding_box",
    ),
    "polygon of two points": (
        set_in("objects.1.polygon", [{"x": 1, "y": 1}, {"x": 2, "y": 2}]),
        "polygon must be a list of at least 3 points {x, y}.",
        f"{A}.objects.1.polygon",
    ),
    "polyline point without y": (
        set_in("objects.2.line.1", {"x": 1}),
        "line must be a list of at least 2 points, each an object with numeric x, y.",
        f"{A}.objects.2.line",
    ),
    "point as a list": (
        set_in("objects.3.point", [1, 2]),
        "point must be an object with numeric x, y.",
        f"{A}.objects.3.point",
    ),
    "mask without url": (
        set_in("objects.4.composite_mask", {"png": "x"}),
        "composite_mask must be an object with a string url and color_rgb, three integers from 0 to 255.",
        f"{A}.objects.4.composite_mask",
    ),
    "mask color out of range": (
        set_in("objects.4.composite_mask.color_rgb", [0, 256, 0]),
        "composite_mask must be an object with a string url and color_rgb, three integers from 0 to 255.",
        f"{A}.objects.4.composite_mask",
    ),
    "legacy mask alone": (
        lambda ann, ids: ann["objects"][4].update({"mask": ann["objects"][4].pop("composite_mask")}),
        "composite_mask must be an object with a string url and color_rgb, three integers from 0 to 255.",
        f"{A}.objects.4.composite_mask",
    ),
    "relationship to an unknown object": (
        set_in("relationships.0.unidirectional_relationship.target", "fi-ghost"),
        "target 'fi-ghost' is not the feature_id of an object in this label.",
        f"{A}.relationships.0.unidirectional_relationship.target",
    ),
    "relationship in the beta shape": (
        lambda ann, ids: ann["relationships"][0].update(
            {"relationship": ann["relationships"][0].pop("unidirectional_relationship")}
        ),
        "A relationship needs exactly one of unidirectional_relationship or bidirectional_relationship.",
        f"{A}.relationships.0",
    ),
    "message-level answer without a message": (
        lambda ann, ids: ann["classifications"][2].update(
            {"conversational_text_answer": ann["classifications"][2].pop("text_answer")}
        ),
        "A message-level classification (conversational_text_answer) needs the string message_id of its message.",
        f"{A}.classifications.2",
    ),
    "relationship with a bounding box tool": (
        swap_schema("relationships.0", "F.car"),
        "Tool 'Car' is BOUNDING_BOX, not RELATIONSHIP.",
        f"{A}.relationships.0.feature_schema_id",
    ),
    "text answer without content": (
        set_in("classifications.2.text_answer", {"text": "x"}),
        "text_answer must be an object with a string content.",
        f"{A}.classifications.2.text_answer",
    ),
    "unknown section": (
        set_in("masks", []),
        "Unknown annotation section 'masks'; use objects, classifications, "
        "relationships, frames, segments, key_frame_feature_map.",
        f"{A}.masks",
    ),
    "relationship tool used as an object": (
        swap_schema("objects.3", "F.drives"),
        "Tool 'Drives' is a RELATIONSHIP; put it under relationships.",
        f"{A}.objects.3.feature_schema_id",
    ),
    "missing name": (
        lambda ann, ids: ann["objects"][0].pop("name"),
        "Expected `name` to be a string.",
        f"{A}.objects.0.name",
    ),
}


async def label_error(gql: GraphQLClient, ids: Ids, annotations: Ann, project: str = "P1", row: str = "ROW1") -> dict:
    ok = {"dataRowId": ids[row], "annotations": image_annotations(ids)}
    bad = {"dataRowId": ids[row], "annotations": annotations}
    return await gql.error(ops.CREATE_LABELS, {"p": ids[project], "labels": [bad, ok]})


@pytest.mark.parametrize("case", list(CASES))
async def test_invalid_annotation(gql: GraphQLClient, golden: Ids, engine: AsyncEngine, case: str) -> None:
    change, message, field = CASES[case]
    annotations = image_annotations(golden)
    change(annotations, golden)
    before = (await count_rows(engine, Label), await count_rows(engine, LabelFeature))
    error = await label_error(gql, golden, annotations)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"] == message.replace("{F.note}", golden["F.note"])
    assert (await count_rows(engine, Label), await count_rows(engine, LabelFeature)) == before


def entity(ids: Ids, location: Any) -> Ann:
    obj = feature(ids, "person_name", "Person Name", "e", annotation_kind="TextEntity", location=location)
    return {"objects": [obj], "classifications": [], "relationships": []}


@pytest.mark.parametrize("location", [{"start": 5, "end": 2}, {"start": -1, "end": 2}, {"start": 0.5, "end": 2}])
async def test_invalid_text_entity_location(gql: GraphQLClient, golden: Ids, location: dict) -> None:
    error = await label_error(gql, golden, entity(golden, location), "P3", "ROW3")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": f"{A}.objects.0.location"}
    assert error["message"] == "location must be an object with integer start and end (inclusive), 0 <= start <= end."


TOKEN_CASES = {  # ROW3's text is "Alice drives."
    "token of another length": (
        {"start": 0, "end": 4, "token": "Alic"},
        "location must be an object whose token is the covered text: end - start + 1 characters.",
    ),
    "token that is not the text": (
        {"start": 0, "end": 4, "token": "Bobby"},
        "token 'Bobby' is not the text from start to end ('Alice').",
    ),
    "entity past the text": ({"start": 6, "end": 13}, "The entity ends at character 13; the text has 13."),
}


@pytest.mark.parametrize("case", list(TOKEN_CASES))
async def test_text_entity_token_checked_against_the_row(gql: GraphQLClient, golden: Ids, case: str) -> None:
    location, message = TOKEN_CASES[case]
    error = await label_error(gql, golden, entity(golden, location), "P3", "ROW3")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": f"{A}.objects.0.location"}
    assert error["message"] == message


VIDEO_CASES: dict[str, tuple[Callable[[Ann], None], str, str]] = {
    "frame key not a number": (
        lambda a: a["frames"].update({"x": a["frames"].pop("5")}),
        "Frame key 'x' must be a frame number such as \"1\".",
        f"{A}.frames.x",
    ),
    "object key differs from feature_id": (
        lambda a: a["frames"]["1"]["objects"].update({"other": a["frames"]["1"]["objects"].pop("fv-car")}),
        "Object key 'other' differs from its feature_id 'fv-car'.",
        f"{A}.frames.1.objects.other.feature_id",
    ),
    "frame objects as a list": (
        lambda a: a["frames"]["1"].update({"objects": []}),
        "Expected a map from feature_id to object.",
        f"{A}.frames.1.objects",
    ),
    "segment end before start": (
        lambda a: a["segments"].update({"fv-car": [[5, 1]]}),
        "A segment is [start, end] frame numbers with 0 <= start <= end.",
        f"{A}.segments.fv-car.0",
    ),
    "segment of an unknown object": (
        lambda a: a["segments"].update({"ghost": [[1, 2]]}),
        "'ghost' is not the feature_id of an object in this label.",
        f"{A}.segments.ghost",
    ),
    "key frames not integers": (
        lambda a: a["key_frame_feature_map"].update({"fv-car": ["1"]}),
        "Key frames are a list of frame numbers (integers, 0 or more).",
        f"{A}.key_frame_feature_map.fv-car",
    ),
    "image kind in a frame": (
        lambda a: a["frames"]["1"]["objects"]["fv-car"].update({"annotation_kind": "ImagePoint"}),
        "annotation_kind 'ImagePoint' does not fit BOUNDING_BOX tool 'Car'; "
        "expected ImageBoundingBox or VideoBoundingBox.",
        f"{A}.frames.1.objects.fv-car.annotation_kind",
    ),
}


@pytest.mark.parametrize("case", list(VIDEO_CASES))
async def test_invalid_video_annotation(gql: GraphQLClient, golden: Ids, case: str) -> None:
    change, message, field = VIDEO_CASES[case]
    annotations = video_annotations(golden)
    change(annotations)
    error = await label_error(gql, golden, annotations, "P2", "ROW2")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"] == message
