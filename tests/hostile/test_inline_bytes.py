"""Export results answered inline are bounded per request (MAX_INLINE_BYTES), not per field: aliases of one task's
`ndjson` cannot multiply a result in the server's memory."""

from __future__ import annotations

from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import EVERYTHING, EXPORT_FIELDS
from tests.utils.export_tasks import running, start_export

TWICE = "query($id: ID!) { a: exportTask(id: $id) { ndjson } b: exportTask(id: $id) { ndjson } }"


async def test_inline_results_are_bounded_per_request(settings: Settings) -> None:
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=6)
        task_id = (await start_export(gql, EVERYTHING))["id"]
        task = await gql.wait_export(task_id, EXPORT_FIELDS)
    size = len(task["ndjson"].encode())
    async with running(replace(settings, max_inline_bytes=size * 3 // 2)) as (_, gql, _):
        body = await gql(TWICE, {"id": task_id})
        one = await gql(TWICE.replace("b: exportTask(id: $id) { ndjson }", ""), {"id": task_id})
    answered = {alias: value["ndjson"] for alias, value in body["data"].items()}
    [refused] = [alias for alias, ndjson in answered.items() if ndjson is None]  # whichever resolved second
    assert sorted(answered.values(), key=str) == sorted([task["ndjson"], None], key=str)
    assert [(e["message"], e["extensions"], e["path"]) for e in body["errors"]] == [
        (
            f"This request would answer more than {size * 3 // 2} bytes of export results inline; "
            "ask for fewer `ndjson` fields at once or GET the tasks' `url`.",
            {"code": "LIMIT_EXCEEDED", "field": "ndjson"},
            [refused, "ndjson"],
        )
    ]
    assert one == {"data": {"a": {"ndjson": task["ndjson"]}}}
