#!/usr/bin/env python3
"""The sandbox's sample service: a tiny "ledger" app that finds its database through DNS.

Every request to /health/ready and every tick of the background writer resolves the database's DNS
name at the sandbox's BIND server (with dig, no cache: the record's TTL is short), connects to the
address it gets and writes a row (with psql; the note is passed as a psql variable, quoted by psql,
never spliced into SQL text). So /health/ready answers 200 only when the name points at a PostgreSQL server that
accepts writes: before a failover the primary, after it the promoted replica or the restored copy.

    GET /health/live   200 while the process runs
    GET /health/ready  200 {"database":"ok","address":...,"token":...} or 503 {"database":"unavailable",...};
                       the row it wrote has note = token, so a smoke check can read that very row back
    GET /stats         writer counters: rows written, failures, the address last used
    POST /notify       a stakeholder notification (JSON); one per Idempotency-Key, as chat services keep
                       them (a repeat is answered 200 {"duplicate":true} and not shown again)
    GET /notifications the notifications received, oldest first, and how many requests were repeats
"""
import argparse
import http.server
import json
import os
import subprocess
import threading
import time
import uuid

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--dns-server", required=True, help="HOST:PORT of the DNS server")
parser.add_argument("--db-name", required=True, help="DNS name of the database")
parser.add_argument("--db-port", type=int, required=True)
parser.add_argument("--database", default="app")
parser.add_argument("--user", default="postgres")
parser.add_argument("--write-interval", type=float, default=0.2, help="seconds between ledger writes; 0 disables")
args = parser.parse_args()

dns_host, dns_port = args.dns_server.rsplit(":", 1)
stats_lock = threading.Lock()
stats = {"written": 0, "failed": 0, "address": None, "last_error": None}
notifications = {"received": [], "keys": set(), "repeats": 0}


def resolve():
    """The database's IPv4 address as the sandbox DNS server answers now, or raises."""
    out = subprocess.run(
        ["dig", "+short", "+time=1", "+tries=1", "-p", dns_port, "@" + dns_host, args.db_name, "A"],
        capture_output=True, text=True, timeout=3)
    addresses = [line for line in out.stdout.split() if line and line[0].isdigit()]
    if out.returncode != 0 or not addresses:
        raise RuntimeError("cannot resolve %s at %s" % (args.db_name, args.dns_server))
    return addresses[0]


def write(address, table, note):
    """Inserts one row into TABLE at ADDRESS; raises with psql's message on failure."""
    env = dict(os.environ, PGCONNECT_TIMEOUT="2")
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "note=" + note,
         "-h", address, "-p", str(args.db_port), "-U", args.user, "-d", args.database, "-f", "-"],
        input="INSERT INTO %s (note) VALUES (:'note');\n" % table,
        capture_output=True, text=True, timeout=5, env=env)
    if out.returncode != 0:
        raise RuntimeError((out.stderr.strip().splitlines() or ["psql failed"])[-1])


def writer():
    """Writes a ledger row every --write-interval seconds to whatever the DNS name points at."""
    while args.write_interval > 0:
        try:
            address = resolve()
            write(address, "ledger", "service")
            with stats_lock:
                stats["written"] += 1
                stats["address"] = address
        except Exception as error:  # any failure is counted and retried on the next tick
            with stats_lock:
                stats["failed"] += 1
                stats["last_error"] = str(error)
        time.sleep(args.write_interval)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health/live":
            return self.answer(200, {"live": True})
        if self.path == "/health/ready":
            try:
                address = resolve()
            except Exception as error:
                return self.answer(503, {"database": "unavailable", "error": str(error)})
            token = "ready-" + uuid.uuid4().hex
            try:
                write(address, "health_probe", token)
            except Exception as error:
                return self.answer(503, {"database": "unavailable", "address": address, "error": str(error)})
            return self.answer(200, {"database": "ok", "address": address, "token": token})
        if self.path == "/stats":
            with stats_lock:
                return self.answer(200, dict(stats))
        if self.path == "/notifications":
            with stats_lock:
                return self.answer(200, {"received": notifications["received"], "repeats": notifications["repeats"]})
        return self.answer(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/notify":
            return self.answer(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            message = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return self.answer(400, {"error": "the body is not JSON"})
        key = self.headers.get("Idempotency-Key")
        with stats_lock:
            if key is not None and key in notifications["keys"]:
                notifications["repeats"] += 1
                return self.answer(200, {"ok": True, "duplicate": True})
            if key is not None:
                notifications["keys"].add(key)
            notifications["received"].append({"key": key, "message": message, "at": time.time()})
        return self.answer(200, {"ok": True, "duplicate": False})

    def answer(self, status, body):
        data = (json.dumps(body, separators=(",", ":")) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_):
        pass


threading.Thread(target=writer, daemon=True).start()
http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
