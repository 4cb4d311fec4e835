// The filter builder's controls: the root group's conditions and nested groups (each with all / any and not), drawn
// from the tree of filterTree.js; every edit gives a new tree.
import { el } from "./dom.js";
import { edited, fresh, listed } from "./filterTree.js";
import { MEDIA_TYPES, STATUSES } from "./queries.js";

const OPERATORS = { eq: "=", gt: ">", gte: "≥", lt: "<", lte: "≤", contains: "contains" };

export const TITLES = {
  mediaType: "Media type", dataset: "Dataset", ids: "Ids", metadata: "Metadata", annotation: "Annotation class",
  project: "Project", modelRun: "Model run", createdAt: "Created", updatedAt: "Updated",
  lastActivityAt: "Last activity", search: "Text search", group: "Group",
};

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

// The "Add …" menu of a group: every kind of condition, and a nested group.
export function addMenu(label, onAdd) {
  const choices = [["", "condition…"], ...Object.entries(TITLES).map(([kind, title]) => [kind, kind === "group" ? "Group (and / or)" : title])];
  const menu = select(label, "", choices, (kind) => kind && onAdd(kind));
  return menu;
}

function metadataControls(c, options, set) {
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

function projectControls(c, options, set) {
  const project = options.projects.find((p) => p.id === c.projectId);
  const batches = project ? project.batches || [] : [];
  return [
    select("Project", c.projectId, [["", "project…"], ...options.projects.map((p) => [p.id, p.name])], (v) => set({ projectId: v, batchId: "" })),
    select("Batch", c.batchId, [["", "any batch"], ...batches.map((b) => [b.id, b.name])], (v) => set({ batchId: v })),
    select("Workflow status", c.status, [["", "any status"], ...STATUSES.map((s) => [s, s])], (v) => set({ status: v })),
    select("Labeled", c.labeled, [["", "labeled or not"], ["true", "labeled"], ["false", "not labeled"]], (v) => set({ labeled: v })),
  ];
}

function idsControls(c, set) {
  const count = listed(c.text).length;
  const area = el("textarea", { "aria-label": "Pasted ids", rows: 2, placeholder: "one per line, or separated by commas", onchange: (e) => set({ text: e.target.value }) });
  area.value = c.text || "";
  return [
    select("Id kind", c.field, [["ids", "data row ids"], ["globalKeys", "global keys"]], (v) => set({ field: v })),
    area,
    el("span", { class: "hint", text: `${count.toLocaleString("en-US")} listed` }),
  ];
}

function controls(c, options, set) {
  const dates = () => [input("From date", c.from, "date", (v) => set({ from: v })), input("To date", c.to, "date", (v) => set({ to: v }))];
  switch (c.kind) {
    case "mediaType":
      return [select("Media type", c.value, [["", "any media type"], ...MEDIA_TYPES.map((m) => [m, m])], (v) => set({ value: v }))];
    case "dataset":
      return [select("Dataset", c.id, [["", "dataset…"], ...options.datasets.map((d) => [d.id, d.name])], (v) => set({ id: v }))];
    case "ids":
      return idsControls(c, set);
    case "metadata":
      return metadataControls(c, options, set);
    case "annotation":
      return [
        select("Annotation class", c.name, [["", "class…"], ...options.classes.map((n) => [n, n])], (v) => set({ name: v })),
        el("label", {}, "at least ", input("Minimum count", c.minCount ?? 1, "number", (v) => set({ minCount: v }))),
      ];
    case "project":
      return projectControls(c, options, set);
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

// Draw the children of the group at `path` into `list`. `latest()` gives the current tree and `changed(tree)` takes
// the new one after each edit (made from the latest tree: several quick edits before the next redraw all count).
export function renderGroup(list, path, latest, options, changed) {
  list.replaceChildren();
  const group = path.reduce((node, i) => node.children[i], latest());
  group.children.forEach((node, i) => {
    const at = [...path, i];
    const set = (patch) => changed(edited(latest(), at, (n) => ({ ...n, ...patch })));
    const not = el("label", { class: "not" }, el("input", { type: "checkbox", "aria-label": "not", checked: node.not, onchange: (e) => set({ not: e.target.checked }) }), " not");
    const remove = el("button", { type: "button", "aria-label": `Remove ${TITLES[node.kind]} ${node.kind === "group" ? "" : "condition"}`.trim(), text: "×", onclick: () => changed(edited(latest(), at, () => null)) });
    if (node.kind !== "group") {
      list.append(el("li", { class: "condition", "data-kind": node.kind, "data-path": at.join(".") }, not, el("span", { class: "kind", text: TITLES[node.kind] }), ...controls(node, options, set), remove));
      return;
    }
    const combine = select("Group match", node.combine, [["and", "all of (and)"], ["or", "any of (or)"]], (v) => set({ combine: v }));
    const add = addMenu("Add to group", (kind) => changed(edited(latest(), at, (g) => ({ ...g, children: [...g.children, fresh(kind)] }))));
    const inner = el("ol", { class: "conditions" });
    renderGroup(inner, at, latest, options, changed);
    const head = el("div", { class: "group-head" }, not, el("span", { class: "kind", text: "Group" }), combine, add, remove);
    list.append(el("li", { class: "condition group", "data-kind": "group", "data-path": at.join(".") }, head, inner));
  });
}

// The builder is drawn again after each edit: `focused(list)` notes which of its controls has the focus (its
// condition's path and its label), `refocus(list, noted)` gives the focus back to that control once redrawn.
export function focused(list) {
  const active = document.activeElement;
  const li = active && list.contains(active) ? active.closest("li[data-path]") : null;
  return li && active.getAttribute("aria-label") ? { path: li.dataset.path, label: active.getAttribute("aria-label") } : null;
}

export function refocus(list, noted) {
  if (!noted) return;
  const li = list.querySelector(`li[data-path="${noted.path}"]`);
  const controls = li ? [...li.querySelectorAll("[aria-label]")] : [];
  const control = controls.find((c) => c.getAttribute("aria-label") === noted.label && c.closest("li[data-path]") === li);
  if (control) control.focus();
}
