"""Frozen revisions: an empty database migrated one revision at a time, with rows written at each step (so each
revision's own triggers run), ends with exactly the schema `create_all` makes from the models; and goes back down
one revision at a time, rows written at each step again, to an empty database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from server.db import create_engine
from server.migrations import MIGRATIONS_DIR, alembic_config
from server.models import metadata
from server.schema_check import connection_config
from server.settings import Settings
from tests.utils.schema import schema_of

SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
REVISIONS = [script.revision for script in reversed(list(SCRIPTS.walk_revisions()))]
ORG = "corg"
# 0001-0002 mark nothing; 0003 marks chunks, not on label writes; 0004 on (later) marks blocks, label writes too.
MARKING = {"0001": None, "0002": None, "0003": ("chunk", False)}


def _marking(revision: str) -> tuple[str, bool] | None:
    return MARKING.get(revision, ("block", True))


async def _run(url: str, work: Any) -> Any:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _empty(conn: Connection) -> None:
    """No tables, functions or sequences (the PostgreSQL session database starts at head)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    assert inspect(conn).get_table_names() == []


def _models(conn: Connection) -> dict[str, Any]:
    _empty(conn)
    metadata.create_all(conn)
    command.stamp(connection_config(conn), "head")
    return schema_of(conn)


# Columns every revision has; the rest of each table take their defaults. `{n}` makes a step's ids its own.
ROWS = (
    "INSERT INTO dataset (id, organization_id, name, created_at) VALUES ('cds{n}', '{org}', 'd', '2026-01-01')",
    "INSERT INTO datarow (id, organization_id, dataset_id, row_data, media_type, created_at, updated_at)"
    " VALUES ('cdr{n}', '{org}', 'cds{n}', 'https://x/{n}.jpg', 'IMAGE', '2026-01-01', '2026-01-01')",
    "INSERT INTO metadataschema (id, organization_id, name, kind) VALUES ('cms{n}', '{org}', 'm{n}', 'string')",
    "INSERT INTO metadatavalue (id, organization_id, data_row_id, schema_id, string_value, position)"
    " VALUES ('cmv{n}', '{org}', 'cdr{n}', 'cms{n}', 'v', 0)",
    "INSERT INTO project (id, organization_id, name, media_type, created_at)"
    " VALUES ('cpr{n}', '{org}', 'p', 'IMAGE', '2026-01-01')",
    "INSERT INTO projectdatarow (project_id, data_row_id, organization_id, priority, workflow_status,"
    " consensus_expected_label_count, last_activity_at) VALUES ('cpr{n}', 'cdr{n}', '{org}', 5, 'TO_LABEL', 1,"
    " '2026-01-01')",
    "INSERT INTO label (id, organization_id, data_row_id, project_id, source, label_kind, version, created_at,"
    " updated_at) VALUES ('clb{n}', '{org}', 'cdr{n}', 'cpr{n}', 'LABEL', 'Default', '1.0.0', '2026-01-01',"
    " '2026-01-01')",
    "INSERT INTO labelfeature (label_id, feature_schema_id, organization_id, data_row_id, project_id, source, name,"
    " kind, count) VALUES ('clb{n}', 'cfs{n}', '{org}', 'cdr{n}', 'cpr{n}', 'LABEL', 'car', 'bbox', 1)",
    "INSERT INTO model (id, organization_id, name, created_at) VALUES ('cmo{n}', '{org}', 'm', '2026-01-01')",
    "INSERT INTO modelrun (id, organization_id, model_id, name, created_at)"
    " VALUES ('cmr{n}', '{org}', 'cmo{n}', 'r', '2026-01-01')",
    "INSERT INTO modelrundatarow (model_run_id, data_row_id, organization_id, annotation_group_id)"
    " VALUES ('cmr{n}', 'cdr{n}', '{org}', 'cag{n}')",
    "INSERT INTO embedding (id, organization_id, name, dims, created_at)"
    " VALUES ('cem{n}', '{org}', 'e{n}', 2, '2026-01-01')",
    "INSERT INTO datarowembedding (embedding_id, data_row_id, organization_id, vector)"
    " VALUES ('cem{n}', 'cdr{n}', '{org}', :vector)",
    "UPDATE datarowembedding SET vector = :vector WHERE embedding_id = 'cem{n}'",
    "INSERT INTO searchdocument (organization_id, data_row_id, body) VALUES ('{org}', 'cdr{n}', 'word{n} tail')",
    "UPDATE metadatavalue SET string_value = 'w' WHERE id = 'cmv{n}'",
    "UPDATE datarow SET media_type = 'VIDEO' WHERE id = 'cdr{n}'",
    "INSERT INTO exporttask (id, organization_id, status, request, row_count, error_count, bytes_written, created_at)"
    " VALUES ('cex{n}', '{org}', 'QUEUED', '{{}}', 0, 0, 0, '2026-01-01')",
)
WEBHOOK_ROWS = (  # from 0009 on
    "INSERT INTO webhook (id, organization_id, url, events, secret, enabled, created_at, updated_at)"
    " VALUES ('cwh{n}', '{org}', 'https://x', '[]', 'whsec_x', true, '2026-01-01', '2026-01-01')",
    "INSERT INTO webhookdelivery (message_id, organization_id, webhook_id, event_type, subject, payload, status,"
    " attempts, next_attempt_at, created_at) VALUES ('msg{n}', '{org}', 'cwh{n}', 'e', 'cex{n}', '{{}}', 'PENDING', 0,"
    " '2026-01-01', '2026-01-01')",
)
EVENTS = ("ai", "au", "ad")
FACET_TABLES = ("datarow", "metadatavalue", "labelfeature", "projectdatarow", "modelrundatarow", "label")
TRIGGERS = {
    "sqlite": {"searchdocument_ai", "searchdocument_au", "searchdocument_ad", "datarowembedding_gen_INSERT",
               "datarowembedding_gen_UPDATE", "datarowembedding_gen_DELETE"},
    "postgresql": {"datarowembedding_gen"},
}  # fmt: skip
FOUND = {
    "sqlite": "SELECT count(*) FROM searchdocument_fts WHERE searchdocument_fts MATCH :word",
    "postgresql": "SELECT count(*) FROM searchdocument WHERE tsv @@ to_tsquery('simple', :word)",
}


def _marks(conn: Connection, column: str) -> list[tuple[str, int]]:
    return [tuple(r) for r in conn.execute(text(f"SELECT organization_id, {column} FROM facetdirty ORDER BY 1, 2"))]


def _write(conn: Connection, revision: str, n: int) -> None:
    """Rows in every table of `revision` (updates too), then what its triggers did with them."""
    tables = set(inspect(conn).get_table_names())
    marking = _marking(revision)
    if marking:
        conn.execute(text("DELETE FROM facetdirty"))
    for statement in (*ROWS, *(WEBHOOK_ROWS if "webhook" in tables else ())):
        conn.execute(text(statement.format(n=n, org=ORG)), {"vector": bytes(8)})
    found = conn.execute(text(FOUND[conn.dialect.name]), {"word": f"word{n}"}).scalar_one()
    generation = "SELECT count(*) FROM embeddinggeneration WHERE embedding_id = :e"
    assert (found, conn.execute(text(generation), {"e": f"cem{n}"}).scalar_one()) == (1, 1), revision
    if "writer_xid" in {c["name"] for c in inspect(conn).get_columns("embeddinggeneration")}:
        xid = conn.execute(text("SELECT writer_xid FROM embeddinggeneration WHERE embedding_id = :e"), {"e": f"cem{n}"})
        assert (xid.scalar_one() is not None) == (conn.dialect.name == "postgresql"), revision
    if marking is None:
        assert "facetdirty" not in tables, revision
        return
    column, labels_mark = marking
    seq = conn.execute(text("SELECT seq FROM datarow WHERE id = :r"), {"r": f"cdr{n}"}).scalar_one()
    assert seq >= 1 and _marks(conn, column) == [(ORG, 0)], revision
    conn.execute(text("DELETE FROM facetdirty"))
    conn.execute(text("UPDATE label SET version = '1.0.1' WHERE id = :l"), {"l": f"clb{n}"})
    assert _marks(conn, column) == ([(ORG, 0)] if labels_mark else []), revision


def _triggers(schema: dict[str, Any]) -> set[str]:
    if "triggers" in schema:
        return set(schema["triggers"])
    return {name.removeprefix("trigger ") for name in schema["objects"] if name.startswith("trigger ")}


def _step_up(conn: Connection) -> dict[str, Any]:
    _empty(conn)
    for n, revision in enumerate(REVISIONS):
        command.upgrade(connection_config(conn), revision)
        if n == 0:
            conn.execute(text(f"INSERT INTO organization (id, name, created_at) VALUES ('{ORG}', 'o', '2026-01-01')"))
        _write(conn, revision, n)
    return schema_of(conn)


def _step_down(conn: Connection) -> list[str]:
    for n, revision in enumerate(reversed(REVISIONS[:-1]), start=len(REVISIONS)):
        command.downgrade(connection_config(conn), revision)
        _write(conn, revision, n)
    command.downgrade(connection_config(conn), "base")
    return inspect(conn).get_table_names()


async def test_revisions_one_by_one_make_the_models_schema_and_go_back(
    settings: Settings, engine_name: str, tmp_path: Path
) -> None:
    url = settings.database_url
    models_url = f"sqlite+aiosqlite:///{tmp_path / 'models.db'}" if url.startswith("sqlite") else url
    models = await _run(models_url, _models)
    stepped = await _run(url, _step_up)

    assert stepped == models
    assert _triggers(models) == TRIGGERS[engine_name] | {f"{t}_facets_{e}" for t in FACET_TABLES for e in EVENTS}
    assert await _run(url, _step_down) == ["alembic_version"]


def test_revisions_import_no_project_code() -> None:
    """A revision holds the DDL it ran: nothing it imports can change under it."""
    imports = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        project = [m for m in imports.findall(path.read_text()) if m.split(".")[0] in {"server", "resolvers", "tests"}]
        assert project == [], path.name
