#!/usr/bin/env python3
"""Time from `lifeboat approve` to the next step's start, on the SQLite store and on the team store.

A run waits at an approval step (`gate`); once it is waiting, `lifeboat approve RUN gate` is
started from another process, and the figure is the recorded start of the step after the gate
(its `stepStarted` event, wall clock) minus the moment `approve` was spawned; beside it, how long the
`approve` process itself ran (on the team store the step often starts before `approve` has finished
closing its connection). On SQLite the executor polls its queue every 200 ms; on the team
store the server notifies it (LISTEN/NOTIFY). Medians, min and max over --rounds runs per store.

The team store is a throwaway PostgreSQL 15 started here (scripts/throwaway_postgres.py) as the
`postgres` user on 127.0.0.1, stopped afterwards.

Usage: scripts/approval-latency.py [--bin PATH] [--rounds N]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throwaway_postgres import Postgres  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--bin", default=".build/debug/lifeboat")
parser.add_argument("--rounds", type=int, default=10)
args = parser.parse_args()
LIFEBOAT = os.path.abspath(args.bin)

PLAN = "plan: latency\nowner: sre\ntier: 3\nscenarios:\n  s:\n    runbook: ../runbooks/r.yaml\n"
RUNBOOK = """runbook: latency
steps:
  - {id: gate, action: approval, with: {prompt: "go?", separation_of_duties: false}}
  - {id: after, action: command, needs: [gate], with: {argv: ["true"]}}
"""


def cli(root, store, *argv, check=True):
    env = dict(os.environ, LIFEBOAT_DB=store, LIFEBOAT_OPERATOR="latency")
    out = subprocess.run([LIFEBOAT, *argv], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        raise RuntimeError("lifeboat %s: exit %d: %s" % (" ".join(argv), out.returncode, out.stderr.strip()))
    return out


def one_round(root, store):
    env = dict(os.environ, LIFEBOAT_DB=store, LIFEBOAT_OPERATOR="latency")
    executor = subprocess.Popen([LIFEBOAT, "run", "plans/p.yaml", "-s", "s"], cwd=root, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run_id = None
        deadline = time.time() + 60
        while time.time() < deadline:
            listed = cli(root, store, "history", "--json", "--limit", "1", check=False)  # exit 5 before the store exists
            runs = json.loads(listed.stdout or "[]") if listed.returncode == 0 else []
            if runs and runs[0]["run"]["status"] == "running":
                steps = json.loads(cli(root, store, "show", runs[0]["run"]["id"], "--json").stdout)["steps"]
                if any(s["stepID"] == "gate" and s["status"] == "awaiting-approval" for s in steps):
                    run_id = runs[0]["run"]["id"]
                    break
            time.sleep(0.05)
        if run_id is None:
            raise RuntimeError("the run never waited for its approval")
        time.sleep(0.5)  # let the executor settle into its wait
        spawned = time.time()
        cli(root, store, "approve", run_id, "gate")
        exited = time.time()
        if executor.wait(timeout=60) != 0:
            raise RuntimeError("run %s exited %d" % (run_id, executor.returncode))
    finally:
        if executor.poll() is None:
            executor.kill()
    events = json.loads(cli(root, store, "show", run_id, "--json", "--events").stdout)["events"]
    started = next(e["atMs"] for e in events if e["kind"].get("stepStarted", {}).get("step") == "after") / 1000.0
    return (started - spawned) * 1000.0, (exited - spawned) * 1000.0


def measure(name, store):
    root = tempfile.mkdtemp(prefix="lifeboat-latency-")
    try:
        os.makedirs(root + "/plans")
        os.makedirs(root + "/runbooks")
        with open(root + "/plans/p.yaml", "w") as f:
            f.write(PLAN)
        with open(root + "/runbooks/r.yaml", "w") as f:
            f.write(RUNBOOK)
        store = store.replace("ROOT", root)
        figures = [one_round(root, store) for _ in range(args.rounds)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for label, values in (("approve to next step", [f[0] for f in figures]),
                          ("approve process alone", [f[1] for f in figures])):
        print("%-12s %-22s median %7.1f ms   min %7.1f   max %7.1f   (%d rounds)"
              % (name, label, statistics.median(values), min(values), max(values), len(values)), flush=True)
    return statistics.median(f[0] for f in figures)


def main():
    sqlite = measure("sqlite", "ROOT/state.db")
    pg = Postgres(prefix="lifeboat-latency-pg-")
    try:
        pg.psql("CREATE DATABASE lifeboat")
        team = measure("team store", pg.conninfo(database="lifeboat"))
    finally:
        pg.close()
    print("approve to next step, medians: team store / sqlite = %.2f" % (team / sqlite))


main()
