"""createApiKey / revokeApiKey: admin keys manage their own organization's keys (FORBIDDEN otherwise)."""

from __future__ import annotations

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.scalars import DateTime
from server.auth.keys import KeyInfo, create_key, revoke_key
from server.errors import bad_input

Info = strawberry.Info[Context, None]
MAX_NAME = 200


@strawberry.type(description="An API key of your organization; the secret itself is shown only when created.")
class ApiKey:
    id: ID
    name: str
    prefix: str = strawberry.field(description="The key's first characters, to recognise it.")
    admin: bool
    created_at: DateTime
    revoked_at: DateTime | None

    @classmethod
    def from_info(cls, info: KeyInfo) -> ApiKey:
        return cls(
            id=ID(info.id),
            name=info.name,
            prefix=info.prefix,
            admin=info.admin,
            created_at=DateTime(info.created_at),
            revoked_at=None if info.revoked_at is None else DateTime(info.revoked_at),
        )


@strawberry.type
class CreatedApiKey:
    key: str = strawberry.field(description="The secret: send it as `Authorization: Bearer <key>`. Shown only once.")
    api_key: ApiKey


@strawberry.type
class KeyMutation:
    @strawberry.mutation(description="Create an API key for your organization (admin keys only).")
    async def create_api_key(self, info: Info, name: str, admin: bool = False) -> CreatedApiKey:
        organization_id = info.context.admin_organization("API keys")
        if not name.strip() or len(name) > MAX_NAME:
            raise bad_input(f"`name` must be 1 to {MAX_NAME} characters.", "name")
        created = await create_key(info.context.engine, organization_id, name.strip(), admin)
        return CreatedApiKey(key=created.secret, api_key=ApiKey.from_info(created.info))

    @strawberry.mutation(description="Revoke an API key of your organization by id or prefix (admin keys only).")
    async def revoke_api_key(self, info: Info, id: ID) -> ApiKey:
        organization_id = info.context.admin_organization("API keys")
        revoked = await revoke_key(info.context.engine, str(id), organization_id)
        request = info.context.request
        assert request is not None  # a mutation comes over HTTP or a WebSocket
        request.app.state.keys.revoked()
        return ApiKey.from_info(revoked)
