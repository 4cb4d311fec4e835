"""CatalogExecutor: graphql-core's executor, but direct fields are completed in one pass.

A field is direct when Strawberry resolves it by reading an attribute (no resolver, arguments or field extension) or
it is a `pure_field` (a synchronous resolver of the object and built-in scalar arguments, called with this request's
arguments, coerced once), and its type is a scalar, an enum, a list, or an object type (without `is_type_of`) whose
selected fields are all direct. Its value is built without a resolve info, a path or a call per field: the read, the
leaf type's own `coerce_output_value`, lists, nested dicts. The selection is the executor's own (`collect_subfields`:
fragments, @skip/@include, aliases, `__typename`), split once per (type, field group) per request; other fields
(async or info-taking resolvers) go graphql-core's way beside the direct ones. Any value the direct pass does not
expect (a null in a non-null position, a value a scalar refuses, a non-list for a list, an exception, a raising
resolver) sends all of that object's fields down graphql-core's path, which produces the value or the error exactly
as it always does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Any, cast

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_specified_scalar_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

Complete = Callable[[Any], Any]
TYPENAME = "__typename"
PURE = "catalog-export.pure"


class Indirect(Exception):
    """The direct pass met a value it leaves to graphql-core (which completes it or reports the error)."""


def _required_leaf(coerce: Complete, value: Any) -> Any:
    """A non-null scalar or enum (one call: most fields are these)."""
    if value is None or value is Undefined or isinstance(value, Exception):
        raise Indirect
    coerced = coerce(value)
    if coerced is None or coerced is Undefined:
        raise Indirect
    return coerced


def _leaf(coerce: Complete, value: Any) -> Any:
    return None if value is None or value is Undefined else _required_leaf(coerce, value)


def _non_null(inner: Complete, value: Any) -> Any:
    completed = inner(value)
    if completed is None:
        raise Indirect
    return completed


def _list(inner: Complete, value: Any) -> Any:
    if value is None or value is Undefined:
        return None
    if not isinstance(value, list | tuple):
        raise Indirect
    return [inner(item) for item in value]


def _object(fields: tuple[tuple[str, Complete, Complete], ...], value: Any) -> Any:
    if value is None or value is Undefined:
        return None
    if isinstance(value, Exception):
        raise Indirect
    return {name: complete(read(value)) for name, read, complete in fields}


def _values(direct: tuple[tuple[str, Complete, Complete], ...], source: Any) -> dict[str, Any] | None:
    """The direct fields' values, or None if any is unexpected (outside the handler, so that graphql-core's own
    errors carry no trace of this attempt)."""
    try:
        return {name: complete(read(source)) for name, read, complete in direct}
    except Exception:
        return None


def _merged(order: tuple[str, ...], values: dict[str, Any], rest: dict[str, Any]) -> dict[str, Any]:
    """Both halves in the selection's order (a field graphql-core left out stays out)."""
    return {name: values[name] if name in values else rest[name] for name in order if name in values or name in rest}


async def _merged_later(order: tuple[str, ...], values: dict[str, Any], rest: Awaitable[dict[str, Any]]) -> Any:
    return _merged(order, values, await rest)


def _same(value: Any) -> Any:
    return value


def _constant(value: Any, _source: Any) -> Any:
    return value


def _call(resolver: Callable[..., Any], kwargs: dict[str, Any], source: Any) -> Any:
    return resolver(source, **kwargs)


def pure_field(description: str | None = None, deprecation_reason: str | None = None) -> Any:
    """A field whose resolver is pure and synchronous, takes only the object and scalar arguments: the executor calls
    it directly (and again on graphql-core's path if anything about the value is unexpected)."""
    return strawberry.field(description=description, deprecation_reason=deprecation_reason, metadata={PURE: True})


def _definition(field_def: GraphQLField | GraphQLArgument) -> Any:
    return field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)


def attribute(field_def: GraphQLField) -> str | None:
    """The attribute Strawberry reads for a field with no resolver, no arguments and no extension (else None)."""
    definition = _definition(field_def)
    if field_def.args or definition is None or not getattr(field_def.resolve, "_is_default", False):
        return None
    return None if definition.default_resolver is not getattr else str(definition.python_name)


def pure_resolver(field_def: GraphQLField) -> Callable[..., Any] | None:
    """The function behind a `pure_field` whose arguments are all built-in scalars (or lists of them), else None."""
    definition = _definition(field_def)
    resolver = None if definition is None else definition.base_resolver
    if resolver is None or not definition.metadata.get(PURE) or definition.extensions or resolver.is_async:
        return None
    if [p for p in resolver.reserved_parameters.values() if p is not None] != [resolver.self_parameter]:
        return None  # it asks for info, root or parent, or is not a method
    plain = all(is_specified_scalar_type(get_named_type(arg.type)) for arg in field_def.args.values())
    return resolver.wrapped_func if plain else None


@dataclass(frozen=True)
class Fields:
    """A grouped field set split in two: the direct fields (name, read, complete) and the rest, for graphql-core."""

    order: tuple[str, ...]
    direct: tuple[tuple[str, Complete, Complete], ...]
    rest: GroupedFieldSet


class CatalogExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self._direct = middleware is None or not middleware.middlewares
        self._objects: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, Complete | None]] = {}
        self._splits: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, Fields | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        split = self._split(parent_type, grouped_field_set) if position_context is None else None
        if split is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        values = _values(split.direct, source_value)
        if values is None:  # graphql-core's path completes it, or reports the error in its own shape
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        if not split.rest:
            return values
        rest = super().execute_fields(parent_type, source_value, path, split.rest, position_context)
        if self.is_awaitable(rest):
            return _merged_later(split.order, values, rest)
        return _merged(split.order, values, cast(dict[str, Any], rest))  # not awaitable: a completed dict

    @staticmethod
    def _memo(cache: dict[Any, Any], type_: GraphQLObjectType, held: Any, build: Callable[..., Any]) -> Any:
        """`build(type_, held)` once per (type, selection) per request; the entry keeps `held` alive, so its id stays
        unique for as long as the entry exists."""
        key = (type_, id(held))
        cached = cache.get(key)
        if cached is None:
            cached = cache[key] = (held, build(type_, held))
        return cached[1]

    def _split(self, parent: GraphQLObjectType, grouped: GroupedFieldSet) -> Fields | None:
        return self._memo(self._splits, parent, grouped, self._split_fields)

    def _split_fields(self, parent: GraphQLObjectType, grouped: GroupedFieldSet) -> Fields | None:
        direct, rest = [], {}
        for name, group in grouped.items():
            parts = self._field_parts(parent, group)
            if parts is None:
                rest[name] = group
            else:
                direct.append((name, *parts))
        return Fields(tuple(grouped), tuple(direct), rest) if direct else None

    def _direct_object(self, type_: GraphQLObjectType, details: FieldDetailsList) -> Complete | None:
        return self._memo(self._objects, type_, details, self._object_completer)

    def _object_completer(self, type_: GraphQLObjectType, details: FieldDetailsList) -> Complete | None:
        """A nested object is direct when all its selected fields are."""
        grouped, defers, *_ = self.collect_subfields(type_, details)
        split = None if defers or type_.is_type_of is not None else self._split(type_, grouped)
        return None if split is None or split.rest else partial(_object, split.direct)

    def _field_parts(self, parent: GraphQLObjectType, details: FieldDetailsList) -> tuple[Complete, Complete] | None:
        """How to read and complete one direct field of `parent`, or None when graphql-core executes it."""
        name = details[0].node.name.value
        if not self._direct:
            return None
        if name == TYPENAME:
            return partial(_constant, parent.name), _same
        field_def = parent.fields.get(name)
        read = None if field_def is None else self._reader(field_def, details)
        if field_def is None or read is None:
            return None
        complete = self._completer(field_def.type, details)
        return None if complete is None else (read, complete)

    def _reader(self, field_def: GraphQLField, details: FieldDetailsList) -> Complete | None:
        """An attribute read, or a call of a pure resolver with this request's arguments (coerced once)."""
        name = attribute(field_def)
        if name is not None:
            return attrgetter(name)
        resolver = pure_resolver(field_def)
        if resolver is None:
            return None
        first = details[0]
        try:
            args = get_argument_values(
                field_def, first.node, self.variable_values, first.fragment_variable_values, self.hide_suggestions
            )
        except GraphQLError:  # graphql-core's path reports it
            return None
        kwargs = {_definition(field_def.args[arg]).python_name: value for arg, value in args.items()}
        return partial(_call, resolver, kwargs)

    def _completer(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete | None:
        if isinstance(type_, GraphQLNonNull) and is_leaf_type(type_.of_type):
            return partial(_required_leaf, type_.of_type.coerce_output_value)
        if isinstance(type_, GraphQLNonNull | GraphQLList):
            inner = self._completer(type_.of_type, details)
            wrap = _non_null if isinstance(type_, GraphQLNonNull) else _list
            return None if inner is None else partial(wrap, inner)
        if is_leaf_type(type_):
            return partial(_leaf, type_.coerce_output_value)
        if isinstance(type_, GraphQLObjectType):
            return self._direct_object(type_, details)
        return None
