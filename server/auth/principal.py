"""Who is asking: the organization (and key) behind a request, from `Authorization: Bearer <key>`.

Without a key a request is refused, except in `--dev` mode from a loopback address, where it acts as `demo`.
Export streams also accept a signed, expiring link instead of a key (server.auth.signing).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request

from server.auth.signing import link_is_valid
from server.errors import CatalogError, ErrorCode
from server.models import ExportTask

LOOPBACK = frozenset({"127.0.0.1", "::1"})
HOW_TO = "Send `Authorization: Bearer <key>`; `catalog-export keys create --org NAME` prints a new key."


@dataclass(frozen=True)
class Principal:
    organization_id: str
    key_id: str | None  # None: anonymous loopback request in --dev mode
    admin: bool = False


def unauthenticated(message: str) -> CatalogError:
    return CatalogError(ErrorCode.UNAUTHENTICATED, message)


def bearer_token(headers: Headers) -> str | None:
    """The key from the Authorization header; None when there is no header."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated(f"The Authorization header is not a bearer token. {HOW_TO}")
    return token.strip()


async def authenticate(request: HTTPConnection, token: str | None = None) -> Principal:
    """The principal of the request (or WebSocket) by `token`, else its Authorization header (its rate is charged to
    its key), or UNAUTHENTICATED."""
    state = request.app.state
    token = bearer_token(request.headers) if token is None else token
    principal = anonymous(request) if token is None else await _keyed(request, token)
    state.rate_limiter.take(principal.key_id or "anonymous")
    return principal


async def _keyed(request: HTTPConnection, token: str) -> Principal:
    key = await request.app.state.keys.lookup(request.app.state.engine, token)
    if key is None:
        raise unauthenticated(f"This API key is unknown or has been revoked. {HOW_TO}")
    return Principal(key.organization_id, key.id, key.admin)


def is_loopback(request: HTTPConnection) -> bool:
    return request.client is not None and request.client.host in LOOPBACK


def anonymous(request: HTTPConnection) -> Principal:
    if request.app.state.settings.dev and is_loopback(request):
        return Principal(request.app.state.organization_id, None)
    raise unauthenticated(f"This request has no API key. {HOW_TO}")


async def stream_organization(request: Request, task_id: str) -> str:
    """The organization allowed to read this export stream: from a valid signed link, else from the key."""
    exp, sig = request.query_params.get("exp"), request.query_params.get("sig")
    if exp is None and sig is None:
        return (await authenticate(request)).organization_id
    if not link_is_valid(request.app.state.link_secret, request.url.path, exp or "", sig or ""):
        raise unauthenticated("This export link is invalid or has expired; ask exportTask for a fresh `url`.")
    return await _task_organization(request, task_id)


async def _task_organization(request: Request, task_id: str) -> str:
    if "\x00" in task_id:  # no id holds one, and PostgreSQL refuses to compare with it
        return ""
    E = ExportTask.__table__.c
    async with request.app.state.engine.connect() as conn:
        found = (await conn.execute(select(E.organization_id).where(E.id == task_id))).scalar_one_or_none()
    return str(found) if found is not None else ""
