"""The /labelbox/graphql schema and ASGI app; error codes are the ones the SDK turns into its own exceptions."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType  # what ExecutionContext.operation_type returns

from resolvers.errors import CodedErrors
from resolvers.http import CatalogHTTP, Endpoint
from resolvers.labelbox.mutations import LabelboxMutation
from resolvers.labelbox.queries import LabelboxQuery
from resolvers.labelbox.types import UINT64_SCALAR, UInt64
from resolvers.schema import CatalogSchema
from server.errors import CatalogError, ErrorCode
from server.settings import Settings

# Our codes → the SDK's: AuthenticationError, AuthorizationError, and for lookups RESOURCE_NOT_FOUND (the SDK
# then raises ResourceNotFoundError). A mutation keeps NOT_FOUND: on RESOURCE_NOT_FOUND the SDK's export code
# would get None back and fail with a TypeError instead of showing our message.
SDK_CODES = {"UNAUTHENTICATED": "AUTHENTICATION_ERROR", "FORBIDDEN": "AUTHORIZATION_ERROR"}
LOOKUP_CODES = {**SDK_CODES, "NOT_FOUND": "RESOURCE_NOT_FOUND"}
INVALID_QUERY = "GRAPHQL_VALIDATION_FAILED"  # the SDK raises InvalidQueryError with our message


def sdk_error(error: GraphQLError, codes: dict[str, str]) -> GraphQLError:
    """Re-label a coded error for the SDK; other codes pass through and the SDK shows message and code."""
    extensions = dict(error.extensions or {})
    if error.original_error is None and extensions.get("code") != ErrorCode.LIMIT_EXCEEDED:
        extensions["code"] = INVALID_QUERY
    elif isinstance(error.original_error, CatalogError):
        extensions["code"] = codes.get(extensions["code"], extensions["code"])
    error.extensions = extensions
    return error


class SdkErrors(CodedErrors):
    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        context = self.execution_context
        is_mutation = context.operation_type == OperationType.MUTATION if context.graphql_document else False
        codes = SDK_CODES if is_mutation else LOOKUP_CODES
        if context.result is not None and context.result.errors:
            context.result.errors = [sdk_error(e, codes) for e in context.result.errors]
        if context.pre_execution_errors:
            context.pre_execution_errors = [sdk_error(e, codes) for e in context.pre_execution_errors]


schema = CatalogSchema(
    query=LabelboxQuery,
    mutation=LabelboxMutation,
    extensions=[SdkErrors, ParserCache, ValidationCache],
    config=StrawberryConfig(auto_camel_case=True, scalar_map={UInt64: UINT64_SCALAR}),
)


def labelbox_app(settings: Settings) -> CatalogHTTP:
    """POST-only GraphQL (no IDE): the SDK is its only intended caller. The same pipeline as /graphql (limits,
    authentication, quotas, error bodies); refusals before execution carry the SDK's codes."""
    return CatalogHTTP(settings, Endpoint("/labelbox/graphql", schema, get=False, ide=False, codes=SDK_CODES))


__all__ = ["labelbox_app", "schema"]
