"""The contract's invariant: for the same rows, the export line with params P equals the dataRows node for the
selection asking exactly P (camelCase → snake_case, row fields under data_row, project/model/run lists → maps)."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from server.models import DataRow
from tests.factory.filters import CatalogSpec
from tests.utils.client import GraphQLClient
from tests.utils.statements import count_statements

LABEL = "labelKind version id annotations"
LABEL_DETAILS = "labelDetails { createdAt updatedAt createdBy contentLastUpdatedAt reviews }"
PROJECT_DETAILS = (
    "projectDetails { ontologyId taskId taskName batchId batchName priority consensusExpectedLabelCount "
    "workflowStatus workflowHistory }"
)
SECTIONS = {
    "dataRowDetails": "details { datasetId datasetName createdAt updatedAt lastActivityAt createdBy }",
    "mediaAttributes": "mediaAttributes",
    "attachments": "attachments { id type value name }",
    "metadataFields": "metadataFields { schemaId schemaName value }",
    "embeddings": "embeddings { id name dimensions isCustom values { value } }",
}
JSON_FIELDS = {"annotations", "reviews", "performanceDetails", "workflowHistory", "value", "mediaAttributes"}


def _ids_arg(ids: list[str] | None) -> str:
    return "" if ids is None else "(ids: " + orjson.dumps(ids).decode() + ")"


def _projects(p: dict[str, Any]) -> str:
    if not p.get("allProjects") and not p.get("projectIds"):
        return ""
    label = LABEL + (" " + LABEL_DETAILS if p.get("labelDetails") else "")
    label += " performanceDetails" if p.get("performanceDetails") else ""
    details = PROJECT_DETAILS if p.get("projectDetails") else ""
    ids = None if p.get("allProjects") else p["projectIds"]
    return f"projects{_ids_arg(ids)} {{ id name labels {{ {label} }} {details} }}"


def _models(p: dict[str, Any]) -> str:
    if not p.get("allModelRuns") and not p.get("modelRunIds"):
        return ""
    predictions = f"predictions {{ {LABEL} }}" if p.get("predictions") else ""
    ids = None if p.get("allModelRuns") else p["modelRunIds"]
    runs = f"runs {{ id name runDataRowId labels {{ {LABEL} }} {predictions} }}"
    return f"experiments{_ids_arg(ids)} {{ id name {runs} }}"


def selection_for(p: dict[str, Any]) -> str:
    """The DataRow selection that asks for exactly what ExportParams P puts in a line."""
    parts = ["id rowData globalKey externalId"] + [f for k, f in SECTIONS.items() if p.get(k)]
    return " ".join([*parts, _projects(p), _models(p)])


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake(k): v if k in JSON_FIELDS else _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def _by_id(items: list[dict[str, Any]], **nested: Any) -> dict[str, Any]:
    out = {}
    for item in items:
        entry = {k: v for k, v in item.items() if k != "id"}
        for key, convert in nested.items():
            entry[key] = convert(entry[key])
        out[item["id"]] = entry
    return out


def node_as_line(node: dict[str, Any]) -> dict[str, Any]:
    """A dataRows node rewritten into the export line's shape."""
    node = _snake_keys(node)
    row_keys = ("id", "row_data", "global_key", "external_id", "details")
    line: dict[str, Any] = {"data_row": {k: node.pop(k) for k in row_keys if k in node}}
    for unset in ("global_key", "external_id"):  # the line leaves these out when they are not set
        if line["data_row"].get(unset, "") is None:
            del line["data_row"][unset]
    line["projects"] = _by_id(node.pop("projects", []))
    line["experiments"] = _by_id(node.pop("experiments", []), runs=_by_id)
    return {**line, **node}


PARAMS = [
    {},
    {"dataRowDetails": True, "mediaAttributes": True, "attachments": True, "metadataFields": True},
    {"allProjects": True, "projectDetails": True, "labelDetails": True, "performanceDetails": True},
    {"projectIds": ["proj-a"], "modelRunIds": ["run-1"], "predictions": True, "embeddings": True},
    {
        **{k: True for k in SECTIONS},
        "allProjects": True,
        "allModelRuns": True,
        "projectDetails": True,
        "labelDetails": True,
        "performanceDetails": True,
        "predictions": True,
    },
]


def _with_ids(p: dict[str, Any], catalog: CatalogSpec) -> dict[str, Any]:
    out = dict(p)
    for key in ("projectIds", "modelRunIds"):
        if key in out:
            out[key] = [catalog.names[n] for n in out[key]]
    return out


async def nodes(gql: GraphQLClient, selection: str, row_ids: list[str], first: int = 1000) -> list[dict[str, Any]]:
    query = "query($f: DataRowFilter, $n: Int) { dataRows(filter: $f, first: $n) { nodes { " + selection + " } } }"
    return (await gql.data(query, {"f": {"ids": row_ids}, "n": first}))["dataRows"]["nodes"]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(p) or "none")
async def test_export_line_equals_the_node_asking_for_the_same_params(
    gql: GraphQLClient, catalog: CatalogSpec, params: dict[str, Any]
) -> None:
    p = _with_ids(params, catalog)
    row_ids = catalog.ids(DataRow)[:40]
    mutation = "mutation($f: DataRowFilter, $p: ExportParams) { exportDataRows(filter: $f, params: $p) { id } }"
    task = (await gql.data(mutation, {"f": {"ids": row_ids}, "p": p}))["exportDataRows"]
    done = await gql.wait_export(task["id"])
    lines = [orjson.loads(line) for line in done["ndjson"].splitlines()]
    assert len(lines) == 40
    assert any(line["projects"] for line in lines) == bool(p.get("allProjects") or p.get("projectIds"))
    assert any(line["experiments"] for line in lines) == bool(p.get("allModelRuns") or p.get("modelRunIds"))
    assert [node_as_line(n) for n in await nodes(gql, selection_for(p), row_ids)] == lines


@pytest.mark.parametrize("size", [1, 10, 100])
async def test_full_selection_page_costs_the_same_statements_at_any_size(
    gql: GraphQLClient, engine: Any, catalog: CatalogSpec, size: int
) -> None:
    """One page select plus one per related table (attachments, metadata, embeddings, projects, model runs, and
    project and run labels together): 7, whatever the page size or nesting."""
    selection = selection_for(_with_ids(PARAMS[-1], catalog))
    with count_statements(engine) as counter:
        page = await nodes(gql, selection, catalog.ids(DataRow), size)
    assert len(page) == size
    assert counter.count == 7, counter.statements


async def test_postgresql_gets_the_same_statements_whatever_the_page_size(
    engine_name: str, gql: GraphQLClient, engine: Any, catalog: CatalogSpec
) -> None:
    """A page's ids reach PostgreSQL as one array (`data_row_id = ANY($1)`): the related statements are sent as
    compiled once, not rendered again with a placeholder per id."""
    if engine_name != "postgresql":
        pytest.skip("SQLite binds the ids one by one (an expanding IN)")
    selection, texts = selection_for(_with_ids(PARAMS[-1], catalog)), []
    for size in (1, 100):
        with count_statements(engine) as counter:
            await nodes(gql, selection, catalog.ids(DataRow), size)
        texts.append(counter.statements)
    assert texts[0] == texts[1]
    assert sum("data_row_id = ANY(" in text for text in texts[0]) == 6, texts[0]
