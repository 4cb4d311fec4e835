"""A running export reads its pages on one connection but in short transactions: between two pages it holds none, so
it never pins PostgreSQL's vacuum horizon nor keeps SQLite from checkpointing its WAL (README: Export reads)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import create_engine
from server.export.encode import encode_page
from server.export.params import ExportParams
from server.loading.lines import LinePage, iter_line_pages
from server.models import DataRow
from server.settings import Settings
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import Gate, running, start_export
from tests.utils.statements import count_statements

IDLE_IN_TRANSACTION = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND state LIKE 'idle in transaction%'"
)


async def _transactions_held(engine: AsyncEngine, settings: Settings) -> bool:
    if settings.is_sqlite:  # a TRUNCATE checkpoint waits for every reader of the WAL: busy while one is open
        path = settings.database_url.split("///", 1)[1]
        with sqlite3.connect(path, timeout=0.2) as conn:
            return bool(conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])
    async with engine.connect() as conn:
        return bool((await conn.execute(IDLE_IN_TRANSACTION)).scalar_one())


async def test_a_running_export_holds_no_transaction_between_pages(settings: Settings) -> None:
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        gate = Gate(2).install(app)
        task = await start_export(gql, EVERYTHING)
        await gate.reached.wait()  # between pages 2 and 3; page 3 is read ahead meanwhile
        for _ in range(50):
            if not await _transactions_held(app.state.engine, settings):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the export kept a transaction open between its pages")
        gate.opened.set()
        assert (await gql.wait_export(task["id"], "status rowCount")) == {"status": "COMPLETE", "rowCount": 12}


def _commit_elsewhere(settings: Settings, statement: str, **values: Any) -> None:
    """Run and commit `statement` on an engine of its own, in another thread: a concurrent writer."""

    async def write() -> None:
        other = create_engine(settings)
        try:
            async with other.begin() as conn:
                await conn.execute(text(statement), values)
        finally:
            await other.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(write()))
    thread.start()
    thread.join()


def _encoded(pages: list[LinePage]) -> bytes:
    return b"".join(encode_page(page).data for page in pages)


def _metadata_counts(page: LinePage) -> list[int]:
    return [len(line["metadata_fields"]) for line in page.lines]


async def test_a_page_and_its_related_rows_are_read_in_one_snapshot(
    engine: AsyncEngine, org_id: str, settings: Settings
) -> None:
    """A writer commits between a page's statement and its metadata statement: the page's lines do not see it."""
    await build("export", engine, org_id, rows=3)
    where = DataRow.__table__.c.organization_id == org_id
    plan = ExportParams(metadata_fields=True).to_plan()
    before = [page async for page in iter_line_pages(engine, where, plan, 10)]
    first_row = before[0].lines[0]["data_row"]["id"]
    deleted: list[bool] = []

    def delete_metadata(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT datarow.id") and not deleted:
            _commit_elsewhere(settings, "DELETE FROM metadatavalue WHERE data_row_id = :id", id=first_row)
            deleted.append(True)

    event.listen(engine.sync_engine, "after_cursor_execute", delete_metadata)
    try:
        during = [page async for page in iter_line_pages(engine, where, plan, 10)]
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", delete_metadata)
    assert deleted
    after = [page async for page in iter_line_pages(engine, where, plan, 10)]
    assert _encoded(during) == _encoded(before)
    assert _metadata_counts(after[0])[0] == 0 < _metadata_counts(before[0])[0]
    assert _metadata_counts(after[0])[1:] == _metadata_counts(before[0])[1:]


async def test_the_next_page_is_asked_for_before_this_one_is_handed_over(engine: AsyncEngine, org_id: str) -> None:
    """The database works on page N+1 while the caller encodes page N: its statement is out when page N arrives."""
    await build("export", engine, org_id, rows=12)
    where = DataRow.__table__.c.organization_id == org_id
    for plan in (ExportParams(data_row_details=True).to_plan(), ExportParams(metadata_fields=True).to_plan()):
        with count_statements(engine) as counter:
            pages = iter_line_pages(engine, where, plan, 5)
            async with contextlib.aclosing(pages):
                await anext(pages)
                page_statements = [s for s in counter.statements if s.lstrip().startswith("SELECT datarow.id")]
        assert len(page_statements) == 2, plan
