"""docs/export-format.md shows exactly what the golden lines hold (regenerate: python -m tests.golden.format_doc)."""

from __future__ import annotations

import re

import orjson

from server.ingest.seed import seed_database
from server.settings import Settings
from tests.golden.format_doc import BLOCK, PAGE, blocks, render
from tests.utils.export_tasks import running

GRAPHQL = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def test_every_block_of_the_page_is_generated_and_current() -> None:
    page = PAGE.read_text()
    assert {m.group("name") for m in BLOCK.finditer(page)} == set(blocks()), "a block is missing or unknown"
    assert render(page) == page, "docs/export-format.md is stale: run python -m tests.golden.format_doc"


async def test_the_page_s_graphql_example_exports_beta_lines_from_the_demo_catalog(settings: Settings) -> None:
    (example,) = GRAPHQL.findall(PAGE.read_text())
    await seed_database(settings, rows=200, seed=1)
    async with running(settings) as (_, gql, _):
        task = (await gql.data(example))["exportDataRows"]
        done = await gql.wait_export(task["id"])
    lines = [orjson.loads(line) for line in done["ndjson"].splitlines()]
    assert lines and all(line["data_row"]["row_data"] and "details" in line["data_row"] for line in lines)
    projects = [p for line in lines for p in line["projects"].values()]
    assert projects and all("project_name" in p and "name" not in p for p in projects)
    assert all("models" in line and "experiments" not in line for line in lines)
