"""CatalogExecutor answers exactly what graphql-core's standard execution answers: the same document run through the
module schema (direct path) and through a copy using Strawberry's standard execution context, compared whole."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import strawberry
from graphql import get_introspection_query
from graphql.execution import Executor
from starlette.applications import Starlette
from strawberry.schema.config import StrawberryConfig

from resolvers.context import Context
from resolvers.execution import CatalogExecutor
from resolvers.scalars import SCALAR_MAP
from resolvers.schema import CatalogSchema, schema
from resolvers.types.data_rows import (
    Attachment,
    DataRow,
    DataRowDetails,
    DataRowModel,
    DataRowModelRun,
    DataRowProject,
    ExportLabel,
    LabelDetails,
    ProjectDetails,
)
from tests.factory.filters import CatalogSpec
from tests.utils.fixtures import catalog

__all__ = ["catalog"]

standard = CatalogSchema(
    query=schema.query,
    mutation=schema.mutation,
    subscription=schema.subscription,
    extensions=schema.extensions,
    config=schema.config,
)

PAGE = """
query($skip: Boolean!, $runs: Boolean!, $p: [ID!]) {
  __typename
  page: dataRows(first: 60) {
    __typename
    pageInfo { hasNextPage endCursor __typename }
    totalCount
    nodes { ...Row id }
    edges { cursor node { id t: __typename projects { id } } }
  }
}
fragment Row on DataRow {
  __typename id rowData globalKey externalId score mediaAttributes
  details { ... on DataRowDetails { datasetId createdAt } createdBy __typename }
  attachments { id type value name }
  metadataFields { schemaId schemaName value again: schemaName }
  embeddings @skip(if: $skip) { id name dimensions isCustom values { value } }
  projects { id name }
  projects { id labels { ...Label labelDetails { createdAt reviews } performanceDetails } }
  projects { projectDetails { priority workflowStatus workflowHistory batchId batchName taskId } }
  some: projects(ids: $p) { id labels { id } }
  experiments @include(if: $runs) {
    id name
    runs { id name runDataRowId labels { ...Label } predictions { ...Label } }
  }
}
fragment Label on ExportLabel { __typename labelKind version id annotations }
"""


def _context(app: Starlette) -> Context:
    state = app.state
    return Context(engine=state.engine, settings=state.settings, organization_id=state.organization_id, request=None)


def _chain(error: BaseException | None) -> list[str]:
    """The exception and what it was raised while handling (the direct attempt must leave no trace there)."""
    return [] if error is None else [type(error).__name__, *_chain(error.__context__)]


def _answer(result: Any) -> tuple[Any, list[Any] | None]:
    """Data as the response bytes: field order counts, and stored JSON is spliced as orjson.Fragment (which compares
    by identity)."""
    errors = None if result.errors is None else [(e.formatted, _chain(e.original_error)) for e in result.errors]
    return orjson.dumps(result.data), errors


@pytest.mark.parametrize(("skip", "runs"), [(False, True), (True, False)])
async def test_a_full_page_is_the_same_as_standard_execution(
    app: Starlette, catalog: CatalogSpec, skip: bool, runs: bool
) -> None:
    variables = {"skip": skip, "runs": runs, "p": [catalog.names["proj-b"]]}
    direct = await schema.execute(PAGE, variable_values=variables, context_value=_context(app))
    reference = await standard.execute(PAGE, variable_values=variables, context_value=_context(app))
    assert _answer(direct) == _answer(reference)
    nodes = orjson.loads(orjson.dumps(direct.data["page"]["nodes"]))
    assert len(nodes) == 60 and ("embeddings" in nodes[0]) is not skip and ("experiments" in nodes[0]) is runs
    assert any(n["globalKey"] is None for n in nodes) and any(p["labels"] for n in nodes for p in n["projects"])


def test_introspection_is_the_same_as_standard_execution() -> None:
    """Introspection types resolve through graphql-core's own resolvers: only their `__typename` is direct."""
    query = (
        get_introspection_query(descriptions=True)
        + ' query Named { __typename t: __type(name: "DataRow") { __typename name } }'
    )
    for name in ("IntrospectionQuery", "Named"):
        direct, reference = (s.execute_sync(query, operation_name=name) for s in (schema, standard))
        assert _answer(direct) == _answer(reference) and direct.errors is None


def test_the_module_schema_uses_the_direct_executor() -> None:
    assert schema.execution_context_class is CatalogExecutor
    assert standard.execution_context_class is not CatalogExecutor


@strawberry.type
class RowsQuery:
    rows: list[DataRow | None]


rows_schema = strawberry.Schema(
    query=RowsQuery, config=StrawberryConfig(scalar_map=SCALAR_MAP), execution_context_class=CatalogExecutor
)
rows_standard = strawberry.Schema(query=RowsQuery, config=StrawberryConfig(scalar_map=SCALAR_MAP))
ROWS = """{ rows { __typename id globalKey attachments { id name }
  details { createdAt createdBy }
  projects { id labels { id labelDetails { reviews } annotations } projectDetails { priority taskName } }
  experiments(ids: ["m1", "r2"]) { id runs { id predictions { id } } } } }"""


def _label(label_id: Any = "l1") -> ExportLabel:
    details = LabelDetails(
        created_at="2024-01-01T00:00:00.000+00:00",
        updated_at="x",
        created_by=None,
        content_last_updated_at="x",
        reviews=[],
    )
    return ExportLabel(label_kind="Default", version="1", id=label_id, label_details=details, annotations={"a": 1})


def _details(priority: Any = 5) -> ProjectDetails:
    return ProjectDetails(
        ontology_id=None, task_id=None, task_name=None, batch_id=None, batch_name=None, priority=priority,
        consensus_expected_label_count=1, workflow_status="DONE", workflow_history=[],
    )  # fmt: skip


def _project(**overrides: Any) -> DataRowProject:
    values: dict[str, Any] = {"id": "p1", "name": "P", "labels": [_label()], "project_details": _details()}
    return DataRowProject(**{**values, **overrides})


def _row(**overrides: Any) -> DataRow:
    run = DataRowModelRun(id="r2", name="R", run_data_row_id="g", labels=[], predictions=[_label("x")])
    values: dict[str, Any] = {
        "id": "d1", "row_data": "https://x/1.jpg", "global_key": None, "external_id": None, "media_attributes": None,
        "details": DataRowDetails(
            dataset_id="ds", dataset_name="D", created_at="c", updated_at="u", last_activity_at="u", created_by=None
        ),
        "attachments": [Attachment(id="a1", type="TEXT", value="v", name=None)], "metadata_fields": [],
        "embeddings": None, "_projects": [_project()],
        "_models": [DataRowModel(id="m1", name="M", runs=[run])],
    }  # fmt: skip
    return DataRow(**{**values, **overrides})


def _both(rows: list[Any]) -> tuple[Any, Any]:
    root = RowsQuery(rows=rows)
    return _answer(rows_schema.execute_sync(ROWS, root_value=root)), _answer(
        rows_standard.execute_sync(ROWS, root_value=root)
    )


def test_plain_rows_take_the_direct_path_and_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """No field goes through graphql-core's execute_field: `rows` is a plain attribute of the root value, the rest
    plain attributes and pure resolvers (`projects`, `experiments(ids:)`) below it."""
    calls: list[str] = []
    original = Executor.execute_field

    def counted(self: Any, parent_type: Any, *args: Any) -> Any:
        calls.append(parent_type.name)
        return original(self, parent_type, *args)

    monkeypatch.setattr(Executor, "execute_field", counted)
    rows = [_row(), None, _row(id="d2")]
    direct = _answer(rows_schema.execute_sync(ROWS, root_value=RowsQuery(rows=rows)))
    assert calls == []
    monkeypatch.undo()
    assert direct == _answer(rows_standard.execute_sync(ROWS, root_value=RowsQuery(rows=rows)))
    run = orjson.loads(direct[0])["rows"][0]["experiments"][0]["runs"][0]
    assert direct[1] is None and run["predictions"] == [{"id": "x"}]


BROKEN = {
    "a null in a non-null field, deep in a list": lambda: _row(_projects=[_project(labels=[_label(), _label(None)])]),
    "a value the Int scalar refuses": lambda: _row(_projects=[_project(project_details=_details("high"))]),
    "an exception as a value": lambda: _row(global_key=ValueError("no key")),
    "a string where a list goes": lambda: _row(attachments="abc"),
    "a null list from a resolver": lambda: _row(_projects=None),
    "a resolver that raises": lambda: _row(_models=None),
    "a null object in a non-null position": lambda: _row(details=None, _projects=[_project(labels=None)]),
}


@pytest.mark.parametrize("broken", list(BROKEN), ids=list(BROKEN))
def test_a_broken_value_gets_the_standard_error(broken: str) -> None:
    direct, reference = _both([_row(), BROKEN[broken](), _row(id="d3")])
    assert direct == reference
    rows, errors = orjson.loads(direct[0])["rows"], direct[1]
    assert errors and len(rows) == 3 and rows[0] is not None and rows[2] is not None
