"""A real uvicorn server over the labelbox catalog, for the real SDK, and our own exports of the same scope."""

from __future__ import annotations

import time
from typing import Any

import httpx
import labelbox
import orjson

from server.auth.keys import create_key
from server.db import create_engine
from server.schema_check import create_all
from server.settings import Settings
from tests.factory.labelbox import Catalog, build_catalog

NATIVE_EXPORT = """mutation($filter: DataRowFilter, $slice: ID, $ids: [ID!], $params: ExportParams) {
  exportDataRows(filter: $filter, slice: $slice, dataRowIds: $ids, params: $params) { id }
}"""


TASK = "query($id: ID!) { exportTask(id: $id) { status url errorsUrl } }"


async def seed_catalog(settings: Settings) -> tuple[Catalog, str]:
    """The catalog plus an API key of its organization (what the SDK authenticates with)."""
    engine = create_engine(settings)
    try:
        await create_all(engine)
        catalog = await build_catalog(engine)
        return catalog, (await create_key(engine, catalog.org_id, "sdk-tests")).secret
    finally:
        await engine.dispose()


class LiveServer:
    def __init__(self, settings: Settings, catalog: Catalog, key: str) -> None:
        self.url = f"http://{settings.host}:{settings.port}"
        self.catalog = catalog
        self.key = key
        self.http = httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {key}"})

    def sdk(self, api_key: str | None = None) -> labelbox.Client:
        return labelbox.Client(api_key=api_key or self.key, endpoint=f"{self.url}/labelbox/graphql")

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = self.http.post("/graphql", json={"query": query, "variables": variables}).json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def native(self, stream: str = "url", **variables: Any) -> list[dict[str, Any]]:
        """The parsed lines of our own exportDataRows for the same scope (`stream`: url or errorsUrl)."""
        task_id = self.graphql(NATIVE_EXPORT, variables)["exportDataRows"]["id"]
        for _ in range(400):
            task = self.graphql(TASK, {"id": task_id})["exportTask"]
            if task["status"] == "COMPLETE":
                return [orjson.loads(line) for line in httpx.get(task[stream]).content.splitlines()]
            time.sleep(0.025)
        raise AssertionError(f"native export {task_id} did not finish: {task}")
