"""The app over real HTTP (httpx's ASGI transport) and a GraphQL client on it; the export params and task fields
most export tests ask for."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from starlette.applications import Starlette


def http_client(app: Starlette, key: str | None = None, host: str = "127.0.0.1") -> httpx.AsyncClient:
    """A real HTTP client for the app, from client address `host`, sending `key` as a bearer token if given."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)


# ExportParams with every section on, every project and model run (what round trips and identity tests export).
EVERYTHING = {
    "dataRowDetails": True,
    "mediaAttributes": True,
    "attachments": True,
    "metadataFields": True,
    "projectDetails": True,
    "labelDetails": True,
    "performanceDetails": True,
    "predictions": True,
    "embeddings": True,
    "interpolatedFrames": True,
    "allProjects": True,
    "allModelRuns": True,
}
EXPORT_FIELDS = "status ndjson rowCount errorCount sha256 failureReason"


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, **kw)
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert body.get("errors"), body
        return body["errors"][0]

    async def wait_export(self, task_id: str, fields: str = EXPORT_FIELDS) -> dict[str, Any]:
        query = "query($id: ID!) { exportTask(id: $id) { " + fields + " } }"
        deadline = time.monotonic() + 60  # generous: CI machines run other work beside the tests
        while time.monotonic() < deadline:
            task = (await self.data(query, {"id": task_id}))["exportTask"]
            if task["status"] in ("COMPLETE", "FAILED", "CANCELED"):
                return task
            await asyncio.sleep(0.025)
        raise AssertionError(f"export {task_id} did not finish: {task}")
