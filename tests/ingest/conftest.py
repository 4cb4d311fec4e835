"""Fixtures of the ingest tests: the golden catalog."""

from __future__ import annotations

import pytest

from tests.ingest.golden_catalog import Ids, build_golden_catalog
from tests.utils.client import GraphQLClient


@pytest.fixture
async def golden(gql: GraphQLClient) -> Ids:
    return await build_golden_catalog(gql)
