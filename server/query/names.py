"""The names a filter's leaves refer to, looked up before compile: a metadata schema (by id or name) and its enum
options, the projects of the batches named without a project, the organization's own model runs. Unknown names fail
here, with the leaf's path, before any row is read; the compile step (server.filters) then needs no database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input, not_found
from server.filters.leaves.metadata import KINDS, MetadataMatch, MetadataQuery, convert
from server.filters.leaves.project import BATCH_PROJECTS
from server.filters.values import BOUNDS, check_range
from server.models import Batch, MetadataSchema, ModelRun

S = MetadataSchema.__table__.c
B = Batch.__table__.c
R = ModelRun.__table__.c

Resolve = Callable[[AsyncConnection, str, Any, str], Awaitable[Any]]


async def _schema(conn: AsyncConnection, org: str, query: MetadataQuery, path: str) -> Any:
    key, text = query.ref
    column = S.id if key == "schemaId" else S.name
    stmt = select(S.id, S.name, S.kind).where(S.organization_id == org, S.parent_id.is_(None), column == text)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise not_found("Metadata schema", text, f"{path}.{key}")
    return row


async def _options(conn: AsyncConnection, schema: Any, values: list[str], path: str) -> list[str]:
    """Enum values given as option ids or option names → option ids."""
    rows = (await conn.execute(select(S.id, S.name).where(S.parent_id == schema.id))).all()
    by_ref = {r.id: r.id for r in rows} | {r.name: r.id for r in rows}
    unknown = [v for v in values if v not in by_ref]
    if unknown:
        names = ", ".join(sorted(r.name for r in rows))
        raise bad_input(f"{path}: {unknown} are not options of {schema.name!r}; options: {names}.", path)
    return [by_ref[v] for v in values]


async def resolve_metadata(conn: AsyncConnection, org: str, query: MetadataQuery, path: str) -> MetadataMatch:
    schema = await _schema(conn, org, query, path)
    kind = KINDS.get(schema.kind.upper())
    if kind is None:
        raise bad_input(
            f"{path}: metadata field {schema.name!r} is of kind {schema.kind}, which cannot be filtered.", path
        )
    if "exists" in query.ops:
        return MetadataMatch(schema.id, kind.column, (), exists=query.ops["exists"])
    for op in query.ops:
        if op not in kind.ops:
            raise bad_input(
                f"{path}.{op} does not apply to {schema.kind.lower()} metadata; use {', '.join(kind.ops)}.", path
            )
    ops = {op: convert(kind, op, v, f"{path}.{op}") for op, v in query.ops.items()}
    if kind is KINDS["ENUM"]:
        ops = {op: await _enum_values(conn, schema, op, v, f"{path}.{op}") for op, v in ops.items()}
    bounds = check_range({op: v for op, v in ops.items() if op in BOUNDS}, path).bounds
    rest = tuple((op, v) for op, v in ops.items() if op not in BOUNDS)
    return MetadataMatch(schema.id, kind.column, rest + bounds)


async def _enum_values(conn: AsyncConnection, schema: Any, op: str, value: Any, path: str) -> Any:
    ids = await _options(conn, schema, value if op == "in" else [value], path)
    return ids if op == "in" else ids[0]


async def resolve_project(conn: AsyncConnection, org: str, checked: dict[str, Any], path: str) -> dict[str, Any]:
    """batchIds without a projectId: the projects of the organization's batches among them (a facet count needs a
    batch's project; an unknown batch matches no row, as in SQL)."""
    if "batchIds" not in checked or "projectId" in checked:
        return checked
    stmt = select(B.id, B.project_id).where(B.organization_id == org, B.id.in_(checked["batchIds"]))
    return checked | {BATCH_PROJECTS: {batch: project for batch, project in await conn.execute(stmt)}}


async def resolve_model_runs(conn: AsyncConnection, org: str, run_ids: list[str], path: str) -> list[str]:
    """The organization's model runs among those named: another tenant's run matches no row, as an unknown one."""
    stmt = select(R.id).where(R.organization_id == org, R.id.in_(run_ids))
    return list((await conn.execute(stmt)).scalars())


# leaf name → how its checked value becomes its resolved value (the other leaves compile as checked)
RESOLVERS: dict[str, Resolve] = {
    "metadata": resolve_metadata,
    "project": resolve_project,
    "modelRunIds": resolve_model_runs,
}
