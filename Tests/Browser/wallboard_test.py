#!/usr/bin/env python3
"""The wallboard in a real browser: Debian's chromium driven by Playwright (pointed at the system browser,
never downloading one), against the real vicinotify binary and its simulator, all on 127.0.0.1.

  wallboard_test.py BINARY ARTIFACTS_DIR functional   the page shows the floor, changes, alerts, staleness
  wallboard_test.py BINARY ARTIFACTS_DIR perf         1,000 agents, ~100 events/s: main-thread busy share and
                                                      event-to-DOM latency p95, measured in the page
Prints one JSON object (the checks, or the measurements) and exits 1 when a check failed.
"""
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from playwright.sync_api import sync_playwright

BINARY, ARTIFACTS, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "wallboard-test-token-0123456789"  # the functional run's API needs it: the page must ask for it
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
failures, report = [], {"mode": MODE}


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + TOKEN}), timeout=5) as r:
        return json.loads(r.read())


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"{}")


def wait_for(condition, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Simulator:
    def __init__(self, port, args):
        self.port, self.args, self.proc = port, args, None

    def start(self):
        self.proc = subprocess.Popen([BINARY, "simulate", "--port", str(self.port), "--log-level", "warning"] + self.args,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.proc.stdout.readline()  # its URL, once listening

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def control(self, path, body):
        return post(f"http://127.0.0.1:{self.port}{path}", body)


def main():
    tmp = tempfile.mkdtemp(prefix="vn-browser-")
    sim_port, http_port = free_port(), free_port()
    interval = 0.5 if MODE == "functional" else 0.25
    sim = Simulator(sim_port, ["--agents", "20", "--tick", "0"] if MODE == "functional"
                    else ["--agents", "1000", "--tick", "0.1", "--spread", "44"])
    sim.start()
    config = {"state_dir": os.path.join(tmp, "state"), "sinks": {"stdout": {"enabled": False}},
              "http": {"listen": f"127.0.0.1:{http_port}"},
              "sources": [{"name": "sim", "url": f"http://127.0.0.1:{sim_port}/vicidial/non_agent_api.php", "user": "apiuser",
                           "password": "apipass", "interval": f"{int(interval * 1000)}ms", "timeout": "1s", "down_after": 2}],
              "alerts": [{"name": "long_break", "status": "PAUSED", "pause_codes": ["BREAK"], "longer_than": "3s"}]}
    if MODE == "functional":
        config["http"]["tokens"] = [{"token": TOKEN}]
        config["sources"][0]["queues"] = {"in_groups": ["SUPPORT", "BILLING"], "min_interval": "0s"}
        config["alerts"].append({"name": "backlog", "queues": ["SUPPORT"], "calls_waiting_at_least": 3, "for": "2s"})
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config, f)
    daemon = subprocess.Popen([BINARY, "run", "--config", os.path.join(tmp, "config.json")],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "daemon.log"), "w"))
    base = f"http://127.0.0.1:{http_port}"
    try:
        check(wait_for(lambda: _up(base), 20), "the daemon serves /v1/agents")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            requests, errors = [], []
            page.on("request", lambda r: requests.append(r.url))
            # The browser logs the 401s of the token prompt's wrong and missing tokens as console errors: expected.
            page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                    and not (MODE == "functional" and "status of 401" in m.text) else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/")
            if MODE == "functional":
                functional(page, sim, base, interval)
            else:
                perf(page, browser)
            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, f"wallboard-{MODE}.png"), full_page=MODE == "functional")
            hosts = {r.split("/")[2] for r in requests}
            check(hosts == {f"127.0.0.1:{http_port}"}, f"no request leaves 127.0.0.1 (saw {sorted(hosts)})")
            check(not errors, f"no JavaScript error in the console ({errors[:3]})")
            browser.close()
    finally:
        daemon.terminate()
        daemon.wait(20)
        if sim.proc.poll() is None:
            sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report["failures"] = failures
    print(json.dumps(report))
    sys.exit(1 if failures else 0)


def _up(base):
    try:
        return bool(get(base + "/v1/agents")["sources"]["sim"]["up"])
    except Exception:
        return False


def shown(page):
    return page.eval_on_selector_all("#floor tr[data-key]", "rows => rows.map(r => r.dataset.agent)")


def cell(page, agent, column):
    return page.evaluate("([a, c]) => { const r = document.querySelector(`tr[data-agent='${a}']`); "
                         "return r ? r.querySelector('td.' + c).textContent : null }", [agent, column])


def row_class(page, agent):
    return page.evaluate("a => { const r = document.querySelector(`tr[data-agent='${a}']`); return r ? r.className : null }", agent)


def functional(page, sim, base, interval):
    check(wait_for(lambda: page.is_visible("#auth"), 10), "the page asks for a token when the API needs one")
    page.fill("#token", "not-the-token-at-all-0000")
    page.click("#auth button")
    check(wait_for(lambda: "refused" in page.inner_text("#auth-error"), 10), "a wrong token is refused, and said so")
    page.fill("#token", TOKEN)
    page.click("#auth button")
    check(wait_for(lambda: not page.is_visible("#auth"), 10), "the right token opens the floor")
    listed = sorted(a["agent"] for a in get(base + "/v1/agents")["agents"])
    check(wait_for(lambda: sorted(shown(page)) == listed, 10), "the page lists exactly the agents of /v1/agents")
    report["agents_shown"] = len(shown(page))

    sim.control("/sim/agents/agent003", {"status": "INCALL", "lead_id": 4242, "callerid": "V1130221500000004242"})
    t0 = time.monotonic()
    check(wait_for(lambda: cell(page, "agent003", "status") == "INCALL", 10), "a scripted change shows on the page")
    report["change_to_page_seconds"] = round(time.monotonic() - t0, 3)
    check(report["change_to_page_seconds"] <= 2 * interval + 0.25, "the change showed within two poll intervals")
    check(cell(page, "agent003", "type") == "A", "an auto-dialled call shows the report's letter A")
    check(cell(page, "agent001", "calls") == "≥0", "shift figures of an agent found logged in are marked partial")
    shift = [a for a in get(base + "/v1/agents")["agents"] if a["agent"] == "agent003"][0]["shift"]
    check(shift["calls"] == 1 and not shift["from_login"], f"the call counts in agent003's shift ({shift})")

    sim.control("/sim/agents/agent005", {"status": "PAUSED", "pause_code": "BREAK"})
    check(wait_for(lambda: cell(page, "agent005", "pause") == "BREAK", 10), "the break shows")
    check("alert" not in (row_class(page, "agent005") or ""), "not highlighted before the rule's limit")
    check(wait_for(lambda: "alert" in (row_class(page, "agent005") or ""), 10), "highlighted once past long_break's 3s")
    page.screenshot(path=os.path.join(ARTIFACTS, "wallboard-alert.png"), full_page=True)

    sim.stop()
    check(wait_for(lambda: "stale since" in page.inner_text("#banners"), 15), "stopping the simulator shows the stale banner")
    report["stale_banner"] = page.inner_text("#banners")
    check(sorted(shown(page)) == listed, "a stale floor keeps its agents (never an empty floor)")
    page.screenshot(path=os.path.join(ARTIFACTS, "wallboard-stale.png"))
    sim.start()
    check(wait_for(lambda: "stale" not in page.inner_text("#banners"), 15), "restarting the simulator clears the banner")

    queue_strip(page, sim, base)

    page.select_option("#f-campaign", "SALES")
    check("campaign=SALES" in page.url, "the campaign filter is kept in the URL")
    page.reload()
    check(wait_for(lambda: len(shown(page)) > 0 and page.input_value("#f-campaign") == "SALES", 10),
          "the filter survives a reload")
    sales = sorted(a["agent"] for a in get(base + "/v1/agents?campaign=SALES")["agents"])
    check(wait_for(lambda: sorted(shown(page)) == sales, 10), "the filtered page shows exactly the campaign's agents")
    calls = [cell(page, a, "calls") or "" for a in sales]
    check(all(c.lstrip("≥").isdigit() for c in calls), f"each row shows its calls since login ({calls})")
    page.select_option("#f-campaign", "")


def figure(page, queue, name):
    return page.evaluate("([q, f]) => { const s = document.querySelector(`.queue[data-queue='${q}'] span[data-figure='${f}']`); "
                         "return s ? {text: s.firstChild.textContent, cls: s.className} : null }", [queue, name])


def queue_strip(page, sim, base):
    tiles = lambda: sorted(page.eval_on_selector_all("#queues .queue", "ts => ts.map(t => t.dataset.queue)"))
    check(wait_for(lambda: tiles() == ["BILLING", "SUPPORT"], 10), f"the strip shows the watched in-groups ({tiles()})")
    sim.control("/sim/queues/SUPPORT", {"waiting": 4, "oldest_wait": 30})
    check(wait_for(lambda: (figure(page, "SUPPORT", "calls_waiting") or {}).get("text") == "4", 10), "calls waiting show on the strip")
    listed = [q for q in get(base + "/v1/queues")["queues"] if q["queue"] == "SUPPORT"][0]["figures"]
    check((figure(page, "SUPPORT", "agents_ready") or {}).get("text") == str(listed["agents_ready"]), "ready agents as /v1/queues says")
    check((figure(page, "SUPPORT", "oldest_wait_seconds") or {}).get("text") == "–", "no oldest wait from the API: a dash, not a number")
    check((figure(page, "SUPPORT", "calls_waiting") or {}).get("cls") == "warn", "amber while the rule holds but has not fired")
    check(wait_for(lambda: (figure(page, "SUPPORT", "calls_waiting") or {}).get("cls") == "alert", 10), "red once backlog fired")
    check((figure(page, "BILLING", "calls_waiting") or {}).get("cls") == "", "a queue the rule does not watch stays plain")
    page.screenshot(path=os.path.join(ARTIFACTS, "wallboard-queues.png"))
    sim.control("/sim/queues/SUPPORT", {"waiting": 0})
    check(wait_for(lambda: (figure(page, "SUPPORT", "calls_waiting") or {}) == {"text": "0", "cls": ""}, 10), "cleared when calls stop waiting")


def perf(page, browser):
    check(wait_for(lambda: len(shown(page)) >= 900, 20), "the 1,000-agent floor is shown")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    time.sleep(3)
    page.evaluate("() => { window.__wallboard.latencies = []; window.__wallboard.events = 0 }")
    m0 = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    t0 = time.monotonic()
    time.sleep(20)
    m1 = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    wall = time.monotonic() - t0
    stats = page.evaluate("() => ({events: window.__wallboard.events, latencies: window.__wallboard.latencies})")
    lat = sorted(stats["latencies"])
    report["agents_shown"] = len(shown(page))
    report["events_per_second"] = round(stats["events"] / wall, 1)
    report["main_thread_busy"] = round((m1["TaskDuration"] - m0["TaskDuration"]) / wall, 4)
    for k in ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration"):  # what the busy time is made of
        report[k] = round((m1[k] - m0[k]) / wall, 4)
    report["event_to_dom_ms_p50"] = round(lat[len(lat) // 2], 2) if lat else None
    report["event_to_dom_ms_p95"] = round(lat[int(len(lat) * 0.95)], 2) if lat else None
    check(stats["events"] > 0 and lat, "events reached the page and were measured")


if __name__ == "__main__":
    main()
