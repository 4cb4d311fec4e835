// Thumbnails: the media (images; a video's poster, named by its `thumbnail_url` media attribute) with the labels'
// annotations drawn over it, text and conversations as a snippet with their entity spans marked; a checkbox on each.
import { el } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b"];

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function color(name) {
  let h = 0;
  for (const ch of name || "") h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

const points = (list) => list.map((p) => `${p.x},${p.y}`).join(" ");

// The shapes of one object annotation (image objects, or a video's first frame's).
function shapes(object, stroke) {
  const style = { stroke, fill: "none", "stroke-width": "0.6%", "vector-effect": "non-scaling-stroke" };
  const out = [];
  const box = object.bounding_box || object.bbox;
  if (box) out.push(svg("rect", { x: box.left, y: box.top, width: box.width, height: box.height, ...style, "stroke-width": 2 }));
  if (object.polygon) out.push(svg("polygon", { points: points(object.polygon), ...style, "stroke-width": 2 }));
  if (object.line) out.push(svg("polyline", { points: points(object.line), ...style, "stroke-width": 2 }));
  if (object.point) out.push(svg("circle", { cx: object.point.x, cy: object.point.y, r: 10, fill: stroke }));
  const mask = object.composite_mask || object.mask;
  if (mask && mask.url) {
    const image = svg("image", { href: mask.url, x: 0, y: 0, width: "100%", height: "100%", opacity: 0.4 });
    image.addEventListener("error", () => image.remove());
    out.push(image);
  }
  return out;
}

function objects(row) {
  const out = [];
  for (const project of row.projects || []) {
    for (const label of project.labels || []) {
      const a = label.annotations || {};
      if (Array.isArray(a.objects)) out.push(...a.objects);
      if (a.frames) {
        const first = Object.keys(a.frames).sort((x, y) => Number(x) - Number(y))[0];
        if (first !== undefined) out.push(...Object.values(a.frames[first].objects || {}));
      }
    }
  }
  return out;
}

function visual(row, kind) {
  const m = row.mediaAttributes || {};
  const width = m.width || 1280;
  const height = m.height || 720;
  const frame = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "media", role: "img", "aria-label": `${kind} ${row.globalKey || row.id}` });
  frame.append(svg("rect", { x: 0, y: 0, width, height, fill: "#e9ecef" }));
  // A video shows the image its `thumbnail_url` media attribute names (the demo's are served by the server).
  const source = kind === "VIDEO" ? m.thumbnail_url : row.rowData;
  frame.dataset.media = "none";
  if (source && /^(https?:|data:|\/)/.test(source)) {
    const image = svg("image", { class: "source", href: source, x: 0, y: 0, width, height, preserveAspectRatio: "xMidYMid slice" });
    frame.dataset.media = "loading";
    image.addEventListener("load", () => { frame.dataset.media = "loaded"; });
    image.addEventListener("error", () => { frame.dataset.media = "failed"; image.remove(); });
    frame.append(image);
  }
  for (const object of objects(row)) for (const shape of shapes(object, color(object.name))) frame.append(shape);
  return frame;
}

// `text` (its first 400 characters) in a <p>, the spans ([start, end inclusive, class name]) marked.
function marked(text, spans, attrs = {}) {
  const p = el("p", attrs);
  let at = 0;
  for (const [start, end, name] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (start < at || start > 400) continue;
    p.append(text.slice(at, start));
    p.append(el("mark", { title: name, text: text.slice(start, end + 1) }));
    at = end + 1;
  }
  p.append(text.slice(at, Math.max(at, 400)));
  return p;
}

// A text row's snippet with the named-entity spans of its labels marked.
function snippet(row) {
  const text = (row.mediaAttributes && row.mediaAttributes.text) || row.rowData || "";
  const spans = objects(row).filter((o) => o.location && o.location.start !== undefined).map((o) => [o.location.start, o.location.end, o.name]);
  return marked(text, spans, { class: "snippet" });
}

// A conversation's first messages, read from its row data URL (Labelbox conversational JSON), with the entity
// spans of its labels marked; its URL as text when it cannot be read.
function conversation(row) {
  const box = el("div", { class: "snippet chat", "data-media": "loading" });
  const source = row.rowData || "";
  const shown = (state, ...children) => {
    box.replaceChildren(...children);
    box.dataset.media = state;
  };
  if (!/^(https?:|\/)/.test(source)) {
    shown("none", source);
    return box;
  }
  const spans = objects(row).filter((o) => o.conversational_location);
  fetch(source)
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
    .then((chat) => shown("loaded", ...chat.messages.slice(0, 4).map((m) => {
      const own = spans.filter((o) => o.conversational_location.message_id === m.messageId);
      const located = own.map((o) => [o.conversational_location.location.start, o.conversational_location.location.end, o.name]);
      const line = marked(m.content || "", located);
      line.prepend(el("b", { text: `${(m.user && m.user.name) || "?"}: ` }));
      return line;
    })))
    .catch(() => shown("failed", source));
  return box;
}

function kindOf(row) {
  const m = row.mediaAttributes || {};
  const type = (m.asset_type || m.mime_type || "").toLowerCase();
  if (type.includes("video")) return "VIDEO";
  if (type.includes("image")) return "IMAGE";
  if (type.includes("conversation")) return "CONVERSATIONAL";
  if (type.includes("text") || type.includes("plain")) return "TEXT";
  return (m.asset_type || "ROW").toUpperCase();
}

// One tile: `selected` holds the chosen ids; `toggle(id, on)` is called when its checkbox changes.
export function tile(row, selected, toggle, findSimilar) {
  const kind = kindOf(row);
  const name = row.globalKey || row.id;
  const box = el("input", { type: "checkbox", "aria-label": `Select ${name}`, "data-id": row.id, checked: selected.has(row.id) });
  box.addEventListener("change", () => toggle(row.id, box.checked));
  const body = ["IMAGE", "VIDEO"].includes(kind) ? visual(row, kind) : kind === "CONVERSATIONAL" ? conversation(row) : snippet(row);
  const caption = el("div", { class: "caption" }, el("span", { class: "badge", text: kind }), el("span", { class: "name", text: name }));
  const frames = row.mediaAttributes && row.mediaAttributes.frame_count;
  if (kind === "VIDEO" && frames) caption.append(el("span", { class: "frames", text: `${frames} frames` }));
  const similar = el("button", { type: "button", class: "link", text: "Find similar", "aria-label": `Find rows similar to ${name}`, onclick: () => findSimilar(row.id) });
  return el("li", { class: "tile", "data-id": row.id }, el("label", { class: "check" }, box), body, caption, similar);
}
