"""Lifeboat benchmarks. Usage: bench.py LIFEBOAT_BINARY [--steps 500] [--rounds 5]

Every figure is measured in this run, and every goal is checked as a ratio against a baseline
measured in the same run on the same machine:
  1. per-step overhead: a run of N no-op `command` steps (argv `true`) against a minimal durable
     loop in Python that spawns the same process and commits one SQLite transaction per step
     (WAL, synchronous=FULL, like Lifeboat's store), in wall time and in CPU time (user + system,
     the children included). Goal: <= 1.2x in both. Beside them, chaostoolkit (1.19, no durable
     state) runs an experiment of the same N `process` actions. Goal: Lifeboat's run is faster.
     chaostoolkit is installed into .build/bench-venv by pip; without it the row says so.
     Breakdown rows split the run: `wait 0ms` steps against the loop's commits alone, and a
     one-step run (the fixed cost) subtracted to give what one more step costs.
  2. cold start of `lifeboat validate` on the example plan (median of 30). Goal: <= 30 ms. The
     cost of spawning `true` is printed beside it as the floor.
  3. validation of a generated 2,000-step runbook (median of 10). Goal: <= 100 ms.
  4. DAG fan-out: 50 `command` steps of 100 ms (`sleep 0.1`) in 5 parallel branches of 10; the
     run's wall time (from the store: first executor start to the last event) against its critical
     path (the longest chain of recorded step durations). Goal: <= 1.05x.
  5. the sandbox region-failure drill (`lifeboat run plans/sandbox.yaml -s region-failure --drill
     --yes`) against bench/failover-by-hand.sh doing the same steps with psql, dig, nsupdate and curl,
     each on a fresh sandbox, interleaved (median of --drill-rounds, default 3). Goal: Lifeboat no
     slower (<= 1.0x). Skipped with --no-sandbox.
"""
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

binary = os.path.abspath(sys.argv[1])
steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 500
rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
drill_rounds = int(sys.argv[sys.argv.index("--drill-rounds") + 1]) if "--drill-rounds" in sys.argv else 3
with_sandbox = "--no-sandbox" not in sys.argv
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp(prefix="lifeboat-bench-")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def chain_runbook(n, action_lines):
    out = ["runbook: bench", "steps:"]
    for i in range(n):
        out.append(f"  - id: s{i}")
        out += ["    " + line for line in action_lines]
        if i:
            out.append(f"    needs: [s{i-1}]")
    return "\n".join(out) + "\n"


def write_plan(folder, name, runbook):
    """A plan `name` with one scenario `s` running `runbook` (text), in `folder`'s plans/ and runbooks/."""
    write(f"{folder}/plans/p.yaml", f"plan: {name}\nobjectives: {{rto: 1h}}\nscenarios:\n  s:\n    runbook: ../runbooks/r.yaml\n")
    write(f"{folder}/runbooks/r.yaml", runbook)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd, cpu=None, **kw):
    """Wall seconds of `cmd`; with `cpu` (a list), appends its CPU seconds (it and its children)."""
    before = children_cpu()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    wall = time.perf_counter() - start
    if cpu is not None:
        cpu.append(children_cpu() - before)
    return wall


# 1. per-step overhead -------------------------------------------------------------------------
TRUE_COMMAND = ["action: command", "with: {argv: [\"true\"]}"]
write_plan(work, "bench", chain_runbook(steps, TRUE_COMMAND))
env = dict(os.environ, LIFEBOAT_DB=f"{work}/state.db", LIFEBOAT_OPERATOR="bench")
empty_start = timed([binary, "validate", f"{work}/plans/p.yaml"], env=env)


def durable_loop(n, spawn=True, cpu=None):
    path = f"{work}/loop.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, step INTEGER, status TEXT, code INTEGER)")
    before = time.process_time() + children_cpu()
    start = time.perf_counter()
    for i in range(n):
        code = subprocess.run(["true"]).returncode if spawn else 0
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO events (step, status, code) VALUES (?, ?, ?)", (i, "succeeded", code))
        db.execute("COMMIT")
    wall = time.perf_counter() - start
    if cpu is not None:
        cpu.append(time.process_time() + children_cpu() - before)
    return wall


def chaostoolkit():
    """The `chaos` command in .build/bench-venv, installed by pip on first use; None without it."""
    venv = f"{repo}/.build/bench-venv"
    chaos = f"{venv}/bin/chaos"
    if not os.path.exists(chaos):
        try:
            subprocess.run([sys.executable, "-m", "venv", venv], check=True, stdout=subprocess.DEVNULL)
            subprocess.run([f"{venv}/bin/pip", "install", "-q", "chaostoolkit==1.19.0"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        except (subprocess.SubprocessError, OSError) as error:
            print(f"chaostoolkit not installed ({error}); its row is skipped", file=sys.stderr)
            return None
    return chaos


chaos = chaostoolkit()
write(f"{work}/chaos/experiment.json", json.dumps({
    "version": "1.0.0", "title": "bench", "description": f"{steps} no-op process actions",
    "method": [{"type": "action", "name": f"s{i}", "provider": {"type": "process", "path": "true"}}
               for i in range(steps)]}))


# Interleaved rounds, medians: the machine's load drifts, so each ratio compares figures taken
# side by side rather than minutes apart.
write_plan(f"{work}/one", "bench-one", chain_runbook(1, TRUE_COMMAND))
write_plan(f"{work}/noproc", "bench-noproc", chain_runbook(steps, ["action: wait", "with: {duration: 0ms}"]))
samples = {"lifeboat": [], "loop": [], "engine": [], "commit": [], "chaos": [], "one": []}
cpu = {"lifeboat": [], "loop": [], "chaos": [], "one": []}
for round_ in range(rounds):
    for db in ("state.db", "noproc.db", "one.db"):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{work}/{db}{suffix}"):
                os.remove(f"{work}/{db}{suffix}")
    samples["lifeboat"].append(timed([binary, "run", f"{work}/plans/p.yaml", "-s", "s"], cpu=cpu["lifeboat"], env=env))
    samples["loop"].append(durable_loop(steps, cpu=cpu["loop"]))
    if chaos:
        samples["chaos"].append(timed([chaos, "--settings", f"{work}/chaos/settings.yaml", "run", "experiment.json",
                                       "--journal-path", "journal.json"], cpu=cpu["chaos"], cwd=f"{work}/chaos"))
    samples["engine"].append(timed([binary, "run", f"{work}/noproc/plans/p.yaml", "-s", "s"],
                                   env=dict(env, LIFEBOAT_DB=f"{work}/noproc.db")))
    samples["commit"].append(durable_loop(steps, spawn=False))
    samples["one"].append(timed([binary, "run", f"{work}/one/plans/p.yaml", "-s", "s"], cpu=cpu["one"],
                                env=dict(env, LIFEBOAT_DB=f"{work}/one.db")))
lifeboat_total, loop_total, engine_total, commit_total = (
    statistics.median(samples[k]) for k in ("lifeboat", "loop", "engine", "commit"))
lifeboat_per_step = lifeboat_total / steps
loop_per_step = loop_total / steps
lifeboat_cpu, loop_cpu = statistics.median(cpu["lifeboat"]), statistics.median(cpu["loop"])
# A step's own cost: the 500-step run less a one-step run (process start, documents, a new store,
# the run's creation, the summary), per added step. Not the goal's measure, which is whole runs.
one_total, one_cpu = statistics.median(samples["one"]), statistics.median(cpu["one"])
marginal_wall = statistics.median(l - o for l, o in zip(samples["lifeboat"], samples["one"])) / (steps - 1)
marginal_cpu = statistics.median(l - o for l, o in zip(cpu["lifeboat"], cpu["one"])) / (steps - 1)

# 2. cold start --------------------------------------------------------------------------------
plan = f"{repo}/plans/payment-platform.yaml"
cold = statistics.median(timed([binary, "validate", plan]) for _ in range(30))
spawn_floor = statistics.median(timed(["true"]) for _ in range(30))

# 3. 2,000-step validation ---------------------------------------------------------------------
big = f"{work}/big/runbook.yaml"
write(big, chain_runbook(2000, ["action: command", "with: {argv: [echo, \"${run.id}\"]}", "expect: 1s", "timeout: 10s"]))
big_validate = statistics.median(timed([binary, "validate", big]) for _ in range(10))

# 4. DAG fan-out ------------------------------------------------------------------------------
def fanout_runbook(branches, per_branch):
    out = ["runbook: fanout", "steps:"]
    for b in range(branches):
        for i in range(per_branch):
            out.append(f"  - id: b{b}-s{i}")
            out += ["    action: command", "    with: {argv: [sleep, \"0.1\"]}"]
            if i:
                out.append(f"    needs: [b{b}-s{i-1}]")
    return "\n".join(out) + "\n"


write_plan(f"{work}/fanout", "bench-fanout", fanout_runbook(5, 10))
fanout = []
for round_ in range(rounds):
    fenv = dict(env, LIFEBOAT_DB=f"{work}/fanout-{round_}.db")
    subprocess.run([binary, "run", f"{work}/fanout/plans/p.yaml", "-s", "s", "--concurrency", "5"], env=fenv,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = json.loads(subprocess.run([binary, "history", "--json", "--limit", "1"], env=fenv, check=True,
                                        capture_output=True, text=True).stdout)
    detail = json.loads(subprocess.run([binary, "show", history[0]["run"]["id"], "--json"], env=fenv, check=True,
                                       capture_output=True, text=True).stdout)
    m = detail["measurement"]
    fanout.append((m["elapsedMs"], m["criticalPathMs"]))
fan_elapsed = statistics.median(e for e, _ in fanout)
fan_critical = statistics.median(c for _, c in fanout)
fan_ratio = statistics.median(e / c for e, c in fanout)


# 5. sandbox drill against the same failover by hand -----------------------------------------
def sandbox_up():
    subprocess.run([f"{repo}/scripts/sandbox", "up"], check=True, stdout=subprocess.DEVNULL)


drill = {"lifeboat": [], "by hand": []}
if with_sandbox:
    try:
        for round_ in range(drill_rounds):
            sandbox_up()
            time.sleep(1)  # the sample service writes a few rows first, as in scripts/demo
            denv = dict(env, LIFEBOAT_DB=f"{work}/drill-{round_}.db")
            drill["lifeboat"].append(timed([binary, "run", f"{repo}/plans/sandbox.yaml", "-s", "region-failure", "--drill", "--yes"], env=denv))
            sandbox_up()
            time.sleep(1)
            drill["by hand"].append(timed([f"{repo}/bench/failover-by-hand.sh"]))
    finally:
        subprocess.run([f"{repo}/scripts/sandbox", "down"], stdout=subprocess.DEVNULL)

ms = lambda s: f"{s * 1000:.2f} ms"
rows = [
    ("per-step: lifeboat run, %d no-op steps (median of %d)" % (steps, rounds), ms(lifeboat_per_step), ms(lifeboat_total) + " total"),
    ("per-step: durable loop (spawn true + 1 commit)", ms(loop_per_step), ms(loop_total) + " total"),
    ("per-step ratio lifeboat / loop (goal <= 1.2)", f"{lifeboat_per_step / loop_per_step:.2f}x", ""),
    ("per-step CPU: lifeboat / loop (user+sys, children in)", ms(lifeboat_cpu / steps),
     f"loop {ms(loop_cpu / steps)}; ratio {lifeboat_cpu / loop_cpu:.2f}x (goal <= 1.2)"),
    ("chaostoolkit 1.19: %d `process` actions (median of %d)" % (steps, rounds),
     ms(statistics.median(samples["chaos"])) if samples["chaos"] else "skipped",
     (f"lifeboat {ms(lifeboat_total)}; ratio lifeboat / chaostoolkit "
      f"{lifeboat_total / statistics.median(samples['chaos']):.2f}x (goal < 1); CPU "
      f"{ms(statistics.median(cpu['chaos']))}") if samples["chaos"] else "chaostoolkit not installable here"),
    ("  breakdown: lifeboat, %d `wait 0ms` steps (no child)" % steps, ms(engine_total / steps), "engine + store"),
    ("  breakdown: loop, commits only (no child)", ms(commit_total / steps),
     f"ratio {engine_total / commit_total:.2f}x"),
    ("  breakdown: spawn cost, lifeboat vs loop", ms((lifeboat_total - engine_total) / steps),
     f"loop {ms((loop_total - commit_total) / steps)}; ratio {(lifeboat_total - engine_total) / max(loop_total - commit_total, 1e-9):.2f}x"),
    ("  breakdown: lifeboat, a one-step run (fixed cost)", ms(one_total), f"CPU {ms(one_cpu)}"),
    ("  breakdown: lifeboat per added step (run less one-step run)", ms(marginal_wall),
     f"ratio to loop's step {marginal_wall / loop_per_step:.2f}x wall, {marginal_cpu / (loop_cpu / steps):.2f}x CPU (not the goal's measure)"),
    ("cold start: validate example plan (median/30)", ms(cold), "goal <= 30 ms"),
    ("spawn floor: `true` (median/30)", ms(spawn_floor), f"cold start = {cold / spawn_floor:.1f}x floor"),
    ("validate 2,000-step runbook (median/10)", ms(big_validate), "goal <= 100 ms; %.1fx cold start" % (big_validate / cold)),
    ("fan-out: 50 x 100 ms in 5 branches, run wall (median/%d)" % rounds, ms(fan_elapsed / 1000), "critical path " + ms(fan_critical / 1000)),
    ("fan-out ratio wall / critical path (goal <= 1.05)", f"{fan_ratio:.3f}x", "ideal critical path 1000 ms"),
]
if drill["lifeboat"]:
    lb, hand = statistics.median(drill["lifeboat"]), statistics.median(drill["by hand"])
    rows += [
        ("sandbox drill: lifeboat run (median/%d)" % drill_rounds, ms(lb), "whole process, approval --yes"),
        ("sandbox drill: by hand, psql/dig/nsupdate/curl", ms(hand), "bench/failover-by-hand.sh"),
        ("sandbox drill ratio lifeboat / by hand (goal <= 1.0)", f"{lb / hand:.2f}x", ""),
    ]
width = max(len(r[0]) for r in rows)
print(f"{'benchmark':<{width}}  {'figure':>12}  note")
for name, figure, note in rows:
    print(f"{name:<{width}}  {figure:>12}  {note}")
print(f"(work folder: {work}; validate of the {steps}-step bench plan: {ms(empty_start)})")
