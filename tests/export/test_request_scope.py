"""An export request's rows are set up once (server.export.rows) for exportDataRows, the worker and the CLI's local
export: each refuses the same oversized filter with the same message, under the settings' filter limits."""

from __future__ import annotations

import io

import pytest

from server.errors import CatalogError
from server.export.local import export_local
from server.export.tasks import ExportRequest, queue_task
from server.settings import Settings, replace
from tests.utils.export_tasks import FIELDS, START, running

TOO_MANY = {"globalKeys": ["a", "b", "c"]}
REFUSAL = "filter.globalKeys lists 3 values; at most 2 are allowed."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, max_in_list=2)


async def test_the_mutation_the_worker_and_the_cli_refuse_alike(settings: Settings) -> None:
    async with running(settings) as (app, gql, _):
        error = await gql.error(START, {"params": {}, "filter": TOO_MANY})
        queued = await queue_task(app.state.engine, app.state.organization_id, ExportRequest(filter=TOO_MANY))
        app.state.worker.wake_up()
        failed = await gql.wait_export(queued.id, FIELDS)
    assert (error["message"], error["extensions"]["code"]) == (REFUSAL, "LIMIT_EXCEEDED")
    assert (failed["status"], failed["failureReason"], failed["rowCount"]) == ("FAILED", REFUSAL, 0)
    with pytest.raises(CatalogError) as cli:
        await export_local(settings, "cli", ExportRequest(filter=TOO_MANY), io.BytesIO(), io.BytesIO())
    assert (cli.value.message, cli.value.code) == (REFUSAL, "LIMIT_EXCEEDED")
