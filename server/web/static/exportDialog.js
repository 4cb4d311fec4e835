// The Export dialog: optional sections, projects and model runs limited to those of the selection, then the task's
// live progress (the exportTaskUpdated subscription; polling only when the socket fails), its download link and its
// error stream.
import { gql } from "./api.js";
import { el } from "./dom.js";
import { follow } from "./progress.js";
import { EXPORT, PICKERS, SECTIONS } from "./queries.js";

const $ = (id) => document.getElementById(id);

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function checkbox(name, label, checked = false) {
  return el("li", {}, el("label", {}, el("input", { type: "checkbox", name, value: name, checked }), ` ${label}`));
}

function picker(list, items, group) {
  list.replaceChildren();
  if (!items.length) list.append(el("li", { class: "hint", text: "None." }));
  for (const item of items) {
    list.append(el("li", {}, el("label", {}, el("input", { type: "checkbox", name: group, value: item.id }), ` ${item.label}`)));
  }
}

const chosen = (list) => [...list.querySelectorAll("input:checked")].map((i) => i.value);

// `scope`: {text, args} where args are exportDataRows' filter/slice/ids; `done()` is called when a task ends.
export async function openExport(scope, done) {
  const dialog = $("export-dialog");
  $("export-scope").textContent = scope.text;
  const sections = $("sections");
  if (!sections.childElementCount) for (const [name, label] of SECTIONS) sections.append(checkbox(name, label, name === "dataRowDetails"));
  $("progress-box").hidden = true;
  $("export-links").replaceChildren();
  $("start-export").disabled = true; // until the pickers are filled
  $("with-projects").checked = false;
  $("with-runs").checked = false;
  const facetArgs = scope.args.ids ? { filter: { ids: scope.args.ids } } : { filter: scope.args.filter, slice: scope.args.slice };
  const loading = el("li", { class: "hint", text: "Loading…" });
  $("project-picker").replaceChildren(loading);
  $("run-picker").replaceChildren(loading.cloneNode(true));
  dialog.showModal();
  const facets = (await gql(PICKERS, facetArgs)).dataRowFacets;
  const projects = facets.projects.filter((p) => p.labeledCount > 0).map((p) => ({ id: p.id, label: `${p.name} (${p.labeledCount} labeled)` }));
  picker($("project-picker"), projects, "project");
  const runs = facets.modelRuns.filter((r) => r.count > 0).map((r) => ({ id: r.id, label: `${r.modelName} / ${r.name} (${r.count})` }));
  picker($("run-picker"), runs, "run");
  $("start-export").onclick = () => start(scope, done);
  $("start-export").disabled = false;
}

async function start(scope, done) {
  const params = {};
  for (const input of $("sections").querySelectorAll("input")) params[input.value] = input.checked;
  params.format = $("export-format").value;
  if ($("with-projects").checked) params.projectIds = chosen($("project-picker"));
  if ($("with-runs").checked) params.modelRunIds = chosen($("run-picker"));
  $("start-export").disabled = true;
  $("progress-box").hidden = false;
  const text = $("progress-text");
  text.textContent = "Starting…";
  let task;
  try {
    task = (await gql(EXPORT, { ...scope.args, params })).exportDataRows;
  } catch (error) {
    text.textContent = `The export could not start: ${error.message}`;
    $("start-export").disabled = false;
    return;
  }
  const began = performance.now();
  const show = (t, via) => {
    const seconds = (performance.now() - began) / 1000;
    const rate = seconds > 0 ? Math.round(t.rowCount / seconds) : 0;
    $("progress").value = t.progress;
    text.textContent = `${t.status}: ${t.rowCount.toLocaleString("en-US")} rows, ${bytes(t.bytesWritten)}, ${rate.toLocaleString("en-US")} rows/s` +
      (t.errorCount ? `, ${t.errorCount} errors` : "");
    text.dataset.status = t.status;
    text.dataset.via = via;
  };
  let t;
  try {
    t = await follow(task.id, show);
  } catch (error) {
    text.textContent = `The export's progress cannot be followed: ${error.message}`;
    return;
  }
  const links = $("export-links");
  links.replaceChildren();
  if (t.status === "COMPLETE") links.append(el("a", { href: t.url, id: "download", download: `export-${t.id}.ndjson`, text: "Download NDJSON" }));
  if (t.failureReason) links.append(el("span", { class: "error", text: ` ${t.failureReason} ` }));
  if (t.errorCount || t.status === "FAILED") links.append(el("a", { href: t.errorsUrl, id: "errors-link", text: "Error stream" }));
  done();
}
