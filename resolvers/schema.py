"""The Strawberry schema: Query plus the merged mutation roots, coded errors, parser/validation caches."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from resolvers.errors import CodedErrors
from resolvers.execution import CatalogExecutor
from resolvers.facets import FacetsQuery
from resolvers.listings import ListingQuery
from resolvers.mutations.exports import ExportMutation
from resolvers.mutations.ingest_catalog import CatalogMutation
from resolvers.mutations.ingest_labeling import LabelingMutation
from resolvers.mutations.ingest_modeling import ModelingMutation
from resolvers.mutations.keys import KeyMutation
from resolvers.mutations.slices import SliceMutation
from resolvers.mutations.webhooks import WebhookMutation
from resolvers.queries import Query as DataRowQuery
from resolvers.scalars import SCALAR_MAP
from resolvers.subscriptions import Subscription
from resolvers.types.slices import SliceQuery
from resolvers.types.webhooks import WebhookQuery
from server.errors import CatalogError

QUERIES = (
    DataRowQuery,
    FacetsQuery,
    ListingQuery,
    SliceQuery,
    WebhookQuery,
)
MUTATIONS = (
    ExportMutation,
    CatalogMutation,
    LabelingMutation,
    ModelingMutation,
    KeyMutation,
    SliceMutation,
    WebhookMutation,
)
Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


class CatalogSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log only unexpected errors: a caller's mistake is answered, not logged as a server fault."""
        unexpected = [
            e
            for e in errors
            if e.original_error is not None and not isinstance(e.original_error, (CatalogError, GraphQLError))
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = CatalogSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[CodedErrors, ParserCache, ValidationCache],
    config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    execution_context_class=CatalogExecutor,
)


def schema_sdl() -> str:
    return schema.as_str() + "\n"
