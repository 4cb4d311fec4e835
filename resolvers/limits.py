"""The per-app schema: the module schema plus configurable limits and, if configured, no introspection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    Lexer,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    StringValueNode,
    TokenKind,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules, DisableIntrospection, SchemaExtension

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


class _Shape:
    """Depth (fields with a selection; introspection fields and what they select not counted) and aliases of
    selection sets, with every fragment spread expanded; each fragment is measured once (so the cost is linear in the
    document however its fragments nest) and no deeper than `cap` levels below it (anything deeper is refused anyway).
    A fragment met again inside itself counts nothing (NoFragmentCycles reports the cycle)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], cap: int) -> None:
        self.fragments, self.cap = fragments, cap
        self.measured: dict[str, tuple[int, int]] = {}
        self.open: set[str] = set()

    def of(self, selection_set: SelectionSetNode, level: int = 0) -> tuple[int, int]:
        if level > self.cap:
            return level, 0
        depth = aliases = 0
        for node in selection_set.selections:
            inner = (0, 0)
            if isinstance(node, FieldNode):
                aliases += node.alias is not None
                if node.selection_set is not None:
                    inner = self.of(node.selection_set, level + 1)
                    introspection = node.name.value.startswith("__")  # the schema's own shape bounds it
                    inner = (0, inner[1]) if introspection else (inner[0] + 1, inner[1])
            elif isinstance(node, InlineFragmentNode):
                inner = self.of(node.selection_set, level)
            elif isinstance(node, FragmentSpreadNode):
                inner = self.fragment(node.name.value)
            depth, aliases = max(depth, inner[0]), aliases + inner[1]
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        found = self.measured.get(name)
        if found is None:
            definition = self.fragments.get(name)
            if definition is None or name in self.open:
                return 0, 0
            self.open.add(name)
            found = self.measured[name] = self.of(definition.selection_set)
            self.open.discard(name)
        return found


def shape_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """Operation depth and aliases (per document), fragments expanded, in time linear in the document."""

    class DocumentShape(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            shape = _Shape({d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}, max_depth)
            aliases = 0
            try:
                for operation in (d for d in definitions if isinstance(d, OperationDefinitionNode)):
                    depth, more = shape.of(operation.selection_set)
                    aliases += more
                    if depth > max_depth:
                        name = operation.name.value if operation.name else "anonymous"
                        message = f"'{name}' exceeds maximum operation depth of {max_depth}"
                        self.report_error(GraphQLError(message, operation, extensions=dict(LIMITED)))
            except RecursionError:
                message = "The document nests fragments or selections too deeply; flatten it."
                self.report_error(GraphQLError(message, extensions=dict(LIMITED)))
                return
            if aliases > max_aliases:
                message = f"{aliases} aliases found. Allowed: {max_aliases}"
                self.report_error(GraphQLError(message, extensions=dict(LIMITED)))

    return DocumentShape


def token_overflow(document: str, most: int) -> int | None:
    """Where the token past the first `most` starts, or None when the document has no more; comments count, as
    graphql-core's own max_tokens counts them. One token at a time: work and memory stop at the limit; a document of
    no more characters than `most` (every token takes one at least) is not read at all."""
    if len(document) <= most:
        return None
    lexer, position = Lexer(Source(document)), 0
    try:
        for _ in range(most + 1):
            token = lexer.read_next_token(position)
            if token.kind is TokenKind.EOF:
                return None
            position = token.end
    except GraphQLSyntaxError:  # not a lexable document: the parser says where
        return None
    return token.start


def token_limit(most: int) -> type[SchemaExtension]:
    """MAX_TOKENS, counted before the document is parsed (parsing takes time and memory per token), refused as
    LIMIT_EXCEEDED by this rule itself."""

    class TokenLimit(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            query = self.execution_context.query
            start = None if query is None else token_overflow(query, most)
            if start is not None:
                message = f"Syntax Error: Document contains more than {most} tokens. Parsing aborted."
                raise GraphQLError(message, source=Source(query or ""), positions=[start], extensions=dict(LIMITED))
            yield

    return TokenLimit


def limit_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """The limits' validation rules, made once: the same classes every request, so ValidationCache hits."""
    return [
        shape_rule(settings.max_query_depth, settings.max_aliases),
        string_limit_rule(settings.max_string_length),
    ]


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    rules = limit_rules(settings)
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        token_limit(settings.max_tokens),
        lambda: AddValidationRules(rules),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return extensions


def build_schema(settings: Settings, base: CatalogSchema = schema) -> CatalogSchema:
    """`base`'s types with this server's limits (the printed SDL is the same)."""
    return CatalogSchema(
        query=base.query,
        mutation=base.mutation,
        subscription=base.subscription,
        extensions=[*base.extensions, *limit_extensions(settings)],
        config=base.config,
        execution_context_class=base.execution_context_class,
    )
