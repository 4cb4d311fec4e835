"""Every GraphQL error carries `extensions.code`; unexpected exceptions are masked (no stack traces leak)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from server.errors import CatalogError
from server.unavailable import is_unavailable, unavailable

log = logging.getLogger("catalog_export.graphql")
INTERNAL = "INTERNAL_SERVER_ERROR"


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if is_unavailable(original):
        log.warning("database unavailable: %s", original)
        original = unavailable()
    if isinstance(original, CatalogError):
        error.message = original.message
        error.extensions = {**(error.extensions or {}), **original.extensions()}
    elif original is None or isinstance(original, GraphQLError):  # parse/validation/coercion: the caller's input
        error.extensions = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
    else:
        log.error("unexpected error", exc_info=original)
        error.message = "Unexpected server error; it has been logged."
        error.extensions = {"code": INTERNAL}
    return error


class CodedErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_coded(e) for e in result.errors]
        elif self.execution_context.pre_execution_errors:
            self.execution_context.pre_execution_errors = [
                _coded(e) for e in self.execution_context.pre_execution_errors
            ]
