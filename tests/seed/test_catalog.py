"""What a small seeded catalog holds: counts, every annotation kind, ontology-consistent features, labeling state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from server.db import create_engine
from server.ingest.features import feature_counts
from server.ingest.seed import seed_database
from server.ingest.shapes import answers
from server.names import feature_value
from server.settings import Settings
from tests.seed.exports import sqlite_settings

OBJECT_KINDS = {
    "ImageBoundingBox",
    "ImagePolygon",
    "ImagePolyline",
    "ImagePoint",
    "ImageSegmentationMask",
    "TextEntity",
    "ConversationalTextEntity",
    "VideoBoundingBox",
    "VideoPoint",
    "VideoPolyline",
}
TABLES = {
    "datarow": 200,
    "dataset": 4,
    "ontology": 3,
    "project": 4,
    "batch": 12,
    "model": 2,
    "modelrun": 4,
    "label": 50,
    "labelfeature": 824,
    "projectdatarow": 64,
    "modelrundatarow": 9,
    "datarowembedding": 400,
    "metadatavalue": 326,
    "attachment": 163,
}
SHAPE_KEYS = {"bounding_box", "polygon", "line", "point", "composite_mask", "mask", "color_rgb", "location", "token"}
SHAPE_KEYS |= {"conversational_location", "message_id", "conversational_radio_answer"}
SHAPE_KEYS |= {"radio_answer", "checklist_answers", "text_answer", "unidirectional_relationship", "frames", "segments"}
SHAPE_KEYS |= {"key_frame_feature_map"}
PERFORMANCE_KEYS = [
    "seconds_to_create",
    "seconds_to_review",
    "skipped",
    "benchmark_reference_label",
    "benchmark_score",
    "consensus_score",
    "consensus_label_count",
    "consensus_labels",
]


@pytest.fixture
async def small(tmp_path: Path) -> Settings:
    settings = sqlite_settings(tmp_path / "small.db")
    summary = await seed_database(settings, rows=200, seed=3)
    assert summary.startswith("seeded 200 data rows, 50 labels, 4 model runs, 824 label features (seed 3) in ")
    return settings


async def query(settings: Settings, sql: str) -> list[Any]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())
    finally:
        await engine.dispose()


async def annotations(settings: Settings) -> list[dict[str, Any]]:
    return [orjson.loads(a) for (a,) in await query(settings, "SELECT annotations FROM label ORDER BY id")]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            yield from walk(child)


async def test_counts_of_a_small_catalog(small: Settings) -> None:
    counts = await query(
        small,
        "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in TABLES),
    )
    assert dict(zip(TABLES, counts[0], strict=True)) == TABLES
    media = await query(small, "SELECT media_type, count(*) FROM datarow GROUP BY media_type ORDER BY media_type")
    assert [tuple(m) for m in media] == [("CONVERSATIONAL", 20), ("IMAGE", 100), ("TEXT", 40), ("VIDEO", 40)]
    spaces = await query(
        small,
        "SELECT name, dims, (SELECT min(length(vector)) FROM datarowembedding WHERE embedding_id = e.id)"
        " FROM embedding e ORDER BY dims",
    )
    assert [tuple(s) for s in spaces] == [("clip-mini", 8, 32), ("text-minilm", 32, 128)]
    types = await query(small, "SELECT DISTINCT type FROM attachment ORDER BY type")
    assert [t for (t,) in types] == ["HTML", "IMAGE", "RAW_TEXT", "TEXT"]
    kinds = await query(small, "SELECT kind FROM metadataschema WHERE parent_id IS NULL ORDER BY kind")
    assert [k for (k,) in kinds] == ["DATETIME", "EMBEDDING", "ENUM", "NUMBER", "STRING"]  # as ingestion writes them


async def test_every_annotation_kind_appears(small: Settings) -> None:
    kinds = {k for (k,) in await query(small, "SELECT DISTINCT kind FROM labelfeature")}
    assert kinds == OBJECT_KINDS | {"Radio", "Checklist", "Text", "Option", "Relationship"}
    nodes = [n for a in await annotations(small) for n in walk(a)]
    keys = {k for n in nodes for k in n}
    assert keys >= SHAPE_KEYS, SHAPE_KEYS - keys


def depth(classification: dict[str, Any]) -> int:
    nested = [c for a in answers(classification) for c in a["classifications"]]
    return 1 + max((depth(c) for c in nested), default=0)


async def test_nesting_relationships_and_video_frames_are_consistent(small: Settings) -> None:
    labels = await annotations(small)
    tops = [c for a in labels for n in walk(a) for c in n.get("classifications", []) if isinstance(c, dict)]
    deepest = max(depth(c) for c in tops)
    assert deepest >= 3
    for label in labels:
        object_ids = {o["feature_id"] for o in label.get("objects", [])}
        for rel in label.get("relationships", []):
            ends = rel["unidirectional_relationship"]
            assert {ends["source"], ends["target"]} <= object_ids
        for number, frame in label.get("frames", {}).items():
            assert int(number) in {n for ns in label["key_frame_feature_map"].values() for n in ns}
            for feature_id, obj in frame["objects"].items():
                assert obj["feature_id"] == feature_id and feature_id in label["segments"]


async def test_features_match_the_ontology_and_the_index(small: Settings) -> None:
    schemas = {i: (n, v) for i, n, v in await query(small, "SELECT id, name, value FROM featureschema")}
    for node in (n for a in await annotations(small) for n in walk(a) if "feature_schema_id" in n):
        assert schemas[node["feature_schema_id"]] == (node["name"], node["value"])
        assert node["value"] == feature_value(node["name"])
    rows = await query(small, "SELECT id, annotations FROM label ORDER BY id")
    expected = sorted((lid, *f) for lid, a in rows for f in feature_counts(orjson.loads(a)))
    stored = await query(small, "SELECT label_id, feature_schema_id, name, kind, count FROM labelfeature")
    assert sorted(tuple(s) for s in stored) == expected


async def test_labeling_state_reviews_and_performance(small: Settings) -> None:
    statuses = await query(small, "SELECT DISTINCT workflow_status FROM projectdatarow ORDER BY 1")
    assert [s for (s,) in statuses] == ["DONE", "IN_REVIEW", "IN_REWORK", "TO_LABEL"]
    unlabeled = await query(
        small,
        "SELECT count(*) FROM projectdatarow m JOIN label l ON l.project_id = m.project_id"
        " AND l.data_row_id = m.data_row_id WHERE m.workflow_status = 'TO_LABEL'",
    )
    assert unlabeled[0][0] == 0
    project_labels = "SELECT performance_details, reviews FROM label WHERE project_id IS NOT NULL"
    for details, reviews in await query(small, project_labels):
        assert list(orjson.loads(details)) == PERFORMANCE_KEYS
        assert isinstance(orjson.loads(reviews), list)
    consensus = await query(small, "SELECT max(consensus_expected_label_count) FROM projectdatarow")
    assert consensus[0][0] == 2
    groups = await query(small, "SELECT count(DISTINCT annotation_group_id), count(*) FROM modelrundatarow")
    assert groups[0][0] == groups[0][1] == 9


async def test_embedding_spaces_are_configurable(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path / "spaces.db")
    await seed_database(settings, rows=10, embeddings=(("tiny", 4), ("wide", 64)))
    spaces = await query(
        settings,
        "SELECT e.name, e.dims, count(*), min(length(v.vector)), max(length(v.vector))"
        " FROM embedding e JOIN datarowembedding v ON v.embedding_id = e.id GROUP BY e.id ORDER BY e.dims",
    )
    assert [tuple(s) for s in spaces] == [("tiny", 4, 10, 16, 16), ("wide", 64, 10, 256, 256)]


async def test_shapes_are_labelbox_s(small: Settings) -> None:
    """Polygons closed, text entities' `end` inclusive with their token, video labels of kind Video."""
    nodes = [n for a in await annotations(small) for n in walk(a)]
    polygons = [n["polygon"] for n in nodes if "polygon" in n]
    assert polygons and all(p[0] == p[-1] and len(p) >= 4 for p in polygons)
    joined = "FROM label l JOIN datarow r ON r.id = l.data_row_id"
    texts = dict(await query(small, f"SELECT l.annotations, r.row_data {joined} WHERE r.media_type = 'TEXT'"))
    entities = [(o["location"], text) for a, text in texts.items() for o in orjson.loads(a)["objects"]]
    assert entities and all(text[loc["start"] : loc["end"] + 1] == loc["token"] for loc, text in entities)
    kinds = await query(
        small, "SELECT DISTINCT r.media_type, l.label_kind FROM label l JOIN datarow r ON r.id = l.data_row_id"
    )
    assert {m: k for m, k in kinds} == {
        "IMAGE": "Default",
        "VIDEO": "Video",
        "TEXT": "Default",
        "CONVERSATIONAL": "Default",
    }
