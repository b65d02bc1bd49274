"use strict";
// The floor from GET /v1/agents, kept live by GET /v1/events: a list, then a watch from its position.
const TOKEN_KEY = "vicinotify-token";
const agents = new Map();   // "source/agent" -> {source, agent, state, since (ms), sinceKnown, alert, row}
const sources = new Map();  // configured name -> {stale, staleSince, reason}
const bySourceURI = new Map(); // CloudEvent source -> configured name
let rules = [];
let offset = 0;             // daemon clock - browser clock, ms
let stream = null;
let dirty = new Set();
let pending = [];           // arrival times (performance.now()) of events not yet in the DOM
let frame = 0;
let summaryText = "";
// Only campaigns on screen tick every second; one coming into view is brought up to date at once.
const shown = new Set();
const onScreen = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (e.isIntersecting) {
      shown.add(e.target);
      for (const a of agents.values()) if (a.row && a.row.closest("section") === e.target) tick(a);
    } else {
      shown.delete(e.target);
    }
  }
});
const stats = { events: 0, latencies: [] };
window.__wallboard = stats;

const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem(TOKEN_KEY) || "";
const now = () => Date.now() + offset;
const params = new URLSearchParams(location.search);
const filter = { campaign: params.get("campaign") || "", user_group: params.get("user_group") || "", status: params.get("status") || "" };

async function api(path) {
  const headers = token() ? { Authorization: "Bearer " + token() } : {};
  const r = await fetch(path, { headers, cache: "no-store" });
  if (r.status === 401 || r.status === 403) throw Object.assign(new Error("token"), { auth: r.status });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

async function start() {
  if (stream) { stream.close(); stream = null; }
  let list, alerts, queueList;
  try {
    [list, alerts, queueList] = await Promise.all([api("/v1/agents"), api("/v1/alerts"), api("/v1/queues")]);
    rules = alerts.rules;
  } catch (e) {
    if (e.auth) return askToken(e.auth === 403 ? "This token may not see this floor." : token() ? "That token was refused." : "");
    banner("link", "Cannot reach vicinotify (" + e.message + "); retrying");
    return setTimeout(start, 2000);
  }
  $("auth").hidden = true;
  offset = Date.parse(list.time) - Date.now();
  scope = list.scope && list.scope.campaigns;
  for (const a of agents.values()) a.row && a.row.remove();
  agents.clear();
  for (const [name, s] of Object.entries(list.sources)) {
    bySourceURI.set(s.event_source, name);
    sources.set(name, { stale: s.stale, staleSince: s.last_success ? Date.parse(s.last_success) : null, reason: s.last_failure });
  }
  for (const a of list.agents) {
    const since = a.state_since ? Date.parse(a.state_since) : now() - a.state_seconds * 1000;
    put(a.source, a.agent, a.state, since, !!a.state_since);
  }
  loadQueues(queueList, alerts.queue_rules);
  render();
  showShifts(list);
  watch(Math.min(list.sequence, queueList.sequence));
}

function watch(sequence) {
  const q = new URLSearchParams({ since: String(sequence) });
  if (token()) q.set("access_token", token());
  stream = new EventSource("/v1/events?" + q);
  stream.onopen = () => banner("link", null);
  stream.onerror = () => banner("link", "Connection to vicinotify lost; reconnecting without a gap");
  for (const type of ["logged_in", "logged_out", "status_changed", "call_changed", "updated", "threshold_exceeded"]) {
    stream.addEventListener("vicidial.agent." + type, onAgentEvent);
  }
  watchQueues(stream);
  stream.addEventListener("vicidial.source.down", (m) => onSourceEvent(m, true));
  stream.addEventListener("vicidial.source.up", (m) => onSourceEvent(m, false));
  // Too far behind, or before what the journal keeps: list again, then watch from there.
  stream.addEventListener("overflow", () => start());
  stream.addEventListener("error", (m) => { if (m.data) start(); });
}

function onAgentEvent(m) {
  pending.push(performance.now());
  stats.events++;
  const e = JSON.parse(m.data);
  const source = bySourceURI.get(e.source) || e.source;
  const d = e.data;
  if (e.type === "vicidial.agent.logged_out") {
    const a = agents.get(source + "/" + e.subject);
    if (a) { a.gone = true; dirty.add(a.key); }
  } else if (e.type === "vicidial.agent.threshold_exceeded") {
    const a = agents.get(source + "/" + e.subject);
    if (a) { a.alert = d.rule; dirty.add(a.key); }
  } else {
    const known = d.state_since !== null;
    put(source, e.subject, d.current, known ? Date.parse(d.state_since) : Date.parse(e.time), known);
  }
  schedule();
}

function onSourceEvent(m, down) {
  pending.push(performance.now());
  const e = JSON.parse(m.data);
  sources.set(e.subject, { stale: down, staleSince: down ? Date.parse(e.data.since) : null, reason: down ? e.data.reason : null });
  schedule();
}

function put(source, agent, state, since, sinceKnown) {
  const key = source + "/" + agent;
  const a = agents.get(key) || { key, source, agent, row: null };
  if (a.since !== since) a.alert = null;  // a new occurrence of a state
  Object.assign(a, { state, since, sinceKnown, gone: false });
  agents.set(key, a);
  dirty.add(key);
}

function schedule() { if (!frame) frame = requestAnimationFrame(render); }

// A token limited to campaigns sees an agent leave them (its last event names the new campaign), then nothing more of it.
let scope = null;

function visible(a) {
  const s = a.state;
  return !a.gone && (!scope || scope.includes(s.campaign_id)) && (!filter.campaign || s.campaign_id === filter.campaign) && (!filter.user_group || s.user_group === filter.user_group)
    && (!filter.status || s.status === filter.status);
}

function render() {
  frame = 0;
  for (const key of dirty) {
    const a = agents.get(key);
    if (!a) continue;
    if (!visible(a)) { if (a.row) { a.row.remove(); a.row = null; } if (a.gone) agents.delete(key); continue; }
    if (!a.row) a.row = makeRow(a);
    place(a);
    fill(a);
  }
  dirty.clear();
  renderChrome();
  const t = performance.now();
  for (const p of pending) stats.latencies.push(t - p);
  pending = [];
}

function makeRow(a) {
  const tr = document.createElement("tr");
  tr.dataset.key = a.key;
  tr.dataset.agent = a.agent;
  for (const c of ["agent", "name", "status", "sub", "pause", "type", "group", "time", "calls", "talk", "pauses"]) {
    const td = document.createElement("td");
    td.className = c;
    tr.appendChild(td);
  }
  return tr;
}

function section(campaign) {
  let s = document.querySelector('section[data-campaign="' + CSS.escape(campaign) + '"]');
  if (s) return s.querySelector("tbody");
  s = document.createElement("section");
  s.dataset.campaign = campaign;
  s.innerHTML = "<h2></h2><table><thead><tr><th>agent</th><th>name</th><th>status</th><th>sub-status</th><th>pause</th>"
    + "<th>call</th><th>user group</th><th>time</th><th title='calls since login'>calls</th><th title='talk time since login'>talk</th>"
    + "<th title='pause time since login'>paused</th></tr></thead><tbody></tbody></table>";
  const after = [...$("floor").children].find((x) => x.dataset.campaign > campaign);
  $("floor").insertBefore(s, after || null);
  onScreen.observe(s);
  return s.querySelector("tbody");
}

function place(a) {
  const body = section(a.state.campaign_id);
  if (a.row.parentNode === body) return;
  const next = [...body.children].find((r) => r.dataset.agent > a.agent);
  body.insertBefore(a.row, next || null);
}

const CALL = { auto: "A", manual: "M", inbound: "I", email: "E", other: "" };
function fill(a) {
  const s = a.state, c = a.row.children;
  c[0].textContent = sources.size > 1 ? a.agent + " · " + a.source : a.agent; c[1].textContent = s.full_name; c[2].textContent = s.status; c[3].textContent = s.sub_status;
  c[4].textContent = s.pause_code; c[5].textContent = s.call_type ?? (CALL[s.call_type_hint] || ""); c[6].textContent = s.user_group;
  tick(a);
}

function colour(s) {
  if (s.status === "INCALL" && s.sub_status === "DEAD") return "st-dead";
  const sub = { DISPO: "st-dispo", PARK: "st-park", "3-WAY": "st-3way", RING: "st-ring", DIAL: "st-dial" }[s.sub_status];
  return sub || "st-" + s.status.toLowerCase();
}

function overRule(a, seconds) {
  const s = a.state;
  return rules.some((r) => r.status === s.status && (r.sub_status == null || r.sub_status === s.sub_status)
    && (!r.pause_codes.length || r.pause_codes.includes(s.pause_code)) && (!r.campaigns.length || r.campaigns.includes(s.campaign_id))
    && (!r.user_groups.length || r.user_groups.includes(s.user_group)) && (!r.sources.length || r.sources.includes(a.source))
    && seconds >= r.longer_than_seconds);
}

function clock(seconds) {
  const t = Math.max(0, Math.floor(seconds)), h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = t % 60;
  return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
}

function tick(a) {
  const seconds = (now() - a.since) / 1000;
  const text = (a.sinceKnown ? "" : "≥") + clock(seconds);
  const cell = a.row.children[7];
  if (cell.textContent !== text) cell.textContent = text;
  const cls = colour(a.state) + (seconds >= 600 ? " t2" : seconds >= 60 ? " t1" : "") + (a.alert || overRule(a, seconds) ? " alert" : "");
  if (a.row.className !== cls) a.row.className = cls;
}

function renderChrome() {
  const n = { "logged in": 0, "in calls": 0, waiting: 0, paused: 0, dead: 0, dispo: 0, dialling: 0 };
  const perCampaign = new Map();
  const seen = { campaign: new Set(), user_group: new Set(), status: new Set() };
  for (const a of agents.values()) {
    if (a.gone) continue;
    const s = a.state;
    seen.campaign.add(s.campaign_id); seen.user_group.add(s.user_group); seen.status.add(s.status);
    if (!visible(a)) continue;
    n["logged in"]++;
    perCampaign.set(s.campaign_id, (perCampaign.get(s.campaign_id) || 0) + 1);
    if (s.status === "INCALL" && s.sub_status === "DEAD") n.dead++;
    else if (s.status === "INCALL" && s.sub_status === "DIAL") n.dialling++;
    else if (s.sub_status === "DISPO") n.dispo++;
    else if (["INCALL", "QUEUE", "MQUEUE"].includes(s.status)) n["in calls"]++;
    else if (["READY", "CLOSER"].includes(s.status)) n.waiting++;
    else if (s.status === "PAUSED") n.paused++;
  }
  const text = Object.entries(n).map(([k, v]) => "<span>" + k + "<b>" + v + "</b></span>").join("");
  if (summaryText !== text) { summaryText = text; $("summary").innerHTML = text; }
  for (const s of $("floor").children) {
    const count = perCampaign.get(s.dataset.campaign) || 0;
    s.hidden = count === 0;
    const title = (s.dataset.campaign || "(no campaign)") + " · " + count + (count === 1 ? " agent" : " agents");
    if (s.firstChild.textContent !== title) s.firstChild.textContent = title;
  }
  renderQueues();
  for (const [key, values] of Object.entries(seen)) options($("f-" + key), values, filter[key]);
  const stale = [...sources.entries()].filter(([, s]) => s.stale);
  banner("stale", stale.length ? stale.map(([name, s]) => "VICIdial " + name + ": data is stale since "
    + (s.staleSince ? new Date(s.staleSince).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false }) : "the start")
    + (s.reason ? " (" + s.reason + ")" : "")).join("; ") : null);
}

function options(select, values, chosen) {
  const want = [...new Set([...values, chosen].filter(Boolean))].sort();
  const have = [...select.options].slice(1).map((o) => o.value);
  if (want.join("\n") !== have.join("\n")) {
    while (select.options.length > 1) select.remove(1);
    for (const v of want) select.add(new Option(v, v));
  }
  select.value = chosen;
}

function banner(kind, text) {
  let b = document.querySelector(".banner." + kind);
  if (!text) { if (b) b.remove(); return; }
  if (!b) { b = document.createElement("div"); b.className = "banner " + kind; $("banners").appendChild(b); }
  if (b.textContent !== text) b.textContent = text;
}

function askToken(why) {
  $("auth").hidden = false;
  $("auth-error").textContent = why;
  $("token").focus();
}

$("auth").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  start();
});
for (const select of document.querySelectorAll("#filters select")) {
  select.addEventListener("change", () => {
    filter[select.dataset.param] = select.value;
    const q = new URLSearchParams(location.search);
    if (select.value) q.set(select.dataset.param, select.value); else q.delete(select.dataset.param);
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    for (const a of agents.values()) dirty.add(a.key);
    schedule();
  });
}
setInterval(() => {
  for (const a of agents.values()) if (a.row && shown.has(a.row.parentNode.parentNode.parentNode)) tick(a);
  renderChrome();
}, 1000);
start();
