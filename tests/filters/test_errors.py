"""Malformed filters: coded errors naming the offending field, raised before any data row is read."""

from __future__ import annotations

from typing import Any

import pytest

from server.errors import CatalogError
from server.filters import parse_filter
from server.settings import Settings, replace
from tests.factory.filters import CatalogSpec
from tests.utils.client import GraphQLClient
from tests.utils.statements import count_statements

QUERY = "query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, max_in_list=5, max_filter_depth=4)


def nested(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = {"ids": ["x"]}
    for _ in range(depth):
        tree = {"not": tree}
    return tree


CASES = [
    ({}, "BAD_USER_INPUT", "filter", "filter is empty"),
    ({"or": []}, "BAD_USER_INPUT", "filter.or", "must be a non-empty list"),
    ({"ids": []}, "BAD_USER_INPUT", "filter.ids", "must be a non-empty list"),
    ({"ids": list("abcdef")}, "LIMIT_EXCEEDED", "filter.ids", "lists 6 values; at most 5"),
    (nested(4), "LIMIT_EXCEEDED", "filter.not.not.not.not", "nests deeper than 4 levels"),
    ({"createdAt": {}}, "BAD_USER_INPUT", "filter.createdAt", "is empty"),
    (
        {"createdAt": {"gt": "2024-02-01T00:00:00Z", "lt": "2024-01-01T00:00:00Z"}},
        "BAD_USER_INPUT",
        "filter.createdAt.gt",
        "leave no possible value",
    ),
    (
        {"updatedAt": {"gt": "2024-01-01T00:00:00Z", "gte": "2024-01-01T00:00:00Z"}},
        "BAD_USER_INPUT",
        "filter.updatedAt",
        "both gt and gte",
    ),
    (
        {"and": [{"ids": ["x"]}, {"metadata": {"name": "nope", "eq": 1}}]},
        "NOT_FOUND",
        "filter.and.1.metadata.name",
        "Metadata schema 'nope' does not exist.",
    ),
    ({"metadata": {"schemaId": "c-none", "exists": True}}, "NOT_FOUND", "filter.metadata.schemaId", "does not exist"),
    ({"metadata": {"name": "score", "eq": "high"}}, "BAD_USER_INPUT", "filter.metadata.eq", "must be a number"),
    ({"metadata": {"name": "score", "in": []}}, "BAD_USER_INPUT", "filter.metadata.in", "non-empty list"),
    ({"metadata": {"name": "score", "in": [1, "x"]}}, "BAD_USER_INPUT", "filter.metadata.in.1", "must be a number"),
    ({"metadata": {"name": "score", "gt": 5, "lt": 3}}, "BAD_USER_INPUT", "filter.metadata.gt", "no possible value"),
    ({"metadata": {"name": "captured_at", "gte": "soon"}}, "BAD_USER_INPUT", "filter.metadata.gte", "ISO 8601"),
    ({"metadata": {"name": "caption", "gt": "a"}}, "BAD_USER_INPUT", "filter.metadata", "gt does not apply"),
    ({"metadata": {"name": "weather", "eq": "cloudy"}}, "BAD_USER_INPUT", "filter.metadata.eq", "not options"),
    ({"metadata": {"name": "score"}}, "BAD_USER_INPUT", "filter.metadata", "needs a condition"),
    ({"metadata": {"name": "score", "exists": True, "eq": 1}}, "BAD_USER_INPUT", "filter.metadata.exists", "no other"),
    ({"annotation": {}}, "BAD_USER_INPUT", "filter.annotation", "is empty"),
    ({"annotation": {"minCount": 3, "maxCount": 1}}, "BAD_USER_INPUT", "filter.annotation.maxCount", "above maxCount"),
    ({"annotation": {"name": "Car", "minCount": -1}}, "BAD_USER_INPUT", "filter.annotation.minCount", "0 or more"),
    ({"project": {"labelCreatedAt": {}}}, "BAD_USER_INPUT", "filter.project.labelCreatedAt", "is empty"),
]


@pytest.mark.parametrize(("tree", "code", "field", "message"), CASES, ids=[c[2] + ":" + c[3][:20] for c in CASES])
async def test_malformed_filter_is_a_coded_error_before_rows_are_read(
    gql: GraphQLClient, engine: Any, catalog: CatalogSpec, tree: dict[str, Any], code: str, field: str, message: str
) -> None:
    with count_statements(engine) as counter:
        error = await gql.error(QUERY, {"f": tree})
    assert error["extensions"] == {"code": code, "field": field}
    assert message in error["message"]
    assert not any("FROM datarow" in s for s in counter.statements)


@pytest.mark.parametrize(
    ("tree", "field", "message"),
    [
        ({"colour": "red"}, "filter.colour", "is not a filter condition; use one of: and, annotation,"),
        ({"not": [1]}, "filter.not", "must be an object of filter conditions"),
        ({"mediaTypes": ["PHOTO"]}, "filter.mediaTypes", "unknown values ['PHOTO']"),
        ({"project": {"workflowStatus": ["LATER"]}}, "filter.project.workflowStatus", "unknown values ['LATER']"),
        ({"createdAt": {"gt": "yesterday"}}, "filter.createdAt.gt", "ISO 8601"),
        ({"annotation": {"source": "HUMAN"}}, "filter.annotation.source", "LABEL or PREDICTION"),
        ({"project": {"labeled": "yes"}}, "filter.project.labeled", "true or false"),
    ],
)
def test_cli_json_filters_are_checked_like_graphql_input(tree: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_filter(tree)
    assert (caught.value.code, caught.value.path) == ("BAD_USER_INPUT", field)
    assert message in caught.value.message


async def test_unknown_slice_is_not_found(gql: GraphQLClient) -> None:
    error = await gql.error('{ dataRows(slice: "c-nope") { nodes { id } } }')
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "slice"}
