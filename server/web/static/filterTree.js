// The filter builder's model, without the DOM: a tree of groups (all / any of their children, maybe negated) and
// conditions (one DataRowFilter leaf each, maybe negated), compiled to one DataRowFilter and read back from one.

const OPS = ["eq", "gt", "gte", "lt", "lte", "contains"];

export const newGroup = (combine = "and") => ({ kind: "group", combine, not: false, children: [] });

function range(from, to) {
  const out = {};
  if (from) out.gte = `${from}T00:00:00Z`;
  if (to) out.lte = `${to}T23:59:59.999Z`;
  return Object.keys(out).length ? out : null;
}

const day = (stamp) => (stamp ? String(stamp).slice(0, 10) : "");

function metadataValue(schema, raw) {
  if (!schema) return raw;
  if (schema.kind === "NUMBER") return raw === "" ? null : Number(raw);
  if (schema.kind === "DATETIME") return raw ? `${raw}T00:00:00Z` : null;
  return raw;
}

// The ids or global keys of a pasted list: split on white space, commas and semicolons, each once, in order.
export function listed(text) {
  return [...new Set(String(text || "").split(/[\s,;]+/).filter(Boolean))];
}

// One condition as a DataRowFilter leaf, or null while it is incomplete.
export function leaf(c, options) {
  switch (c.kind) {
    case "mediaType":
      return c.value ? { mediaTypes: [c.value] } : null;
    case "dataset":
      return c.id ? { datasetIds: [c.id] } : null;
    case "ids": {
      const values = listed(c.text);
      return values.length ? { [c.field || "ids"]: values } : null;
    }
    case "metadata": {
      if (!c.schema) return null;
      const schema = options.metadataSchemas.find((s) => s.name === c.schema);
      if (c.op === "exists") return { metadata: { name: c.schema, exists: true } };
      const value = metadataValue(schema, c.value ?? "");
      if (value === null || value === "") return null;
      return { metadata: { name: c.schema, [c.op || "eq"]: value } };
    }
    case "annotation":
      return c.name ? { annotation: { name: c.name, minCount: Math.max(1, Number(c.minCount) || 1) } } : null;
    case "project": {
      if (!c.projectId) return null;
      const project = { projectId: c.projectId };
      if (c.batchId) project.batchIds = [c.batchId];
      if (c.status) project.workflowStatus = [c.status];
      if (c.labeled) project.labeled = c.labeled === "true";
      return { project };
    }
    case "modelRun":
      return c.id ? { modelRunIds: [c.id] } : null;
    case "createdAt":
    case "updatedAt": {
      const r = range(c.from, c.to);
      return r ? { [c.kind]: r } : null;
    }
    case "lastActivityAt": {
      const r = range(c.from, c.to);
      return r ? { project: { lastActivityAt: r } } : null;
    }
    case "search":
      return c.query && c.query.trim() ? { search: { query: c.query.trim(), mode: c.mode || "FULL_TEXT" } } : null;
    default:
      return null;
  }
}

// A node (group or condition) as a DataRowFilter, or null when nothing in it is complete yet.
export function compile(node, options) {
  let filter;
  if (node.kind === "group") {
    const parts = node.children.map((child) => compile(child, options)).filter(Boolean);
    filter = parts.length > 1 ? { [node.combine]: parts } : parts[0] || null;
  } else {
    filter = leaf(node, options);
  }
  return filter && node.not ? { not: filter } : filter;
}

// The whole builder (plus a dataset chosen on the left) as one DataRowFilter, or null for every row.
export function buildFilter(root, options, datasetId) {
  const filter = compile(root, options);
  if (!datasetId) return filter;
  return filter ? { and: [{ datasetIds: [datasetId] }, filter] } : { datasetIds: [datasetId] };
}

const present = (v) => Object.keys(v || {}).filter((k) => v[k] !== null && v[k] !== undefined);
const within = (v, allowed) => present(v).every((k) => allowed.includes(k));
const one = (list) => Array.isArray(list) && list.length === 1;

function projectCondition(v) {
  const keys = present(v);
  if (keys.length === 1 && keys[0] === "lastActivityAt" && within(v.lastActivityAt, ["gte", "lte"])) {
    return { kind: "lastActivityAt", from: day(v.lastActivityAt.gte), to: day(v.lastActivityAt.lte) };
  }
  if (!v.projectId || !within(v, ["projectId", "batchIds", "workflowStatus", "labeled"])) return null;
  if ((v.batchIds && !one(v.batchIds)) || (v.workflowStatus && !one(v.workflowStatus))) return null;
  const labeled = v.labeled === undefined || v.labeled === null ? "" : String(v.labeled);
  const batchId = (v.batchIds || [])[0] || "";
  return { kind: "project", projectId: v.projectId, batchId, status: (v.workflowStatus || [])[0] || "", labeled };
}

function metadataCondition(v) {
  if (!v.name) return null;
  if (v.exists === true && within(v, ["name", "exists"])) return { kind: "metadata", schema: v.name, op: "exists" };
  const ops = present(v).filter((k) => k !== "name");
  if (ops.length !== 1 || !OPS.includes(ops[0])) return null;
  const [op] = ops;
  const value = String(v[op]);
  return { kind: "metadata", schema: v.name, op, value: value.endsWith("Z") ? value.slice(0, 10) : value };
}

// The condition of one single-key leaf of a saved filter, or null when the builder has no control for it.
function conditionOf(key, v) {
  if (key === "mediaTypes" && one(v)) return { kind: "mediaType", value: v[0] };
  if (key === "datasetIds" && one(v)) return { kind: "dataset", id: v[0] };
  if (key === "modelRunIds" && one(v)) return { kind: "modelRun", id: v[0] };
  if ((key === "ids" || key === "globalKeys") && Array.isArray(v)) return { kind: "ids", field: key, text: v.join("\n") };
  if (key === "annotation" && v.name && within(v, ["name", "minCount"])) {
    return { kind: "annotation", name: v.name, minCount: v.minCount || 1 };
  }
  if (key === "search" && v.query) return { kind: "search", query: v.query, mode: v.mode || "FULL_TEXT" };
  if ((key === "createdAt" || key === "updatedAt") && within(v, ["gte", "lte"])) {
    return { kind: key, from: day(v.gte), to: day(v.lte) };
  }
  if (key === "project") return projectCondition(v);
  if (key === "metadata") return metadataCondition(v);
  return null;
}

function nodeOf(filter) {
  const keys = Object.keys(filter || {}).filter((k) => filter[k] !== null && filter[k] !== undefined);
  if (!keys.length) return null;
  if (keys.length > 1) {
    // Several conditions in one object hold together (and), as the server reads them.
    const children = keys.map((k) => nodeOf({ [k]: filter[k] }));
    return children.every(Boolean) ? { kind: "group", combine: "and", not: false, children } : null;
  }
  const [key] = keys;
  const value = filter[key];
  if (key === "not") {
    const inner = nodeOf(value);
    return inner && { ...inner, not: !inner.not };
  }
  if (key === "and" || key === "or") {
    const children = value.map(nodeOf);
    return children.every(Boolean) ? { kind: "group", combine: key, not: false, children } : null;
  }
  const condition = conditionOf(key, value);
  return condition && { ...condition, not: false };
}

// The builder's tree for a saved filter, or null when the builder cannot show it (the slice is then kept as saved).
export function treeOf(filter) {
  if (!filter || !Object.keys(filter).length) return newGroup();
  const node = nodeOf(filter);
  if (!node) return null;
  return node.kind === "group" && !node.not ? node : { ...newGroup(), children: [node] };
}

// The tree with the node at `path` (child indices from the root) replaced by `edit(node)`; null removes it.
export function edited(root, path, edit) {
  if (!path.length) return edit(root);
  const [at, ...rest] = path;
  const children = root.children.map((child, i) => (i === at ? edited(child, rest, edit) : child)).filter(Boolean);
  return { ...root, children };
}

// A new, empty node of `kind` for the builder.
export function fresh(kind) {
  if (kind === "group") return newGroup("or");
  if (kind === "ids") return { kind, not: false, field: "ids", text: "" };
  return { kind, not: false };
}
