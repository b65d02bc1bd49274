#!/usr/bin/env python3
"""A webhook receiver for the tests: verifies Standard Webhooks signatures on its own (hmac, base64),
records every request, and misbehaves on demand.

Prints its port on stdout once listening. Control (JSON over HTTP on the same port):
  POST /control/behaviour {"path": "/a", "status": 500, "count": 0, "headers": {...}, "body": "...",
                           "delay_ms": 0, "chaos": 0.3, "seed": 1, "timeout_ms": 800,
                           "stream_mb": N (a 200 of N MB of zeros, Content-Length declared),
                           "endless": true (a 200, chunked, that never ends)}
       count 0 = until changed; chaos = the fraction of requests failing at random
       (500, no answer, drop after accepting, answer after timeout_ms). stream_mb and endless answer any
       POST to the path, whatever its body, and record nothing.
  GET  /control/receipts  every request so far, in arrival order.
  GET  /control/wait?path=/a&accepted=N&timeout=S  answers once N distinct events were accepted at path
       (status 200) or after S seconds (status 408).
Each receipt: path, id, timestamp, signatures_valid (how many v1 signatures matched a known secret),
events (the body's events), outcome (accepted | rejected | ambiguous), t (seconds, monotonic), done_t.
"""
import base64, hashlib, hmac, json, os, random, select, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

secrets = [base64.b64decode(s[len("whsec_"):]) for s in sys.argv[1:]]
lock = threading.Condition()
receipts = []
behaviours = {}
rng = random.Random(1)


def verify(msg_id, timestamp, body, header):
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = {base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode() for k in secrets}
    matched = 0
    for part in header.split(" "):
        version, _, sig = part.partition(",")
        if version == "v1" and any(hmac.compare_digest(sig, e) for e in expected):
            matched += 1
    return matched


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def client_gone(self):
        """Whether the client has closed its side of the connection (readable, and nothing but EOF to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def flood(self, b):
        """Zeros until the client hangs up: a declared length of stream_mb MB, or chunked without end."""
        chunk = b"0" * 65536
        with lock:
            receipts.append({"path": self.path, "id": "", "timestamp": "", "signatures_valid": 0, "events": [],
                             "outcome": "flood", "t": time.monotonic(), "done_t": time.monotonic()})
            lock.notify_all()
        self.send_response(b.get("status", 200))
        self.send_header("Content-Type", "text/plain")
        if b.get("endless"):
            self.send_header("Transfer-Encoding", "chunked")
            chunk = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            total = None
        else:
            total = b["stream_mb"] << 20
            self.send_header("Content-Length", str(total))
        self.end_headers()
        sent = 0
        try:
            while total is None or sent < total:
                self.wfile.write(chunk)
                sent += 65536
        except OSError:
            pass
        self.close_connection = True

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/control/receipts":
            with lock:
                body = json.dumps(receipts).encode()
            self.answer(200, body, {"Content-Type": "application/json"})
        elif url.path == "/control/wait":
            q = parse_qs(url.query)
            path, wanted, timeout = q["path"][0], int(q["accepted"][0]), float(q.get("timeout", ["30"])[0])

            def accepted():
                return len({e["id"] for r in receipts if r["path"] == path and r["outcome"] == "accepted"
                            for e in r["events"]})
            with lock:
                ok = lock.wait_for(lambda: accepted() >= wanted, timeout)
            self.answer(200 if ok else 408, b"{}", {"Content-Type": "application/json"})
        else:
            self.answer(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/control/behaviour":
            b = json.loads(body)
            with lock:
                behaviours[b.pop("path")] = b
                if "seed" in b:
                    rng.seed(b["seed"])
            self.answer(200, b"{}", {"Content-Type": "application/json"})
            return
        with lock:
            flood = behaviours.get(self.path, {})
        if flood.get("stream_mb") or flood.get("endless"):
            self.flood(flood)
            return
        msg_id = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        parsed = json.loads(body)
        receipt = {"path": self.path, "id": msg_id, "timestamp": ts,
                   "signatures_valid": verify(msg_id, ts, body, self.headers.get("webhook-signature", "")),
                   "content_type": self.headers.get("Content-Type"), "extra": self.headers.get("X-Tenant"),
                   "events": parsed if isinstance(parsed, list) else [parsed], "t": time.monotonic(), "wall": time.time()}
        if isinstance(parsed, dict) and set(parsed) == {"text"} and isinstance(parsed["text"], str):
            # A chat body: {"text": ...} and nothing else; counted by its webhook-id.
            receipt["chat"], receipt["events"] = parsed["text"], [{"id": msg_id}]
        with lock:
            b = behaviours.get(self.path, {})
            fault = None
            if b.get("chaos") and rng.random() < b["chaos"]:
                fault = rng.choice(["500", "no_answer", "drop_after_accept", "late_answer"])
            elif "status" in b:
                fault = "status"
                if b.get("count"):
                    b["count"] -= 1
                    if b["count"] == 0:
                        behaviours.pop(self.path)
            receipt["outcome"] = {None: "accepted", "500": "rejected", "no_answer": "rejected", "status": "rejected",
                                  "drop_after_accept": "ambiguous", "late_answer": "ambiguous"}[fault]
            if fault == "status" and 200 <= b["status"] < 300:
                receipt["outcome"] = "accepted"
            receipts.append(receipt)
            lock.notify_all()
        if b.get("delay_ms"):
            time.sleep(b["delay_ms"] / 1000)
        if fault is None:
            # Processed, but the client already gave up (its timeout passed while this machine was busy):
            # the answer cannot reach it, so this attempt is ambiguous, as a lost answer is.
            if self.client_gone():
                with lock:
                    receipt["outcome"] = "ambiguous"
            self.answer(200, b"ok")
        elif fault == "status":
            self.answer(b["status"], b.get("body", "").encode(), b.get("headers"))
        elif fault == "500":
            self.answer(500, b"chaos")
        elif fault in ("no_answer", "drop_after_accept"):
            self.drop()
        elif fault == "late_answer":
            time.sleep(b.get("timeout_ms", 800) / 1000)
            self.drop()
        with lock:
            receipt["done_t"] = time.monotonic()
            lock.notify_all()


def exit_with_parent():
    sys.stdin.buffer.read()
    os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
ThreadingHTTPServer.request_queue_size = 256
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
