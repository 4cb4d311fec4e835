"""The same catalog on SQLite and PostgreSQL exports the same NDJSON bytes and pages in the same order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from server.app import create_app
from server.auth.keys import create_key
from server.settings import Settings
from tests.factory.engine_bytes import GLOBAL_KEYS, ROW_IDS, insert_catalog
from tests.utils.client import EVERYTHING, GraphQLClient, http_client
from tests.utils.postgres import PostgresServer

EXPORT = "mutation($p: ExportParams) { exportDataRows(params: $p) { id } }"
PAGE = """query($after: String, $order: DataRowOrder) {
  dataRows(first: 2, after: $after, orderBy: $order) { nodes { id } pageInfo { hasNextPage endCursor } } }"""


async def _keyset_ids(gql: GraphQLClient, order: dict[str, str]) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = (await gql.data(PAGE, {"after": after, "order": order}))["dataRows"]
        ids += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def _export_and_pages(settings: Settings) -> tuple[bytes, list[list[str]]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await insert_catalog(app.state.engine, app.state.organization_id)
        key = (await create_key(app.state.engine, app.state.organization_id, "identity")).secret
        async with http_client(app, key) as http:
            gql = GraphQLClient(http)
            task_id = (await gql.data(EXPORT, {"p": EVERYTHING}))["exportDataRows"]["id"]
            assert (await gql.wait_export(task_id))["status"] == "COMPLETE"
            body = (await http.get(f"/exports/{task_id}.ndjson")).content
            orders: list[dict[str, Any]] = [
                {"field": f, "direction": d} for f in ("ID", "GLOBAL_KEY") for d in ("ASC", "DESC")
            ]
            return body, [await _keyset_ids(gql, order) for order in orders]


async def test_both_engines_export_identical_bytes(tmp_path: Path, postgres_server: PostgresServer) -> None:
    sqlite = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", export_dir=tmp_path / "s", export_page_size=2
    )
    await postgres_server.empty()
    postgres = Settings(database_url=postgres_server.url, export_dir=tmp_path / "p", export_page_size=2)

    sqlite_bytes, sqlite_pages = await _export_and_pages(sqlite)
    postgres_bytes, postgres_pages = await _export_and_pages(postgres)

    assert postgres_bytes == sqlite_bytes
    assert postgres_pages == sqlite_pages
    lines = [orjson.loads(line) for line in sqlite_bytes.splitlines()]
    assert [line["data_row"]["id"] for line in lines] == sorted(ROW_IDS, key=lambda i: i.encode())
    by_key = sorted((k or "", i) for k, i in zip(GLOBAL_KEYS, ROW_IDS, strict=True))
    assert sqlite_pages[2] == [i for _, i in sorted(by_key, key=lambda p: (p[0].encode(), p[1].encode()))]
