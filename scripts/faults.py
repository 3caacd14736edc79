#!/usr/bin/env python3
"""Fault injection: each case breaks something real under the built CLI and asserts the outcome.

Cases run against real processes: HTTP servers started here, and the sandbox's PostgreSQL and
BIND (`scripts/sandbox up`, started and stopped here). The store's own faults (read-only, disk
full) and a PostgreSQL killed mid-promotion are Swift suites (StoreFailureTests, PromoteCrashTests)
and are not repeated here. No case may hang (each has a deadline) or lose a checkpoint (ledger, integrity_check, audit verify).
Prints one row per case: what was done, what was expected, what was seen.

Usage: scripts/faults [--bin PATH] [--only NAME[,NAME...]] [--no-sandbox]
"""
import argparse
import http.server
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throwaway_postgres import free_port  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--bin", default=".build/debug/lifeboat")
parser.add_argument("--only", default="", help="comma-separated case names")
parser.add_argument("--no-sandbox", action="store_true", help="skip the cases that need PostgreSQL and BIND")
args = parser.parse_args()
LIFEBOAT = os.path.abspath(args.bin)
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SANDBOX = os.environ.get("LIFEBOAT_SANDBOX_DIR", "/tmp/lifeboat-sandbox")
CASES = []


def case(name, needs_sandbox=False):
    def register(fn):
        CASES.append((name, needs_sandbox, fn))
        return fn
    return register


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


# ---------------------------------------------------------------------------------------------
# Helpers


class Scenario:
    """A temp folder with plan p.yaml (scenario `s`) and a runbook from STEPS (YAML text)."""

    def __init__(self, steps, plan_extra="", root=None):
        self.root = root or tempfile.mkdtemp(prefix="lifeboat-fault-")
        os.makedirs(self.root + "/plans", exist_ok=True)
        os.makedirs(self.root + "/runbooks", exist_ok=True)
        with open(self.root + "/plans/p.yaml", "w") as f:
            f.write("plan: faults\nowner: sre\ntier: 3\n%s\nscenarios:\n  s:\n    runbook: ../runbooks/r.yaml\n" % plan_extra)
        with open(self.root + "/runbooks/r.yaml", "w") as f:
            f.write("runbook: faults\nsteps:\n" + steps)
        self.db = self.root + "/state.db"

    def env(self):
        return dict(os.environ, LIFEBOAT_DB=self.db, LIFEBOAT_OPERATOR="faults")

    def cli(self, *argv, timeout=120):
        return subprocess.run([LIFEBOAT, *argv], cwd=self.root, env=self.env(), capture_output=True, text=True,
                              timeout=timeout)

    def start(self, *argv):
        return subprocess.Popen([LIFEBOAT, *argv], cwd=self.root, env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run_id(self):
        out = self.cli("history", "--json", "--limit", "1")
        runs = json.loads(out.stdout) if out.returncode == 0 else []
        return runs[0]["run"]["id"] if runs else None

    def show(self, rid):
        out = self.cli("show", rid, "--json", "--events")
        expect(out.returncode == 0, "show failed: " + out.stderr.strip())
        return json.loads(out.stdout)

    def ledger(self):
        try:
            with open(self.root + "/ledger") as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def store_checks(self):
        """integrity_check and audit verify, as one text; raises on failure."""
        integrity = sqlite3.connect(self.db).execute("PRAGMA integrity_check").fetchone()[0]
        audit = self.cli("audit", "verify")
        expect(integrity == "ok", "integrity_check: " + integrity)
        expect(audit.returncode == 0, "audit verify failed: " + audit.stdout.strip()[-200:])
        return "integrity ok, audit ok"


def ledger_steps(root, count, verify=True, pause="0.3"):
    """COUNT sequential command steps, each appending its id to ROOT/ledger after a pause."""
    text = ""
    for i in range(count):
        sid = "s%02d" % i
        needs = "\n    needs: [s%02d]" % (i - 1) if i else ""
        check = ", verify: {argv: [grep, -qx, %s, %s/ledger]}" % (sid, root) if verify else ""
        text += ("  - id: %s\n    action: command%s\n    with: {argv: [sh, -c, 'sleep %s; echo \"$0\" >> \"$1\"', %s, %s/ledger]%s}\n"
                 % (sid, needs, pause, sid, root, check))
    return text


def wait_until(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise Failure("timed out after %ds waiting for %s" % (seconds, what))


def finish(process, seconds=60):
    try:
        out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        raise Failure("lifeboat did not exit within %ds" % seconds)
    return process.returncode, out, err


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1].strip() if lines else ""


def sandbox(*argv):
    out = subprocess.run([REPO + "/scripts/sandbox", *argv], capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        raise Failure("scripts/sandbox %s failed: %s" % (" ".join(argv), out.stderr.strip() or out.stdout.strip()))
    return out.stdout


def as_postgres(*argv):
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], cwd="/", capture_output=True, text=True, timeout=60)


def psql(host, sql):
    out = as_postgres("/usr/lib/postgresql/15/bin/psql", "-X", "-At", "-h", host, "-p", "15432", "-d", "app", "-c", sql)
    if out.returncode != 0:
        raise Failure("psql at %s failed: %s" % (host, out.stderr.strip()))
    return out.stdout.strip()


# ---------------------------------------------------------------------------------------------
# Cases that need only the CLI


@case("command hangs past its timeout")
def command_timeout():
    marker = "30%d" % (os.getpid() % 1000 + 100)
    sc = Scenario("  - id: hang\n    action: command\n    timeout: 1s\n    with: {argv: [sh, -c, 'sleep %s & sleep %s']}\n" % (marker, marker))
    started = time.monotonic()
    out = sc.cli("run", "plans/p.yaml", "-s", "s", timeout=60)
    took = time.monotonic() - started
    expect(out.returncode == 1, "exit %d, expected 1 (run failed)" % out.returncode)
    detail = sc.show(sc.run_id())
    step = detail["steps"][0]
    expect(step["status"] == "failed" and "timed out" in (step.get("error") or ""), "step: %s %s" % (step["status"], step.get("error")))
    left = subprocess.run(["pgrep", "-f", "sleep " + marker], capture_output=True, text=True).stdout.split()
    expect(not left, "processes of the step's group still alive: %s" % left)
    return "exit 1 after %.1fs; step failed: %s; no process of its group left" % (took, step["error"][:60])


@case("HTTP target 503, then recovers")
def http_recovers():
    failures = {"left": 5}  # five 503s open the breaker (threshold 5); its trial call after the 30s cooldown succeeds
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                failing = failures["left"] > 0
                failures["left"] -= 1
            status = 503 if failing else 200
            body = b"warming up\n" if failing else b"ready\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sc = Scenario("  - id: smoke\n    action: http.check\n    with: {url: 'http://127.0.0.1:%d/ready'}\n"
                      "    retry: {attempts: 8, delay: 500ms, max_delay: 2s, jitter: full}\n" % port)
        out = sc.cli("run", "plans/p.yaml", "-s", "s", timeout=120)
        expect(out.returncode == 0, "exit %d: %s" % (out.returncode, last_line(out.stderr or out.stdout)))
        detail = sc.show(sc.run_id())
        states = [e["kind"]["circuitChanged"]["state"] for e in detail["events"] if "circuitChanged" in e["kind"]]
        delays = [e["kind"]["stepRetryScheduled"]["delayMs"] for e in detail["events"] if "stepRetryScheduled" in e["kind"]]
        expect(states[:1] == ["open"] and "half-open" in states and states[-1] == "closed", "breaker changes: %s" % states)
        expect(len(set(delays)) > 1, "retry delays show no jitter: %s" % delays)
        return "succeeded after %d attempts; breaker %s; retry delays %s ms" % (
            detail["steps"][0]["attempts"], " → ".join(states), ",".join(str(d) for d in delays[:5]) + ",…")
    finally:
        server.shutdown()


@case("two runs of one scenario at once")
def two_runs():
    sc = Scenario("  - id: hold\n    action: wait\n    with: {duration: 3s}\n")
    first = sc.start("run", "plans/p.yaml", "-s", "s")
    wait_until(lambda: sc.run_id() is not None, 20, "the first run to be created")
    second = sc.cli("run", "plans/p.yaml", "-s", "s")
    status, _, _ = finish(first)
    expect(second.returncode == 4, "second run exit %d, expected 4 (refused)" % second.returncode)
    expect(sc.run_id() in second.stderr, "refusal does not name the running run: " + second.stderr.strip())
    expect(status == 0, "first run exit %d" % status)
    return "second refused (exit 4): %s; first succeeded" % last_line(second.stderr)[:70]


@case("readers hammer the store during a run")
def readers_hammer():
    sc = Scenario("")
    with open(sc.root + "/runbooks/r.yaml", "w") as f:
        f.write("runbook: faults\nsteps:\n" + ledger_steps(sc.root, 30, pause="0.02"))
    run = sc.start("run", "plans/p.yaml", "-s", "s")
    results, stop = [], threading.Event()

    def reader(argv_of):
        while not stop.is_set():
            rid = sc.run_id()
            if rid:
                results.append(sc.cli(*argv_of(rid)).returncode)

    threads = [threading.Thread(target=reader, args=(a,)) for a in (
        lambda rid: ("history", "--json"), lambda rid: ("show", rid, "--json"), lambda rid: ("show", rid, "--events"))]
    for t in threads:
        t.start()
    status, _, err = finish(run)
    stop.set()
    for t in threads:
        t.join()
    bad = [r for r in results if r != 0]
    expect(status == 0, "run exit %d: %s" % (status, last_line(err)))
    expect(not bad and results, "reader exits: %d reads, failures %s" % (len(results), bad))
    lines = sc.ledger()
    expect(len(lines) == 30 == len(set(lines)), "ledger has %d lines (%d distinct)" % (len(lines), len(set(lines))))
    return "run succeeded; %d reads, all exit 0; %s" % (len(results), sc.store_checks())


# ---------------------------------------------------------------------------------------------
# Cases against the sandbox's PostgreSQL and BIND

PRIMARY = "host=127.0.0.2 port=15432 dbname=app user=postgres connect_timeout=3"
REPLICA = "host=127.0.0.3 port=15432 dbname=app user=postgres connect_timeout=3"


@case("replica lag above the bound", needs_sandbox=True)
def lag_above_bound():
    # Replay held back by recovery_min_apply_delay (replay is not paused, so this is plain lag).
    psql("127.0.0.3", "ALTER SYSTEM SET recovery_min_apply_delay = '60s'")
    psql("127.0.0.3", "SELECT pg_reload_conf()")
    try:
        time.sleep(0.5)
        psql("127.0.0.2", "INSERT INTO ledger (note) SELECT repeat('x', 200) FROM generate_series(1, 20000)")
        sc = Scenario("  - id: promote\n    action: postgres.promote\n    with: {conninfo: '%s', primary_conninfo: '%s', max_lag: 64kB}\n"
                      % (REPLICA, PRIMARY))
        out = sc.cli("run", "plans/p.yaml", "-s", "s")
        step = sc.show(sc.run_id())["steps"][0]
        expect(out.returncode in (1, 4), "exit %d, expected a refusal or failure" % out.returncode)
        expect(step["status"] == "failed" and "lag" in (step.get("error") or ""), "step: %s %s" % (step["status"], step.get("error")))
        expect(psql("127.0.0.3", "SELECT pg_is_in_recovery()") == "t", "the replica was promoted anyway")
        return "exit %d, not promoted: %s" % (out.returncode, step["error"][:110])
    finally:
        psql("127.0.0.3", "ALTER SYSTEM RESET recovery_min_apply_delay")
        psql("127.0.0.3", "SELECT pg_reload_conf()")


def dns_step(server, secret_expr, extra=""):
    return ("  - id: switch\n    action: dns.update\n    timeout: 10s\n    with: {server: '%s', zone: sandbox.lifeboat.test, "
            "name: fault.sandbox.lifeboat.test, type: A, records: ['127.0.0.9'], ttl: 5%s%s}\n" % (server, secret_expr, extra))


def dns_case(server, secret_expr, extra, plan_extra, expected_words, exit_code=1):
    """exit_code: 1 when the update failed, 4 when the step's preflight refused (nothing was sent)."""
    sc = Scenario(dns_step(server, secret_expr, extra), plan_extra=plan_extra)
    started = time.monotonic()
    out = sc.cli("run", "plans/p.yaml", "-s", "s", timeout=90)
    took = time.monotonic() - started
    step = sc.show(sc.run_id())["steps"][0]
    error = step.get("error") or ""
    expect(out.returncode == exit_code and step["status"] == "failed", "exit %d, step %s" % (out.returncode, step["status"]))
    expect(any(w in error for w in expected_words), "error does not mention %s: %s" % (expected_words, error))
    return "exit %d after %.1fs: %s" % (out.returncode, took, error[:100])


SECRET_FILE = "secrets:\n  tsig: {file: %s/dns/tsig.secret}\n" % SANDBOX


@case("DNS server not answering", needs_sandbox=True)
def dns_timeout():
    return dns_case("127.0.0.1:%d" % free_port(), ", key_name: sandbox-key, key_secret: '${secrets.tsig}'", "",
                    SECRET_FILE, ["no answer", "timed out", "timeout"], exit_code=4)


@case("DNS update REFUSED (unsigned)", needs_sandbox=True)
def dns_refused():
    return dns_case("127.0.0.1:15353", "", ", insecure: true", "", ["REFUSED"])


@case("DNS update BADSIG (wrong secret)", needs_sandbox=True)
def dns_badsig():
    # A wrong key, read from a secret as every key must be (validate refuses one written in a runbook).
    os.environ["LIFEBOAT_FAULTS_WRONG_TSIG"] = "c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1zZXJ2ZXJzLWtleQ=="
    return dns_case("127.0.0.1:15353", ", key_name: sandbox-key, key_secret: '${secrets.tsig}'", "",
                    "secrets:\n  tsig: {env: LIFEBOAT_FAULTS_WRONG_TSIG}\n", ["BADSIG"])


# ---------------------------------------------------------------------------------------------


def main():
    only = set(filter(None, args.only.split(",")))
    chosen = [(n, s, f) for n, s, f in CASES if (not only or f.__name__ in only) and not (s and args.no_sandbox)]
    print("fault injection: %d case(s), binary %s" % (len(chosen), LIFEBOAT))
    width = max(len(n) for n, _, _ in chosen)
    failed, sandbox_up = 0, False
    try:
        for name, needs_sandbox, fn in chosen:
            if needs_sandbox and not sandbox_up:
                sandbox("up")
                sandbox_up = True
            started = time.monotonic()
            try:
                seen, verdict = fn(), "ok"
            except Failure as f:
                seen, verdict = str(f), "FAILED"
                failed += 1
            except Exception as e:  # a broken case is a failure too, with its traceback
                seen, verdict = "%s: %s" % (type(e).__name__, e), "FAILED"
                traceback.print_exc()
                failed += 1
            print("%-6s %-*s %5.1fs  %s" % (verdict, width, name, time.monotonic() - started, seen))
            sys.stdout.flush()
    finally:
        if sandbox_up:
            sandbox("down")
    print("%d of %d case(s) failed" % (failed, len(chosen)))
    sys.exit(1 if failed else 0)


main()
