"""Starlette's CORS middleware, with its preflight refusals answered as coded JSON like every other refusal."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from server.errors import ErrorCode
from server.responses import error_response

DROPPED_HEADERS = ("content-type", "content-length")


class JSONCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        message = (
            f"CORS preflight from {request_headers['origin']} refused: its {refused} is not allowed. "
            "Origins are listed in CORS_ORIGINS; methods GET and POST; headers Authorization, Content-Type, Accept."
        )
        headers = {k: v for k, v in response.headers.items() if k.lower() not in DROPPED_HEADERS}
        return error_response(400, ErrorCode.BAD_USER_INPUT, message, headers)
