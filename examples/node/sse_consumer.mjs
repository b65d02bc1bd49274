#!/usr/bin/env node
// Follows vicinotify's event stream (GET /v1/events, Server-Sent Events) and survives restarts of either
// side: the last event's position is kept in a file and sent back as Last-Event-ID, so nothing is missed
// and nothing is seen twice. Node 18 or later, no packages.
//
//   node sse_consumer.mjs URL [--token-env VAR] [--position-file FILE] [--since POSITION|TIME|DURATION] [--type GLOB ...]
//
// Without a position file it starts from --since (a journal position, an RFC 3339 time or a duration such
// as 10m), or from now.
//
// Prints each event (the CloudEvent JSON) on one line. Replace handle() with your own logic.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

function handle(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : fallback; };
const types = [];
for (let t; (t = option("--type")) !== undefined;) types.push(t);
const tokenEnv = option("--token-env");
const positionFile = option("--position-file", "vicinotify.position");
const since = option("--since");
const base = args[0];
if (!base) { console.error("usage: sse_consumer.mjs URL [--token-env VAR] [--position-file FILE] [--type GLOB ...]"); process.exit(2); }
const query = types.map((t) => "type=" + encodeURIComponent(t)).concat(since !== undefined ? ["since=" + encodeURIComponent(since)] : []);
let url = base.replace(/\/$/, "") + "/v1/events" + (query.length ? "?" + query.join("&") : "");
let lastId = existsSync(positionFile) ? readFileSync(positionFile, "utf8").trim() : "";

function remember(id) {
  lastId = id;
  writeFileSync(positionFile + ".tmp", id);
  renameSync(positionFile + ".tmp", positionFile);
}

async function follow() {
  const headers = { Accept: "text/event-stream" };
  if (tokenEnv && process.env[tokenEnv]) headers.Authorization = "Bearer " + process.env[tokenEnv];
  if (lastId) headers["Last-Event-ID"] = lastId;
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error("HTTP " + response.status + ": " + (await response.text()));
  const decoder = new TextDecoder();
  let buffer = "", fields = {};
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
      if (line === "") {
        if (fields.data !== undefined) {
          const kind = fields.event || "message";
          if (kind === "overflow") { lastId = String(JSON.parse(fields.data).last_event_id); return; }  // resume where cut off
          if (kind === "error") { console.error("vicinotify: " + fields.data); lastId = ""; url = url.split("since=")[0].replace(/[?&]$/, ""); return; }  // pruned: from now
          handle(JSON.parse(fields.data));
          if (fields.id) remember(fields.id);
        }
        fields = {};
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        fields[name] = name === "data" && fields.data !== undefined ? fields.data + "\n" + value : value;
      }
    }
  }
}

let delay = 500;
for (;;) {
  try {
    await follow();
    console.error("vicinotify: the stream ended (a restart?); reconnecting from " + (lastId || "now"));
    await new Promise((r) => setTimeout(r, delay));
  } catch (e) {
    console.error("vicinotify: " + (e.cause?.code || e.message) + "; reconnecting in " + delay + " ms from " + (lastId || "now"));
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10000);
  }
}
