// The operations the app sends (all in the committed schema.graphql). Each dataRowFacets asks only for the facets
// it shows: the server reads only the facet arrays of the fields selected.
export const PANEL = `query Panel($filter: DataRowFilter, $slice: ID) {
  dataRowFacets(filter: $filter, slice: $slice) { totalCount datasets { id count } }
}`;

export const OPTIONS = `query Options {
  dataRowFacets { annotationClasses { name } modelRuns { id name modelName } }
}`;

export const PICKERS = `query Pickers($filter: DataRowFilter, $slice: ID) {
  dataRowFacets(filter: $filter, slice: $slice) {
    projects { id name labeledCount }
    modelRuns { id name modelName count }
  }
}`;

export const CATALOG = `query Catalog {
  datasets(first: 100) { nodes { id name } }
  slices { id name filter }
  metadataSchemas(first: 100) { nodes { id name kind options { id name } } }
  projects(first: 100) { nodes { id name batches { id name } } }
}`;

export const ROWS = `query Rows($filter: DataRowFilter, $slice: ID, $after: String) {
  dataRows(filter: $filter, slice: $slice, first: 48, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id globalKey rowData mediaAttributes
      projects { id labels { id annotations } }
    } }
  }
}`;

export const COUNT = `query Count($filter: DataRowFilter, $slice: ID) {
  dataRows(filter: $filter, slice: $slice, first: 0) { totalCount }
}`;

export const EXPORT = `mutation Export($filter: DataRowFilter, $slice: ID, $ids: [ID!], $params: ExportParams) {
  exportDataRows(filter: $filter, slice: $slice, dataRowIds: $ids, params: $params) { id }
}`;

const TASK_FIELDS = "id status progress rowCount errorCount bytesWritten totalRows url errorsUrl failureReason createdAt";

export const TASK = `query Task($id: ID!) {
  exportTask(id: $id) { ${TASK_FIELDS} }
}`;

export const TASK_UPDATES = `subscription TaskUpdates($id: ID!) {
  exportTaskUpdated(id: $id) { ${TASK_FIELDS} }
}`;

export const RECENT = `query Recent {
  exportTasks(first: 10) { id status rowCount errorCount bytesWritten url errorsUrl createdAt }
}`;

export const CREATE_SLICE = `mutation CreateSlice($name: String!, $filter: DataRowFilter!) {
  createSlice(name: $name, filter: $filter) { id name filter }
}`;

export const UPDATE_SLICE = `mutation UpdateSlice($id: ID!, $filter: DataRowFilter!) {
  updateSlice(id: $id, filter: $filter) { id name filter }
}`;

// The ExportParams flags the dialog offers, with their labels.
export const SECTIONS = [
  ["dataRowDetails", "Data row details"],
  ["mediaAttributes", "Media attributes"],
  ["attachments", "Attachments"],
  ["metadataFields", "Metadata fields"],
  ["projectDetails", "Project details"],
  ["labelDetails", "Label details"],
  ["performanceDetails", "Performance details"],
  ["predictions", "Predictions"],
  ["embeddings", "Embeddings"],
  ["interpolatedFrames", "Interpolated frames"],
];

export const MEDIA_TYPES = ["IMAGE", "VIDEO", "TEXT", "CONVERSATIONAL", "DOCUMENT", "AUDIO", "GEOSPATIAL", "DICOM", "HTML"];
export const STATUSES = ["TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE"];
