"""Fixtures of the ingest tests: the golden catalog, and a way to count rows of any table."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import GraphQLClient
from tests.ingest.golden_catalog import Ids, build_golden_catalog


@pytest.fixture
async def golden(gql: GraphQLClient) -> Ids:
    return await build_golden_catalog(gql)


async def count_rows(engine: AsyncEngine, model: Any) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model.__table__))).scalar_one()
