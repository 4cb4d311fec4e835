"""The server rebuilds marked chunks by itself (FACET_REFRESH_SECONDS), so counts come back to the arrays."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server.settings import Settings, replace
from tests.factory.filters import build_catalog
from tests.utils.facet_marks import counts, marks


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, facet_refresh_seconds=0.05)


async def test_the_server_rebuilds_in_the_background(app: Starlette, engine: AsyncEngine, org_id: str) -> None:
    await build_catalog(engine, org_id)
    for _ in range(100):
        if not await marks(engine, org_id):
            break
        await asyncio.sleep(0.05)
    assert await marks(engine, org_id) == []
    facets, sql = await counts(engine, org_id, {"annotation": {"name": "Car", "minCount": 2}})
    assert facets == sql
