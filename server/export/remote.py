"""`catalog-export export --server URL`: start a task over GraphQL, then download its streams.

httpx, with a timeout on every call: the GraphQL calls must answer within GRAPHQL_TIMEOUT; a download may wait up to
STREAM_READ_TIMEOUT between two chunks (a queued task's stream is silent until a worker takes it). Every failure a
user can meet (refused connection, wrong URL, wrong key, a server that is not ours) becomes a RemoteError whose
message says what to do.
"""

from __future__ import annotations

import asyncio
from typing import IO, Any, NoReturn

import httpx
import orjson

from server.export.progress import Progress
from server.export.tasks import ExportRequest
from server.failures import CommandFailed
from server.names import camel_case

GRAPHQL_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
STREAM_READ_TIMEOUT = 300.0
START = """mutation($filter: DataRowFilter, $slice: ID, $params: ExportParams) {
  exportDataRows(filter: $filter, slice: $slice, params: $params) { id totalRows url errorsUrl }
}"""
STATUS = "query($id: ID!) { exportTask(id: $id) { status failureReason totalRows } }"
KEY_HINT = "pass --api-key KEY or set CATALOG_EXPORT_API_KEY (`catalog-export keys create --org NAME` prints a key)"


class RemoteError(CommandFailed):
    pass


def graphql_url(server: str) -> str:
    """The GraphQL endpoint of `server`, given as the base URL or as the endpoint itself."""
    base = server.strip().rstrip("/")
    return base if base.endswith("/graphql") else base + "/graphql"


def _refused(response: httpx.Response) -> NoReturn:
    """A non-2xx answer as one actionable line."""
    try:
        errors = orjson.loads(response.content).get("errors") or [{}]
        message = str(errors[0].get("message", "")).split(". ")[0].rstrip(".")
        detail = f": {message}" if message else ""
    except (orjson.JSONDecodeError, AttributeError):
        detail = ""
    status, url = response.status_code, response.request.url
    if status == 401:
        raise RemoteError(f"{url} refused the API key (401){detail}; {KEY_HINT}.")
    if status == 404:
        raise RemoteError(f"{url} answered 404: is --server the server's address (http://HOST:PORT)?")
    raise RemoteError(f"{url} answered HTTP {status}{detail}")


def _transport_failure(server: str, exc: httpx.TransportError) -> RemoteError:
    if isinstance(exc, httpx.ConnectError):
        return RemoteError(f"cannot connect to {server} ({exc}): is `catalog-export serve` running there?")
    if isinstance(exc, httpx.TimeoutException):
        return RemoteError(f"{server} did not answer in time ({type(exc).__name__}); try again, or check the server.")
    return RemoteError(f"talking to {server} failed: {type(exc).__name__}: {exc}")


class Remote:
    def __init__(self, server: str, api_key: str | None) -> None:
        self.server, self.endpoint = server, graphql_url(server)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(headers=headers, timeout=GRAPHQL_TIMEOUT)

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(self.endpoint, json={"query": query, "variables": variables})
        except httpx.TransportError as exc:
            raise _transport_failure(self.server, exc) from exc
        if response.status_code != 200:
            _refused(response)
        try:
            answer = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise RemoteError(f"{self.endpoint} did not answer JSON: is it a catalog-export server?") from exc
        if answer.get("errors"):
            raise RemoteError(f"the server refused the export: {answer['errors'][0]['message']}")
        data: dict[str, Any] = answer["data"]
        return data

    def start_task(self, request: ExportRequest) -> dict[str, Any]:
        params = {camel_case(k): v for k, v in request.params.to_json().items()}
        variables = {"filter": request.filter, "slice": request.slice_id, "params": params}
        started: dict[str, Any] = self.graphql(START, variables)["exportDataRows"]
        return started

    def task_state(self, task_id: str) -> dict[str, Any]:
        state: dict[str, Any] = self.graphql(STATUS, {"id": task_id})["exportTask"]
        return state

    def final_status(self, task_id: str) -> None:
        """Raise when the task the stream followed did not complete (the stream just ends early then)."""
        task = self.task_state(task_id)
        if task["status"] != "COMPLETE":
            raise RemoteError(f"export {task_id} ended {task['status']}: {task['failureReason']}")

    def download(self, url: str, out: IO[bytes], progress: Progress | None = None) -> None:
        """Copy the stream (a signed link: no key needed) to `out`, inflating gzip, counting lines into `progress`."""
        timeout = httpx.Timeout(STREAM_READ_TIMEOUT, connect=GRAPHQL_TIMEOUT.connect)
        try:
            with httpx.stream("GET", url, timeout=timeout) as response:
                if response.status_code != 200:
                    response.read()
                    _refused(response)
                for data in response.iter_bytes():
                    out.write(data)
                    if progress is not None:
                        progress.add(data.count(b"\n"))
        except httpx.TransportError as exc:
            raise _transport_failure(self.server, exc) from exc


def _run(server: str, request: ExportRequest, out: IO[bytes], err: IO[bytes], api_key: str | None) -> None:
    with Remote(server, api_key) as remote:
        task = remote.start_task(request)
        progress = Progress(task["totalRows"], lookup=lambda: remote.task_state(task["id"])["totalRows"])
        remote.download(task["url"], out, progress)
        remote.download(task["errorsUrl"], err)
        progress.finish()
        remote.final_status(task["id"])


async def export_remote(
    server: str, request: ExportRequest, out: IO[bytes], err: IO[bytes], api_key: str | None = None
) -> None:
    """The stream URLs the server returns are signed links, so only the GraphQL calls carry the key."""
    await asyncio.to_thread(_run, server, request, out, err, api_key)
