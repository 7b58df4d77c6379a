#!/usr/bin/env python3
"""Crash safety at scale: runs a study once without interruption, then again killed with
SIGKILL at random moments (training, probing, analyses, report writing) and resumed after each
kill, until KILLS kills have landed; then lets it finish. Report writing is short, so it is
killed on its own as well: `memscope report` rewriting the finished report, REPORT_KILLS times. After every kill the store must pass
PRAGMA integrity_check, and at the end the store and the report must hold the same results as
the uninterrupted run's (every table, ids mapped to names; timings, paths and dates left out).
Then, on a small tmpfs: the study with a second seed on a full disk, on a read-only store, and
on a foreign SQLite file must each fail with a clear error and lose nothing already stored.

    kill-loop.py MEMSCOPE SPEC.ini [--kills 50] [--report-kills 10] [--seed 1] [--min 0.3] [--max 12.0] [--dir DIR]

Prints each kill's moment and phase, then one line of figures; exit status 1 on any failure.
The quick study with 50 kills takes a few minutes on 2 cores.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("memscope")
ap.add_argument("spec")
ap.add_argument("--kills", type=int, default=50)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--min", type=float, default=0.3, help="shortest time before a kill (s)")
ap.add_argument("--max", type=float, default=12.0, help="longest time before a kill (s)")
ap.add_argument("--report-kills", type=int, default=10,
                help="kills of `memscope report` rewriting the finished study's report")
ap.add_argument("--dir", help="work here (kept) instead of a temporary folder")
args = ap.parse_args()
memscope = os.path.abspath(args.memscope)
spec = os.path.abspath(args.spec)

# Columns whose values say when, where or how fast, not what was measured.
VOLATILE = {"created", "updated", "started", "finished", "train_seconds", "probe_seconds",
            "device", "spec_path"}
# Report keys of the same kind.
VOLATILE_KEYS = VOLATILE | {"generated", "version", "store"}


def start(work):
    err = open(os.path.join(work, "stderr.log"), "w")
    out = open(os.path.join(work, "stdout.log"), "w")
    p = subprocess.Popen([memscope, "study", spec, "--store", "store.sqlite"], cwd=work,
                         stdout=out, stderr=err)
    return p, out, err


def phase(work):
    """What the study was doing, from the last progress line it printed."""
    text = open(os.path.join(work, "stderr.log"), errors="replace").read()
    lines = [l for l in re.split(r"[\r\n]", text) if l.strip()]
    last = lines[-1] if lines else ""
    if re.search(r"all \d+ runs done|report", last):
        return "report"
    if "training" in last or "held-out loss" in last:
        return "training"
    if "probing" in last:
        return "probing"
    if re.search(r"membership|canary|sparse|attention|analyses", last):
        return "analyses"
    if re.match(r"\[\d+/\d+\] [^:]+$", last):
        return "preparing"    # a run's data and model being loaded
    return "starting"


def integrity(store):
    db = sqlite3.connect(store)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def dump(work):
    """Every table's rows, ids replaced by the names they stand for, volatile columns left out,
    the work folder's path replaced, sorted: equal dumps mean equal results."""
    db = sqlite3.connect(os.path.join(work, "store.sqlite"))
    runs = dict(db.execute("SELECT id, name FROM runs"))
    tasks = dict(db.execute("SELECT id, name FROM tasks"))
    samples = {i: (tasks[t], s, r) for i, t, s, r in
               db.execute("SELECT id, task_id, split, record_id FROM samples")}
    gens = {i: (runs[r], samples[s], p) for i, r, s, p in
            db.execute("SELECT id, run_id, sample_id, probe FROM generations")}
    names = {"run_id": runs, "task_id": tasks, "sample_id": samples, "generation_id": gens}
    out = {}
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                               "AND name NOT LIKE 'sqlite_%'"):
        cols = [c[1] for c in db.execute("PRAGMA table_info(%s)" % table)]
        rows = []
        for row in db.execute("SELECT * FROM %s" % table):
            if table == "meta" and row[0] in VOLATILE:
                continue
            r = []
            for c, v in zip(cols, row):
                if c in VOLATILE or (c == "id" and table != "meta"):
                    continue
                if c in names:
                    v = names[c].get(v, v)
                elif c == "study_id":
                    v = None
                elif isinstance(v, str):
                    v = v.replace(work, "WORK")
                    if v[:1] in "{[":       # JSON: timings inside it left out too
                        try:
                            v = json.dumps(strip(json.loads(v)), sort_keys=True)
                        except ValueError:
                            pass
                r.append(repr(v))
            rows.append(tuple(r))
        out[table] = sorted(rows)
    db.close()
    return out


def disk_checks(ref, data_dir, failures):
    """A full disk, a read-only store and a foreign SQLite file: each a clear error (exit
    status 1, no signal, the file named) that loses nothing already stored. Needs a tmpfs
    (root); skipped with a line saying so where none can be mounted."""
    mnt = tempfile.mkdtemp(prefix="memscope-full-")
    store_size = os.path.getsize(os.path.join(ref, "store.sqlite"))
    size_kb = store_size // 1024 + 6 * 1024
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % size_kb, "tmpfs", mnt],
                      capture_output=True).returncode != 0:
        print("disk checks skipped: cannot mount a tmpfs here (not root?)")
        os.rmdir(mnt)
        return 0
    checked, spec2 = 0, None
    try:
        shutil.copy(os.path.join(ref, "store.sqlite"), os.path.join(mnt, "store.sqlite"))
        before = dump(mnt)
        # The same study under another name in the same store: its probes and models must
        # be written where they do not fit.
        text = open(spec).read().replace("../", data_dir + "/")
        text = re.sub(r"(?m)^name *=.*$", "name = full-disk", text)
        spec2 = os.path.join(os.path.dirname(mnt), os.path.basename(mnt) + ".ini")
        open(spec2, "w").write(text)

        def study(*extra):
            return subprocess.run([memscope, "study", spec2, "--store", "store.sqlite",
                                   "--no-report"] + list(extra), cwd=mnt,
                                  capture_output=True, text=True)

        def kept(what):
            after = dump(mnt)
            lost = [t for t in before if not set(before[t]) <= set(after[t])]
            ok = integrity(os.path.join(mnt, "store.sqlite"))
            if lost or ok != "ok":
                failures.append("%s: rows lost in %s, integrity %s" % (what, lost, ok))

        p = study()
        msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
        print("full disk (%d KB tmpfs): exit %d: %s" % (size_kb, p.returncode, msg))
        if p.returncode != 1 or not re.search("No space left|disk is full", p.stderr):
            failures.append("full disk: expected exit 1 and 'No space left', got %d: %s" %
                            (p.returncode, p.stderr[-300:]))
        kept("full disk")
        checked += 1

        subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
        p = study()
        msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
        print("read-only store: exit %d: %s" % (p.returncode, msg))
        if p.returncode != 1 or "store.sqlite" not in p.stderr:
            failures.append("read-only store: expected exit 1 naming the store, got %d: %s" %
                            (p.returncode, p.stderr[-300:]))
        q = subprocess.run([memscope, "results", "--store", "store.sqlite"], cwd=mnt,
                           capture_output=True, text=True)
        if q.returncode != 0:
            failures.append("read-only store: memscope results fails: %s" % q.stderr[-300:])
        subprocess.run(["mount", "-o", "remount,rw", mnt], check=True)
        kept("read-only store")
        checked += 1

        foreign = os.path.join(mnt, "foreign.sqlite")
        db = sqlite3.connect(foreign)
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('mine')")
        db.commit()
        db.close()
        bytes_before = open(foreign, "rb").read()
        p = study("--store", foreign)
        msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
        print("foreign SQLite file: exit %d: %s" % (p.returncode, msg))
        if p.returncode != 1 or "foreign.sqlite" not in p.stderr:
            failures.append("foreign SQLite: expected exit 1 naming the file, got %d: %s" %
                            (p.returncode, p.stderr[-300:]))
        if open(foreign, "rb").read() != bytes_before or os.path.exists(foreign + "-wal"):
            failures.append("foreign SQLite: the file was changed")
        checked += 1
    finally:
        if subprocess.run(["umount", mnt]).returncode != 0:
            subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)
        if spec2 and os.path.exists(spec2):
            os.unlink(spec2)
    return checked


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def report(work):
    d = os.path.join(work, "reports")
    files = sorted(os.path.relpath(os.path.join(r, f), d)
                   for r, _, fs in os.walk(d) for f in fs)
    jsons = {}
    for f in files:
        if f.endswith(".json"):
            text = open(os.path.join(d, f)).read().replace(work, "WORK")
            jsons[f] = strip(json.loads(text))
    return files, jsons


root = args.dir or tempfile.mkdtemp(prefix="memscope-kill-")
failures = []
try:
    ref = os.path.join(root, "uninterrupted")
    shutil.rmtree(ref, ignore_errors=True)
    os.makedirs(ref)
    t0 = time.monotonic()
    p, *logs = start(ref)
    if p.wait() != 0:
        sys.exit("kill-loop: the uninterrupted study failed: see %s/stderr.log" % ref)
    t_ref = time.monotonic() - t0
    print("uninterrupted: %.0f s" % t_ref, flush=True)

    # Cycles of kills on a fresh store, each ending with the study finishing on its own: as
    # many cycles as it takes to land KILLS kills, so the kills fall in every phase however
    # fast the study is; each cycle's results are compared with the uninterrupted run's.
    rng = random.Random(args.seed)
    kills, phases, bad_integrity, restarts, cycles = 0, {}, 0, 0, 0
    (fa, ja), a = report(ref), dump(ref)
    t0 = time.monotonic()
    while kills < args.kills:
        cycles += 1
        killed = os.path.join(root, "killed-%d" % cycles)
        shutil.rmtree(killed, ignore_errors=True)
        os.makedirs(killed)
        while True:
            p, *logs = start(killed)
            restarts += 1
            delay = rng.uniform(args.min, args.max)
            try:
                rc = p.wait(timeout=delay if kills < args.kills else None)
                break                 # the study ended before the kill came
            except subprocess.TimeoutExpired:
                pass
            where = phase(killed)
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            phases[where] = phases.get(where, 0) + 1
            ok = integrity(os.path.join(killed, "store.sqlite"))
            if ok != "ok":
                bad_integrity += 1
                failures.append("integrity_check after kill %d: %s" % (kills, ok))
            print("kill %2d (cycle %d) after %.2f s, %-9s integrity %s" %
                  (kills, cycles, delay, where, ok), flush=True)
        if rc != 0:
            failures.append("cycle %d: the resumed study failed (exit %d): see %s/stderr.log" %
                            (cycles, rc, killed))
        ok = integrity(os.path.join(killed, "store.sqlite"))
        if ok != "ok":
            failures.append("cycle %d: integrity_check at the end: %s" % (cycles, ok))
        b = dump(killed)
        for table in sorted(set(a) | set(b)):
            if a.get(table) != b.get(table):
                failures.append("cycle %d: table %s differs: %d rows uninterrupted, %d killed" %
                                (cycles, table, len(a.get(table, [])), len(b.get(table, []))))
        fb, jb = report(killed)
        if fa != fb:
            failures.append("cycle %d: report files differ: %s" %
                            (cycles, sorted(set(fa) ^ set(fb))))
        for f in sorted(set(ja) & set(jb)):
            if ja[f] != jb[f]:
                failures.append("cycle %d: report %s differs" % (cycles, f))
        print("cycle %d: finished, %s" % (cycles, "equal" if not failures else "FAILED"),
              flush=True)
    # Report writing: `memscope report` killed while it rewrites the last cycle's report; the
    # report must stay whole (each file the old or the new one, both equal to the reference).
    name = re.search(r"(?m)^name *= *(\S+)", open(spec).read()).group(1)
    report_cmd = [memscope, "report", name, "--store", "store.sqlite"]
    t1 = time.monotonic()
    subprocess.run(report_cmd, cwd=ref, capture_output=True, check=True)
    t_report = time.monotonic() - t1
    report_kills = 0
    while report_kills < args.report_kills:
        p = subprocess.Popen(report_cmd, cwd=killed, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        restarts += 1
        delay = rng.uniform(0.05, t_report)
        try:
            p.wait(timeout=delay)
            continue                  # it finished first: not a kill
        except subprocess.TimeoutExpired:
            pass
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        report_kills += 1
        phases["report"] = phases.get("report", 0) + 1
        fb, jb = report(killed)
        whole = all(jb.get(f) == ja[f] for f in ja)
        if not whole:
            failures.append("report kill %d: the report is not whole" % report_kills)
        print("kill %2d (report) after %.2f s, report %s" %
              (kills, delay, "whole" if whole else "BROKEN"), flush=True)
    if subprocess.run(report_cmd, cwd=killed, capture_output=True).returncode != 0:
        failures.append("memscope report fails after the report kills")
    fb, jb = report(killed)
    if fa != fb or ja != jb:
        failures.append("the report after the report kills differs: %s" %
                        sorted(set(fa) ^ set(fb)))
    t_killed = time.monotonic() - t0
    n_rows = sum(len(v) for v in a.values())

    data_dir = os.path.dirname(os.path.dirname(spec))
    n_disk = disk_checks(ref, data_dir, failures)

    print("kill-loop: %d kills (%s) in %d cycles, %d restarts, integrity_check ok after %d of "
          "%d study kills; %d rows in %d tables and %d report files %s the uninterrupted run's; "
          "%.0f s uninterrupted, %.0f s killed and resumed; %d of 3 disk checks run" %
          (kills, ", ".join("%s %d" % kv for kv in sorted(phases.items())), cycles, restarts,
           kills - report_kills - bad_integrity, kills - report_kills, n_rows, len(a), len(fa),
           "equal to" if not any("differ" in f for f in failures) else "NOT equal to",
           t_ref, t_killed, n_disk))
finally:
    if not args.dir:
        shutil.rmtree(root, ignore_errors=True)

for f in failures:
    print("FAILED " + f)
sys.exit(1 if failures else 0)
