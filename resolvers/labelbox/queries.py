"""Query root of /labelbox/graphql: the lookups the SDK makes before and while exporting."""

from __future__ import annotations

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

# Our media types → the SDK's MediaType values (the rest are spelled alike).
MEDIA_TYPES = {"DOCUMENT": "PDF", "GEOSPATIAL": "TMS_GEO"}


def _id(where: WhereUniqueId | None) -> str:
    if where is None:
        raise bad_input("where: {id} is required.", "where")
    return str(where.id)


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
        row = await entities.dataset(info.context.engine, info.context.organization_id, _id(where))
        if row is None:
            return None
        return LbDataset(
            id=ID(row.id),
            name=row.name,
            description=row.description,
            created_at=sdk_datetime(row.created_at),
            updated_at=None,
            row_count=row.row_count,
        )

    @strawberry.field
    async def project(self, info: Info, where: WhereUniqueId | None = None) -> LbProject | None:
        row = await entities.project(info.context.engine, info.context.organization_id, _id(where))
        if row is None:
            return None
        return LbProject(
            id=ID(row.id),
            name=row.name,
            description=row.description,
            created_at=sdk_datetime(row.created_at),
            data_row_count=row.data_row_count,
            last_activity_time=sdk_datetime(row.last_activity_at),
            allowed_media_type=MEDIA_TYPES.get(row.media_type, row.media_type),
        )

    @strawberry.field
    async def model_run(self, info: Info, where: WhereUniqueId | None = None) -> LbModelRun | None:
        row = await entities.model_run(info.context.engine, info.context.organization_id, _id(where))
        if row is None:
            return None
        return LbModelRun(id=ID(row.id), name=row.name, model_id=row.model_id, created_at=sdk_datetime(row.created_at))

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
