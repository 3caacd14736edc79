#!/usr/bin/env python3
"""Seeds a large Lifeboat store and times the evidence commands on it (see scripts/bench-evidence).

What the seeded data is, honestly: the CLI executes a few real drills of a 20-step runbook
(`command: true` steps) in three scenarios (two succeed, one fails and is aborted). Those runs
are then cloned into --runs runs (default 100,000) by lifeboat-bench-seed, through Lifeboat's
own store code: each clone gets a new run id and is shifted in time (one run every ~10 minutes
over the past two years), is created with `createRun` (pinning the same documents) and recorded
with `append`, so its hash chain, projections and measurement columns are Lifeboat's own. All
clones of a template have the same figures; clones' events are contiguous per run (real stores
interleave concurrent runs).
"""
import os, shutil, sqlite3, statistics, subprocess, sys, tempfile, time

binary = os.path.abspath(sys.argv[1])
seeder = os.path.join(os.path.dirname(binary), "lifeboat-bench-seed")
args = sys.argv[2:]
runs_wanted = int(args[args.index("--runs") + 1]) if "--runs" in args else 100_000
keep = args[args.index("--keep") + 1] if "--keep" in args else None
team_store = "--team-store" in args
steps_per_run = 20
work = keep or tempfile.mkdtemp(prefix="lifeboat-bench-evidence-")
os.makedirs(work, exist_ok=True)
db_path = os.path.join(work, "state.db")
env = dict(os.environ, LIFEBOAT_DB=db_path, LIFEBOAT_OPERATOR="bench")
env.pop("LIFEBOAT_NOW", None)

def write(path, text):
    full = os.path.join(work, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)

def lifeboat(*argv, check=True):
    r = subprocess.run([binary, *argv], cwd=work, env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"lifeboat {' '.join(argv)} exited {r.returncode}: {r.stderr}")
    return r

# 1. A few real runs made with the CLI.
if os.path.exists(db_path):
    os.remove(db_path)
for name in ("state.db-wal", "state.db-shm"):
    if os.path.exists(os.path.join(work, name)):
        os.remove(os.path.join(work, name))
def runbook(last_argv):
    steps = []
    for i in range(steps_per_run):
        needs = f"\n    needs: [s{i-1}]" if i else ""
        argv = last_argv if i == steps_per_run - 1 else '["true"]'
        steps.append(f"  - id: s{i}\n    action: command{needs}\n    with: {{argv: {argv}}}")
    return "runbook: bench\nsteps:\n" + "\n".join(steps) + "\n"
write("runbooks/ok.yaml", runbook('["true"]'))
write("runbooks/fails.yaml", runbook('["false"]'))
write("plans/bench.yaml", """plan: bench-plan
owner: sre
tier: 2
objectives: {rto: 30m, rpo: 5m}
schedule: {tabletop: quarterly, failover: semiannual, full: annual}
scenarios:
  region-failure: {runbook: ../runbooks/ok.yaml}
  database-corruption: {runbook: ../runbooks/ok.yaml}
  flaky: {runbook: ../runbooks/fails.yaml}
""")
print("making template runs with the CLI…", file=sys.stderr)
for scenario in ("region-failure", "region-failure", "database-corruption"):
    lifeboat("run", "plans/bench.yaml", "-s", scenario, "--drill")
r = lifeboat("run", "plans/bench.yaml", "-s", "flaky", "--drill", check=False)
assert r.returncode == 1, r.stderr
failed_id = [l for l in lifeboat("history", "--status", "failed").stdout.splitlines()[1:]][0].split()[0]
lifeboat("abort", failed_id, "--reason", "bench")

# 2. Clone them through Lifeboat's own store code (lifeboat-bench-seed: createRun + append).
print(f"cloning into {runs_wanted} runs ({steps_per_run} steps each) with {seeder}…", file=sys.stderr)
t0 = time.time()
subprocess.run([seeder, db_path, "--runs", str(runs_wanted)], check=True)
con = sqlite3.connect(db_path)
con.execute("ANALYZE")
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("runs", "steps", "events", "documents")}
template_id = con.execute("SELECT id FROM runs WHERE id NOT LIKE 'bench-%' ORDER BY created_at_ms LIMIT 1").fetchone()[0]
con.close()
size = os.path.getsize(db_path)
print(f"seeded in {time.time() - t0:.0f} s: {counts}; store {size / 1e6:.0f} MB = {size / counts['runs'] / 1e3:.1f} kB per run", file=sys.stderr)

# 3. Time the commands (fresh process each time, as a user runs them).
one_run = "bench-0050000" if counts["runs"] > 50_000 else template_id
benchmarks = [
    ("history", ["history"]),
    ("history --json", ["history", "--json"]),
    ("history --plan P --outcome failed --since 90d", ["history", "--plan", "bench-plan", "--outcome", "failed", "--since", "90d"]),
    ("history --summary", ["history", "--summary"]),
    ("history --summary --json --last 20", ["history", "--summary", "--json", "--last", "20"]),
    ("status plans", ["status", "plans"]),
    ("metrics plans", ["metrics", "plans"]),
    ("show RUN --json", ["show", one_run, "--json"]),
    ("report RUN --format html", ["report", one_run, "--format", "html"]),
    ("report RUN --format json", ["report", one_run, "--format", "json"]),
    ("report RUN --format junit", ["report", one_run, "--format", "junit"]),
]
rounds = 7


def time_commands(store_label):
    print(f"\n| command on the {store_label} ({counts['runs']:,} runs, {counts['steps']:,} step rows, "
          f"{counts['events']:,} events) | median | min | max |")
    print("|---|---|---|---|")
    for name, argv in benchmarks:
        lifeboat(*argv)  # warm the page cache
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            lifeboat(*argv)
            times.append((time.perf_counter() - t) * 1000)
        print(f"| `lifeboat {name}` | {statistics.median(times):.1f} ms | {min(times):.1f} ms | {max(times):.1f} ms |",
              flush=True)


time_commands("SQLite store")
print(f"\nstore: {size / 1e6:.0f} MB, {size / counts['runs'] / 1e3:.1f} kB per run (in {work})")

# 4. The same on a team store: a throwaway PostgreSQL 15 on loopback (fsync as initdb leaves it),
# filled by `lifeboat store import` of the SQLite store above (Lifeboat's own import: chain verified
# before and after), then VACUUM ANALYZEd as autovacuum would have done on a live server.
if team_store:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from throwaway_postgres import Postgres
    pg = Postgres(prefix="lifeboat-bench-evidence-pg-")
    try:
        pg.psql("CREATE DATABASE lifeboat")
        env["LIFEBOAT_DB"] = pg.conninfo(database="lifeboat")
        print(f"\nimporting {counts['runs']:,} runs into the team store…", file=sys.stderr)
        t0 = time.time()
        r = subprocess.run([binary, "store", "import", db_path, "--json"], cwd=work, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"store import exited {r.returncode}: {r.stderr}")
        imported = time.time() - t0
        print(f"store import: {r.stdout.strip()} in {imported:.0f} s ({imported / counts['runs'] * 1000:.2f} ms per run)")
        pg.psql("VACUUM ANALYZE")
        bytes_ = int(pg.psql("SELECT pg_database_size('lifeboat')"))
        time_commands("team store (PostgreSQL 15, loopback)")
        print(f"\nteam store: {bytes_ / 1e6:.0f} MB, {bytes_ / counts['runs'] / 1e3:.1f} kB per run")
    finally:
        pg.close()
if not keep:
    shutil.rmtree(work)
