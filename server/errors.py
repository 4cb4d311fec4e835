"""User-facing errors: every caller mistake becomes a CatalogError with a code from the contract."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class CatalogError(Exception):
    """A mistake the caller can fix; `path` names the offending input field (e.g. `filter.and.0.metadata`)."""

    def __init__(self, code: ErrorCode, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path

    def extensions(self) -> dict[str, str]:
        ext = {"code": str(self.code)}
        if self.path:
            ext["field"] = self.path
        return ext


def bad_input(message: str, path: str | None = None) -> CatalogError:
    return CatalogError(ErrorCode.BAD_USER_INPUT, message, path)


SHOWN_CHARS = 64  # of an id echoed in a message: ids are 25 characters, the rest is the caller's own input


def shown(ident: str) -> str:
    """`ident` quoted for a message, cut to SHOWN_CHARS characters."""
    return repr(ident) if len(ident) <= SHOWN_CHARS else f"{ident[:SHOWN_CHARS]!r}... ({len(ident)} characters)"


def not_found(kind: str, ident: str, path: str | None = None) -> CatalogError:
    return CatalogError(ErrorCode.NOT_FOUND, f"{kind} {shown(ident)} does not exist.", path)


def limit_exceeded(message: str, path: str | None = None) -> CatalogError:
    return CatalogError(ErrorCode.LIMIT_EXCEEDED, message, path)
