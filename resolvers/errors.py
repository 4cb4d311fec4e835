"""Every GraphQL error carries `extensions.code`; unexpected exceptions are masked (no stack traces leak)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from server.errors import CatalogError
from server.unavailable import Fault, fault, for_the_log, too_large, unavailable

log = logging.getLogger("catalog_export.graphql")
INTERNAL = "INTERNAL_SERVER_ERROR"


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    found = fault(original)
    if found is Fault.TOO_LARGE:
        log.warning("statement too large for the database: %s", for_the_log(original))
        original = too_large()
    elif found is Fault.UNAVAILABLE:
        log.warning("database unavailable: %s", for_the_log(original))
        original = unavailable()
    if isinstance(original, CatalogError):
        error.message = original.message
        error.extensions = {**(error.extensions or {}), **original.extensions()}
    elif original is None or isinstance(original, GraphQLError):  # parse/validation/coercion: the caller's input
        error.extensions = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
    else:
        log.error("unexpected error", exc_info=for_the_log(original))
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
