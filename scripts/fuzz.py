#!/usr/bin/env python3
"""Coverage-guided fuzzing of Lifeboat's parsers with libFuzzer (Swift's -sanitize=fuzzer).

Targets (Fuzz/Sources/<Target>, built apart from the product into .build-fuzz, release mode):

  documents  bytes as a plan, as a runbook, as the runbook of a fixed plan, as pinned text, and each
             scenario resolved: no crash, no hang, and every rejection names a real file:line:col
             (the harness traps otherwise, so libFuzzer reports it as a crash)
  dns        bytes to the DNS wire decoder (built once the main package exports LifeboatDNS)

Seeds come from Fuzz/corpus/<target> (committed) plus the working corpus .build-fuzz/corpus/<target>
(grows from run to run, not committed). Inputs that once crashed live in Fuzz/regressions/<target>
and are replayed first; LifeboatCoreTests replays the document ones in `swift test` too.

Usage: scripts/fuzz [documents|dns] [--runs N] [--seconds S] [--seed S]
Prints a table; exits 1 on a crash, hang, out-of-memory or missing location (the input is saved
under .build-fuzz/artifacts/ and its path printed: add it to Fuzz/regressions/<target>/).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

TARGETS = {"documents": "FuzzDocuments", "dns": "FuzzDNS"}

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("target", nargs="?", default="documents", choices=sorted(TARGETS))
parser.add_argument("--runs", type=int, default=20000, help="inputs to execute (default 20000)")
parser.add_argument("--seconds", type=int, default=None, help="stop after this many seconds instead")
parser.add_argument("--seed", type=int, default=None)
parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take before it counts as a hang")
parser.add_argument("--lifeboat", default=".build/debug/lifeboat")
args = parser.parse_args()

product = TARGETS[args.target]
scratch = ".build-fuzz"
os.makedirs(scratch, exist_ok=True)


def fail(message, code=1):
    print("fuzz: " + message, file=sys.stderr)
    sys.exit(code)


if args.target == "dns":
    with open("Package.swift") as f:
        if 'name: "LifeboatDNS", targets' not in f.read():
            fail("the dns target needs the LifeboatDNS library product in Package.swift "
                 "(.library(name: \"LifeboatDNS\", targets: [\"LifeboatDNS\"])); it is not on this branch", 2)

# Build (incremental after the first time; the first build compiles Yams and LifeboatCore instrumented).
build_log = os.path.join(scratch, "build.log")
started = time.monotonic()
with open(build_log, "w") as log:
    build = subprocess.run(
        ["swift", "build", "--package-path", "Fuzz", "--scratch-path", scratch, "-c", "release",
         "--product", product, "-Xswiftc", "-sanitize=fuzzer", "-Xswiftc", "-use-ld=lld"],
        stdout=log, stderr=subprocess.STDOUT)
if build.returncode != 0:
    with open(build_log) as f:
        sys.stderr.write("".join(f.readlines()[-30:]))
    fail("building %s failed (full log: %s)" % (product, build_log))
build_seconds = time.monotonic() - started
binary = os.path.join(scratch, "release", product)

# The harness's scratch folders go under .build-fuzz/tmp, emptied before each run.
tmp = os.path.abspath(os.path.join(scratch, "tmp"))
shutil.rmtree(tmp, ignore_errors=True)
os.makedirs(tmp)
env = dict(os.environ, SWIFT_BACKTRACE="enable=no", TMPDIR=tmp)
if args.target == "documents":
    schema = os.path.join(scratch, "schema.json")
    with open(schema, "w") as f:
        subprocess.run([args.lifeboat, "schema"], stdout=f, check=True)
    env["LIFEBOAT_FUZZ_SCHEMA"] = os.path.abspath(schema)

seeds = os.path.join("Fuzz", "corpus", args.target)
work = os.path.join(scratch, "corpus", args.target)
artifacts = os.path.join(scratch, "artifacts")
regressions = os.path.join("Fuzz", "regressions", args.target)
for folder in (work, artifacts):
    os.makedirs(folder, exist_ok=True)


def count(folder):
    return len(os.listdir(folder)) if os.path.isdir(folder) else 0


# Replay the inputs that once broke something: each must pass now.
replayed = sorted(os.path.join(regressions, n) for n in os.listdir(regressions)
                  if not n.startswith(".")) if os.path.isdir(regressions) else []
replay_result = "none"
if replayed:
    replay = subprocess.run([binary] + replayed, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")
    replay_result = "%d passed" % len(replayed) if replay.returncode == 0 else "FAILED"
    if replay.returncode != 0:
        sys.stderr.write(replay.stdout[-4000:])

flags = ["-timeout=%d" % args.timeout, "-rss_limit_mb=2048", "-print_final_stats=1",
         "-artifact_prefix=" + os.path.join(artifacts, args.target + "-")]
if args.seconds:
    flags += ["-max_total_time=%d" % args.seconds]
else:
    flags += ["-runs=%d" % args.runs]
if args.seed is not None:
    flags += ["-seed=%d" % args.seed]
dictionary = os.path.join("Fuzz", args.target + ".dict")
if os.path.exists(dictionary):
    flags += ["-dict=" + dictionary]

log_path = os.path.join(scratch, args.target + ".log")
corpus_before = count(work)
started = time.monotonic()
with open(log_path, "w") as log:
    run = subprocess.run([binary] + flags + [work, seeds], env=env, stdout=log, stderr=subprocess.STDOUT)
elapsed = time.monotonic() - started
with open(log_path, errors="replace") as f:
    text = f.read()


def last(pattern, default="?"):
    found = re.findall(pattern, text, re.M)
    return found[-1] if found else default


inited = re.search(r"INITED cov: (\d+) ft: (\d+)", text)
final = re.findall(r"^#(\d+)\s+(?:DONE|pulse|NEW|REDUCE|INITED)\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)", text, re.M)
executed = last(r"stat::number_of_executed_units:\s+(\d+)", final[-1][0] if final else "?")
problem = None
for marker, name in (("deadly signal", "crash"), ("ERROR: libFuzzer: timeout", "hang"),
                     ("out-of-memory", "out of memory"), ("ERROR: libFuzzer", "libFuzzer error")):
    if marker in text:
        problem = name
        break
if problem is None and run.returncode != 0:
    problem = "exit %d" % run.returncode
artifact = last(r"Test unit written to (\S+)", None)
reason = last(r"^(?:Fatal error: .*|.*Fatal error: .*)$", None)

rows = [
    ("target", "%s (%s, %s)" % (args.target, product, "built in %.0fs" % build_seconds)),
    ("regressions replayed", "%s from %s" % (replay_result, regressions) if replayed else "none in " + regressions),
    ("inputs executed", executed),
    ("time", "%.1fs" % elapsed),
    ("exec/s", last(r"stat::average_exec_per_sec:\s+(\d+)")),
    ("coverage (edges / features)", "%s / %s at start -> %s / %s at end" % (
        inited.group(1) if inited else "?", inited.group(2) if inited else "?",
        final[-1][1] if final else "?", final[-1][2] if final else "?")),
    ("corpus", "%d seeds in %s + %d -> %d in %s (%s units, %s)" % (
        count(seeds), seeds, corpus_before, count(work), work,
        final[-1][3] if final else "?", final[-1][4] if final else "?")),
    ("new units", last(r"stat::new_units_added:\s+(\d+)")),
    ("slowest input", last(r"stat::slowest_unit_time_sec:\s+(\d+)") + "s"),
    ("peak RSS", last(r"stat::peak_rss_mb:\s+(\d+)") + " MB"),
    ("result", "ok: no crash, no hang, every rejection located" if problem is None and replay_result != "FAILED"
     else "FAILED: %s%s" % (problem or "regression replay", (" — " + reason) if reason else "")),
]
if artifact:
    rows.append(("input saved", artifact + "  (add it to %s/ once fixed)" % regressions))
rows.append(("log", log_path))
width = max(len(r[0]) for r in rows)
for key, value in rows:
    print("%-*s  %s" % (width, key, value))
sys.exit(0 if problem is None and replay_result != "FAILED" else 1)
