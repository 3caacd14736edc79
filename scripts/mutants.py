#!/usr/bin/env python3
"""Mutation tests (issue 17): each kept mutant is a small realistic bug that a named test must catch.

A mutant is a unified diff in Tests/Mutants/NNN-name.patch, after header lines:

    # reason: <the rule it breaks and why it would hurt>
    # caught-by: <swift test --filter regex>
    # short: yes            (only for the members of the short form)

For each mutant this script, in ONE persistent scratch copy of the tracked files
(.build-mutants-tree/, its own git repository and its own .build, so rebuilds are incremental):
applies the patch (`patch -p1 --fuzz=0`), rebuilds (`swift build --build-tests`), runs its filter
(`swift test --skip-build --no-parallel --filter`), expects a failure, reverts (`patch -R`) and
checks the copy is clean again. It first builds the unmutated code and runs the union of the
filters on it: a suite that already fails would "catch" every mutant, so that is refused.

With --in-place the mutants are applied to the repository's own files and built in its own .build
instead, which saves the copy's first build (minutes from scratch). It is for a clone that nothing
else uses (CI: .ci/run asks for it): it refuses a work tree with changes to tracked files, puts each
file back after its mutant, and rebuilds the unmutated code at the end so .build/debug/lifeboat is
not left mutated.

Results: caught | SURVIVED (no test failed: add a test, or remove dead code) | STALE (the patch no
longer applies with fuzz 0: regenerate it) | NOT COMPILING (a mutant must compile) | NO TESTS (the
filter matches no test) | BAD HEADER | REVERT FAILED. Exit 0 when every mutant is caught, 1
otherwise, 2 when the unmutated code does not build or fails its filters (or on bad usage).

Usage:
  scripts/mutants                  every mutant (the full form)
  scripts/mutants --short          the short form (the mutants marked `# short: yes`)
  scripts/mutants --short --in-place   as CI runs it, in its own clone (see above)
  scripts/mutants --only 003,017   some mutants, by number or name (repeatable)
  scripts/mutants --list           list the mutants: number, short, filter, reason
  scripts/mutants --sync           only refresh the scratch copy (to write a new mutant in it)
  scripts/mutants --save NNN-name  write the scratch copy's `git diff` as Tests/Mutants/NNN-name.patch
                                   (keeping that file's header if it exists) and reset the copy

Writing or regenerating a mutant:
  scripts/mutants --sync
  $EDITOR .build-mutants-tree/Sources/...      # make the bug on the current code
  scripts/mutants --save 077-short-name        # a stale mutant's file keeps its header; a new one gets TODO lines to fill
  scripts/mutants --only 077
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MUTANTS_DIR = os.path.join(ROOT, "Tests", "Mutants")
NAME_RE = re.compile(r"^(\d{3})-([a-z0-9][a-z0-9-]*)\.patch$")
HEADER_KEYS = {"reason", "caught-by", "short"}
# What the scratch copy's git must never track (its build, logs, resolved packages).
TREE_EXCLUDES = ["/.build/", "/.logs/", "/Package.resolved", "/.swiftpm/", "*.orig", "*.rej"]


def die(message, code=2):
    print("mutants: " + message, file=sys.stderr)
    sys.exit(code)


# MARK: - Mutants


class Mutant:
    def __init__(self, path):
        self.path = path
        self.file = os.path.basename(path)
        m = NAME_RE.match(self.file)
        self.number = m.group(1) if m else "???"
        self.name = self.file[: -len(".patch")]
        self.problems = []
        self.header = []
        self.fields = {}
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines(keepends=True)
        body_at = 0
        for i, line in enumerate(lines):
            if not line.startswith("#"):
                body_at = i
                break
            self.header.append(line)
            hm = re.match(r"^#\s*([a-z-]+):\s*(.*?)\s*$", line)
            if hm and hm.group(1) in HEADER_KEYS:
                self.fields[hm.group(1)] = hm.group(2)
        else:
            body_at = len(lines)
        self.diff = "".join(lines[body_at:])
        self.reason = self.fields.get("reason", "")
        self.filter = self.fields.get("caught-by", "")
        self.short = self.fields.get("short", "").lower() == "yes"
        if not m:
            self.problems.append("the file name is not NNN-name.patch (three digits, lower-case words)")
        for key in ("reason", "caught-by"):
            value = self.fields.get(key, "")
            if not value or value.upper().startswith("TODO"):
                self.problems.append("the header's '# %s:' line is missing or still TODO" % key)
        if self.filter:
            try:
                re.compile(self.filter)
            except re.error as e:
                self.problems.append("'# caught-by:' is not a regular expression: %s" % e)
        self.files = sorted({p for p in re.findall(r"^(?:\+\+\+|---) [ab]/(\S+)", self.diff, re.M)})
        if not self.files:
            self.problems.append("no unified diff after the header (--- a/PATH, +++ b/PATH)")


def load_mutants():
    if not os.path.isdir(MUTANTS_DIR):
        return []
    return [Mutant(os.path.join(MUTANTS_DIR, f)) for f in sorted(os.listdir(MUTANTS_DIR)) if f.endswith(".patch")]


def select(mutants, args):
    chosen = mutants
    if args.short:
        chosen = [m for m in chosen if m.short]
    if args.only:
        wanted = [w.strip() for arg in args.only for w in arg.split(",") if w.strip()]
        picked = []
        for w in wanted:
            hits = [m for m in mutants if w in (m.number, m.name, m.file) or m.name.startswith(w + "-")]
            if not hits:
                die("no mutant '%s' in Tests/Mutants (see --list)" % w)
            picked += [h for h in hits if h not in picked]
        chosen = [m for m in chosen if m in picked] if args.short else picked
    return chosen


# MARK: - The scratch copy


def run(cmd, cwd, log=None, timeout=None, env=None):
    """Runs cmd; returns (exit status, seconds, timed_out). Output goes to `log` (a path) or is captured."""
    start = time.monotonic()
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        if log:
            out.write(("\n$ " + " ".join(cmd) + "\n").encode())
            out.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            status = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
            status = proc.wait()
        except BaseException:
            kill_group(proc)
            proc.wait()
            raise
    finally:
        if log:
            out.close()
    return status, time.monotonic() - start, timed_out


def kill_group(proc):
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def git(tree, *args, check=True):
    result = subprocess.run(["git", "-C", tree] + list(args), capture_output=True, text=True)
    if check and result.returncode != 0:
        die("git %s in %s failed: %s" % (" ".join(args), tree, result.stderr.strip()))
    return result.stdout


def tree_git(tree, *args, check=True):
    return git(tree, "-c", "user.name=lifeboat-mutants", "-c", "user.email=mutants@localhost",
               "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args, check=check)


def sync_tree(tree):
    """Makes the scratch copy hold exactly the repository's tracked files (as in its work tree),
    committed in the copy's own git repository. Unchanged files are not touched, so the next build
    is incremental; a copy left mutated by an interrupted run is repaired here."""
    listed = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], capture_output=True, check=True).stdout
    files = [f for f in listed.decode().split("\0") if f]
    marker = os.path.join(tree, ".git", "lifeboat-mutants")
    if os.path.isdir(os.path.join(tree, ".git")):
        if not os.path.exists(marker):
            die("%s is a git repository that scripts/mutants did not make: choose another --tree" % tree)
    else:
        if os.path.isdir(tree) and os.listdir(tree):
            die("%s exists and is not a scratch copy made by scripts/mutants: choose another --tree" % tree)
        os.makedirs(tree, exist_ok=True)
        git(tree, "init", "-q")
        open(marker, "w").close()
    with open(os.path.join(tree, ".git", "info", "exclude"), "w") as f:
        f.write("\n".join(TREE_EXCLUDES) + "\n")
    # Put back whatever a mutant or an edit left in the copy, then copy what differs.
    tree_git(tree, "checkout", "-q", "--", ".", check=False)
    tree_git(tree, "clean", "-fdq")
    present = set()
    copied = 0
    for rel in files:
        src = os.path.join(ROOT, rel)
        if not os.path.lexists(src):
            continue  # deleted in the work tree, not yet in the index
        present.add(rel)
        dst = os.path.join(tree, rel)
        if os.path.islink(src):
            target = os.readlink(src)
            if not (os.path.islink(dst) and os.readlink(dst) == target):
                if os.path.lexists(dst):
                    os.remove(dst)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.symlink(target, dst)
                copied += 1
            continue
        if os.path.isfile(dst) and not os.path.islink(dst) and same_bytes(src, dst):
            if os.stat(src).st_mode & 0o111 != os.stat(dst).st_mode & 0o111:
                shutil.copymode(src, dst)
            continue
        if os.path.lexists(dst) and (os.path.islink(dst) or not os.path.isfile(dst)):
            shutil.rmtree(dst) if os.path.isdir(dst) and not os.path.islink(dst) else os.remove(dst)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)  # a fresh mtime: the build sees the change
        shutil.copymode(src, dst)
        copied += 1
    tracked = [f for f in tree_git(tree, "ls-files", "-z").split("\0") if f]
    for rel in tracked:
        if rel not in present:
            path = os.path.join(tree, rel)
            if os.path.lexists(path):
                os.remove(path)
            copied += 1
    tree_git(tree, "add", "-A")
    if tree_git(tree, "status", "--porcelain"):
        head = git(ROOT, "rev-parse", "--short", "HEAD", check=False).strip() or "?"
        tree_git(tree, "commit", "-q", "-m", "pristine: %s + work tree" % head)
    return copied


def shown(path):
    """A path inside the repository relative to it, any other absolute."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def same_bytes(a, b):
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def tree_is_clean(tree):
    if tree == ROOT:  # --in-place: only tracked files are ever mutated; the build and logs are untracked
        return git(ROOT, "status", "--porcelain", "--untracked-files=no") == ""
    return tree_git(tree, "status", "--porcelain", "--untracked-files=all") == ""


def reset_tree(tree):
    if tree == ROOT:  # --in-place: it was clean when the run began, so every change is a mutant's
        git(ROOT, "checkout", "-q", "--", ".", check=False)
        return
    tree_git(tree, "checkout", "-q", "--", ".", check=False)
    tree_git(tree, "clean", "-fdq")


def patch(tree, mutant, reverse=False, dry_run=False, log=None):
    cmd = ["patch", "-p1", "--fuzz=0", "--batch", "--no-backup-if-mismatch", "--reject-file=-", "--quiet"]
    cmd += ["--reverse"] if reverse else ["--forward"]
    if dry_run:
        cmd.append("--dry-run")
    result = subprocess.run(cmd, cwd=tree, input=mutant.diff, capture_output=True, text=True)
    if log:
        with open(log, "a") as f:
            f.write("$ %s < %s\n%s%s" % (" ".join(cmd), mutant.file, result.stdout, result.stderr))
    return result.returncode == 0, (result.stdout + result.stderr).strip()


# MARK: - Swift


class Swift:
    def __init__(self, tree, jobs):
        self.tree = tree
        self.scratch = os.path.join(tree, ".build")
        self.jobs = jobs
        self.env = dict(os.environ)
        # The CLI tests must run the binary built from the mutated copy, never another one.
        self.env.pop("LIFEBOAT_BIN", None)

    def build(self, log):
        cmd = ["swift", "build", "--build-tests", "--scratch-path", self.scratch]
        if self.jobs:
            cmd += ["-j", str(self.jobs)]
        return run(cmd, self.tree, log=log, env=self.env)

    def test(self, filters, log, timeout):
        cmd = ["swift", "test", "--skip-build", "--no-parallel", "--scratch-path", self.scratch]
        for f in filters:
            cmd += ["--filter", f]
        # One malloc arena, as in scripts/test: Process.run() can over-read into a thread arena's unmapped page.
        return run(cmd, self.tree, log=log, timeout=timeout, env=dict(self.env, MALLOC_ARENA_MAX="1"))

    def list_tests(self, log):
        cmd = ["swift", "test", "list", "--skip-build", "--scratch-path", self.scratch]
        result = subprocess.run(cmd, cwd=self.tree, capture_output=True, text=True, env=self.env)
        with open(log, "a") as f:
            f.write("$ %s\n%s%s" % (" ".join(cmd), result.stdout, result.stderr))
        if result.returncode != 0:
            return None
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def failing_tests(log, limit=12):
    """The failed tests a `swift test` log names (Swift Testing and XCTest), for messages."""
    found = []
    try:
        with open(log, errors="replace") as f:
            for line in f:
                m = re.search(r"✘ Test (\S+?\(\)|\"[^\"]*\"|\S+) (?:failed|recorded an issue)", line) or re.search(
                    r"Test Case '([^']+)' failed", line)
                if m and m.group(1) not in found:
                    found.append(m.group(1))
    except OSError:
        pass
    return found[:limit]


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


# MARK: - Output


def fmt_seconds(s):
    return "%d" % round(s)


def print_table(results):
    headers = ("mutant", "caught by", "result", "s")
    rows = [(r["mutant"], r["filter"] or "-", r["result"], fmt_seconds(r["seconds"])) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join("%-*s" % (widths[i], h) if i < 3 else "%*s" % (widths[i], h) for i, h in enumerate(headers))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join("%-*s" % (widths[i], c) if i < 3 else "%*s" % (widths[i], c) for i, c in enumerate(row)))


def list_mutants(mutants):
    for m in mutants:
        print("%s  %-5s %s" % (m.name, "short" if m.short else "", m.filter or "(no filter)"))
        print("      %s" % (m.reason or "(no reason)"))
        for p in m.problems:
            print("      problem: %s" % p)
    print("%d mutants, %d in the short form" % (len(mutants), sum(m.short for m in mutants)))


# MARK: - Commands


def save(tree, name, args):
    if not NAME_RE.match(name + ".patch"):
        die("--save wants NNN-name (three digits, lower-case words), not '%s'" % name)
    if not os.path.isdir(os.path.join(tree, ".git")):
        die("no scratch copy at %s: run scripts/mutants --sync first, then edit in it" % tree)
    diff = tree_git(tree, "diff", "--no-color", "--no-ext-diff")
    if not diff.strip():
        die("the scratch copy %s has no change to save: make the bug in it first" % tree)
    target = os.path.join(MUTANTS_DIR, name + ".patch")
    existing = [m for m in load_mutants() if m.number == name[:3]]
    if os.path.exists(target):
        header = "".join(Mutant(target).header)
    elif existing:
        die("mutant number %s is taken by %s" % (name[:3], existing[0].file))
    else:
        header = "# reason: TODO the rule this breaks and why it would hurt\n# caught-by: TODO a swift test --filter regex\n"
    os.makedirs(MUTANTS_DIR, exist_ok=True)
    with open(target, "w") as f:
        f.write(header + diff)
    reset_tree(tree)
    print("wrote %s (%s); the scratch copy is clean again" % (os.path.relpath(target, ROOT), ", ".join(Mutant(target).files)))
    if "TODO" in header:
        print("fill in its '# reason:' and '# caught-by:' lines, then: scripts/mutants --only %s" % name[:3])


def check(mutants, args, tree):
    started = time.monotonic()
    swift = Swift(tree, args.jobs)
    results = []

    def record(m, result, seconds, note=""):
        results.append({"mutant": m.name, "filter": m.filter, "result": result, "seconds": seconds,
                        "reason": m.reason, "note": note})

    in_place = tree == ROOT
    print("== mutants: %d of %d%s; %s" % (
        len(mutants), len(load_mutants()), " (short form)" if args.short else "",
        "in place, in the repository and its .build" if in_place else "scratch copy " + shown(tree)))
    if in_place:
        logs = os.path.join(swift.scratch, "mutants-logs")
    else:
        copied = sync_tree(tree)
        print("   synced the scratch copy from the tracked files (%d changed)" % copied)
        logs = os.path.join(tree, ".logs")  # made after the sync: a new copy must start out empty
    os.makedirs(logs, exist_ok=True)
    for old in os.listdir(logs):
        os.remove(os.path.join(logs, old))

    runnable = [m for m in mutants if not m.problems]
    # Precondition: the unmutated code builds and passes the filters.
    log = os.path.join(logs, "000-pristine.log")
    status, seconds, _ = swift.build(log)
    print("   built the unmutated code in %s s" % fmt_seconds(seconds))
    if status != 0:
        print(tail(log), file=sys.stderr)
        die("the unmutated code does not build (log: %s); fix the build before running mutants" % log)
    tests = swift.list_tests(log)
    if tests is None:
        die("`swift test list` failed in the unmutated code (log: %s)" % log)
    matched = {m.name: sum(1 for t in tests if re.search(m.filter, t)) for m in runnable}
    filters = sorted({m.filter for m in runnable if matched[m.name]})
    if filters and not args.skip_baseline:
        status, seconds, timed_out = swift.test(filters, log, args.timeout * 3)
        print("   ran the union of the filters (%d) on the unmutated code in %s s: %s" % (
            len(filters), fmt_seconds(seconds), "timed out" if timed_out else "failed" if status else "passed"))
        if status != 0 or timed_out:
            failed = failing_tests(log)
            die("the unmutated code fails its filters%s (log: %s).\n"
                "A failing test would 'catch' every mutant: fix the suite (or the filter) first." % (
                    ": " + ", ".join(failed) if failed else "", log))

    for i, m in enumerate(mutants, 1):
        prefix = "[%d/%d] %s" % (i, len(mutants), m.name)
        if m.problems:
            record(m, "BAD HEADER", 0, "; ".join(m.problems))
            print("%s: BAD HEADER: %s" % (prefix, "; ".join(m.problems)))
            continue
        if not matched[m.name]:
            record(m, "NO TESTS", 0, "the filter '%s' matches no test" % m.filter)
            print("%s: NO TESTS: the filter '%s' matches no test (swift test list)" % (prefix, m.filter))
            continue
        log = os.path.join(logs, m.name + ".log")
        t0 = time.monotonic()
        if not tree_is_clean(tree):
            reset_tree(tree)
        ok, message = patch(tree, m, dry_run=True, log=log)
        if not ok:
            note = ("%s does not apply with fuzz 0 to the current code: regenerate it "
                    "(scripts/mutants --sync; make the bug again in %s; scripts/mutants --save %s)" % (
                        os.path.relpath(m.path, ROOT), shown(tree), m.name))
            record(m, "STALE", time.monotonic() - t0, note)
            print("%s: STALE: %s" % (prefix, note))
            continue
        patch(tree, m, log=log)
        print("%s: building…" % prefix, end="", flush=True)
        try:
            status, build_s, _ = swift.build(log)
            if status != 0:
                result, note = "NOT COMPILING", "the mutated copy does not build: a mutant must compile (log: %s)" % log
            else:
                print(" testing…", end="", flush=True)
                status, test_s, timed_out = swift.test([m.filter], log, args.timeout)
                if timed_out:
                    result, note = "caught (timeout)", "the filter did not finish in %d s" % args.timeout
                elif status != 0:
                    failed = failing_tests(log)
                    result, note = "caught", ", ".join(failed[:3])
                else:
                    result, note = "SURVIVED", "no test of '%s' failed: add a test that catches it, or remove the code if it is dead (log: %s)" % (m.filter, log)
        finally:
            reverted, message = patch(tree, m, reverse=True, log=log)
            if not reverted or not tree_is_clean(tree):
                reset_tree(tree)
                reverted = False
        if not reverted:
            result, note = "REVERT FAILED", "patch -R left the copy different from the pristine one (restored from its git): %s" % message
        seconds = time.monotonic() - t0
        record(m, result, seconds, note)
        print(" %s (%s s)%s" % (result, fmt_seconds(seconds), ": " + note if note and result != "caught" else ""), flush=True)

    if in_place:
        status, seconds, _ = swift.build(os.path.join(logs, "999-unmutated.log"))
        print("   rebuilt the unmutated code in %s s%s" % (
            fmt_seconds(seconds), "" if status == 0 else ": FAILED, run `swift build --build-tests` before using .build"))

    total = time.monotonic() - started
    caught = sum(1 for r in results if r["result"].startswith("caught"))
    print()
    print_table(results)
    print()
    print("%d/%d caught in %s s" % (caught, len(results), fmt_seconds(total)))
    bad = [r for r in results if not r["result"].startswith("caught")]
    for r in bad:
        print("  %s %s: %s" % (r["result"], r["mutant"], r["note"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"caught": caught, "total": len(results), "seconds": round(total, 1), "mutants": results}, f, indent=2)
    return 1 if bad else 0


def interrupt(signum, frame):
    """A TERM (a CI timeout, kill) puts the files back as Ctrl-C does."""
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(
        prog="scripts/mutants", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="only the short form (mutants marked '# short: yes')")
    parser.add_argument("--only", action="append", default=[], metavar="NNN[,NNN…]", help="only these mutants (number or name)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--sync", action="store_true", help="only refresh the scratch copy from the tracked files")
    parser.add_argument("--save", metavar="NNN-name", help="save the scratch copy's diff as a mutant and reset the copy")
    parser.add_argument("--in-place", action="store_true",
                        help="apply the mutants to this clone's own files and build in its .build (CI; see above)")
    parser.add_argument("--tree", default=os.environ.get("LIFEBOAT_MUTANTS_TREE", os.path.join(ROOT, ".build-mutants-tree")),
                        help="the scratch copy (default .build-mutants-tree, or $LIFEBOAT_MUTANTS_TREE)")
    parser.add_argument("--jobs", "-j", type=int, default=int(os.environ.get("MUTANTS_JOBS", "0")) or None,
                        help="swift build -j (default: swift's; or $MUTANTS_JOBS)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a mutant's filter may run (a hang counts as caught)")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not run the filters on the unmutated code first (only when iterating on one mutant)")
    args = parser.parse_args()
    tree = os.path.abspath(args.tree)
    if os.path.commonpath([tree, ROOT]) == tree:
        die("--tree must not contain the repository")
    if args.in_place:
        if args.sync or args.save:
            die("--sync and --save work on the scratch copy, not with --in-place")
        # Checked before anything can be interrupted: an interrupt resets every tracked file.
        if not tree_is_clean(ROOT):
            die("--in-place applies the mutants to this work tree: commit or stash the changes to tracked files first")
        tree = ROOT
    signal.signal(signal.SIGTERM, interrupt)

    if args.save:
        save(tree, args.save, args)
        return 0
    if args.sync:
        copied = sync_tree(tree)
        print("the scratch copy %s holds the tracked files (%d changed); edit in it, then scripts/mutants --save NNN-name" % (
            tree, copied))
        return 0
    mutants = load_mutants()
    if not mutants:
        die("no mutants in %s" % os.path.relpath(MUTANTS_DIR, ROOT))
    chosen = select(mutants, args)
    if args.list:
        list_mutants(chosen)
        return 0
    if not chosen:
        die("no mutant selected")
    for tool in ("swift", "patch", "git"):
        if shutil.which(tool) is None:
            die("%s is not on PATH" % tool)
    try:
        return check(chosen, args, tree)
    except KeyboardInterrupt:
        reset_tree(tree)
        if tree == ROOT:
            print("\nmutants: interrupted; the work tree was reset, and .build may hold a mutated build:"
                  " run `swift build --build-tests` before using it", file=sys.stderr)
        else:
            print("\nmutants: interrupted; the scratch copy was reset", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
