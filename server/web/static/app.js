// The Catalog: datasets and slices on the left, the filter builder and its live count on top, a grid of thumbnails
// to pick rows from, and the Export dialog. Everything goes through /graphql.
import { ApiError, apiKey, gql, setApiKey } from "./api.js";
import { bytes, openExport } from "./exportDialog.js";
import { el } from "./dom.js";
import { buildFilter, compile, fresh, newGroup, treeOf } from "./filterTree.js";
import { addMenu, focused, refocus, renderGroup } from "./filters.js";
import { tile } from "./grid.js";
import { CATALOG, CREATE_SLICE, OPTIONS, PANEL, RECENT, ROWS, UPDATE_SLICE } from "./queries.js";

const $ = (id) => document.getElementById(id);
const state = {
  catalog: null,
  options: { metadataSchemas: [], classes: [], projects: [], modelRuns: [] },
  view: "datasets",
  datasetId: null,
  slice: null, // {id, name, filter, shown}: `shown` is the saved filter as the builder compiles it (null: not shown)
  root: newGroup(), // the filter builder's tree
  similar: null, // {rowId, embedding}
  selected: new Set(),
  endCursor: null,
  generation: 0,
};

const n = (x) => x.toLocaleString("en-US");

// The message box: an error is an alert (announced at once), a confirmation or a note a status (announced when the
// reader is idle); each tone has its own look.
const ROLES = { error: "alert", success: "status", info: "status" };
function message(text, tone = "error") {
  const box = $("message");
  box.setAttribute("role", ROLES[tone]);
  box.dataset.tone = tone;
  box.textContent = text || "";
  box.hidden = !text;
}

// A request that worked takes an error away; a confirmation or a note stays until the user moves on.
function clearError() {
  if ($("message").dataset.tone === "error") message("");
}

function askKey(reason) {
  $("key-reason").textContent = reason;
  $("key-input").value = apiKey();
  if (!$("key-dialog").open) $("key-dialog").showModal();
}

// Any failed request: a refused key opens the key dialog, anything else shows its message.
function failed(error) {
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
    askKey(`The server refused the API key: ${error.message}`);
    message("Not signed in: enter an API key.");
  } else {
    message(error.message);
  }
}

function current() {
  if (state.similar) {
    return { filter: { similarTo: { embedding: state.similar.embedding, dataRowId: state.similar.rowId, k: 48 } } };
  }
  const filter = buildFilter(state.root, state.options, state.datasetId);
  if (state.slice && JSON.stringify(filter) === state.slice.shown) return { slice: state.slice.id };
  return { filter };
}

function scopeText(total) {
  if (state.selected.size) return `${n(state.selected.size)} selected rows`;
  if (state.similar) return `Rows similar to ${state.similar.rowId}, ${n(total)} rows`;
  if (state.slice) return `Slice ${state.slice.name}${current().slice ? "" : " (edited)"}, ${n(total)} rows`;
  const dataset = state.catalog.datasets.nodes.find((d) => d.id === state.datasetId);
  return `${dataset ? `Dataset ${dataset.name}` : "All datasets"}, ${n(total)} rows`;
}

function drawDatasets(facets) {
  const counts = new Map(facets.datasets.map((d) => [d.id, d.count]));
  const list = $("datasets");
  list.replaceChildren();
  const item = (id, name, count) => {
    const button = el("button", { type: "button", "aria-current": state.datasetId === id ? "true" : false, onclick: () => pickDataset(id) },
      el("span", { text: name }), el("span", { class: "count", text: n(count) }));
    list.append(el("li", {}, button));
  };
  item(null, "All datasets", facets.totalCount);
  for (const d of state.catalog.datasets.nodes) item(d.id, d.name, counts.get(d.id) || 0);
}

function drawSlices() {
  const list = $("slices");
  list.replaceChildren();
  if (!state.catalog.slices.length) list.append(el("li", { class: "hint", text: "No slices yet: save a filter as one." }));
  for (const s of state.catalog.slices) {
    list.append(el("li", {}, el("button", { type: "button", "aria-current": state.slice && state.slice.id === s.id ? "true" : false, onclick: () => pickSlice(s) }, el("span", { text: s.name }))));
  }
}

async function drawRecent() {
  const tasks = (await gql(RECENT)).exportTasks;
  const list = $("recent");
  list.replaceChildren();
  if (!tasks.length) list.append(el("li", { class: "hint", text: "None yet." }));
  for (const t of tasks) {
    const when = new Date(t.createdAt).toLocaleString("en-US");
    const li = el("li", { class: "task" }, el("span", { class: `status ${t.status.toLowerCase()}`, text: t.status }), ` ${n(t.rowCount)} rows, ${bytes(t.bytesWritten)} `);
    if (t.status === "COMPLETE") li.append(el("a", { href: t.url, text: "download", "aria-label": `Download export of ${when}` }));
    if (t.errorCount || t.status === "FAILED") li.append(" ", el("a", { href: t.errorsUrl, text: "errors" }));
    li.append(el("div", { class: "hint", text: when }));
    list.append(li);
  }
}

function drawSelection() {
  $("selected-count").textContent = `${n(state.selected.size)} selected`;
  $("clear-selection").disabled = !state.selected.size;
}

function toggle(id, on) {
  if (on) state.selected.add(id);
  else state.selected.delete(id);
  drawSelection();
  $("scope").textContent = scopeText(Number($("count").dataset.total || 0));
}

async function findSimilar(rowId) {
  try {
    const found = await gql("query($id: ID!) { dataRow(id: $id) { embeddings { name } } }", { id: rowId });
    const names = ((found.dataRow || {}).embeddings || []).map((e) => e.name);
    if (!names.length) return message("This row has no embedding to compare with.", "info");
    state.similar = { rowId, embedding: names[0] };
    refresh();
  } catch (error) {
    failed(error);
  }
}

async function loadRows(args, append) {
  const grid = $("grid");
  grid.dataset.loading = "1";
  let page;
  try {
    page = (await gql(ROWS, { ...args, after: append ? state.endCursor : null })).dataRows;
  } finally {
    delete grid.dataset.loading;
  }
  if (!append) grid.replaceChildren();
  for (const edge of page.edges) grid.append(tile(edge.node, state.selected, toggle, findSimilar));
  state.endCursor = page.pageInfo.endCursor;
  $("more").hidden = !page.pageInfo.hasNextPage;
}

let timer = null;
function refresh() {
  clearTimeout(timer);
  timer = setTimeout(run, 200);
}

async function run() {
  const generation = ++state.generation;
  const args = current();
  const panelArgs = state.datasetId ? { ...args, filter: buildFilter(state.root, state.options, null) } : args;
  const noted = focused($("conditions"));
  renderGroup($("conditions"), [], () => state.root, state.options, (next) => { state.root = next; refresh(); });
  refocus($("conditions"), noted);
  $("combine").value = state.root.combine;
  $("update-slice").hidden = !state.slice;
  $("count").textContent = "Counting…";
  $("count").dataset.state = "counting";
  try {
    const panel = (await gql(PANEL, panelArgs)).dataRowFacets;
    const facets = panelArgs === args ? panel : (await gql(PANEL, args)).dataRowFacets;
    if (generation !== state.generation) return;
    clearError();
    drawDatasets(panel);
    $("count").textContent = `${n(facets.totalCount)} rows match`;
    $("count").dataset.total = facets.totalCount;
    $("scope").textContent = scopeText(facets.totalCount);
    await loadRows(args, false);
    if (generation === state.generation) $("count").dataset.state = "done";
  } catch (error) {
    if (generation === state.generation) {
      $("count").dataset.state = "error";
      failed(error);
    }
  }
}

function pickDataset(id) {
  message("");
  state.view = "datasets";
  state.datasetId = id;
  state.slice = null;
  state.similar = null;
  refresh();
}

// A slice with `shown`, its filter as the builder compiles it: unedited, the builder compiles to that and the slice is
// sent as saved (a filter the builder cannot show: while the builder stays empty).
function shownSlice(s, tree) {
  return { ...s, shown: JSON.stringify(tree ? compile(tree, state.options) : null) };
}

function pickSlice(s) {
  const tree = treeOf(s.filter);
  state.root = tree || newGroup();
  state.slice = shownSlice(s, tree);
  state.datasetId = null;
  state.similar = null;
  message(tree ? "" : `Slice ${s.name} has a filter the builder cannot show; it is applied as saved.`, "info");
  drawSlices();
  refresh();
}

function showView(view) {
  state.view = view;
  $("show-datasets").setAttribute("aria-pressed", String(view === "datasets"));
  $("show-slices").setAttribute("aria-pressed", String(view === "slices"));
  $("datasets").hidden = view !== "datasets";
  $("slices").hidden = view !== "slices";
}

async function saveSlice() {
  const name = prompt("Name of the new slice");
  if (!name) return;
  const filter = buildFilter(state.root, state.options, state.datasetId) || {};
  try {
    const created = (await gql(CREATE_SLICE, { name, filter })).createSlice;
    state.catalog.slices.push(created);
    showView("slices");
    pickSlice(created);
    message(`Saved as slice ${created.name}.`, "success");
  } catch (error) {
    failed(error);
  }
}

async function updateSlice() {
  const filter = buildFilter(state.root, state.options, null) || {};
  try {
    const saved = (await gql(UPDATE_SLICE, { id: state.slice.id, filter })).updateSlice;
    state.catalog.slices = state.catalog.slices.map((s) => (s.id === saved.id ? saved : s));
    state.slice = shownSlice(saved, treeOf(saved.filter));
    message(`Slice ${saved.name} saved.`, "success");
    refresh();
  } catch (error) {
    failed(error);
  }
}

async function start() {
  if (!apiKey() && !document.querySelector("meta[name=catalog-anonymous]")) {
    askKey("Paste an API key of your organization (catalog-export keys create --org NAME).");
    return;
  }
  try {
    state.catalog = await gql(CATALOG);
    const all = (await gql(OPTIONS)).dataRowFacets;
    state.options = {
      datasets: state.catalog.datasets.nodes,
      metadataSchemas: state.catalog.metadataSchemas.nodes,
      classes: [...new Set(all.annotationClasses.map((a) => a.name).filter(Boolean))].sort(),
      projects: state.catalog.projects.nodes,
      modelRuns: all.modelRuns,
    };
    clearError();
    drawSlices();
    refresh();
    drawRecent();
  } catch (error) {
    failed(error);
  }
}

function wire() {
  $("show-datasets").onclick = () => { showView("datasets"); pickDataset(null); };
  $("show-slices").onclick = () => showView("slices");
  $("combine").onchange = (e) => { state.root = { ...state.root, combine: e.target.value }; refresh(); };
  const add = addMenu("Add a condition", (kind) => {
    state.root = { ...state.root, children: [...state.root.children, fresh(kind)] };
    add.value = "";
    refresh();
  });
  add.id = "add-kind";
  $("add-kind").replaceWith(add);
  $("more").onclick = () => loadRows(current(), true).catch(failed);
  $("clear-selection").onclick = () => {
    state.selected.clear();
    for (const box of document.querySelectorAll(".tile input[type=checkbox]")) box.checked = false;
    drawSelection();
    refresh();
  };
  $("save-slice").onclick = saveSlice;
  $("update-slice").onclick = updateSlice;
  $("change-key").onclick = () => askKey("Paste an API key of your organization (catalog-export keys create --org NAME).");
  $("key-form").addEventListener("submit", () => {
    setApiKey($("key-input").value.trim());
    start();
  });
  $("open-export").onclick = () => {
    const total = Number($("count").dataset.total || 0);
    const args = state.selected.size ? { ids: [...state.selected] } : current();
    openExport({ text: scopeText(total), args }, () => drawRecent().catch(failed)).catch(failed);
  };
  drawSelection();
}

wire();
start();
