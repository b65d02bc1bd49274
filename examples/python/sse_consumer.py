#!/usr/bin/env python3
"""Follows vicinotify's event stream (GET /v1/events, Server-Sent Events) and survives restarts of
either side: it keeps the last event's position in a file and resumes from it with Last-Event-ID, so
nothing is missed and nothing is seen twice. Standard library only.

  sse_consumer.py URL [--token-env VAR] [--position-file FILE] [--since POSITION|TIME|DURATION] [--type GLOB ...]

Without a position file it starts from --since (a journal position, an RFC 3339 time or a duration such
as 10m), or from now.

Prints each event (the CloudEvent JSON) on one line. Replace handle() with your own logic."""
import argparse, signal, json, os, sys, time, urllib.error, urllib.parse, urllib.request


def handle(event):
    print(json.dumps(event, separators=(",", ":")), flush=True)


def stream(url, token, last_id):
    headers = {"Accept": "text/event-stream"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if last_id:
        headers["Last-Event-ID"] = last_id
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
        fields = {}
        for raw in response:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":  # the end of one message
                if "data" in fields:
                    yield fields.get("id"), fields.get("event", "message"), fields["data"]
                fields = {}
            elif not line.startswith(":"):  # ":" lines are keep-alives
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                fields[name] = fields[name] + "\n" + value if name == "data" and name in fields else value


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("url", help="the daemon's listener, e.g. http://127.0.0.1:9464")
    p.add_argument("--token-env", help="environment variable holding an API token")
    p.add_argument("--position-file", default="vicinotify.position", help="where the last position is kept")
    p.add_argument("--since", default="", help="where to start when there is no position file yet (e.g. 0, 10m)")
    p.add_argument("--type", action="append", default=[], help="an event type to receive (repeatable), e.g. vicidial.agent.*")
    a = p.parse_args()
    token = os.environ.get(a.token_env, "") if a.token_env else ""
    query = ["type=" + urllib.parse.quote(t) for t in a.type] + (["since=" + urllib.parse.quote(a.since)] if a.since else [])
    url = a.url.rstrip("/") + "/v1/events" + ("?" + "&".join(query) if query else "")
    last_id = open(a.position_file).read().strip() if os.path.exists(a.position_file) else ""
    delay = 0.5
    while True:
        try:
            for event_id, kind, data in stream(url, token, last_id):
                if kind == "overflow":  # this reader fell too far behind: resume where it was cut off
                    last_id = str(json.loads(data)["last_event_id"])
                    break
                if kind == "error":
                    # The position is older than the journal keeps: a real consumer lists GET /v1/agents
                    # again and watches from its "sequence"; this one says so and goes on from now.
                    print(f"vicinotify: {data}", file=sys.stderr, flush=True)
                    last_id, url = "", url.split("since=")[0].rstrip("?&")
                    break
                handle(json.loads(data))
                if event_id:
                    last_id = event_id
                    with open(a.position_file + ".tmp", "w") as f:
                        f.write(last_id)
                    os.replace(a.position_file + ".tmp", a.position_file)
                delay = 0.5
            else:
                print(f"vicinotify: the stream ended (a restart?); reconnecting in {delay:.1f}s from {last_id or 'now'}",
                      file=sys.stderr, flush=True)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
            print(f"vicinotify: {e}; reconnecting in {delay:.1f}s from {last_id or 'now'}", file=sys.stderr, flush=True)
        time.sleep(delay)
        delay = min(delay * 2, 10)


if __name__ == "__main__":
    # Stop on SIGTERM and SIGINT even when started with them blocked (some supervisors, some test runners).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        main()
    except KeyboardInterrupt:
        pass
