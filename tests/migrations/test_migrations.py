"""Alembic migrations on both engines: empty → head matches the models; out-of-date schemas are refused."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from server.cli import main
from server.db import create_engine
from server.migrations import alembic_config
from server.models import metadata
from server.models.search import BUMP_FUNCTION_POSTGRESQL
from server.orgs import ensure_organization
from server.schema_check import (
    SchemaOutOfDate,
    SchemaState,
    connection_config,
    head_revision,
    prepare_schema,
    schema_differences,
    schema_state,
)
from server.settings import Settings
from tests.factory.filters import build_catalog

HEAD = head_revision(alembic_config("sqlite://"))
REFUSAL = (
    "catalog-export: The database schema is out of date (revision {at}; this version needs " + str(HEAD) + "). "
    "Run `catalog-export migrate` with the same DATABASE_URL, then start again.\n"
)


async def _run(settings: Settings, work: object) -> object:
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def _state_and_diff(conn: Connection) -> tuple[SchemaState, tuple[str, ...], list[object]]:
    return (*schema_state(conn), schema_differences(conn))


def _to_base(conn: Connection) -> None:
    command.downgrade(connection_config(conn), "base")


def _fake_revision(conn: Connection) -> None:
    conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))


async def test_empty_database_upgrades_to_head_and_matches_the_models(settings: Settings) -> None:
    await _run(settings, _to_base)  # the PostgreSQL leg's session database starts at head: go back to empty first
    assert (await _run(settings, _state_and_diff))[:2] == (SchemaState.EMPTY, ())

    engine = create_engine(settings)
    await prepare_schema(engine)
    await engine.dispose()

    assert await _run(settings, _state_and_diff) == (SchemaState.CURRENT, (HEAD,), [])


async def test_app_refuses_an_unknown_revision(settings: Settings) -> None:
    engine = create_engine(settings)
    await prepare_schema(engine)
    await engine.dispose()
    await _run(settings, _fake_revision)
    engine = create_engine(settings)
    with pytest.raises(SchemaOutOfDate) as refused:
        await prepare_schema(engine)
    await engine.dispose()
    assert str(refused.value) == REFUSAL.format(at="ffff")[len("catalog-export: ") : -1]


def test_migrate_explains_a_revision_it_does_not_know(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", settings.database_url]
    assert main(["migrate", *url]) == 0
    asyncio.run(_run(settings, _fake_revision))
    capsys.readouterr()

    assert main(["migrate", *url]) == 1
    assert capsys.readouterr().err == (
        "catalog-export: The database is at revision ffff, which this version does not know "
        "(Can't locate revision identified by 'ffff'); it was probably migrated by a newer version: run that version.\n"
    )


def test_serve_refuses_tables_made_before_migrations_until_migrate(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(_run(settings, _to_base))
    asyncio.run(_create_all(settings))
    url = ["--database-url", settings.database_url]

    assert main(["serve", *url]) == 1
    assert capsys.readouterr().err == REFUSAL.format(at="none (tables created before migrations)")

    monkeypatch.chdir(tmp_path)  # no alembic.ini anywhere: the configuration is in code
    assert main(["migrate", *url]) == 0
    assert capsys.readouterr().err == "existing tables match the models: stamped " + str(HEAD) + "\n"
    assert asyncio.run(_run(settings, _state_and_diff)) == (SchemaState.CURRENT, (HEAD,), [])
    assert main(["migrate", *url]) == 0
    assert capsys.readouterr().err == f"database at {HEAD} (was {HEAD})\n"


async def _create_all(settings: Settings) -> None:
    """What the server did before migrations existed: tables straight from the models, no alembic_version."""
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()


def _down_to_0001(conn: Connection) -> None:
    command.downgrade(connection_config(conn), "0001")


def _up_to_head(conn: Connection) -> None:
    command.upgrade(connection_config(conn), "head")


def _trigger_function(conn: Connection) -> str:
    if conn.dialect.name != "postgresql":
        return ""
    return str(conn.execute(text("SELECT prosrc FROM pg_proc WHERE proname = 'bump_embedding_generation'")).scalar())


async def test_0002_goes_down_and_up_and_leaves_the_models_trigger(settings: Settings) -> None:
    """0001 → head on a database made before 0002: the column arrives and PostgreSQL's trigger bumps once per
    transaction."""
    await _run(settings, _up_to_head)  # the SQLite leg starts empty
    await _run(settings, _down_to_0001)
    assert "writer_xid" not in await _run(settings, _trigger_function)
    assert (await _run(settings, _state_and_diff))[:2] == (SchemaState.OUTDATED, ("0001",))
    await _run(settings, _up_to_head)
    assert await _run(settings, _state_and_diff) == (SchemaState.CURRENT, (HEAD,), [])
    if settings.database_url.startswith("postgresql"):
        assert await _run(settings, _trigger_function) in BUMP_FUNCTION_POSTGRESQL


def _marks(conn: Connection) -> list[tuple[str, int]]:
    column = "block" if "block" in {c["name"] for c in inspect(conn).get_columns("facetdirty")} else "chunk"
    return [tuple(r) for r in conn.execute(text(f"SELECT organization_id, {column} FROM facetdirty ORDER BY 1, 2"))]


def _down_to_0003(conn: Connection) -> None:
    command.downgrade(connection_config(conn), "0003")


async def test_0004_marks_every_block_holding_rows_and_labels_mark_too(settings: Settings) -> None:
    """Up from 0003 every block holding rows is marked (the arrays gain a facet), and the triggers mark blocks, on
    writes to labels too; down again, chunks."""
    engine = create_engine(settings)
    await prepare_schema(engine)
    org = await ensure_organization(engine)
    await build_catalog(engine, org)  # 120 rows in block 0
    await engine.dispose()
    labeled = "(SELECT data_row_id FROM label WHERE project_id IS NOT NULL ORDER BY id LIMIT 1)"
    await _run(settings, lambda conn: conn.execute(text(f"UPDATE datarow SET seq = 5000 WHERE id = {labeled}")))
    await _run(settings, _down_to_0003)
    assert await _run(settings, _marks) == [(org, 0)]
    await _run(settings, _up_to_head)
    assert await _run(settings, _marks) == [(org, 0), (org, 4)]  # 4 = 5000 >> 10
    unlabel = (
        f"UPDATE label SET project_id = NULL WHERE id = (SELECT id FROM label WHERE data_row_id = {labeled} LIMIT 1)"
    )
    await _run(settings, lambda conn: (conn.execute(text("DELETE FROM facetdirty")), conn.execute(text(unlabel))))
    assert await _run(settings, _marks) == [(org, 4)]
    await _run(settings, _down_to_0003)
    assert await _run(settings, _marks) == [(org, 0)]
    await _run(settings, _up_to_head)


OLD_IMAGE = {
    "objects": [
        {"feature_id": "a", "feature_schema_id": "fa", "name": "roof", "value": "roof",
         "annotation_kind": "ImagePolygon", "polygon": [{"x": 1, "y": 2}, {"x": 3, "y": 4}, {"x": 5, "y": 1}],
         "classifications": []},
        {"feature_id": "b", "feature_schema_id": "fb", "name": "sky", "value": "sky",
         "annotation_kind": "ImageSegmentationMask", "mask": {"url": "https://x/m.png"}, "classifications": []},
    ],
    "classifications": [{"feature_id": "c", "feature_schema_id": "fc", "name": "i", "value": "i", "message_id": "2",
                         "radio_answer": {"feature_id": "d", "name": "o", "value": "o", "classifications": []}}],
    "relationships": [{"feature_id": "e", "feature_schema_id": "fe", "name": "r", "value": "r",
                       "relationship": {"source": "a", "target": "b", "type": "bidirectional"}}],
}  # fmt: skip
OLD_TEXT = {
    "objects": [{"feature_id": "t", "feature_schema_id": "ft", "name": "who", "value": "who",
                 "annotation_kind": "TextEntity", "location": {"start": 0, "end": 5}, "classifications": []}],
    "classifications": [], "relationships": [],
}  # fmt: skip


def _down_to_0005(conn: Connection) -> None:
    command.downgrade(connection_config(conn), "0005")


async def test_0006_rewrites_stored_json_into_the_released_shapes(settings: Settings) -> None:
    engine = create_engine(settings)
    await prepare_schema(engine)
    org = await ensure_organization(engine)
    await build_catalog(engine, org)
    await engine.dispose()
    await _run(settings, _down_to_0005)
    first = "(SELECT min(data_row_id) FROM label)"
    one_label = "(SELECT id FROM label WHERE data_row_id = {row} ORDER BY id LIMIT 1)"
    text_row = "(SELECT max(data_row_id) FROM label)"

    def old_shapes(conn: Connection) -> None:
        attrs = orjson.dumps({"mimeType": "video/mp4", "frameRate": 30, "width": 9}).decode()
        conn.execute(
            text(f"UPDATE datarow SET media_type = 'VIDEO', media_attributes = :a WHERE id = {first}"), {"a": attrs}
        )
        conn.execute(text(f"UPDATE datarow SET media_type = 'TEXT', row_data = 'Alice drives.' WHERE id = {text_row}"))
        for row, shapes in ((first, OLD_IMAGE), (text_row, OLD_TEXT)):
            stmt = f"UPDATE label SET annotations = :a, label_kind = 'Default' WHERE id = {one_label.format(row=row)}"
            conn.execute(text(stmt), {"a": orjson.dumps(shapes).decode()})

    def read(conn: Connection) -> tuple[Any, ...]:
        attrs = conn.execute(text(f"SELECT media_attributes FROM datarow WHERE id = {first}")).scalar_one()
        image = conn.execute(
            text(f"SELECT annotations, label_kind FROM label WHERE id = {one_label.format(row=first)}")
        )
        txt = conn.execute(text(f"SELECT annotations FROM label WHERE id = {one_label.format(row=text_row)}"))
        (ann, kind), (entity,) = image.one(), txt.one()
        return orjson.loads(attrs), orjson.loads(ann), kind, orjson.loads(entity)

    await _run(settings, old_shapes)
    await _run(settings, _up_to_head)
    attrs, image, kind, entity = await _run(settings, read)
    assert attrs == {"mime_type": "video/mp4", "frame_rate": 30, "width": 9} and kind == "Video"
    polygon, mask = image["objects"]
    assert polygon["polygon"][-1] == polygon["polygon"][0] and len(polygon["polygon"]) == 4
    assert mask["mask"] == {"url": "https://x/m.png"} and mask["composite_mask"]["url"] == "https://x/m.png"
    assert len(mask["composite_mask"]["color_rgb"]) == 3
    (classification,) = image["classifications"]
    assert list(classification)[-1] == "conversational_radio_answer" and "radio_answer" not in classification
    (relationship,) = image["relationships"]
    assert relationship["bidirectional_relationship"] == {"source": "a", "target": "b"}
    assert "relationship" not in relationship
    assert entity["objects"][0]["location"] == {"start": 0, "end": 4, "token": "Alice"}
