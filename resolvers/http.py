"""GraphQL over HTTP, conforming: coded JSON errors for every refusal, status codes and media types by `Accept`.

One pipeline serves every GraphQL endpoint (`/graphql` and `/labelbox/graphql`): the same document and variable
limits, introspection setting, authentication and rate limit, filter limits and export quota (in the resolvers both
share), and the same coded JSON error bodies; an `Endpoint` says only what differs (schema, GET, GraphiQL, codes).

- POST needs `Content-Type: application/json` (else 415); other methods get 405 with `Allow`.
- GET runs queries only (where the endpoint takes GET): a mutation over GET gets 405 with `Allow: POST`.
- `Accept: application/graphql-response+json` gets that media type, and 400 without `data` for request errors
  (unparsable document, validation, limits); plain `application/json` clients get 200 as before.
- No key, a bad key: 401 UNAUTHENTICATED; too many requests: 429; body too large: 413 (server.limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from resolvers.context import CatalogGraphQL
from resolvers.limits import build_schema
from resolvers.schema import CatalogSchema
from resolvers.schema import schema as catalog_schema
from server.auth.principal import is_loopback
from server.errors import CatalogError, ErrorCode
from server.graphiql import graphiql_page
from server.limits import check_filter_sizes, check_json_objects, check_string_sizes
from server.responses import STATUS_FOR_CODE, RequestRejected, rejection_response
from server.settings import Settings
from server.unavailable import is_unavailable, unavailable

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
ALLOWED_METHODS = "GET, POST"
SERVICE_UNAVAILABLE = str(ErrorCode.SERVICE_UNAVAILABLE)
# On every GraphQL answer: never sniffed as another type, never framed by another site, never stored by a cache.
GRAPHQL_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


@dataclass(frozen=True)
class Endpoint:
    """What one GraphQL endpoint has of its own; `codes` re-labels the codes of refusals made before execution."""

    path: str = "/graphql"
    schema: CatalogSchema = catalog_schema
    get: bool = True  # queries over GET (and GraphiQL, when turned on)
    ide: bool = True
    codes: Mapping[str, str] = field(default_factory=dict)

    @property
    def methods(self) -> str:
        return ALLOWED_METHODS if self.get else "POST"


def media_type(request: Request) -> str:
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in request.headers.get("accept", "") else JSON


def _check_request(request: Request, endpoint: Endpoint) -> None:
    if request.method not in endpoint.methods.split(", "):
        what = "GET (queries) and POST" if endpoint.get else "POST"
        message = f"{endpoint.path} answers {what}, not {request.method}."
        raise RequestRejected(405, ErrorCode.BAD_USER_INPUT, message, {"Allow": endpoint.methods})
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST" and content_type != JSON:
        message = f"POST bodies must be `Content-Type: {JSON}`, not {content_type or 'missing'!r}."
        raise RequestRejected(415, ErrorCode.BAD_USER_INPUT, message)


def _code(formatted: object) -> dict[str, Any]:
    """Every error leaves with extensions.code: the limits' rules give theirs (resolvers.limits); syntax errors
    (which skip the CodedErrors extension because parsing raises) get BAD_USER_INPUT."""
    error = cast(dict[str, Any], formatted)  # an error's JSON object (strawberry lists them as `object`)
    extensions = error.get("extensions") or {}
    error["extensions"] = {"code": str(ErrorCode.BAD_USER_INPUT), **extensions}
    return error


def _is_request_error(result: ExecutionResult) -> bool:
    """No data and no error tied to a field: the document was never executed (parse, validation, limits)."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or ())


class CatalogHTTP(CatalogGraphQL):
    def __init__(self, settings: Settings, endpoint: Endpoint | None = None) -> None:
        endpoint = endpoint or Endpoint()
        ide: Literal["graphiql"] | None = "graphiql" if settings.graphiql and endpoint.ide else None
        super().__init__(build_schema(settings, endpoint.schema), graphql_ide=ide, allow_queries_via_get=endpoint.get)
        self.settings, self.endpoint = settings, endpoint

    def _rejection(self, error: CatalogError, request: Request) -> Response:
        return rejection_response(error, media_type(request), self.endpoint.codes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except CatalogError as error:
            response = self._rejection(error, request)
        except HTTPException as exc:
            response = self._rejection(RequestRejected(exc.status_code, ErrorCode.BAD_USER_INPUT, exc.reason), request)
        except Exception as exc:  # the key lookup before execution found the database down
            if not is_unavailable(exc):
                raise
            response = self._rejection(unavailable(), request)
        response.headers.update(GRAPHQL_HEADERS)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        _check_request(request, self.endpoint)
        if self.should_render_graphql_ide(self.request_adapter_class(request)):
            if not self.graphql_ide:
                raise RequestRejected(404, ErrorCode.NOT_FOUND, "GraphiQL is turned off on this server.")
            return await self.render_graphql_ide(request)
        request.state.request_error = request.state.unavailable = False
        response = await self.run(request)
        response.headers["content-type"] = media_type(request)
        if request.state.request_error and media_type(request) == GRAPHQL_RESPONSE:
            response.status_code = 400
        if request.state.unavailable:
            response.status_code = STATUS_FOR_CODE[ErrorCode.SERVICE_UNAVAILABLE]
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if "errors" in processed:
            coded = [_code(e) for e in processed["errors"] or ()]
            processed["errors"] = cast(list[object], coded)
            request.state.unavailable = any(e["extensions"]["code"] == SERVICE_UNAVAILABLE for e in coded)
        if _is_request_error(result):
            request.state.request_error = True
            if media_type(request) == GRAPHQL_RESPONSE:
                processed.pop("data", None)
        return processed

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, GraphQLRequestData):
            check_string_sizes(parsed.variables, self.settings.max_string_length)
            check_filter_sizes(parsed.variables, self.settings.max_filter_nodes)
        return parsed

    # strawberry's arguments pass through unchanged, whatever its signature names them
    async def execute_single(self, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        try:
            return await super().execute_single(**kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                message = "Mutations need POST; GET runs queries only."
                raise RequestRejected(405, ErrorCode.BAD_USER_INPUT, message, {"Allow": "POST"}) from exc
            raise

    def parse_json(self, data: str | bytes) -> Any:
        value = super().parse_json(data)
        if not isinstance(value, dict | list):
            raise HTTPException(400, 'Expected a JSON object such as {"query": "{ dataRows { nodes { id } } }"}.')
        return value

    def decode_json(self, data: str | bytes) -> object:
        check_json_objects(data, self.settings.max_body_objects)
        return orjson.loads(data)  # invalid UTF-8 raises JSONDecodeError too: a 400, never a 500

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from local assets; in --dev mode, for loopback visitors, with the demo key in its Headers tab."""
        key = request.app.state.dev_key
        headers = {"Authorization": f"Bearer {key}"} if key is not None and is_loopback(request) else {}
        return HTMLResponse(graphiql_page(headers))
