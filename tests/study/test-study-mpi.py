#!/usr/bin/env python3
"""The quick study under mpirun against one process: over 3 ranks, and over 2 with the TCP
transport forced, every score of `memscope results --csv` and every analysis row equal run by
run and sample by sample; a worker killed mid-run ends the job with an error, leaves the store
intact, and the same command then finishes with equal results; a worker that stops answering
is named with its host and run once the timeout passes, and the job resumes the same way.

    test-study-mpi.py MEMSCOPE SOURCE_ROOT MPIRUN
"""
import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

MEMSCOPE, ROOT, MPIRUN = sys.argv[1], sys.argv[2], sys.argv[3]
QUICK = os.path.join(ROOT, "data", "studies", "quick.ini")
IDS = ("generation_id", "sample_id", "run_id", "task_id")
failures = []


def check(cond, what):
    print(("ok     " if cond else "FAILED ") + what, flush=True)
    if not cond:
        failures.append(what)


def study(store, ranks=0, mpi_args=(), env_extra=None):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("MEMSCOPE_TEST_KILL"):
            del env[k]
    env.update(env_extra or {})
    cmd = [MEMSCOPE, "study", QUICK, "--store", store, "--no-report"]
    if ranks:
        cmd = [MPIRUN, "-np", str(ranks), "--oversubscribe", *mpi_args] + cmd
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def results(store):
    """Score columns of every scored generation, keyed by run, task, split, record and probe
    (row ids differ between stores)."""
    out = store + ".csv"
    subprocess.run([MEMSCOPE, "results", "quick", "--store", store, "--csv", out], check=True,
                   capture_output=True)
    with open(out) as f:
        return {(r["run"], r["task"], r["split"], r["record_id"], r["probe"]):
                {c: v for c, v in r.items() if c not in IDS} for r in csv.DictReader(f)}


ANALYSES = {
    "mia": "SELECT r.name, s.record_id, s.split, m.loss, m.min_k, m.zlib_ratio, m.n_tokens "
           "FROM mia m JOIN runs r ON r.id = m.run_id JOIN samples s ON s.id = m.sample_id",
    "sparse": "SELECT r.name, s.record_id, s.split, p.layer, p.active, p.active_at_error, p.l1, "
              "p.rel_error, hex(p.support) FROM sparse p JOIN runs r ON r.id = p.run_id "
              "JOIN samples s ON s.id = p.sample_id",
    "canaries": "SELECT r.name, c.canary, c.nll, c.rank, c.exposure, c.exposure_normal "
                "FROM canaries c JOIN runs r ON r.id = c.run_id",
    "attention": "SELECT r.name, s.record_id, g.probe, a.layer, a.head, a.phase, a.entropy, "
                 "a.max, a.topk, a.gini FROM attention a JOIN generations g ON g.id = "
                 "a.generation_id JOIN runs r ON r.id = g.run_id JOIN samples s ON s.id = "
                 "g.sample_id",
    "attention maps": "SELECT r.name, s.record_id, m.layer, m.head, hex(m.data), m.tokens "
                      "FROM attention_maps m JOIN generations g ON g.id = m.generation_id "
                      "JOIN runs r ON r.id = g.run_id JOIN samples s ON s.id = g.sample_id",
    "curves": "SELECT r.name, c.step, c.kind, c.loss, (SELECT name FROM tasks WHERE id = "
              "c.task_id) FROM curves c JOIN runs r ON r.id = c.run_id",
    # The fine-tuned models bit for bit (a resumed run's train_tokens and final_loss count only
    # its last segment, as in one process: see the kill loop).
    "models": "SELECT name, status, model_sha256 FROM runs",
}


def analyses(store):
    db = sqlite3.connect(store)
    return {k: sorted(db.execute(q).fetchall(), key=repr) for k, q in ANALYSES.items()}


def same_as_reference(store, what):
    got = results(store)
    check(len(got) == len(ref_results) and got.keys() == ref_results.keys(),
          "%s: the same %d scored generations as one process (got %d)"
          % (what, len(ref_results), len(got)))
    differ = [k for k in ref_results if got.get(k) != ref_results[k]]
    check(not differ, "%s: every score column equal, run by run and sample by sample%s"
          % (what, (" (first differing: %s)" % (differ[0],)) if differ else ""))
    mine = analyses(store)
    for k in ANALYSES:
        check(mine[k] == ref_analyses[k] and len(mine[k]) > 0,
              "%s: %s rows equal (%d)" % (what, k, len(mine[k])))


def integrity(store):
    return sqlite3.connect(store).execute("PRAGMA integrity_check").fetchone()[0]


def statuses(store):
    return dict(sqlite3.connect(store).execute("SELECT name, status FROM runs").fetchall())


tmp = tempfile.mkdtemp(prefix="memscope-study-mpi-")
try:
    def store_in(name):
        os.makedirs(os.path.join(tmp, name))
        return os.path.join(tmp, name, "store.sqlite")

    ref = store_in("one")
    p = study(ref)
    check(p.returncode == 0, "one process: the quick study runs to the end (%s)" % p.stderr[-300:])
    ref_results, ref_analyses = results(ref), analyses(ref)

    # 1. Three ranks on two cores: rank 0 coordinates and works, ranks 1 and 2 work.
    three = store_in("three")
    p = study(three, 3)
    check(p.returncode == 0, "mpirun -np 3: the study runs to the end (%s)" % p.stderr[-400:])
    check("4 runs to do over 3 ranks" in p.stderr,
          "the job says how many runs it spreads over how many ranks")
    check("runs " in p.stderr and " done | r" in p.stderr,
          "one progress line for the job: runs done and each busy rank's run")
    for r in (0, 1, 2):
        check("rank %d (" % r in p.stderr, "rank %d reports its host and device" % r)
    same_as_reference(three, "3 ranks")
    db = sqlite3.connect(three)
    missing = db.execute("SELECT count(*) FROM runs WHERE host IS NULL OR device IS NULL "
                         "OR host = '' OR device = ''").fetchone()[0]
    check(missing == 0, "every run records its device and host (%d without)" % missing)

    # 2. The network path: TCP between the ranks, no shared memory.
    tcp = store_in("tcp")
    p = study(tcp, 2, ("--mca", "btl", "tcp,self"))
    check(p.returncode == 0, "mpirun --mca btl tcp,self: the study runs to the end (%s)"
          % p.stderr[-400:])
    same_as_reference(tcp, "2 ranks over TCP")

    # 3. A worker killed at its second training step: mpirun ends the job.
    killed = store_in("killed")
    p = study(killed, 2, env_extra={"MEMSCOPE_TEST_KILL": "*:train:2",
                                    "MEMSCOPE_TEST_KILL_RANK": "1"})
    check(p.returncode != 0, "a killed worker ends the job with a non-zero status (%d)"
          % p.returncode)
    check("rank 1" in p.stderr and ("signal 9" in p.stderr or "Killed" in p.stderr),
          "the error names the rank that died and how")
    check(integrity(killed) == "ok", "the store passes PRAGMA integrity_check after the kill")
    left = [n for n, s in statuses(killed).items() if s != "done"]
    check(len(left) > 0, "the kill left runs to do (%s)" % left)
    p = study(killed, 2)
    check(p.returncode == 0, "the same command resumes the killed job to the end (%s)"
          % p.stderr[-300:])
    same_as_reference(killed, "resumed after a killed worker")

    # 4. A worker that stops answering (frozen): the coordinator names it after the timeout.
    frozen = store_in("frozen")
    p = study(frozen, 2, env_extra={"MEMSCOPE_TEST_KILL": "*:train:2",
                                    "MEMSCOPE_TEST_KILL_RANK": "1",
                                    "MEMSCOPE_TEST_KILL_SIGNAL": "STOP",
                                    "MEMSCOPE_WORKER_TIMEOUT": "10"})
    check(p.returncode != 0, "a frozen worker ends the job with a non-zero status (%d)"
          % p.returncode)
    check("rank 1 (" in p.stderr and "stopped answering during run " in p.stderr,
          "the error names the silent rank, its host and its run (%s)"
          % [l for l in p.stderr.splitlines() if "memscope study:" in l][-1:])
    check(integrity(frozen) == "ok", "the store passes PRAGMA integrity_check after the stop")
    p = study(frozen, 2)
    check(p.returncode == 0, "the same command resumes the frozen job to the end (%s)"
          % p.stderr[-300:])
    same_as_reference(frozen, "resumed after a frozen worker")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
