#!/usr/bin/env python3
"""Crash torture: SIGKILL Lifeboat at random moments and resume until the run ends.

Each trial runs a runbook of 50 non-idempotent `command` steps in 5 parallel branches; every step
appends its own line to a ledger. Half the steps carry a `verify:` (grep the ledger), half do not,
so a kill that lands while one of those runs leaves it `unknown` until a person resolves it: the
script resolves such steps the way an operator would, by looking at the ledger. Lifeboat is killed
after a random delay (0 to --max-delay ms, so kills land in spawns, in store commits and between
them), resumed, killed again, ... until a resume runs to the end. After each trial it checks:

  - steps lost: a step whose line is missing from the ledger (must be 0)
  - steps doubled: a line written twice (must be 0)
  - PRAGMA integrity_check of the store (must be ok)
  - `lifeboat audit verify` (hash chain + projections; must pass)

Usage: scripts/torture [--trials N] [--bin PATH] [--seed S]; prints a table, exits 1 on any failure.
"""
import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

BRANCHES, PER_BRANCH = 5, 10

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--trials", type=int, default=20)
parser.add_argument("--bin", default=".build/debug/lifeboat")
parser.add_argument("--seed", type=int, default=None)
parser.add_argument("--max-delay", type=int, default=250, help="longest delay before a kill, ms (a run takes about 0.5 s)")
parser.add_argument("--max-rounds", type=int, default=60, help="give up on a trial after this many kills")
args = parser.parse_args()
lifeboat = os.path.abspath(args.bin)
seed = args.seed if args.seed is not None else random.randrange(1 << 30)
rng = random.Random(seed)

APPEND = """#!/bin/sh
# append.sh LINE LEDGER: a non-idempotent step with a window on each side of the write.
sleep 0.0$(( $$ % 5 + 2 ))
echo "$1" >> "$2"
"""


def step_ids():
    return ["b%d-s%02d" % (b, i) for b in range(BRANCHES) for i in range(PER_BRANCH)]


def write_documents(root):
    os.makedirs(root + "/plans")
    os.makedirs(root + "/runbooks")
    with open(root + "/append.sh", "w") as f:
        f.write(APPEND)
    os.chmod(root + "/append.sh", 0o755)
    with open(root + "/plans/p.yaml", "w") as f:
        f.write("plan: torture\nowner: sre\ntier: 3\nscenarios:\n  crash:\n    runbook: ../runbooks/r.yaml\n")
    lines = ["runbook: torture", "steps:"]
    for sid in step_ids():
        branch, index = sid.split("-")
        index = int(index[1:])
        lines.append("  - id: %s" % sid)
        lines.append("    action: command")
        if index > 0:
            lines.append("    needs: [%s-s%02d]" % (branch, index - 1))
        verify = ", verify: {argv: [grep, -qx, %s, %s/ledger]}" % (sid, root) if index % 2 == 0 else ""
        lines.append("    with: {argv: [%s/append.sh, %s, %s/ledger]%s}" % (root, sid, root, verify))
    with open(root + "/runbooks/r.yaml", "w") as f:
        f.write("\n".join(lines) + "\n")


def ledger(root):
    try:
        with open(root + "/ledger") as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def cli(root, *argv, check=False):
    env = dict(os.environ, LIFEBOAT_DB=root + "/state.db", LIFEBOAT_OPERATOR="torture")
    out = subprocess.run([lifeboat, *argv], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        raise RuntimeError("lifeboat %s exited %d: %s" % (" ".join(argv), out.returncode, out.stderr.strip()))
    return out


def start_and_kill(root, argv):
    """Starts lifeboat ARGV, kills it after a random delay. Returns its exit code, or None if killed."""
    env = dict(os.environ, LIFEBOAT_DB=root + "/state.db", LIFEBOAT_OPERATOR="torture")
    with open(root + "/lifeboat.log", "a") as log:
        log.write("$ lifeboat %s\n" % " ".join(argv))
    log = open(root + "/lifeboat.log", "a")
    process = subprocess.Popen([lifeboat, *argv], cwd=root, env=env, stdout=log, stderr=log)
    log.close()
    try:
        return process.wait(timeout=rng.uniform(0, args.max_delay) / 1000)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return None


def run_id(root):
    out = cli(root, "history", "--json", "--limit", "1")
    if out.returncode == 5:  # no store yet: killed before it was created
        return None
    if out.returncode != 0:
        raise RuntimeError("lifeboat history exited %d: %s" % (out.returncode, out.stderr.strip()))
    runs = json.loads(out.stdout)
    return runs[0]["run"]["id"] if runs else None


def run_status(root, rid):
    return json.loads(cli(root, "show", rid, "--json", check=True).stdout)["run"]["status"]


def resolve_unknown(root, rid, tally):
    detail = json.loads(cli(root, "show", rid, "--json", check=True).stdout)
    done = set(ledger(root))
    for step in detail["steps"]:
        if step["status"] == "unknown":
            verdict = "succeeded" if step["stepID"] in done else "retry"
            cli(root, "resolve", rid, step["stepID"], "--as", verdict, "--reason", "checked the ledger", check=True)
            tally[verdict] += 1


def trial(number):
    root = tempfile.mkdtemp(prefix="lifeboat-torture-")
    write_documents(root)
    kills, rounds, tally = 0, 0, {"succeeded": 0, "retry": 0}
    status = start_and_kill(root, ["run", "plans/p.yaml", "-s", "crash", "--concurrency", str(BRANCHES)])
    rid = None
    while status != 0:
        if status is None:
            kills += 1
        elif status not in (1, 3):
            raise RuntimeError("trial %d: lifeboat exited %d; see %s/lifeboat.log" % (number, status, root))
        rid = rid or run_id(root)
        if rid is None:  # killed before the run was created: start again
            status = start_and_kill(root, ["run", "plans/p.yaml", "-s", "crash", "--concurrency", str(BRANCHES)])
            continue
        if status is None and run_status(root, rid) == "succeeded":
            break  # killed after the run's last commit, before the process exited
        resolve_unknown(root, rid, tally)
        rounds += 1
        if rounds > args.max_rounds:  # stop killing: let it finish
            status = cli(root, "resume", rid).returncode
            if status == 3:
                resolve_unknown(root, rid, tally)
                status = cli(root, "resume", rid).returncode
            break
        status = start_and_kill(root, ["resume", rid])
    lines = ledger(root)
    expected = set(step_ids())
    integrity = sqlite3.connect(root + "/state.db").execute("PRAGMA integrity_check").fetchone()[0]
    audit = cli(root, "audit", "verify").returncode
    final = run_status(root, rid or run_id(root))
    return {
        "trial": number, "kills": kills, "lost": len(expected - set(lines)), "doubled": len(lines) - len(set(lines)),
        "unknown": tally["succeeded"] + tally["retry"], "resolved_done": tally["succeeded"],
        "resolved_retry": tally["retry"], "integrity": integrity, "audit": "ok" if audit == 0 else "FAILED (%d)" % audit,
        "status": final, "dir": root,
    }


def main():
    print("crash torture: %d trials of %d non-idempotent steps in %d branches, seed %d" %
          (args.trials, BRANCHES * PER_BRANCH, BRANCHES, seed))
    header = "%5s %6s %5s %8s %8s %17s %10s %8s %10s" % (
        "trial", "kills", "lost", "doubled", "unknown", "resolved ok/retry", "integrity", "audit", "run")
    print(header)
    print("-" * len(header))
    results, started = [], time.monotonic()
    for n in range(1, args.trials + 1):
        r = trial(n)
        results.append(r)
        print("%5d %6d %5d %8d %8d %17s %10s %8s %10s" % (
            r["trial"], r["kills"], r["lost"], r["doubled"], r["unknown"],
            "%d/%d" % (r["resolved_done"], r["resolved_retry"]), r["integrity"], r["audit"], r["status"]))
        sys.stdout.flush()
    bad = [r for r in results if r["lost"] or r["doubled"] or r["integrity"] != "ok" or r["audit"] != "ok"
           or r["status"] != "succeeded"]
    print("-" * len(header))
    print("%5s %6d %5d %8d %8d %17s   %d trial(s) failed, %.0f s" % (
        "all", sum(r["kills"] for r in results), sum(r["lost"] for r in results),
        sum(r["doubled"] for r in results), sum(r["unknown"] for r in results),
        "%d/%d" % (sum(r["resolved_done"] for r in results), sum(r["resolved_retry"] for r in results)),
        len(bad), time.monotonic() - started))
    for r in bad:
        print("FAILED trial %d: kept in %s" % (r["trial"], r["dir"]))
    for r in results:
        if r not in bad:
            subprocess.run(["rm", "-rf", r["dir"]])
    sys.exit(1 if bad else 0)


main()
