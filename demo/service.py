#!/usr/bin/env python3
"""A stand-in service for the Lifeboat demo drill.

It serves /health/live (always 200) and /health/ready, which answers 200 only when traffic has
been switched to the DR side (STATE/active contains "dr") and the DR side has had a moment to warm
up after the switch; 503 otherwise. Files in STATE stand in for the database and the traffic
switch until the sandbox issue brings real PostgreSQL and DNS.
"""
import argparse
import http.server
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--state", required=True)
parser.add_argument("--warmup", type=float, default=0.6, help="seconds after the switch before ready")
args = parser.parse_args()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health/live":
            return self.answer(200, "live\n")
        if self.path == "/health/ready":
            active = os.path.join(args.state, "active")
            try:
                side = open(active).read().strip()
                switched = os.path.getmtime(active)
            except OSError:
                return self.answer(503, "no active side\n")
            if side != "dr":
                return self.answer(503, f"active side is {side}\n")
            if time.time() - switched < args.warmup:
                return self.answer(503, "dr warming up\n")
            return self.answer(200, "ready on dr\n")
        return self.answer(404, "not found\n")

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
