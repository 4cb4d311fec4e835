"""Request limits outside GraphQL validation: body size, per-key rate, concurrent exports, string sizes.

The rate limiter is a token bucket per key held in this process's memory; the server processes of one `serve
--workers N` share theirs instead (server.shared_limits), so a key gets the rate once, whichever process answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import ErrorCode, bad_input, limit_exceeded
from server.models import ExportTask
from server.models.exports import ACTIVE
from server.responses import RequestRejected, error_response

E = ExportTask.__table__.c


class Limiter(Protocol):
    def take(self, key: str, now: float | None = None) -> None: ...


@dataclass
class RateLimiter:
    """Token bucket per key: `burst` requests at once, refilled at `per_second`; per_second <= 0 turns it off."""

    per_second: float
    burst: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str, now: float | None = None) -> None:
        if self.per_second <= 0:
            return
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        self._buckets[key] = (spend(self.per_second, self.burst, tokens, now - last), now)


def spend(per_second: float, burst: int, tokens: float, elapsed: float) -> float:
    """The tokens left once a bucket holding `tokens` `elapsed` seconds ago is refilled and one is spent; 429
    (LIMIT_EXCEEDED, with Retry-After) when less than one is there."""
    tokens = min(float(burst), tokens + elapsed * per_second)
    if tokens < 1:
        retry = max(1, round((1 - tokens) / per_second))
        raise RequestRejected(
            429,
            ErrorCode.LIMIT_EXCEEDED,
            f"Too many requests for this key (at most {per_second:g}/s, bursts of {burst}); retry in {retry} s.",
            {"Retry-After": str(retry)},
        )
    return tokens - 1


async def check_export_quota(engine: AsyncEngine, organization_id: str, limit: int) -> None:
    """LIMIT_EXCEEDED when the organization already has `limit` exports queued or running."""
    stmt = select(func.count()).where(E.organization_id == organization_id, E.status.in_(ACTIVE))
    async with engine.connect() as conn:
        active = (await conn.execute(stmt)).scalar_one()
    if active >= limit:
        raise limit_exceeded(
            f"{active} exports are already queued or running (at most {limit} at once); "
            "wait for one to finish or cancel one with cancelExportTask.",
        )


# Variables nest at most this deep (the deepest filter, MAX_FILTER_DEPTH levels of and/or/not, takes ~3 a level):
# deeper values would only exhaust the recursion of the coercion that reads them.
MAX_VARIABLE_DEPTH = 64


def _strings(value: object, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    if depth > MAX_VARIABLE_DEPTH and isinstance(value, dict | list):
        message = f"{path} nests deeper than {MAX_VARIABLE_DEPTH} levels; variables take at most that."
        raise limit_exceeded(message, path)
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}", depth + 1)


NUL = "\x00"
NUL_MESSAGE = "contains a NUL character (\\u0000), which no text field accepts (PostgreSQL cannot store it)."


def check_string_sizes(variables: object, limit: int) -> None:
    """LIMIT_EXCEEDED naming the first variable string over `limit` characters or value nested deeper than
    MAX_VARIABLE_DEPTH; BAD_USER_INPUT for NUL characters."""
    for path, text in _strings(variables, "variables"):
        if len(text) > limit:
            raise limit_exceeded(f"{path} is {len(text)} characters long; inputs take at most {limit}.", path)
        if NUL in text:
            raise bad_input(f"{path} {NUL_MESSAGE}", path)


def check_filter_sizes(variables: object, most: int) -> None:
    """LIMIT_EXCEEDED for a filter tree in the variables with more than `most` nodes (server.filters.tree.count_nodes),
    before GraphQL coerces them (an `or` of 40,000 leaves took ~17 s of coercion before the resolver could refuse it).
    A filter is any object with an `and`, `or` or `not` key; only the outermost one of a tree is counted."""
    from server.filters.tree import LOGICAL, count_nodes

    stack: list[tuple[object, str]] = [(variables, "variables")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if any(key in value for key in LOGICAL):
                count_nodes(value, most, path)
                continue
            stack.extend((item, f"{path}.{key}") for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}") for index, item in enumerate(value))


def check_json_objects(data: str | bytes, most: int) -> None:
    """LIMIT_EXCEEDED (413) for a JSON text holding more than `most` objects and arrays, counted as `{` and `[`
    characters (in strings too: an upper bound, in one pass of C code) before it is parsed. Parsed, each costs
    64-250 bytes of Python objects: a 4 MiB body of `{"or": [{"ids": ["…"]}, …]}` built ~90 MB before any check on
    its meaning could refuse it."""
    found = data.count("{") + data.count("[") if isinstance(data, str) else data.count(b"{") + data.count(b"[")
    if found > most:
        message = (
            f"The request holds {found} JSON objects and arrays (counting '{{' and '[' characters); one request "
            f"takes at most {most}. Send less per request."
        )
        raise RequestRejected(413, ErrorCode.LIMIT_EXCEEDED, message)


class BodyLimitMiddleware:
    """Answer 413 (LIMIT_EXCEEDED) to request bodies over `max_bytes`, announced or streamed, before the app runs."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            return await self._reject(scope, receive, send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay(message, receive), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._reject(scope, receive, send)
        whole = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay(whole, receive), send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"Request body is larger than {self.max_bytes} bytes; send less per request."
        await error_response(413, ErrorCode.LIMIT_EXCEEDED, message)(scope, receive, send)


def _replay(first: Message, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return replayed
