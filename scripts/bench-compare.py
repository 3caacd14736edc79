#!/usr/bin/env python3
"""Compare lifeboat binaries, interleaved: per-step CPU time (user+sys from wait4; steadier than wall
time on a shared machine) and wall time of `lifeboat run` over N no-op `wait 0ms` and `command true`
steps, with a one-step run subtracted (startup). Not a test.

Usage: python3 scripts/bench-compare.py BINARY...   (env STEPS=300 ROUNDS=7)
"""
import os, statistics, subprocess, sys, tempfile, time, resource
bins = sys.argv[1:]
steps = int(os.environ.get("STEPS", "300")); rounds = int(os.environ.get("ROUNDS", "7"))
work = tempfile.mkdtemp(prefix="lb-cpu-")
def write(p, t):
    os.makedirs(os.path.dirname(p), exist_ok=True); open(p, "w").write(t)
def chain(n, lines):
    out = ["runbook: bench", "steps:"]
    for i in range(n):
        out.append(f"  - id: s{i}"); out += ["    " + l for l in lines]
        if i: out.append(f"    needs: [s{i-1}]")
    return "\n".join(out) + "\n"
for name, n, lines in (("cmd", steps, ["action: command", "with: {argv: [\"true\"]}"]), ("wait", steps, ["action: wait", "with: {duration: 0ms}"]),
                       ("wait1", 1, ["action: wait", "with: {duration: 0ms}"])):
    write(f"{work}/{name}/plans/p.yaml", f"plan: {name}\nobjectives: {{rto: 1h}}\nscenarios:\n  s:\n    runbook: ../runbooks/r.yaml\n")
    write(f"{work}/{name}/runbooks/r.yaml", chain(n, lines))
def run(binary, name):
    db = f"{work}/{name}.db"
    for s in ("", "-wal", "-shm"):
        if os.path.exists(db + s): os.remove(db + s)
    env = dict(os.environ, LIFEBOAT_DB=db, LIFEBOAT_OPERATOR="bench")
    t = time.perf_counter()
    p = subprocess.Popen([binary, "run", f"{work}/{name}/plans/p.yaml", "-s", "s"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    assert status == 0, status
    return (ru.ru_utime + ru.ru_stime) * 1000, (time.perf_counter() - t) * 1000
S = {}
for r in range(rounds):
    for i, b in enumerate(bins):
        for name in ("wait1", "wait", "cmd"):
            S.setdefault((i, name), []).append(run(b, name))
print(f"steps {steps}, rounds {rounds}; CPU ms per step = (cpu(N steps) - cpu(1 step)) / (N-1), medians; wall likewise")
for i, b in enumerate(bins):
    c1 = statistics.median(c for c, _ in S[(i, "wait1")]); w1 = statistics.median(w for _, w in S[(i, "wait1")])
    out = []
    for name in ("wait", "cmd"):
        c = statistics.median(c for c, _ in S[(i, name)]); w = statistics.median(w for _, w in S[(i, name)])
        out.append(f"{name}: cpu {(c - c1) / (steps - 1):.3f} wall {(w - w1) / (steps - 1):.3f}")
    print(f"  [{i}] {os.path.basename(b)}: startup cpu {c1:.1f} ms; " + "; ".join(out))
