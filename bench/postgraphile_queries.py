"""The three query shapes of the PostGraphile comparison, as our GraphQL and as the equivalent GraphQL on the schema
PostGraphile generates from the same tables (with the connection-filter plugin, its relation filters and simple
list fields), and one comparable view of either answer (`view`) so that the two can be checked to agree.

Differences the views even out: PostGraphile exposes our JSON text columns (metadata values, annotations) as
strings and `timestamp` columns without a zone; it lists a row's project labels flat (each with its project id)
where ours nests them under the row's projects; ours names the metadata schema, PostGraphile reaches it by relation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

SCALARS = "id rowData globalKey externalId"
OURS_PAGE = (
    "query($after: String) { dataRows(first: 100, after: $after) { pageInfo { endCursor hasNextPage } nodes { %s } } }"
)
THEIRS_PAGE = (
    "query($after: Cursor, $org: String!) { allDatarows(first: 100, after: $after, orderBy: PRIMARY_KEY_ASC, "
    "condition: {organizationId: $org}) { pageInfo { endCursor hasNextPage } nodes { %s } } }"
)
OURS_RICH = (
    f"{SCALARS} details {{ datasetId datasetName createdAt updatedAt createdBy }} "
    "metadataFields { schemaId schemaName value } projects { id name labels { id labelKind version annotations } }"
)
THEIRS_RICH = (
    f"{SCALARS} datasetId createdAt updatedAt createdBy datasetByDatasetId {{ name }} "
    "metadatavaluesByDataRowIdList(orderBy: [POSITION_ASC, SCHEMA_ID_ASC]) "
    "{ schemaId valueJson metadataschemaBySchemaId { name } } "
    "projectdatarowsByDataRowIdList(orderBy: PROJECT_ID_ASC) { projectId projectByProjectId { name } } "
    "labelsByDataRowIdList(filter: {projectId: {isNull: false}}, orderBy: [CREATED_AT_ASC, ID_ASC]) "
    "{ id projectId labelKind version annotations }"
)
OURS_COUNT = 'query { dataRows(filter: {metadata: {name: "score", gt: 50}, annotation: {name: "Car"}}) { totalCount } }'
THEIRS_COUNT = (
    "query($org: String!) { allDatarows(condition: {organizationId: $org}, filter: {"
    'metadatavaluesByDataRowId: {some: {metadataschemaBySchemaId: {name: {equalTo: "score"}}, '
    "numberValue: {greaterThan: 50}}}, "
    'labelsByDataRowId: {some: {labelfeaturesByLabelId: {some: {name: {equalTo: "Car"}}}}}}) { totalCount } }'
)
OURS_FIELD, THEIRS_FIELD = "dataRows", "allDatarows"


@dataclass(frozen=True)
class Shape:
    name: str
    ours: str
    theirs: str
    pages: bool  # walked page after page (`after` the previous page's endCursor); else asked again as it is


SHAPES = (
    Shape("100-row page, scalar fields", OURS_PAGE % SCALARS, THEIRS_PAGE % SCALARS, True),
    Shape(
        "100-row page, details + metadata + labels with annotations",
        OURS_PAGE % OURS_RICH,
        THEIRS_PAGE % THEIRS_RICH,
        True,
    ),
    Shape("filtered count (metadata score > 50 and annotation Car)", OURS_COUNT, THEIRS_COUNT, False),
)


def connection(body: dict[str, Any]) -> dict[str, Any]:
    """The root connection of either server's answer."""
    data = body["data"]
    return data[OURS_FIELD] if OURS_FIELD in data else data[THEIRS_FIELD]


def next_cursor(body: dict[str, Any]) -> str | None:
    info = connection(body)["pageInfo"]
    return info["endCursor"] if info["hasNextPage"] else None


def _instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _label_key(label: tuple[Any, ...]) -> tuple[str, str]:
    return label[0] or "", label[1]


def _ours_node(node: dict[str, Any]) -> dict[str, Any]:
    out = {k: node[k] for k in SCALARS.split()}
    if "details" not in node:
        return out
    d = node["details"]
    labels = [(p["id"], x["id"], x["labelKind"], x["version"], x["annotations"]) for p in node["projects"]
              for x in p["labels"]]  # fmt: skip
    return out | {
        "datasetId": d["datasetId"],
        "datasetName": d["datasetName"],
        "createdBy": d["createdBy"],
        "createdAt": _instant(d["createdAt"]),
        "updatedAt": _instant(d["updatedAt"]),
        "metadata": [(m["schemaId"], m["schemaName"], m["value"]) for m in node["metadataFields"]],
        "projects": sorted((p["id"], p["name"]) for p in node["projects"]),
        "labels": sorted(labels, key=_label_key),
    }


def _theirs_node(node: dict[str, Any]) -> dict[str, Any]:
    out = {k: node[k] for k in SCALARS.split()}
    if "datasetId" not in node:
        return out
    members = node["projectdatarowsByDataRowIdList"]
    values = [(m["schemaId"], m["metadataschemaBySchemaId"]["name"], orjson.loads(m["valueJson"]))
              for m in node["metadatavaluesByDataRowIdList"]]  # fmt: skip
    labels = [(x["projectId"], x["id"], x["labelKind"], x["version"], orjson.loads(x["annotations"]))
              for x in node["labelsByDataRowIdList"]]  # fmt: skip
    return out | {
        "datasetId": node["datasetId"],
        "datasetName": node["datasetByDatasetId"]["name"],
        "createdBy": node["createdBy"],
        "createdAt": _instant(node["createdAt"]),
        "updatedAt": _instant(node["updatedAt"]),
        "metadata": values,
        "projects": sorted((p["projectId"], p["projectByProjectId"]["name"]) for p in members),
        "labels": sorted(labels, key=_label_key),
    }


def view(body: dict[str, Any]) -> dict[str, Any]:
    """What either server answered, in one form: the nodes (each as `_ours_node` reads it) or the count."""
    found = connection(body)
    if "totalCount" in found:
        return {"totalCount": found["totalCount"]}
    read = _ours_node if OURS_FIELD in body["data"] else _theirs_node
    return {"nodes": [read(n) for n in found["nodes"]]}
