// The filter builder: a list of conditions (each may be negated) joined by and/or, as one DataRowFilter.
import { MEDIA_TYPES, STATUSES } from "./queries.js";

const OPERATORS = { eq: "=", gt: ">", gte: "≥", lt: "<", lte: "≤", contains: "contains" };

function range(from, to) {
  const out = {};
  if (from) out.gte = `${from}T00:00:00Z`;
  if (to) out.lte = `${to}T23:59:59.999Z`;
  return Object.keys(out).length ? out : null;
}

function metadataValue(schema, raw) {
  if (!schema) return raw;
  if (schema.kind === "NUMBER") return raw === "" ? null : Number(raw);
  if (schema.kind === "DATETIME") return raw ? `${raw}T00:00:00Z` : null;
  return raw;
}

// One condition as a DataRowFilter leaf, or null while it is incomplete.
export function leaf(condition, options) {
  const c = condition;
  switch (c.kind) {
    case "mediaType":
      return c.value ? { mediaTypes: [c.value] } : null;
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

// The whole builder (plus a dataset chosen on the left) as one DataRowFilter, or null for every row.
export function buildFilter(conditions, combine, options, datasetId) {
  const parts = [];
  for (const condition of conditions) {
    const l = leaf(condition, options);
    if (l) parts.push(condition.not ? { not: l } : l);
  }
  let filter = null;
  if (parts.length === 1) filter = parts[0];
  else if (parts.length > 1) filter = { [combine]: parts };
  if (datasetId) filter = filter ? { and: [{ datasetIds: [datasetId] }, filter] } : { datasetIds: [datasetId] };
  return filter;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function select(label, value, choices, onChange) {
  const s = el("select", { "aria-label": label, onchange: (e) => onChange(e.target.value) });
  for (const [v, text] of choices) {
    const o = el("option", { value: v, text });
    if (String(v) === String(value ?? "")) o.selected = true;
    s.append(o);
  }
  return s;
}

function input(label, value, type, onChange) {
  return el("input", { "aria-label": label, type, value: value ?? "", onchange: (e) => onChange(e.target.value) });
}

function controls(c, options, set) {
  const dates = () => [
    input("From date", c.from, "date", (v) => set({ from: v })),
    input("To date", c.to, "date", (v) => set({ to: v })),
  ];
  switch (c.kind) {
    case "mediaType":
      return [select("Media type", c.value, [["", "any media type"], ...MEDIA_TYPES.map((m) => [m, m])], (v) => set({ value: v }))];
    case "metadata": {
      const schema = options.metadataSchemas.find((s) => s.name === c.schema);
      const out = [select("Metadata field", c.schema, [["", "field…"], ...options.metadataSchemas.map((s) => [s.name, s.name])], (v) => set({ schema: v, value: "", op: "eq" }))];
      if (!schema) return out;
      if (schema.kind === "ENUM") {
        out.push(select("Option", c.value, [["", "option…"], ...schema.options.map((o) => [o.name, o.name])], (v) => set({ value: v, op: "eq" })));
        return out;
      }
      const ops = schema.kind === "STRING" ? ["eq", "contains"] : ["eq", "gt", "gte", "lt", "lte"];
      out.push(select("Operator", c.op, [...ops.map((o) => [o, OPERATORS[o]]), ["exists", "has a value"]], (v) => set({ op: v })));
      if (c.op !== "exists") {
        const type = schema.kind === "NUMBER" ? "number" : schema.kind === "DATETIME" ? "date" : "text";
        out.push(input("Value", c.value, type, (v) => set({ value: v })));
      }
      return out;
    }
    case "annotation":
      return [
        select("Annotation class", c.name, [["", "class…"], ...options.classes.map((n) => [n, n])], (v) => set({ name: v })),
        el("label", {}, "at least ", input("Minimum count", c.minCount ?? 1, "number", (v) => set({ minCount: v }))),
      ];
    case "project":
      return [
        select("Project", c.projectId, [["", "project…"], ...options.projects.map((p) => [p.id, p.name])], (v) => set({ projectId: v })),
        select("Workflow status", c.status, [["", "any status"], ...STATUSES.map((s) => [s, s])], (v) => set({ status: v })),
        select("Labeled", c.labeled, [["", "labeled or not"], ["true", "labeled"], ["false", "not labeled"]], (v) => set({ labeled: v })),
      ];
    case "modelRun":
      return [select("Model run", c.id, [["", "model run…"], ...options.modelRuns.map((r) => [r.id, `${r.modelName} / ${r.name}`])], (v) => set({ id: v }))];
    case "createdAt":
    case "updatedAt":
    case "lastActivityAt":
      return dates();
    case "search":
      return [
        input("Search text", c.query, "search", (v) => set({ query: v })),
        select("Search mode", c.mode, [["FULL_TEXT", "words"], ["SEMANTIC", "meaning (natural language)"]], (v) => set({ mode: v })),
      ];
    default:
      return [];
  }
}

const TITLES = {
  mediaType: "Media type", metadata: "Metadata", annotation: "Annotation class", project: "Project",
  modelRun: "Model run", createdAt: "Created", updatedAt: "Updated", lastActivityAt: "Last activity", search: "Text search",
};

// Draw the conditions (`latest()` gives the current list) into `list`; `changed(conditions)` is called with the new
// list after each edit (made from the latest list: several quick edits before the next redraw all count).
export function renderConditions(list, latest, options, changed) {
  list.replaceChildren();
  latest().forEach((c, i) => {
    const set = (patch) => changed(latest().map((x, j) => (j === i ? { ...x, ...patch } : x)));
    const not = el("label", { class: "not" }, el("input", { type: "checkbox", checked: c.not, onchange: (e) => set({ not: e.target.checked }) }), " not");
    const remove = el("button", { type: "button", "aria-label": `Remove ${TITLES[c.kind]} condition`, text: "×", onclick: () => changed(latest().filter((_, j) => j !== i)) });
    list.append(el("li", { class: "condition", "data-kind": c.kind }, not, el("span", { class: "kind", text: TITLES[c.kind] }), ...controls(c, options, set), remove));
  });
}

// The conditions a saved filter holds, when it is one the builder can show (else null: the slice is kept as is).
export function conditionsOf(filter) {
  if (!filter) return { conditions: [], combine: "and" };
  const combine = filter.and ? "and" : filter.or ? "or" : "and";
  const parts = filter.and || filter.or || [filter];
  const conditions = [];
  for (let part of parts) {
    const not = Boolean(part.not);
    if (not) part = part.not;
    const keys = Object.keys(part);
    if (keys.length !== 1) return null;
    const [k] = keys;
    const v = part[k];
    if (k === "mediaTypes" && v.length === 1) conditions.push({ kind: "mediaType", not, value: v[0] });
    else if (k === "modelRunIds" && v.length === 1) conditions.push({ kind: "modelRun", not, id: v[0] });
    else if (k === "annotation" && v.name) conditions.push({ kind: "annotation", not, name: v.name, minCount: v.minCount || 1 });
    else if (k === "search") conditions.push({ kind: "search", not, query: v.query, mode: v.mode || "FULL_TEXT" });
    else if (k === "project" && v.projectId) {
      conditions.push({ kind: "project", not, projectId: v.projectId, status: (v.workflowStatus || [])[0] || "", labeled: v.labeled === undefined || v.labeled === null ? "" : String(v.labeled) });
    } else if (k === "metadata" && v.name) {
      const op = ["eq", "gt", "gte", "lt", "lte", "contains"].find((o) => v[o] !== undefined && v[o] !== null);
      if (v.exists) conditions.push({ kind: "metadata", not, schema: v.name, op: "exists" });
      else if (op) conditions.push({ kind: "metadata", not, schema: v.name, op, value: String(v[op]).slice(0, op && String(v[op]).endsWith("Z") ? 10 : undefined) });
      else return null;
    } else return null;
  }
  return { conditions, combine };
}

export { el };
