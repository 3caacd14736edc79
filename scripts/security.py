#!/usr/bin/env python3
"""Security checks against the built CLI and real processes; one row per check, exit 1 on a failure.

  secrets      a secret from an env var and one from a file, used by command steps (argv, env), by an
               http.check header, by failing steps whose errors would echo them, and by a postgres
               conninfo: neither value may appear in any stdout/stderr (run, dry-run, tabletop, show
               [--json] [--events], history [--json], audit verify [--json], report when it exists),
               in the store's bytes (state.db, -wal, -shm) or in a report file
  injection    parameter values with shell metacharacters, quotes, $(…), backticks, newlines and
               ${…} references, given by -p and by a scenario's with:, reach a command's argv and env
               byte for byte, create no file, are not substituted again, and reach PostgreSQL as a
               bound value (SELECT $1 returns them; a DROP TABLE payload drops nothing)

The store's 0600 mode (StoreFileTests), TLS verified by default (HTTPCheckActionTests) and TSIG
required for dns.update (DNSActionTests) are Swift suites and are not repeated here.

PostgreSQL: a throwaway server started here as the `postgres` user on 127.0.0.1 (a free port, a
temp dir), stopped afterwards. Usage: scripts/security [--bin PATH] [--only NAME,...] [--no-postgres]
"""
import argparse
import http.server
import json
import os
import secrets as pyrandom
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throwaway_postgres import Postgres  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--bin", default=".build/debug/lifeboat")
parser.add_argument("--only", default="", help="comma-separated check names")
parser.add_argument("--no-postgres", action="store_true", help="skip the parts that need PostgreSQL (said in the row)")
args = parser.parse_args()
LIFEBOAT = os.path.abspath(args.bin)
ROWS = []


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


class Workspace:
    """A temp folder with plans/p.yaml (scenario `s`) and runbooks/r.yaml, and a store in it."""

    def __init__(self, steps, plan_extra="", params="", scenario_with=""):
        self.root = tempfile.mkdtemp(prefix="lifeboat-security-")
        os.makedirs(self.root + "/plans")
        os.makedirs(self.root + "/runbooks")
        with open(self.root + "/plans/p.yaml", "w") as f:
            f.write("plan: security\nowner: sre\ntier: 3\n%s\nscenarios:\n  s:\n    runbook: ../runbooks/r.yaml\n%s"
                    % (plan_extra, scenario_with))
        with open(self.root + "/runbooks/r.yaml", "w") as f:
            f.write("runbook: security\n%ssteps:\n%s" % (params, steps))
        self.db = self.root + "/state.db"
        self.transcript = []  # (argv, stdout, stderr) of every command, for the secret grep
        self.extra_env = {}

    def cli(self, *argv, stdin=None, timeout=120, umask=None):
        env = dict(os.environ, LIFEBOAT_DB=self.db, LIFEBOAT_OPERATOR="security", **self.extra_env)
        pre = (lambda: os.umask(umask)) if umask is not None else None
        out = subprocess.run([LIFEBOAT, *argv], cwd=self.root, env=env, input=stdin, capture_output=True, text=True,
                             timeout=timeout, preexec_fn=pre)
        self.transcript.append((" ".join(argv), out.stdout, out.stderr))
        return out

    def run_id(self):
        out = self.cli("history", "--json", "--limit", "1")
        runs = json.loads(out.stdout) if out.returncode == 0 else []
        return runs[0]["run"]["id"] if runs else None

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class RecordingHTTP:
    """An HTTP server on 127.0.0.1 that records request headers; /fail/... answers 500."""

    def __init__(self, tls_context=None):
        self.headers = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.headers.append(dict(self.headers))
                code = 500 if self.path.startswith("/fail") else 200
                body = b"failing on purpose" if code == 500 else b"ok"
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


_postgres = None


def postgres():
    global _postgres
    if _postgres is None and not args.no_postgres:
        _postgres = Postgres(prefix="lifeboat-security-pg-")
    return _postgres


CHECKS = []


def check(name):
    def register(fn):
        CHECKS.append((name, fn))
        return fn
    return register


# ---------------------------------------------------------------------------------------------


def report_formats():
    """The formats of `lifeboat report`, or [] when this build has no report command."""
    out = subprocess.run([LIFEBOAT, "--help"], capture_output=True, text=True)
    if not any(line.strip().startswith("report ") for line in out.stdout.splitlines()):
        return []
    return ["md", "json", "html", "junit"]


@check("secrets")
def secrets_never_leak():
    a = "envSECRET-" + pyrandom.token_hex(8)
    b = "fileSECRET-" + pyrandom.token_hex(8)
    http = RecordingHTTP()
    pg = postgres()
    pg_step = ""
    if pg:
        pg_step = ("  - id: pg-fails\n    action: postgres.query\n    needs: [echo, header]\n"
                   "    with: {conninfo: \"host=127.0.0.1 port=%d user=postgres dbname=nosuchdb_${secrets.a} password=${secrets.b}\","
                   " sql: \"SELECT 1\", timeout: 10s}\n" % pg.port)
    steps = (
        "  - id: echo\n    action: command\n"
        "    with: {argv: [sh, -c, 'echo \"argv: $0 $1\"; echo \"env: $TOKEN\"; echo \"lifeboat-output: token=$TOKEN\"', \"${secrets.a}\", \"${secrets.b}\"],"
        " env: {TOKEN: \"${secrets.a}\"}}\n"
        "  - id: header\n    action: http.check\n"
        "    with: {url: \"http://127.0.0.1:%d/ok\", headers: {Authorization: \"Bearer ${secrets.b}\", X-Other: \"${secrets.a}\"}, expect_status: 200}\n"
        "  - id: cmd-fails\n    action: command\n    needs: [echo, header]\n"
        "    with: {argv: [sh, -c, 'echo \"cannot log in with $0\" >&2; echo \"and $1\"; exit 3', \"${secrets.a}\", \"${secrets.b}\"]}\n"
        "  - id: http-fails\n    action: http.check\n    needs: [echo, header]\n"
        "    with: {url: \"http://127.0.0.1:%d/fail/${secrets.a}?k=${secrets.b}\", body_contains: \"${secrets.b}\", expect_status: 200}\n"
        % (http.port, http.port)) + pg_step
    secret_file = tempfile.NamedTemporaryFile("w", prefix="lifeboat-security-secret-", delete=False)
    secret_file.write(b + "\n")
    secret_file.close()
    ws = Workspace(steps, plan_extra="secrets: {a: {env: LB_SECURITY_A}, b: {file: %s}}" % secret_file.name)
    ws.extra_env = {"LB_SECURITY_A": a}
    try:
        out = ws.cli("run", "plans/p.yaml", "-s", "s", "--yes")
        expect(out.returncode == 1, "run exit %d, expected 1 (the failing steps fail): %s" % (out.returncode, out.stderr.strip()[-300:]))
        rid = ws.run_id()
        expect(rid, "no run recorded")
        # The secrets were really used: the server saw the header, the step its argv (masked in the record).
        expect(any(h.get("Authorization") == "Bearer " + b for h in http.headers), "the http.check header did not carry the secret")
        detail = json.loads(ws.cli("show", rid, "--json").stdout)
        statuses = {s["stepID"]: s["status"] for s in detail["steps"]}
        expect(statuses.get("echo") == "succeeded" and statuses.get("cmd-fails") == "failed", "step statuses: %s" % statuses)
        commands = [("run", "plans/p.yaml", "-s", "s", "--dry-run"), ("show", rid), ("show", rid, "--json"),
                    ("show", rid, "--events"), ("show", rid, "--events", "--json"), ("history",), ("history", "--json"),
                    ("audit", "verify"), ("audit", "verify", "--json"), ("plan", "plans/p.yaml", "-s", "s"),
                    ("plan", "plans/p.yaml", "-s", "s", "--json"), ("validate", "plans", "runbooks", "--json"),
                    ("resume", rid, "--yes")]
        for argv in commands:
            ws.cli(*argv)
        tab = Workspace(steps, plan_extra="secrets: {a: {env: LB_SECURITY_A}, b: {file: %s}}" % secret_file.name)
        tab.db = ws.db
        tab.extra_env = ws.extra_env
        ws.cli("abort", rid)
        tab_out = tab.cli("tabletop", "plans/p.yaml", "-s", "s", stdin="d\nd\nn noted\nd\nd\nd\nd\n")
        ws.transcript += tab.transcript
        reports = []
        for fmt in report_formats():
            path = os.path.join(ws.root, "report." + fmt)
            ws.cli("report", rid, "--format", fmt, "-o", path)
            ws.cli("report", rid, "--format", fmt)
            reports.append(path)
        leaks = []
        for argv, so, se in ws.transcript:
            for name, value in (("env secret", a), ("file secret", b)):
                if value in so or value in se:
                    leaks.append("%s in output of `lifeboat %s`" % (name, argv))
        files = [ws.db, ws.db + "-wal", ws.db + "-shm"] + reports
        for path in files:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                for name, value in (("env secret", a), ("file secret", b)):
                    if value.encode() in data:
                        leaks.append("%s in %s" % (name, os.path.basename(path)))
        expect(not leaks, "; ".join(leaks))
        grepped = [os.path.basename(p) for p in files if os.path.exists(p)]
        return ("run (command argv+env, http header, failing command/http%s), dry-run, tabletop (exit %d), "
                "show [--json] [--events], history [--json], audit verify [--json], plan, validate, resume; %d outputs "
                "and %s grepped%s: no secret" % (", failing postgres conninfo" if pg else "; postgres skipped (--no-postgres)",
                                                 tab_out.returncode, len(ws.transcript), "+".join(grepped),
                                                 "" if reports else "; no `report` command on this build"))
    finally:
        http.close()
        ws.close()
        os.unlink(secret_file.name)


PAYLOADS = [
    "x'$(touch /tmp/pwned-%(n)s-1)'; rm -rf /tmp/pwned-none",
    "`touch /tmp/pwned-%(n)s-2`",
    "; touch /tmp/pwned-%(n)s-3 #",
    "| touch /tmp/pwned-%(n)s-4",
    "&& touch /tmp/pwned-%(n)s-5",
    "'; touch /tmp/pwned-%(n)s-6; echo '",
    "\"; touch /tmp/pwned-%(n)s-7; echo \"",
    "line1\ntouch /tmp/pwned-%(n)s-8\nline3",
    "$(touch${IFS}/tmp/pwned-%(n)s-9) ${HOME} $HOME",
    "${secrets.a} ${params.other} ${run.id}",
    "x'); DROP TABLE canary; --",
    "-rf --help \\ \\\\ \t tab",
]


@check("injection")
def metacharacters_stay_values():
    n = "%d-%s" % (os.getpid(), pyrandom.token_hex(3))
    payloads = [p % {"n": n} for p in PAYLOADS]
    pg = postgres()
    out_file = "${params.out}"
    steps = ("  - id: argv\n    action: command\n"
             "    with: {argv: [python3, -c, 'import sys, os; open(sys.argv[1], \"w\").write(sys.argv[2] + \"\\0\" + os.environ[\"V\"])', \"%s\", \"${params.v}\"],"
             " env: {V: \"${params.v}\"}}\n" % out_file)
    if pg:
        pg.psql("DROP TABLE IF EXISTS canary; CREATE TABLE canary(x int)")
        steps += ("  - id: sql\n    action: postgres.query\n"
                  "    with: {conninfo: \"host=127.0.0.1 port=%d user=postgres dbname=postgres\", sql: \"SELECT $1::text\","
                  " params: [\"${params.v}\"], expect_value: \"${params.v}\", expect_rows: 1}\n" % pg.port)
    params = "params:\n  v: {type: string, required: true}\n  out: {type: string, required: true}\n  other: {type: string, default: o}\n"
    done = skipped = 0
    problems = []
    for i, payload in enumerate(payloads):
        for via in ("-p", "with"):
            if via == "with" and "${" in payload:
                # A scenario's with: is document text, where ${ starts a reference and $${ writes a
                # literal one; Lifeboat does not substitute a scenario's with: values yet (they reach
                # the step as written, $${ included), so these payloads only go through -p.
                skipped += 1
                continue
            target = tempfile.mktemp(prefix="lifeboat-security-out-")
            if via == "-p":
                ws = Workspace(steps, params=params, plan_extra="secrets: {a: {env: LB_SECURITY_A}}")
                argv = ["run", "plans/p.yaml", "-s", "s", "--yes", "-p", "v=" + payload, "-p", "out=" + target]
            else:
                ws = Workspace(steps, params=params, plan_extra="secrets: {a: {env: LB_SECURITY_A}}",
                               scenario_with="    with: {v: %s, out: %s}\n" % (json.dumps(payload), json.dumps(target)))
                argv = ["run", "plans/p.yaml", "-s", "s", "--yes"]
            ws.extra_env = {"LB_SECURITY_A": "not-this-" + n}
            try:
                out = ws.cli(*argv)
                if out.returncode != 0:
                    problems.append("payload %d via %s: exit %d: %s" % (i + 1, via, out.returncode, (out.stderr or out.stdout).strip()[-200:]))
                    continue
                with open(target, "rb") as f:
                    got_argv, got_env = f.read().decode().split("\0")
                if got_argv != payload or got_env != payload:
                    problems.append("payload %d via %s: argv/env got %r / %r" % (i + 1, via, got_argv, got_env))
                done += 1
            finally:
                ws.close()
                if os.path.exists(target):
                    os.unlink(target)
    pwned = [f for f in os.listdir("/tmp") if f.startswith("pwned-" + n)]
    if pwned:
        problems.append("files created by a payload: %s" % pwned)
    if pg:
        if pg.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'canary'") != "1":
            problems.append("table canary was dropped")
    expect(not problems, "; ".join(problems[:4]))
    return ("%d payloads ($(…), backticks, ; | &&, quotes, newlines, ${IFS}, ${secrets.a}, DROP TABLE) via -p and "
            "with: (%d with ${ via -p only): %d runs, argv and env byte for byte, no file created%s" % (
                len(payloads), skipped, done, ", SELECT $1 returned each literally, canary table intact" if pg
                else "; postgres.query skipped (--no-postgres)"))


def main():
    only = set(filter(None, args.only.split(",")))
    failed = 0
    try:
        for name, fn in CHECKS:
            if only and name not in only:
                continue
            started = time.monotonic()
            try:
                what = fn()
                result = "SKIP" if what.startswith("SKIP") else "ok"
            except Failure as e:
                what, result = str(e), "FAIL"
                failed += 1
            except Exception:
                what, result = traceback.format_exc().strip().splitlines()[-1], "FAIL (error)"
                failed += 1
            ROWS.append((name, "%.1fs" % (time.monotonic() - started), result, what))
            print("%-12s %6s  %-4s  %s" % ROWS[-1], flush=True)
    finally:
        if _postgres:
            _postgres.close()
    print("%d checks, %d failed" % (len(ROWS), failed))
    sys.exit(1 if failed else 0)


main()
