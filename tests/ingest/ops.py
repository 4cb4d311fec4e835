"""GraphQL documents of the ingest mutations, shared by the ingest and golden tests."""

from __future__ import annotations

FEATURE = "id name value category type"
LEVELS = ("classifications", "options") * 3


def _nested(levels: tuple[str, ...]) -> str:
    """A feature's fields with its children selected down through `levels`."""
    return FEATURE if not levels else f"{FEATURE} {levels[0]} {{ {_nested(levels[1:])} }}"


ONTOLOGY_TREE = f"id name tools {{ {_nested(LEVELS[:5])} }} classifications {{ {_nested(LEVELS[1:])} }}"

CREATE_DATASET = "mutation($name: String!) { createDataset(name: $name) { id name description } }"
UPDATE_DATASET = (
    "mutation($id: ID!, $name: String, $d: String) { updateDataset(id: $id, name: $name, description: $d) "
    "{ id name description } }"
)
CREATE_ROWS = "mutation($ds: ID!, $rows: [DataRowInput!]!) { createDataRows(datasetId: $ds, rows: $rows) }"
UPDATE_ROW = "mutation($id: ID!, $c: DataRowUpdate!) { updateDataRow(id: $id, changes: $c) }"
CREATE_SCHEMA = (
    "mutation($name: String!, $kind: MetadataKind!, $options: [String!]) "
    "{ createMetadataSchema(name: $name, kind: $kind, options: $options) { id name kind options { id name kind } } }"
)
CREATE_ONTOLOGY = (
    "mutation($name: String!, $tools: [ToolInput!], $cls: [ClassificationInput!]) "
    "{ createOntology(name: $name, tools: $tools, classifications: $cls) { " + ONTOLOGY_TREE + " } }"
)
CREATE_PROJECT = (
    "mutation($name: String!, $media: MediaType!, $ont: ID) "
    "{ createProject(name: $name, mediaType: $media, ontologyId: $ont) { id name mediaType ontologyId } }"
)
CREATE_BATCH = (
    "mutation($p: ID!, $name: String!, $ids: [ID!]!, $prio: Int! = 5) "
    "{ createBatch(projectId: $p, name: $name, dataRowIds: $ids, priority: $prio) { id name priority projectId } }"
)
SET_STATUS = (
    "mutation($p: ID!, $ids: [ID!]!, $s: WorkflowStatus!, $by: String) "
    "{ setWorkflowStatus(projectId: $p, dataRowIds: $ids, status: $s, createdBy: $by) }"
)
CREATE_LABELS = "mutation($p: ID!, $labels: [LabelInput!]!) { createLabels(projectId: $p, labels: $labels) }"
CREATE_MODEL = (
    "mutation($name: String!, $ont: ID) { createModel(name: $name, ontologyId: $ont) { id name ontologyId } }"
)
CREATE_RUN = "mutation($m: ID!, $name: String!) { createModelRun(modelId: $m, name: $name) { id name modelId } }"
ADD_TO_RUN = (
    "mutation($r: ID!, $ids: [ID!]!) { addDataRowsToModelRun(modelRunId: $r, dataRowIds: $ids) "
    "{ dataRowId annotationGroupId } }"
)
RUN_LABELS = (
    "mutation($r: ID!, $labels: [LabelInput!]!, $src: LabelSource! = LABEL) "
    "{ createModelRunLabels(modelRunId: $r, labels: $labels, source: $src) }"
)
CREATE_EMBEDDING = (
    "mutation($name: String!, $dims: Int!) { createEmbedding(name: $name, dims: $dims) { id name dims } }"
)
SET_EMBEDDINGS = "mutation($e: ID!, $v: [VectorInput!]!) { setEmbeddings(embeddingId: $e, vectors: $v) }"
EXPORT = "mutation($ids: [ID!], $p: ExportParams) { exportDataRows(dataRowIds: $ids, params: $p) { id } }"
