#!/usr/bin/env python3
"""Receives vicinotify's webhooks: checks each request's Standard Webhooks signature with the
`standardwebhooks` package (pip install standardwebhooks), answers 204 at once, and hands the events to a
worker thread, skipping a delivery it already took (vicinotify delivers at least once: a retry repeats
`webhook-id`).

  WEBHOOK_SECRET=whsec_... webhook_receiver.py [--port 8080] [--host 127.0.0.1]

Prints each event (the CloudEvent JSON) on one line. Replace handle() with your own logic."""
import argparse, signal, json, os, queue, sys, threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def handle(event):
    print(json.dumps(event, separators=(",", ":")), flush=True)


work = queue.Queue()
seen, seen_lock = OrderedDict(), threading.Lock()  # the last 10,000 webhook-ids


def worker():
    while True:
        for event in work.get():
            handle(event)


class Receiver(BaseHTTPRequestHandler):
    verifiers = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        payload = None
        for verifier in self.verifiers:  # several secrets while one is being rotated
            try:
                payload = verifier.verify(body, headers)
                break
            except WebhookVerificationError:
                continue
        if payload is None:
            self.send_response(401)
            self.end_headers()
            print(f"refused a request without a valid signature ({headers.get('webhook-id')})", file=sys.stderr, flush=True)
            return
        self.send_response(204)  # answer fast: the work happens after
        self.end_headers()
        with seen_lock:
            if headers["webhook-id"] in seen:
                return
            seen[headers["webhook-id"]] = True
            if len(seen) > 10_000:
                seen.popitem(last=False)
        work.put(payload if isinstance(payload, list) else [payload])  # a batch is a JSON array

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--host", default="127.0.0.1")
    a = p.parse_args()
    secrets = os.environ.get("WEBHOOK_SECRET", "").split()
    if not secrets:
        sys.exit("set WEBHOOK_SECRET to the endpoint's secret (whsec_...; several separated by spaces)")
    Receiver.verifiers = [Webhook(s) for s in secrets]
    threading.Thread(target=worker, daemon=True).start()
    server = ThreadingHTTPServer((a.host, a.port), Receiver)
    print(f"listening on http://{a.host}:{server.server_port}/", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    # Stop on SIGTERM and SIGINT even when started with them blocked (some supervisors, some test runners).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        main()
    except KeyboardInterrupt:
        pass
