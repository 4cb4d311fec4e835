"""`catalog-export export --server URL`: start a task over GraphQL, then download its streams (stdlib HTTP)."""

from __future__ import annotations

import asyncio
import urllib.request
import zlib
from typing import IO, Any

import orjson

from server.errors import bad_input
from server.export.progress import Progress
from server.export.tasks import ExportRequest

READ = 1 << 20
START = """mutation($filter: DataRowFilter, $slice: ID, $params: ExportParams) {
  exportDataRows(filter: $filter, slice: $slice, params: $params) { id totalRows url errorsUrl }
}"""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _post(url: str, body: dict[str, Any], api_key: str | None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
    req = urllib.request.Request(url, data=orjson.dumps(body), headers=headers)
    with urllib.request.urlopen(req) as response:
        return orjson.loads(response.read())  # type: ignore[no-any-return]


def start_task(server: str, request: ExportRequest, api_key: str | None) -> dict[str, Any]:
    params = {_camel(k): v for k, v in request.params.to_json().items()}
    variables = {"filter": request.filter, "slice": request.slice_id, "params": params}
    answer = _post(server.rstrip("/") + "/graphql", {"query": START, "variables": variables}, api_key)
    if answer.get("errors"):
        raise bad_input(f"the server refused the export: {answer['errors'][0]['message']}", "server")
    return answer["data"]["exportDataRows"]  # type: ignore[no-any-return]


STATUS = "query($id: ID!) { exportTask(id: $id) { status failureReason totalRows } }"


def task_state(server: str, task_id: str, api_key: str | None) -> dict[str, Any]:
    answer = _post(server.rstrip("/") + "/graphql", {"query": STATUS, "variables": {"id": task_id}}, api_key)
    return answer["data"]["exportTask"]  # type: ignore[no-any-return]


def final_status(server: str, task_id: str, api_key: str | None) -> None:
    """Raise when the task the stream followed did not complete (the stream just ends early then)."""
    task = task_state(server, task_id, api_key)
    if task["status"] != "COMPLETE":
        raise bad_input(f"export {task_id} ended {task['status']}: {task['failureReason']}", "server")


def download(url: str, out: IO[bytes], progress: Progress | None = None) -> None:
    """Copy the stream to `out` (gzip on the wire, inflated here), counting lines into `progress`."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req) as response:
        gzipped = response.headers.get("Content-Encoding") == "gzip"
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        while chunk := response.read(READ):
            data = inflate.decompress(chunk) if inflate else chunk
            out.write(data)
            if progress is not None:
                progress.add(data.count(b"\n"))
        if inflate:
            out.write(inflate.flush())


def _run(server: str, request: ExportRequest, out: IO[bytes], err: IO[bytes], api_key: str | None) -> None:
    task = start_task(server, request, api_key)
    progress = Progress(task["totalRows"], lookup=lambda: task_state(server, task["id"], api_key)["totalRows"])
    download(task["url"], out, progress)
    download(task["errorsUrl"], err)
    progress.finish()
    final_status(server, task["id"], api_key)


async def export_remote(
    server: str, request: ExportRequest, out: IO[bytes], err: IO[bytes], api_key: str | None = None
) -> None:
    """The stream URLs the server returns are signed links, so only the GraphQL calls carry the key."""
    await asyncio.to_thread(_run, server, request, out, err, api_key)
