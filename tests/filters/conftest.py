"""A built filter catalog in the test's database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.utils.filter_catalog import CatalogSpec, build_catalog


@pytest.fixture
async def catalog(engine: AsyncEngine, org_id: str) -> CatalogSpec:
    return await build_catalog(engine, org_id)
