"""The models' json_text columns are the one list of stored JSON: the assembler splices them unparsed, and the encoder
checks every one a page or a related part reads, so broken stored JSON becomes an error line, never a broken line."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from server.export import encode
from server.export.params import ExportParams
from server.loading.lines import iter_line_pages
from server.loading.related import STORED_JSON
from server.models import DataRow
from server.models.base import is_stored_json
from tests.factory import build

JSON_COLUMNS = sorted(
    (table.name, column.name)
    for table in SQLModel.metadata.tables.values()
    for column in table.c
    if is_stored_json(column)
)


def test_every_stored_json_column_is_read_where_the_encoder_checks_it() -> None:
    assert encode.PAGE_JSON == ("media_attributes",)
    checked = set(encode.PAGE_JSON).union(*STORED_JSON.values())
    assert checked == {column for _, column in JSON_COLUMNS}
    assert len(JSON_COLUMNS) == 6


@pytest.mark.parametrize(("table", "column"), JSON_COLUMNS)
async def test_broken_json_in_any_stored_column_is_an_error_line(
    engine: AsyncEngine, org_id: str, table: str, column: str
) -> None:
    catalog = await build("export", engine, org_id, rows=12)
    target = SQLModel.metadata.tables[table]
    async with engine.begin() as conn:
        broken = await conn.execute(update(target).values({column: '{"broken": '}))
    assert broken.rowcount > 0
    where = DataRow.__table__.c.organization_id == org_id  # type: ignore[attr-defined]
    [page] = [page async for page in iter_line_pages(engine, where, ExportParams.everything().to_plan(), 12)]
    encoded = encode.encode_page(page)
    reasons = {e["data_row_id"]: e["error"] for e in map(orjson.loads, encoded.errors)}
    assert reasons and set(reasons) <= set(catalog.row_ids)
    assert {reason.split(":")[0] for reason in reasons.values()} == {f"stored JSON of this row is invalid ({column})"}
    written = [orjson.loads(line)["data_row"]["id"] for line in encoded.data.splitlines()]
    assert written == sorted(set(catalog.row_ids) - set(reasons))
