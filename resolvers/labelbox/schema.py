"""The /labelbox/graphql schema and ASGI app; error codes are the ones the SDK turns into its own exceptions."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationType
from starlette.types import Receive, Scope, Send
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from resolvers.context import CatalogGraphQL
from resolvers.errors import CodedErrors
from resolvers.labelbox.mutations import LabelboxMutation
from resolvers.labelbox.queries import LabelboxQuery
from resolvers.labelbox.types import UINT64_SCALAR, UInt64
from resolvers.schema import CatalogSchema
from server.errors import CatalogError
from server.responses import STATUS_FOR_CODE, error_response

# Our codes → the SDK's: AuthenticationError, AuthorizationError, and for lookups RESOURCE_NOT_FOUND (the SDK
# then raises ResourceNotFoundError). A mutation keeps NOT_FOUND: on RESOURCE_NOT_FOUND the SDK's export code
# would get None back and fail with a TypeError instead of showing our message.
SDK_CODES = {"UNAUTHENTICATED": "AUTHENTICATION_ERROR", "FORBIDDEN": "AUTHORIZATION_ERROR"}
LOOKUP_CODES = {**SDK_CODES, "NOT_FOUND": "RESOURCE_NOT_FOUND"}
INVALID_QUERY = "GRAPHQL_VALIDATION_FAILED"  # the SDK raises InvalidQueryError with our message


def sdk_error(error: GraphQLError, codes: dict[str, str]) -> GraphQLError:
    """Re-label a coded error for the SDK; other codes pass through and the SDK shows message and code."""
    extensions = dict(error.extensions or {})
    if error.original_error is None:
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


class LabelboxGraphQL(CatalogGraphQL):
    """Authentication failures (raised before execution) answered as the SDK expects: 401 + AUTHENTICATION_ERROR."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except CatalogError as error:
            status = STATUS_FOR_CODE.get(error.code, 400)
            await error_response(status, SDK_CODES.get(error.code, error.code), error.message)(scope, receive, send)


def labelbox_app() -> CatalogGraphQL:
    """POST-only GraphQL app (no IDE): the SDK is its only intended caller."""
    return LabelboxGraphQL(schema, graphql_ide=None, allow_queries_via_get=False)


__all__ = ["labelbox_app", "schema"]
