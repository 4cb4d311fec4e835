"""Our error codes re-labelled with the codes the SDK turns into its own exceptions."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from resolvers.labelbox.schema import LOOKUP_CODES, SDK_CODES, sdk_error
from server.errors import CatalogError, ErrorCode


def coded(code: ErrorCode) -> GraphQLError:
    return GraphQLError("m", original_error=CatalogError(code, "m"), extensions={"code": str(code)})


@pytest.mark.parametrize(
    ("code", "in_query", "in_mutation"),
    [
        (ErrorCode.UNAUTHENTICATED, "AUTHENTICATION_ERROR", "AUTHENTICATION_ERROR"),  # SDK: AuthenticationError
        (ErrorCode.FORBIDDEN, "AUTHORIZATION_ERROR", "AUTHORIZATION_ERROR"),  # SDK: AuthorizationError
        (ErrorCode.NOT_FOUND, "RESOURCE_NOT_FOUND", "NOT_FOUND"),  # lookups: ResourceNotFoundError
        (ErrorCode.BAD_USER_INPUT, "BAD_USER_INPUT", "BAD_USER_INPUT"),  # LabelboxError with message and code
    ],
)
def test_codes(code: ErrorCode, in_query: str, in_mutation: str) -> None:
    assert sdk_error(coded(code), LOOKUP_CODES).extensions == {"code": in_query}
    assert sdk_error(coded(code), SDK_CODES).extensions == {"code": in_mutation}


def test_errors_without_a_cause_are_invalid_queries() -> None:
    error = GraphQLError("Cannot query field 'x'.", extensions={"code": "BAD_USER_INPUT"})
    assert sdk_error(error, LOOKUP_CODES).extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
