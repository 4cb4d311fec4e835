"""Query root of /labelbox/graphql: the lookups the SDK makes before and while exporting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.labelbox import entities
from resolvers.labelbox.task import LbTask
from resolvers.labelbox.types import LbDataset, LbModelRun, LbOrganization, LbProject, LbSavedQuery, WhereUniqueId
from server.errors import bad_input, not_found
from server.export.tasks import get_task
from server.labelbox.dates import sdk_datetime

Info = strawberry.Info[Context, None]
T = TypeVar("T")


def _id(where: WhereUniqueId | None) -> str:
    if where is None:
        raise bad_input("where: {id} is required.", "where")
    return str(where.id)


async def _lookup(
    info: Info, load: Callable[..., Awaitable[Any]], where: WhereUniqueId | None, build: Callable[[Any], T]
) -> T | None:
    """One record by id in the caller's organization; null when missing (the SDK's ResourceNotFoundError)."""
    row = await load(info.context.engine, info.context.organization_id, _id(where))
    return None if row is None else build(row)


async def _task(ctx: Context, task_id: str) -> LbTask:
    row = await get_task(ctx.engine, ctx.organization_id, task_id)
    if row is None:
        raise not_found("Task", task_id, "where.id")
    return LbTask.from_row(row, ctx)


@strawberry.type(name="User", description="The caller; accounts are API keys here, so most fields are null.")
class LbUser:
    id: ID
    name: str | None = None
    email: str | None = None
    nickname: str | None = None
    picture: str | None = None
    is_external_user: bool | None = None
    is_viewer: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_login_at: str | None = None
    timezone: str | None = strawberry.field(default=None, description="null: the SDK then reads dates as UTC.")

    @strawberry.field(description="Export tasks of the caller's organization; the SDK looks one up by id.")
    async def created_tasks(
        self, info: Info, where: WhereUniqueId | None = None, skip: int = 0, first: int = 100
    ) -> list[LbTask]:
        return [await _task(info.context, _id(where))] if skip == 0 and first > 0 else []


@strawberry.type(name="Query")
class LabelboxQuery:
    @strawberry.field
    async def dataset(self, info: Info, where: WhereUniqueId | None = None) -> LbDataset | None:
        return await _lookup(info, entities.dataset, where, LbDataset.from_row)

    @strawberry.field
    async def project(self, info: Info, where: WhereUniqueId | None = None) -> LbProject | None:
        return await _lookup(info, entities.project, where, LbProject.from_row)

    @strawberry.field
    async def model_run(self, info: Info, where: WhereUniqueId | None = None) -> LbModelRun | None:
        return await _lookup(info, entities.model_run, where, LbModelRun.from_row)

    @strawberry.field
    def user(self, info: Info, where: WhereUniqueId | None = None) -> LbUser:
        return LbUser(id=ID(info.context.organization_id))

    @strawberry.field
    def organization(self, info: Info) -> LbOrganization:
        return LbOrganization(id=ID(info.context.organization_id))

    @strawberry.field(description="A catalog slice by id (NOT_FOUND when it does not exist).")
    async def get_saved_query(self, info: Info, id: ID) -> LbSavedQuery:
        row = await entities.saved_query(info.context.engine, info.context.organization_id, str(id))
        if row is None:
            raise not_found("Slice", str(id), "id")
        return LbSavedQuery(
            id=ID(row.id),
            name=row.name,
            description=None,
            filter=orjson.loads(row.filter),
            created_at=sdk_datetime(row.created_at),
            updated_at=sdk_datetime(row.updated_at),
        )

    @strawberry.field
    async def task(self, info: Info, where: WhereUniqueId | None = None) -> LbTask:
        return await _task(info.context, _id(where))
