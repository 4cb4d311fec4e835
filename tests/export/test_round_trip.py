"""export (everything) → import into an empty database → export: byte-identical NDJSON; bad lines are reported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from starlette.applications import Starlette

from server.bulk_indexes import DEFERRED
from server.db import create_engine
from server.ingest.ndjson import ImportReport, import_file, import_lines
from server.ingest.seed import seed_database
from server.models import DataRow, Label, LabelFeature
from server.orgs import ensure_organization
from server.schema_check import create_all, migrate
from server.settings import Settings
from tests.factory import build
from tests.utils.export_tasks import BUILT, export_everything, exported, running
from tests.utils.postgres import estimated_rows
from tests.utils.statements import count_statements

FORMATS = ("LABELBOX", "LABELBOX_2023_BETA")


async def _count(app: Starlette, table: type) -> int:
    async with app.state.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table.__table__))).scalar_one())


@asynccontextmanager
async def _reimported(
    empty_settings: Settings, tmp_path: Path, first: bytes, rows: int, fmt: str = "LABELBOX"
) -> AsyncIterator[Starlette]:
    """`first` imported into an empty database (every line lands), exported again byte-identical in the same format;
    yields that app."""
    source = tmp_path / "first.ndjson"
    source.write_bytes(first)
    report = await import_file(empty_settings, source)
    assert (report.lines, report.rows, report.errors) == (rows, rows, [])
    async with running(empty_settings) as (app, gql, http):
        assert await export_everything(gql, http, fmt) == first
        yield app


@pytest.mark.parametrize("fmt", FORMATS)
async def test_round_trip_is_byte_identical(
    settings: Settings, empty_settings: Settings, tmp_path: Path, fmt: str
) -> None:
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        first = await export_everything(gql, http, fmt)
        features = await _count(app, LabelFeature)
    async with _reimported(empty_settings, tmp_path, first, rows=12, fmt=fmt) as app:
        assert await _count(app, LabelFeature) == features


async def test_bad_lines_are_reported_by_number_and_good_ones_land(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    lines = (await exported(settings, rows=3)).splitlines(keepends=True)
    source = tmp_path / "mixed.ndjson"
    source.write_bytes(lines[0] + b"{not json\n" + b'{"data_row": {}}\n' + lines[1] + lines[1] + lines[2])
    report = await import_file(empty_settings, source)
    assert report.rows == 3
    assert [n for n, _ in report.errors] == [2, 3, 5]
    assert report.errors[0][1].startswith("not valid JSON: ")
    assert report.errors[1][1] == "not an Export v2 line (KeyError: 'id')"
    assert report.errors[2][1].endswith("already exists")
    async with running(empty_settings) as (app, _, _):
        assert await _count(app, DataRow) == 3


async def _import_lines(
    settings: Settings, source: Path, statements: list[str] | None = None, **options: Any
) -> ImportReport:
    """import_lines into `settings`' database; the statements it sent are added to `statements` if given."""
    engine = create_engine(settings)
    try:
        await create_all(engine)
        org = await ensure_organization(engine)
        with count_statements(engine) as counter:
            report = await import_lines(engine, org, source, **options)
        (statements if statements is not None else []).extend(counter.statements)
        return report
    finally:
        await engine.dispose()


def _present_indexes(conn: Connection) -> set[str]:
    inspector = inspect(conn)
    return {index["name"] for table in {ix.table.name for ix in DEFERRED} for index in inspector.get_indexes(table)}


async def _missing_indexes(settings: Settings) -> list[str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            present = await conn.run_sync(_present_indexes)
        return [str(index.name) for index in DEFERRED if index.name not in present]
    finally:
        await engine.dispose()


def _ddl(statements: list[str], verb: str) -> list[int]:
    return [i for i, s in enumerate(statements) if s.lstrip().startswith(verb)]


@pytest.mark.parametrize("commit_rows", [0, 100], ids=["commit-every-batch", "one-transaction"])
async def test_a_clash_with_an_earlier_batch_fails_only_its_line(
    settings: Settings, empty_settings: Settings, tmp_path: Path, commit_rows: int
) -> None:
    """Into an empty database the id lookup is skipped: the bulk write (COPY on PostgreSQL) fails on the unique
    constraint, nothing of that batch stays half-written, and the batch is retried line by line; when the earlier
    batch is not committed yet (same transaction), it stays (the failed batch rolled back to its savepoint)."""
    lines = (await exported(settings, rows=3)).splitlines(keepends=True)
    source = tmp_path / "again.ndjson"
    source.write_bytes(lines[0] + lines[1] + lines[2] + lines[0])
    report = await _import_lines(empty_settings, source, batch_size=2, commit_rows=commit_rows)
    assert report.rows == 3
    assert [n for n, _ in report.errors] == [4]
    assert report.errors[0][1].startswith("conflicts with existing records: ")
    async with running(empty_settings) as (app, gql, http):
        assert await _count(app, DataRow) == 3
        assert await export_everything(gql, http) == b"".join(lines)


async def test_a_transaction_gathers_batches_up_to_commit_rows_and_each_commit_is_reported(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    first = await exported(settings, rows=5)
    source = tmp_path / "rows.ndjson"
    source.write_bytes(first)
    printed: list[str] = []
    report = await _import_lines(empty_settings, source, batch_size=2, commit_rows=4, progress=printed.append)
    assert (report.rows, report.batches, report.errors) == (5, 3, [])
    assert printed == [
        "batches 1-2 committed: lines up to 4, 4 rows landed (4 in all)",
        "batch 3 committed: lines up to 5, 1 rows landed (5 in all)",
        BUILT,
    ]
    async with running(empty_settings) as (_, gql, http):
        assert await export_everything(gql, http) == first


@pytest.mark.parametrize("fmt", FORMATS)
async def test_the_seeded_demo_catalog_round_trips_byte_identical(
    settings: Settings, empty_settings: Settings, tmp_path: Path, fmt: str
) -> None:
    """Every kind the seed writes (embedding metadata, conversational rows, video frames…) imports back exactly."""
    await seed_database(settings, rows=150, seed=4)
    async with running(settings) as (_, gql, http):
        first = await export_everything(gql, http, fmt)
    async with _reimported(empty_settings, tmp_path, first, rows=150, fmt=fmt):
        pass


def _project_entry(line: bytes, old: bytes, new: bytes) -> bytes:
    assert old in line
    return line.replace(old, new, 1)


async def test_lines_in_neither_format_or_mixing_both_are_numbered_errors_and_write_nothing(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    lines = (await exported(settings, rows=4)).splitlines(keepends=True)
    assert all(b'"experiments":{"' in line and b'"projects":{"' in line for line in lines)
    source = tmp_path / "formats.ndjson"
    neither = _project_entry(lines[1], b'{"name":', b'{"title":')
    mixed = _project_entry(lines[2], b'"experiments":', b'"models":')
    source.write_bytes(lines[0] + neither + mixed + b"[1, 2]\n" + lines[3])
    report = await import_file(empty_settings, source)
    assert report.rows == 2
    pid = next(iter(orjson.loads(lines[1])["projects"]))  # the entry whose name was replaced
    assert report.errors == [
        (2, f"projects.{pid} has no name or project_name: the line is in neither export format"),
        (
            3,
            "the line mixes the LABELBOX envelope (projects.<id>.name, experiments) with the LABELBOX_2023_BETA one "
            "(projects.<id>.project_name, models); write each line in one format",
        ),
        (4, "the line has no data_row object: it is not an export line"),
    ]
    good = {orjson.loads(line)["data_row"]["id"] for line in (lines[0], lines[3])}
    async with running(empty_settings) as (app, _, _), app.state.engine.connect() as conn:
        rows = set((await conn.execute(select(DataRow.__table__.c.id))).scalars())
        labeled = set((await conn.execute(select(Label.__table__.c.data_row_id))).scalars())
    assert rows == good and labeled <= good  # nothing of the bad lines: not their rows, not their labels


async def test_an_import_leaves_postgresql_statistics_current(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    """Keyset pages over freshly imported rows are planned from statistics, not from an empty table's defaults."""
    if empty_settings.is_sqlite:
        pytest.skip("SQLite's plans for these queries do not use statistics")
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        source = tmp_path / "rows.ndjson"
        source.write_bytes(await export_everything(gql, http))
    await import_file(empty_settings, source)
    assert await estimated_rows(empty_settings, "datarow") == 12


async def test_into_an_empty_database_secondary_indexes_are_built_after_the_load(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    """Dropped in the first transaction, before the first row, and built after the last commit (one sort each
    instead of a random leaf page per row)."""
    first = await exported(settings, rows=5)
    (source := tmp_path / "rows.ndjson").write_bytes(first)
    statements: list[str] = []
    await _import_lines(empty_settings, source, statements, batch_size=2, commit_rows=2)
    drops, creates = _ddl(statements, "DROP INDEX"), _ddl(statements, "CREATE INDEX")
    writes = _ddl(statements, "SAVEPOINT") + _ddl(statements, "RELEASE SAVEPOINT")  # each batch's (COPY is unseen)
    assert (len(drops), len(creates)) == (len(DEFERRED), len(DEFERRED))
    assert max(drops) < min(writes) and max(writes) < min(creates)
    assert await _missing_indexes(empty_settings) == []
    async with running(empty_settings) as (_, gql, http):
        assert await export_everything(gql, http) == first


async def test_into_a_database_with_rows_no_index_is_dropped(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    lines = (await exported(settings, rows=4)).splitlines(keepends=True)
    (head := tmp_path / "head.ndjson").write_bytes(b"".join(lines[:2]))
    (tail := tmp_path / "tail.ndjson").write_bytes(b"".join(lines[2:]))
    await _import_lines(empty_settings, head)
    statements: list[str] = []
    printed: list[str] = []
    report = await _import_lines(empty_settings, tail, statements, progress=printed.append)
    assert (report.rows, report.errors) == (2, [])
    assert _ddl(statements, "DROP INDEX") == _ddl(statements, "CREATE INDEX") == []
    assert printed == ["batch 1 committed: lines up to 2, 2 rows landed (2 in all)"]


async def test_indexes_an_interrupted_import_left_missing_are_built_by_the_next_import_and_by_migrate(
    settings: Settings, tmp_path: Path
) -> None:
    """An import killed between dropping its deferred indexes and building them leaves them missing."""
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=3)
        first = await export_everything(gql, http)
        async with app.state.engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_datarow_org_created"))
            await conn.execute(text("DROP INDEX ix_labelfeature_name_row"))
    assert await _missing_indexes(settings) == ["ix_datarow_org_created", "ix_labelfeature_name_row"]
    (source := tmp_path / "rows.ndjson").write_bytes(first)
    printed: list[str] = []
    await _import_lines(settings, source, progress=printed.append)
    assert printed[0] == "built 2 secondary indexes (an earlier import left missing)"
    assert await _missing_indexes(settings) == []
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_metadatavalue_number_row"))
        assert (await migrate(engine)).endswith("; built 1 missing secondary index (ix_metadatavalue_number_row)")
    finally:
        await engine.dispose()
    assert await _missing_indexes(settings) == []
