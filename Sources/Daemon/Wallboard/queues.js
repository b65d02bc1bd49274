// The queue strip: GET /v1/queues, then vicidial.queue.* from the same event stream. Each figure a queue
// rule watches turns amber when the rule's condition holds and red once the rule has fired.
const queues = new Map();  // "source/kind/queue" -> {source, queue, kind, name, figures, at (ms), fired: Set, tile}
let queueRules = [];

function loadQueues(list, rulesList) {
  queueRules = rulesList || [];
  for (const q of queues.values()) q.tile && q.tile.remove();
  queues.clear();
  for (const q of list.queues) putQueue(q.source, q, q.figures, Date.parse(list.time));
  renderQueues();
}

function watchQueues(stream) {
  for (const type of ["changed", "threshold_exceeded", "threshold_cleared"]) {
    stream.addEventListener("vicidial.queue." + type, onQueueEvent);
  }
}

function onQueueEvent(m) {
  pending.push(performance.now());
  const e = JSON.parse(m.data);
  const source = bySourceURI.get(e.source) || e.source;
  const d = e.data;
  const q = putQueue(source, d, d.current, Date.parse(e.time));
  if (e.type === "vicidial.queue.threshold_exceeded") q.fired.add(d.rule);
  if (e.type === "vicidial.queue.threshold_cleared") q.fired.delete(d.rule);
  schedule();
}

function putQueue(source, q, figures, at) {
  const key = source + "/" + q.kind + "/" + q.queue;
  const known = queues.get(key) || { key, source, queue: q.queue, kind: q.kind, fired: new Set(), tile: null };
  Object.assign(known, { name: q.name, figures: figures || {}, at });
  queues.set(key, known);
  return known;
}

const QUEUE_FIGURES = [
  ["calls_waiting", "waiting", (v) => v],
  ["oldest_wait_seconds", "oldest", (v, q) => clock(v + (q.figures.calls_waiting ? (now() - q.at) / 1000 : 0))],
  ["agents_ready", "ready", (v) => v],
  ["drop_percent", "drop", (v) => v.toFixed(1) + "%"],
  ["service_level_percent", "SL", (v) => v.toFixed(0) + "%"],
];

function ruleHolds(r, q) {
  const f = q.figures, v = f[r.figure];
  if (v == null || (r.queues.length && !r.queues.includes(q.queue)) || (r.sources.length && !r.sources.includes(q.source))) return false;
  if (r.figure === "drop_percent" && (f.offered ?? 0) < r.min_calls) return false;
  if (r.figure === "service_level_percent" && (f.answered ?? 0) < r.min_calls) return false;
  if (r.figure === "agents_ready" && !f.calls_waiting) return false;
  const x = r.figure === "oldest_wait_seconds" && f.calls_waiting ? v + (now() - q.at) / 1000 : v;
  return { ">=": x >= r.threshold, ">": x > r.threshold, "<=": x <= r.threshold, "<": x < r.threshold }[r.comparison];
}

function renderQueues() {
  const strip = $("queues");
  const sorted = [...queues.values()].sort((a, b) => a.key < b.key ? -1 : 1);
  strip.hidden = sorted.length === 0;
  for (const q of sorted) {
    if (!q.tile) {
      q.tile = document.createElement("div");
      q.tile.className = "queue";
      q.tile.dataset.queue = q.queue;
      q.tile.dataset.source = q.source;
      q.tile.innerHTML = "<h3></h3>" + QUEUE_FIGURES.map(([k, label]) => '<span data-figure="' + k + '"><b></b> ' + label + "</span>").join("");
      strip.appendChild(q.tile);
    }
    const title = q.queue + (q.name && q.name !== q.queue ? " · " + q.name : "") + (sources.size > 1 ? " · " + q.source : "");
    if (q.tile.firstChild.textContent !== title) q.tile.firstChild.textContent = title;
    for (const span of q.tile.querySelectorAll("span")) {
      const [figure, , show] = QUEUE_FIGURES.find(([k]) => k === span.dataset.figure);
      const v = q.figures[figure];
      const text = v == null ? "–" : String(show(v, q));
      if (span.firstChild.textContent !== text) span.firstChild.textContent = text;
      const watching = queueRules.filter((r) => r.figure === figure && ruleHolds(r, q));
      const cls = watching.some((r) => q.fired.has(r.name)) ? "alert" : watching.length ? "warn" : "";
      if (span.className !== cls) span.className = cls;
    }
  }
}
