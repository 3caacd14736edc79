#!/usr/bin/env python3
"""Per-step overhead on the team store (PostgreSQL on loopback) against the SQLite store, same run.

A run of N no-op steps (`wait 0ms`: engine and store only, no child process) and of N `command`
steps (argv `true`) is executed on a SQLite store and on a team store, interleaved, --rounds
times each; the figure is the median wall time of `lifeboat run` divided by N. Goal (issue 12):
the team store's per-step time <= 2x SQLite's. The team store is a throwaway PostgreSQL 15
started here (scripts/throwaway_postgres.py; synchronous_commit on, fsync as initdb leaves it),
stopped afterwards. Use a release binary for figures worth quoting.

Usage: scripts/bench-team-store.py [--bin PATH] [--steps N] [--rounds N]
"""
import argparse
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
parser.add_argument("--steps", type=int, default=200)
parser.add_argument("--rounds", type=int, default=5)
args = parser.parse_args()
LIFEBOAT = os.path.abspath(args.bin)


def runbook(action):
    lines = ["runbook: bench", "steps:"]
    for i in range(args.steps):
        needs = ", needs: [s%d]" % (i - 1) if i else ""
        lines.append("  - {id: s%d, %s%s}" % (i, action, needs))
    return "\n".join(lines) + "\n"


KINDS = {
    "wait 0ms (engine + store)": "action: wait, with: {duration: 0ms}",
    "command true": "action: command, with: {argv: [\"true\"]}",
}


def timed_run(root, store):
    env = dict(os.environ, LIFEBOAT_DB=store, LIFEBOAT_OPERATOR="bench")
    started = time.perf_counter()
    out = subprocess.run([LIFEBOAT, "run", "plans/p.yaml", "-s", "s", "--drill"], cwd=root, env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError("lifeboat run on %s: exit %d: %s" % (store, out.returncode, out.stderr.strip()[-400:]))
    return elapsed


def main():
    pg = Postgres(prefix="lifeboat-bench-pg-")
    roots = []
    try:
        rows = []
        for name, action in KINDS.items():
            root = tempfile.mkdtemp(prefix="lifeboat-bench-team-")
            roots.append(root)
            os.makedirs(root + "/plans")
            os.makedirs(root + "/runbooks")
            with open(root + "/plans/p.yaml", "w") as f:
                f.write("plan: bench\nowner: sre\ntier: 3\nscenarios:\n  s:\n    runbook: ../runbooks/r.yaml\n")
            with open(root + "/runbooks/r.yaml", "w") as f:
                f.write(runbook(action))
            database = "bench_%d" % len(roots)
            pg.psql("CREATE DATABASE %s" % database)
            stores = {"sqlite": root + "/state.db", "team store": pg.conninfo(database=database)}
            samples = {store: [] for store in stores}
            timed_run(root, stores["team store"])  # the first run migrates the team store
            for _ in range(args.rounds):
                for label, store in stores.items():
                    samples[label].append(timed_run(root, store))
            per_step = {label: statistics.median(values) / args.steps * 1000.0 for label, values in samples.items()}
            rows.append((name, per_step["sqlite"], per_step["team store"]))
        print("per-step time, %d steps, median of %d runs each (%s)" % (args.steps, args.rounds, os.path.basename(LIFEBOAT)))
        for name, sqlite, team in rows:
            print("  %-28s sqlite %6.2f ms   team store %6.2f ms   ratio %.2fx (goal <= 2)" % (name, sqlite, team, team / sqlite))
    finally:
        pg.close()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


main()
