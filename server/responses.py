"""Coded JSON error bodies for answers given outside the GraphQL executor (auth, limits, streams)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from server.errors import CatalogError, ErrorCode

# HTTP status for a CatalogError rejected before execution (the stream routes and the /graphql guard).
STATUS_FOR_CODE: dict[str, int] = {
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.LIMIT_EXCEEDED: 400,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}


class RequestRejected(CatalogError):
    """A CatalogError with its own HTTP status and headers (413, 415, 429, 405 + Allow...)."""

    def __init__(self, status: int, code: ErrorCode, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(code, message)
        self.status = status
        self.headers = dict(headers or {})


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, field: str | None = None
) -> JSONResponse:
    extensions = {"code": str(code), **({"field": field} if field else {})}
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def rejection_response(
    error: CatalogError, media_type: str = "application/json", codes: Mapping[str, str] | None = None
) -> JSONResponse:
    """The refusal's status, headers and coded body; `codes` re-labels the code (the Labelbox SDK's own)."""
    status = error.status if isinstance(error, RequestRejected) else STATUS_FOR_CODE.get(error.code, 400)
    headers = error.headers if isinstance(error, RequestRejected) else {}
    if error.code == ErrorCode.UNAUTHENTICATED:
        headers = {"WWW-Authenticate": "Bearer", **headers}
    code = (codes or {}).get(str(error.code), str(error.code))
    response = error_response(status, code, error.message, headers, error.path)
    response.headers["content-type"] = media_type
    return response
