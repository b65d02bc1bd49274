// Each agent's shift since the login (calls, talk and pause time), from /v1/agents: at the first list,
// then every 15 s (the figures move slowly; the event stream carries states, not totals).
function showShifts(list) {
  for (const a of list.agents) {
    const known = agents.get(a.source + "/" + a.agent);
    if (!known || !known.row || !a.shift) continue;
    const s = a.shift, c = known.row.children, partial = s.from_login && s.complete ? "" : "≥";
    const cells = [String(s.calls), clock(s.talk_seconds), clock(s.pause_seconds)];
    cells.forEach((text, i) => {
      const cell = c[8 + i];
      if (cell.textContent !== partial + text) cell.textContent = partial + text;
    });
    c[8].title = partial ? "counted since " + new Date(Date.parse(s.since)).toLocaleTimeString() + ", not from the login" : "";
    c[10].title = Object.entries(s.pause_seconds_by_code).map(([code, t]) => (code || "no code") + " " + clock(t)).join(", ");
  }
}

setInterval(() => { if (stream) api("/v1/agents").then(showShifts).catch(() => {}); }, 15000);
