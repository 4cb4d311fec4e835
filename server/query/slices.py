"""Slices: saved filters of an organization. A filter is checked (names resolved) before it is stored."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.errors import bad_input, not_found
from server.filters.values import FilterLimits
from server.models import Slice
from server.models.base import new_id, utcnow
from server.query.count import count_rows
from server.query.scope import parse_and_resolve, request_where
from server.search.leaves import find_ranking_leaf

S = Slice.__table__.c
MAX_NAME = 500


def _name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > MAX_NAME:
        raise bad_input(f"A slice name needs 1 to {MAX_NAME} characters.", "name")
    return clean


async def _checked_filter(engine: AsyncEngine, org: str, filter: dict[str, Any], limits: FilterLimits) -> str:
    async with engine.connect() as conn:
        tree = await parse_and_resolve(conn, org, filter, "filter", limits)
    find_ranking_leaf([tree])  # one search/similarTo leaf, never under or/not: refused when saved, not when used
    return orjson.dumps(filter).decode()


async def find_slice(engine: AsyncEngine, org: str, slice_id: str) -> Row[Any] | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(Slice.__table__).where(S.id == slice_id, S.organization_id == org))).first()


async def get_slice(engine: AsyncEngine, org: str, slice_id: str) -> Row[Any]:
    row = await find_slice(engine, org, slice_id)
    if row is None:
        raise not_found("Slice", slice_id, "id")
    return row


async def list_slices(engine: AsyncEngine, org: str) -> list[Row[Any]]:
    async with engine.connect() as conn:
        stmt = select(Slice.__table__).where(S.organization_id == org).order_by(S.created_at, S.id)
        return list((await conn.execute(stmt)).all())


async def create_slice(
    engine: AsyncEngine, org: str, name: str, filter: dict[str, Any], limits: FilterLimits
) -> Row[Any]:
    values = {"name": _name(name), "filter": await _checked_filter(engine, org, filter, limits)}
    slice_id, now = new_id(), utcnow()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Slice.__table__).values(id=slice_id, organization_id=org, created_at=now, updated_at=now, **values)
        )
    return await get_slice(engine, org, slice_id)


async def update_slice(
    engine: AsyncEngine,
    org: str,
    slice_id: str,
    limits: FilterLimits,
    name: str | None = None,
    filter: dict[str, Any] | None = None,
) -> Row[Any]:
    await get_slice(engine, org, slice_id)
    values: dict[str, Any] = {"updated_at": utcnow()}
    if name is not None:
        values["name"] = _name(name)
    if filter is not None:
        values["filter"] = await _checked_filter(engine, org, filter, limits)
    async with engine.begin() as conn:
        await conn.execute(update(Slice.__table__).where(S.id == slice_id).values(**values))
    return await get_slice(engine, org, slice_id)


async def delete_slice(engine: AsyncEngine, org: str, slice_id: str) -> None:
    await get_slice(engine, org, slice_id)
    async with engine.begin() as conn:
        await conn.execute(delete(Slice.__table__).where(S.id == slice_id, S.organization_id == org))


async def slice_row_count(engine: AsyncEngine, org: str, slice_id: str, limits: FilterLimits) -> int:
    async with engine.connect() as conn:
        return await count_rows(conn, await request_where(conn, org, slice_id=slice_id, limits=limits))
