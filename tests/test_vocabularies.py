"""Each vocabulary the server stores or checks has one home, a server enum; the GraphQL enum is that class, and every
list the server keeps of its values is made from it. The columns holding them have no CHECK constraint (the frozen
migrations declare none), so the values the write paths store are read back and held to the enums instead."""

from __future__ import annotations

from enum import Enum

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.schema import schema
from server.errors import CatalogError
from server.filters.leaves.columns import COLUMN_LEAVES
from server.filters.leaves.ranking import SearchMode, check_search
from server.filters.values import FilterLimits
from server.ingest.metadata import CONVERTERS
from server.models import FeatureSchema, MetadataSchema, Project
from server.models.catalog import OPTION_KIND, DataRow, MediaType, MetadataKind
from server.models.exports import ACTIVE, TERMINAL, ExportStatus
from server.models.labeling import FeatureCategory
from server.models.webhooks import DeliveryStatus, WebhookEvent
from server.search.ranking import SEARCH_MODES
from server.webhooks.events import EVENTS
from tests.factory.build import build

VOCABULARIES: dict[str, type[Enum]] = {
    "ExportStatus": ExportStatus,
    "MediaType": MediaType,
    "MetadataKind": MetadataKind,
    "FeatureCategory": FeatureCategory,
    "WebhookEvent": WebhookEvent,
    "DeliveryStatus": DeliveryStatus,
    "SearchMode": SearchMode,
}


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_graphql_enum_is_the_server_enum(name: str) -> None:
    definition = schema.get_type_by_name(name)
    assert definition is not None
    assert definition.wrapped_cls is VOCABULARIES[name]  # type: ignore[union-attr]
    assert [v.name for v in definition.values] == [m.name for m in VOCABULARIES[name]]  # type: ignore[union-attr]


def test_server_lists_are_made_from_the_enums() -> None:
    assert set(ACTIVE) | set(TERMINAL) == set(ExportStatus) and not set(ACTIVE) & set(TERMINAL)
    assert set(EVENTS) == set(WebhookEvent)
    assert {status for status in EVENTS.values() if status is not None} <= set(TERMINAL)
    assert set(CONVERTERS) == set(MetadataKind)
    assert set(SEARCH_MODES) == set(SearchMode)
    assert OPTION_KIND not in set(MetadataKind)


def test_filters_accept_exactly_the_vocabularies() -> None:
    media = COLUMN_LEAVES["mediaTypes"].check
    limits = FilterLimits()
    assert media([m.value for m in MediaType], "f", limits) == [m.value for m in MediaType]
    with pytest.raises(CatalogError) as refused:
        media(["PDF"], "f", limits)
    assert refused.value.message == f"f has unknown values ['PDF']; use {', '.join(MediaType)}."
    assert [check_search({"query": "a", "mode": m.value}, "s") for m in SearchMode] == list(SearchMode)
    with pytest.raises(CatalogError) as refused:
        check_search({"query": "a", "mode": "FUZZY"}, "s")
    assert refused.value.message == "s.mode must be one of FULL_TEXT, SEMANTIC."


async def test_stored_values_are_the_vocabularies(engine: AsyncEngine, org_id: str) -> None:
    """The demo seed writes data rows, projects, metadata schemas and ontologies through the ingest code."""
    await build("demo", engine, org_id, rows=40)

    async def stored(column: object, *where: object) -> set[str]:
        async with engine.connect() as conn:
            return set((await conn.execute(select(column).where(*where).distinct())).scalars())  # type: ignore[call-overload]

    rows, projects = DataRow.__table__.c, Project.__table__.c  # type: ignore[attr-defined]
    schemas, features = MetadataSchema.__table__.c, FeatureSchema.__table__.c  # type: ignore[attr-defined]
    media = await stored(rows.media_type) | await stored(projects.media_type)
    assert media and media <= set(MediaType)
    kinds = await stored(schemas.kind, schemas.parent_id.is_(None))
    assert kinds and kinds <= set(MetadataKind)
    assert await stored(schemas.kind, schemas.parent_id.is_not(None)) == {OPTION_KIND}
    assert await stored(features.category) == set(FeatureCategory)
