"""Ontologies, projects, batches, workflow and labels through HTTP."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.models import Label, LabelFeature, ProjectDataRow
from tests.ingest import ops
from tests.ingest.golden_catalog import Ids, text_annotations
from tests.ingest.rows import count_rows
from tests.utils.client import GraphQLClient
from tests.utils.statements import count_statements

DETAILS = (
    "query($id: ID!) { dataRow(id: $id) { projects { id projectDetails { batchId priority taskName "
    "workflowStatus workflowHistory } } } }"
)


async def test_ontology_tree_nests_at_any_depth(gql: GraphQLClient) -> None:
    cls = [
        {
            "name": "Weather Kind",
            "type": "RADIO",
            "options": [
                {
                    "name": "Sunny Day",
                    "classifications": [{"name": "Strength", "type": "CHECKLIST", "options": [{"name": "Strong"}]}],
                }
            ],
        }
    ]
    tools = [{"name": "Traffic Light", "type": "BOUNDING_BOX", "classifications": [{"name": "Lit", "type": "TEXT"}]}]
    ontology = (await gql.data(ops.CREATE_ONTOLOGY, {"name": "o", "tools": tools, "cls": cls}))["createOntology"]
    (tool,) = ontology["tools"]
    assert (tool["name"], tool["value"], tool["category"], tool["type"]) == (
        "Traffic Light",
        "traffic_light",
        "TOOL",
        "BOUNDING_BOX",
    )
    assert [(c["value"], c["category"]) for c in tool["classifications"]] == [("lit", "CLASSIFICATION")]
    (weather,) = ontology["classifications"]
    (sunny,) = weather["options"]
    assert (weather["value"], sunny["value"], sunny["category"]) == ("weather_kind", "sunny_day", "OPTION")
    assert [(c["value"], c["type"], [o["value"] for o in c["options"]]) for c in sunny["classifications"]] == [
        ("strength", "CHECKLIST", ["strong"])
    ]
    found = await gql.data("query($id: ID!) { ontology(id: $id) { tools { id } } }", {"id": ontology["id"]})
    assert found["ontology"]["tools"] == [{"id": tool["id"]}]


async def test_radio_without_options_is_rejected_with_its_path(gql: GraphQLClient) -> None:
    tools = [{"name": "Car", "type": "POINT", "classifications": [{"name": "Color", "type": "RADIO"}]}]
    error = await gql.error(ops.CREATE_ONTOLOGY, {"name": "o", "tools": tools})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "tools.0.classifications.0.options"}
    assert error["message"] == "RADIO and CHECKLIST classifications need options; TEXT takes none."


async def test_project_batch_and_listing(gql: GraphQLClient, golden: Ids) -> None:
    query = "{ projects { nodes { id name mediaType ontologyId batches { id name priority } } } }"
    projects = {p["id"]: p for p in (await gql.data(query))["projects"]["nodes"]}
    assert projects[golden["P1"]] == {
        "id": golden["P1"],
        "name": "Images",
        "mediaType": "IMAGE",
        "ontologyId": golden["ONT"],
        "batches": [{"id": golden["B1"], "name": "batch-1", "priority": 2}],
    }
    details = (await gql.data(DETAILS, {"id": golden["ROW3"]}))["dataRow"]["projects"]
    assert details == [
        {
            "id": golden["P3"],
            "projectDetails": {
                "batchId": golden["B3"],
                "priority": 5,
                "taskName": "Initial labeling task",
                "workflowStatus": "TO_LABEL",
                "workflowHistory": [],
            },
        }
    ]


async def test_a_row_already_in_the_project_cannot_be_batched_again(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(
        ops.CREATE_BATCH, {"p": golden["P1"], "name": "again", "ids": [golden["ROW2"], golden["ROW1"]]}
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "dataRowIds.1"}
    assert error["message"] == f"Data row '{golden['ROW1']}' is already in this project."


async def test_batch_of_an_unknown_row_is_not_found(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(ops.CREATE_BATCH, {"p": golden["P1"], "name": "b", "ids": ["ghost"]})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "dataRowIds.0"}


async def test_batch_priority_out_of_range(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(ops.CREATE_BATCH, {"p": golden["P2"], "name": "b", "ids": [golden["ROW1"]], "prio": 9})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "priority"}


async def test_workflow_status_appends_history(gql: GraphQLClient, golden: Ids) -> None:
    details = (await gql.data(DETAILS, {"id": golden["ROW1"]}))["dataRow"]["projects"][0]["projectDetails"]
    assert details["workflowStatus"] == "DONE"
    history = details["workflowHistory"]
    assert [(h["action"], h["status"], h["created_by"]) for h in history] == [
        ("SET_STATUS", "IN_REVIEW", "rev@example.com"),
        ("SET_STATUS", "DONE", "rev@example.com"),
    ]
    assert list(history[0]) == ["action", "status", "created_at", "created_by"]


async def test_workflow_status_of_a_row_outside_the_project(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(ops.SET_STATUS, {"p": golden["P1"], "ids": [golden["ROW2"]], "s": "DONE"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "dataRowIds.0"}
    assert error["message"] == f"Data row '{golden['ROW2']}' is not in this project; add it with createBatch first."


async def test_labeling_a_row_not_in_the_project(gql: GraphQLClient, golden: Ids, engine: AsyncEngine) -> None:
    labels = [{"dataRowId": golden["ROW3"], "annotations": text_annotations(golden)}] * 2
    labels[1] = {"dataRowId": golden["ROW1"], "annotations": text_annotations(golden)}
    error = await gql.error(ops.CREATE_LABELS, {"p": golden["P3"], "labels": labels})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "labels.1.dataRowId"}
    assert await count_rows(engine, Label) == 5


async def test_labels_write_one_feature_row_per_schema(gql: GraphQLClient, golden: Ids, engine: AsyncEngine) -> None:
    lf = LabelFeature.__table__.c
    async with engine.connect() as conn:
        stmt = select(lf.feature_schema_id, lf.name, lf.kind, lf.count, lf.project_id).where(
            lf.label_id == golden["L2"]
        )
        found = sorted((await conn.execute(stmt)).all(), key=lambda r: r.name)
    assert [tuple(r) for r in found] == [
        (golden["F.car"], "Car", "VideoBoundingBox", 2, golden["P2"]),
        (golden["F.rainy"], "Rainy", "Option", 1, golden["P2"]),
        (golden["F.weather"], "Weather", "Radio", 1, golden["P2"]),
    ]


async def test_labeling_an_unknown_row_is_not_found(gql: GraphQLClient, golden: Ids) -> None:
    labels = [{"dataRowId": "ghost", "annotations": text_annotations(golden)}]
    error = await gql.error(ops.CREATE_LABELS, {"p": golden["P3"], "labels": labels})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "labels.0.dataRowId"}
    assert error["message"] == "DataRow 'ghost' does not exist."


async def test_workflow_status_bumps_last_activity(gql: GraphQLClient, golden: Ids, engine: AsyncEngine) -> None:
    m = ProjectDataRow.__table__.c

    async def activity() -> object:
        async with engine.connect() as conn:
            stmt = select(m.last_activity_at).where(m.project_id == golden["P2"], m.data_row_id == golden["ROW2"])
            return (await conn.execute(stmt)).scalar_one()

    before = await activity()
    await gql.data(ops.SET_STATUS, {"p": golden["P2"], "ids": [golden["ROW2"]], "s": "IN_REWORK"})
    assert str(await activity()) > str(before)


async def test_reviews_must_be_a_list(gql: GraphQLClient, golden: Ids) -> None:
    labels = [{"dataRowId": golden["ROW3"], "annotations": text_annotations(golden), "reviews": {"score": 1}}]
    error = await gql.error(ops.CREATE_LABELS, {"p": golden["P3"], "labels": labels})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "labels.0.reviews"}
    assert error["message"] == "Expected a JSON list."


async def test_create_labels_statement_count_does_not_grow_with_labels(
    gql: GraphQLClient, golden: Ids, engine: AsyncEngine
) -> None:
    new = [{"rowData": f"Alice t{i}", "mediaType": "TEXT"} for i in range(40)]  # the entity covers "Alice"
    ids = (await gql.data(ops.CREATE_ROWS, {"ds": golden["DS"], "rows": new}))["createDataRows"]
    await gql.data(ops.CREATE_BATCH, {"p": golden["P3"], "name": "more", "ids": ids})
    counts = []
    for chunk in (ids[:1], ids[1:]):
        labels = [{"dataRowId": i, "annotations": text_annotations(golden)} for i in chunk]
        with count_statements(engine) as counter:
            assert len(
                (await gql.data(ops.CREATE_LABELS, {"p": golden["P3"], "labels": labels}))["createLabels"]
            ) == len(chunk)
        counts.append(counter.count)
    # project, rows, membership, ontology, the rows' media and text, two inserts, last activity, search documents (7)
    assert counts[0] == counts[1] == 15
