"""The per-app schema: the module schema plus configurable limits and, if configured, no introspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from resolvers.schema import CatalogSchema, schema
from server.errors import ErrorCode
from server.limits import NUL, NUL_MESSAGE
from server.settings import Settings

LIMITED = {"code": str(ErrorCode.LIMIT_EXCEEDED)}


def string_limit_rule(limit: int) -> type[ValidationRule]:
    class MaxStringLength(ValidationRule):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            if len(node.value) > limit:
                message = f"A string in the document is {len(node.value)} characters long; inputs take at most {limit}."
                self.report_error(GraphQLError(message, node, extensions=dict(LIMITED)))
            elif NUL in node.value:
                message = f"A string in the document {NUL_MESSAGE}"
                self.report_error(GraphQLError(message, node, extensions={"code": "BAD_USER_INPUT"}))

    return MaxStringLength


def limit_rules(settings: Settings) -> list[type[ValidationRule]]:
    """The limits' validation rules, made once: the same classes every request, so ValidationCache hits."""
    limiters = (
        QueryDepthLimiter(max_depth=settings.max_query_depth),
        MaxAliasesLimiter(max_alias_count=settings.max_aliases),
    )
    return [rule for limiter in limiters for rule in limiter.validation_rules] + [
        string_limit_rule(settings.max_string_length)
    ]


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    rules = limit_rules(settings)
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return extensions


def build_schema(settings: Settings) -> CatalogSchema:
    """The module schema's types with this server's limits (the printed SDL is the same)."""
    return CatalogSchema(
        query=schema.query,
        mutation=schema.mutation,
        subscription=schema.subscription,
        extensions=[*schema.extensions, *limit_extensions(settings)],
        config=schema.config,
        execution_context_class=schema.execution_context_class,
    )
