"""plan_from_info: fragments merged, @skip/@include applied, aliases and arguments merged into one RowPlan."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from resolvers.scalars import SCALAR_MAP
from resolvers.selection import plan_from_info
from resolvers.types.data_rows import DataRow
from server.loading.plan import Included, RowPlan

captured: list[RowPlan] = []


@strawberry.type
class PlanQuery:
    @strawberry.field
    def row(self, info: strawberry.Info) -> DataRow | None:
        captured.append(plan_from_info(info._raw_info))
        return None


plan_schema = strawberry.Schema(query=PlanQuery, config=StrawberryConfig(scalar_map=SCALAR_MAP))


def plan_of(query: str, variables: dict[str, Any] | None = None) -> RowPlan:
    captured.clear()
    result = plan_schema.execute_sync(query, variable_values=variables)
    assert result.errors is None, result.errors
    return captured[0]


def test_plain_scalars_need_nothing_optional() -> None:
    assert plan_of("{ row { id globalKey rowData } }") == RowPlan()


def test_fragments_are_merged_and_aliases_union_their_scopes() -> None:
    query = """
    query { row { ...F a: projects(ids: ["p1"]) { id }
                  b: projects(ids: ["p2"]) { labels { labelDetails { createdAt } } } } }
    fragment F on DataRow { details { datasetId } metadataFields { schemaId } }
    """
    assert plan_of(query) == RowPlan(
        details=True,
        metadata_fields=True,
        projects=Included(ids=frozenset({"p1", "p2"})),
        project_labels=True,
        label_details=True,
    )


@pytest.mark.parametrize(("skip", "expected"), [(True, RowPlan()), (False, RowPlan(attachments=True))])
def test_skip_and_include_are_applied(skip: bool, expected: RowPlan) -> None:
    query = "query($s: Boolean!) { row { id attachments @skip(if: $s) { id } embeddings @include(if: false) { id } } }"
    assert plan_of(query, {"s": skip}) == expected


def test_models_without_ids_mean_all_and_predictions_need_run_labels() -> None:
    query = "{ row { models { modelRuns { predictions { id } } } } }"
    assert plan_of(query) == RowPlan(models=Included(all=True), model_labels=True, predictions=True)


def test_arguments_from_variables_narrow_the_scope() -> None:
    query = "query($p: [ID!]) { row { projects(ids: $p) { projectDetails { batchId } } } }"
    assert plan_of(query, {"p": ["x"]}) == RowPlan(projects=Included(ids=frozenset({"x"})), project_details=True)
