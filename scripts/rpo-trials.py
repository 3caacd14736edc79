#!/usr/bin/env python3
"""RPO trials: the sandbox's region-failure drill with a writer committing throughout, checking
that the reported RPO is never smaller than the acknowledged writes lost.

Each trial starts a fresh sandbox, creates a table on the primary, and starts an independent
writer (one psql session, one autocommit INSERT ... RETURNING at a time, every ~2 ms): a row counts
as acknowledged when its RETURNING line came back. Every other trial kills the primary's postmaster
and all its processes with SIGKILL mid-write (the machine is lost); the others leave it to the
runbook's fence. In trials 3, 4, 7, 8, … the replica stops receiving WAL 0.5 s before (its
primary_conninfo emptied), so that acknowledged writes are really lost. Then the drill runs (`lifeboat run plans/sandbox.yaml -s region-failure --drill
--yes`). Afterwards the rows on the promoted replica are compared with the acknowledged ones:

  lost   = acknowledged rows missing on the new primary
  truth  = commit time of the newest lost row − commit time of the newest kept row before the first
           lost one (0 when nothing was lost)

and the run's reported RPO (`show --json`) must be "not bounded" or at least `truth`.

The outage users saw is checked in the same trials: an independent prober (a thread of this script,
not Lifeboat) asks the sample service's /health/ready every 20 ms (or as soon as the last answer
came: the service takes 20-100 ms to write), and its outage (first failing answer → first passing one
after the last failure) must be within one probe interval of the run's observed outage (its
`measures: outage` probe; the kill trials pass --incident-at the kill), plus the time between the
prober's answers around each end (how far its own figure may be off). Each row also says whether
the difference was within one interval alone.
Prints one row per trial; exit 1 when any trial under-reports, misses the outage or a drill fails.

Then --failback-trials times: a region-failure drill, the writer on the promoted side, the failback
drill back: no acknowledged row may be missing on the original primary, the RPO must be exactly 0,
and the next region-failure drill on that sandbox must succeed.

Usage: scripts/rpo-trials [--trials N] [--failback-trials N] [--bin PATH]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--trials", type=int, default=10)
parser.add_argument("--failback-trials", type=int, default=2)
parser.add_argument("--bin", default=".build/debug/lifeboat")
args = parser.parse_args()
LIFEBOAT = os.path.abspath(args.bin)
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SANDBOX = os.environ.get("LIFEBOAT_SANDBOX_DIR", "/tmp/lifeboat-sandbox")
PGBIN = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]
PSQL = f"/usr/lib/postgresql/{PGBIN}/bin/psql"
PRIMARY, REPLICA, PORT = "127.0.0.2", "127.0.0.3", "15432"


def sandbox(*words):
    subprocess.run([os.path.join(REPO, "scripts/sandbox"), *words], check=True, capture_output=True, text=True, timeout=300)


def psql(host, sql):
    out = subprocess.run(
        ["runuser", "-u", "postgres", "--", PSQL, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", PORT, "-d", "app", "-c", sql],
        cwd="/", capture_output=True, text=True, timeout=60, check=True)
    return out.stdout


class Writer(threading.Thread):
    """One psql session fed one INSERT at a time; a row is acknowledged when its RETURNING line is read."""

    def __init__(self, host=None):
        super().__init__(daemon=True)
        host = host or PRIMARY
        self.acked = []  # (id, commit time ms by the server's clock)
        self.stop = threading.Event()
        self.proc = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", PSQL, "-X", "-At", "-q", "-h", host, "-p", PORT, "-d", "app"],
            cwd="/", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def run(self):
        while not self.stop.is_set():
            try:
                self.proc.stdin.write(
                    "INSERT INTO rpo_trial DEFAULT VALUES RETURNING id, (extract(epoch FROM at) * 1000)::bigint;\n"
                    "\\echo done\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
                if not line:
                    return
                if line.strip() == "done":  # the INSERT failed (read-only, shut down): nothing acknowledged
                    if self.proc.poll() is not None:
                        return
                    time.sleep(0.01)
                    continue
                ident, at = line.strip().split("|")
                self.acked.append((int(ident), int(at)))
                if self.proc.stdout.readline().strip() != "done":
                    return
            except (BrokenPipeError, ValueError, OSError):
                return
            time.sleep(0.002)

    def finish(self):
        self.stop.set()
        self.join(timeout=10)
        try:
            self.proc.kill()
        except OSError:
            pass


class Prober(threading.Thread):
    """GET /health/ready every 20 ms (or as soon as the previous answer came, when slower); each
    answer is (start time, passed)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            started = time.time()
            try:
                with urllib.request.urlopen("http://127.0.0.1:18080/health/ready", timeout=2) as answer:
                    passed = answer.status == 200
            except (urllib.error.URLError, OSError):
                passed = False
            self.samples.append((started, passed))
            time.sleep(max(0.0, started + 0.02 - time.time()))

    def finish(self):
        self.stop.set()
        self.join(timeout=10)

    def outage(self):
        """(outage ms, gap ms before its first failing answer, gap ms before its first passing one
        after the last failure): first failing answer → first passing one after the last failure.
        The gaps are how far each end may be off (an answer takes as long as the service does).
        None when nothing failed or it never passed again."""
        failing = [i for i, (_, passed) in enumerate(self.samples) if not passed]
        if not failing or failing[0] == 0 or failing[-1] + 1 >= len(self.samples):
            return None
        t = [at for at, _ in self.samples]
        first, after = failing[0], failing[-1] + 1
        return round((t[after] - t[first]) * 1000), round((t[first] - t[first - 1]) * 1000), round((t[after] - t[after - 1]) * 1000)


def kill_primary():
    """SIGKILL the primary's postmaster and every process under it: the machine is gone."""
    with open(os.path.join(SANDBOX, "pg/primary/postmaster.pid")) as f:
        postmaster = int(f.readline())
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    for pid in [postmaster, *map(int, children)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def trial(n, kill, cut):
    sandbox("up")
    psql(PRIMARY, "CREATE TABLE rpo_trial (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())")
    deadline = time.time() + 30
    while psql(REPLICA, "SELECT to_regclass('rpo_trial') IS NOT NULL").strip() != "t":
        if time.time() > deadline:
            raise RuntimeError("the replica did not get the table")
        time.sleep(0.1)
    writer = Writer()
    writer.start()
    prober = Prober()
    prober.start()
    time.sleep(1.5)
    incident = []
    if cut:
        # The replica stops receiving: what the primary commits from now on is really lost.
        psql(REPLICA, "ALTER SYSTEM SET primary_conninfo = ''")
        psql(REPLICA, "SELECT pg_reload_conf()")
        while psql(REPLICA, "SELECT count(*) FROM pg_stat_wal_receiver").strip() != "0":
            time.sleep(0.05)
        time.sleep(0.5)
    if kill:
        killed_at = time.time()
        kill_primary()
        incident = ["--incident-at", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(killed_at)) + ".%03dZ" % (killed_at % 1 * 1000)]
        time.sleep(0.3)
    db = tempfile.mkdtemp(prefix="lifeboat-rpo-")
    ok, line, figures = drill_and_measure("region-failure", writer, REPLICA, db, incident)
    prober.finish()
    outage_ok, outage_line = compare_outage(figures["outage"], prober)
    how = ("kill -9" if kill else "fence  ") + (" + replication cut" if cut else "                  ")
    print(f"trial {n:2}  {how}  {line}\n          {outage_line}", flush=True)
    return ok and outage_ok


def compare_outage(outage, prober):
    """The run's observed outage against the independent prober's: within one probe interval, plus
    what the prober's own ends may be off by (the time between its answers around each end: 20 ms
    when the service answers at once, more when it is slow)."""
    independent = prober.outage()
    if not outage or outage.get("durationMs") is None or independent is None:
        return False, f"outage: run {outage and outage.get('durationMs')}, independent prober {independent}: NOT MEASURED"
    seen, start_gap, end_gap = independent
    observed, interval = outage["durationMs"], outage["intervalMs"]
    tolerance = interval + start_gap + end_gap
    ok = abs(observed - seen) <= tolerance and not outage.get("lowerBound")
    return ok, (f"outage: observed {observed} ms (±{interval}){' lower bound' if outage.get('lowerBound') else ''}, "
                f"independent prober {seen} ms (its ends ±{start_gap}/±{end_gap} ms), difference {observed - seen:+} ms, "
                f"within {tolerance}: {'ok' if ok else 'NO'}; within one interval: {'yes' if abs(observed - seen) <= interval else 'no'}")


def drill_and_measure(scenario, writer, new_primary, db, extra=()):
    """Runs SCENARIO's drill while WRITER writes, then compares the acknowledged rows with those on
    NEW_PRIMARY. Returns (ok, one line of figures, the figures)."""
    env = dict(os.environ, LIFEBOAT_DB=os.path.join(db, "state.db"), LIFEBOAT_OPERATOR="rpo-trials")
    drill = subprocess.run(
        [LIFEBOAT, "run", "plans/sandbox.yaml", "-s", scenario, "--drill", "--yes", *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    writer.finish()
    history = json.loads(subprocess.run(
        [LIFEBOAT, "history", "--plan", "sandbox", "--scenario", scenario, "--limit", "1", "--json"], cwd=REPO, env=env,
        capture_output=True, text=True, check=True).stdout)
    run_id = history[0]["run"]["id"]
    shown = json.loads(subprocess.run(
        [LIFEBOAT, "show", run_id, "--json"], cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout)
    rpo = (shown.get("measurement") or {}).get("rpo") or {}
    kept = {int(i) for i in psql(new_primary, "SELECT id FROM rpo_trial").split()}
    acked = writer.acked
    lost = [(i, at) for (i, at) in acked if i not in kept]
    truth = 0
    if lost:
        first_lost = min(i for i, _ in lost)
        before = [at for (i, at) in acked if i in kept and i < first_lost]
        truth = max(at for _, at in lost) - (max(before) if before else min(at for _, at in lost))
    achieved = rpo.get("achievedMs")
    not_bounded = achieved is None and rpo.get("method") is not None
    ok = drill.returncode == 0 and (not_bounded or (achieved is not None and achieved >= truth))
    reported = "not bounded" if not_bounded else (f"{achieved} ms" if achieved is not None else "none")
    exact = " exact" if rpo.get("exact") else ""
    line = (f"acked {len(acked):5}  lost {len(lost):4}  truth {truth:5} ms  reported {reported}{exact}  "
            f"{'ok' if ok else 'UNDER-REPORTED or FAILED (exit %d)' % drill.returncode}  method: {rpo.get('method')}")
    if drill.returncode != 0:
        line += "\n" + drill.stdout[-2000:] + "\n" + drill.stderr[-2000:]
    outage = (shown.get("measurement") or {}).get("outage")
    return ok, line, {"lost": len(lost), "achieved": achieved, "exact": bool(rpo.get("exact")), "outage": outage}


def failback_trial(n):
    """A region-failure drill, then the failback with the writer on the current primary: nothing
    acknowledged may be lost and the RPO must be exactly 0; then the next region-failure drill must
    succeed on the sandbox the failback left."""
    sandbox("up")
    psql(PRIMARY, "CREATE TABLE rpo_trial (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())")
    db = tempfile.mkdtemp(prefix="lifeboat-rpo-")
    env = dict(os.environ, LIFEBOAT_DB=os.path.join(db, "state.db"), LIFEBOAT_OPERATOR="rpo-trials")
    def drill(scenario):
        return subprocess.run([LIFEBOAT, "run", "plans/sandbox.yaml", "-s", scenario, "--drill", "--yes"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300).returncode
    first = drill("region-failure")
    writer = Writer(REPLICA)
    writer.start()
    time.sleep(1.5)
    ok, line, figures = drill_and_measure("failback", writer, PRIMARY, db)
    lost_none = figures["lost"] == 0
    exact_zero = figures["achieved"] == 0 and figures["exact"]
    again = drill("region-failure")
    ok = ok and first == 0 and lost_none and exact_zero and again == 0
    print(f"failback {n:2}  {line}  next region-failure drill: {'succeeded' if again == 0 else 'FAILED (exit %d)' % again}"
          + ("" if ok else "  NOT OK"), flush=True)
    return ok


def main():
    failures = 0
    try:
        for n in range(1, args.trials + 1):
            if not trial(n, kill=(n % 2 == 0), cut=(n % 4 in (0, 3))):
                failures += 1
        for n in range(1, args.failback_trials + 1):
            if not failback_trial(n):
                failures += 1
    finally:
        subprocess.run([os.path.join(REPO, "scripts/sandbox"), "down"], capture_output=True)
    total = args.trials + args.failback_trials
    print(f"{total}/{total} trials: reported RPO never smaller than the acknowledged writes lost, observed outage within "
          "one probe interval of the independent prober's; failbacks lost nothing"
          if failures == 0 else f"{failures} of {total} trials failed")
    sys.exit(1 if failures else 0)


main()
