"""GraphQL over WebSocket at /graphql (graphql-transport-ws, as Strawberry implements it) for subscriptions.

The key comes in the connection_init payload (`{"Authorization": "Bearer <key>"}`: browsers cannot set headers on a
WebSocket) or in the handshake's Authorization header; --dev accepts loopback connections without one, as HTTP does.
A refused connection is closed with 4401 (no or bad key), 4429 (too many connections for the key, or its rate) or
4413 (a message of more than MAX_BODY_OBJECTS JSON objects and arrays, refused before it is parsed) and a reason
saying why; `serve` closes one over MAX_BODY_BYTES with 1009. Each key holds at most MAX_SOCKETS_PER_KEY open
connections per server process."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from resolvers.context import CatalogGraphQL, Context
from resolvers.errors import _coded
from resolvers.limits import build_schema
from server.auth.principal import authenticate, bearer_token
from server.errors import CatalogError, ErrorCode
from server.limits import check_json_objects
from server.responses import RequestRejected
from server.settings import Settings

UNAUTHORIZED, TOO_LARGE, TOO_MANY = 4401, 4413, 4429
INIT_TIMEOUT = timedelta(seconds=10)
MAX_OPERATIONS = 16  # subscriptions at once on one connection


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason[:120]  # a close frame's reason holds at most 123 bytes


class SocketSlots:
    """Open connections per key (or "anonymous" in --dev) in this process."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.open: Counter[str] = Counter()

    def take(self, key: str) -> None:
        if self.open[key] >= self.most:
            raise Refused(TOO_MANY, f"Too many WebSocket connections for this API key (at most {self.most}).")
        self.open[key] += 1

    def give(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]


def payload_token(params: dict[str, Any]) -> str | None:
    """The key of a connection_init payload: `Authorization` (any case) as `Bearer <key>`."""
    value = next((v for k, v in params.items() if k.lower() == "authorization"), None)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refused(UNAUTHORIZED, "connection_init payload: Authorization must be a string 'Bearer <key>'.")
    return bearer_token(Headers({"authorization": value}))


class KeyedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws whose connection_init authenticates (a refusal closes with its code and reason) and
    whose end gives back the key's connection slot."""

    async def handle(self) -> None:
        """As the protocol's, but a message refused before it is parsed closes the connection with 4413 and why."""
        try:
            await super().handle()
        except RequestRejected as refused:
            await self.websocket.close(code=TOO_LARGE, reason=refused.message[:120])

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except Refused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)

    async def _send_result_stream(self, operation: Any, result_source: Any) -> None:
        """Each result's errors carry extensions.code, as over HTTP (CodedErrors sees only the operation's end)."""

        async def coded() -> AsyncGenerator[Any, None]:
            async for result in result_source:
                if isinstance(result, ExecutionResult) and result.errors:
                    result.errors = [_coded(e) for e in result.errors]
                yield result

        await super()._send_result_stream(operation, coded())

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            slot = getattr(self.context, "slot", None)
            if slot is not None:
                self.context.slot = None
                # a websocket's context always holds its WebSocket
                self.context.request.app.state.sockets.give(slot)  # type: ignore[union-attr]


class CatalogWebSocket(CatalogGraphQL):
    graphql_transport_ws_handler_class = KeyedTransportWS

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=INIT_TIMEOUT,
            max_subscriptions_per_connection=MAX_OPERATIONS,
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | Any) -> Context:
        """No organization until connection_init authenticates (the protocol refuses operations before it)."""
        state = request.app.state
        context = Context(engine=state.engine, settings=state.settings, organization_id="", request=request)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        socket = context.request
        assert isinstance(socket, WebSocket)
        try:
            principal = await authenticate(socket, payload_token(context.connection_params or {}))
        except CatalogError as error:
            code = TOO_MANY if error.code == ErrorCode.LIMIT_EXCEEDED else UNAUTHORIZED
            raise Refused(code, error.message) from error
        slot = principal.key_id or "anonymous"
        socket.app.state.sockets.take(slot)
        context.slot = slot
        context.organization_id, context.principal = principal.organization_id, principal
        return UNSET

    def decode_json(self, data: str | bytes) -> object:
        check_json_objects(data, self.settings.max_body_objects)
        return super().decode_json(data)

    # websocket frames are text; the HTTP view it derives from encodes bytes
    def encode_json(self, data: object) -> str:  # type: ignore[override]
        """Text frames: graphql-transport-ws messages are JSON text."""
        return super().encode_json(data).decode()
