#!/usr/bin/env python3
"""The quick study end to end through the memscope command: every run finishes and stores
its probes; a study killed in the middle of training and again in the middle of probing, then
resumed, ends with the same generations and scores as an uninterrupted one, and so does the
study split over two processes sharing the store; bad specs and bad task files give errors that
name the file and what is wrong.

    test-study.py MEMSCOPE SOURCE_ROOT
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

MEMSCOPE, ROOT = sys.argv[1], sys.argv[2]
QUICK = os.path.join(ROOT, "data", "studies", "quick.ini")
failures = []


def check(cond, what):
    print(("ok     " if cond else "FAILED ") + what, flush=True)
    if not cond:
        failures.append(what)


def study(store, spec=QUICK, kill=None):
    env = dict(os.environ)
    env.pop("MEMSCOPE_TEST_KILL", None)
    if kill:
        env["MEMSCOPE_TEST_KILL"] = kill
    return subprocess.run([MEMSCOPE, "study", spec, "--store", store], env=env,
                          capture_output=True, text=True)


def rows(store):
    db = sqlite3.connect(store)
    extra = db.execute("SELECT r.name, s.record_id, m.loss, m.min_k FROM mia m JOIN runs r "
                       "ON r.id = m.run_id JOIN samples s ON s.id = m.sample_id "
                       "ORDER BY r.name, s.id").fetchall()
    extra += db.execute("SELECT r.name, c.canary, c.nll, c.rank FROM canaries c JOIN runs r "
                        "ON r.id = c.run_id ORDER BY r.name, c.canary").fetchall()
    return extra + db.execute(
        "SELECT r.name, s.record_id, s.split, g.probe, g.text, hex(g.tokens), sc.exact, "
        "sc.token_match, sc.lcs_chars, sc.rouge_l, sc.bleu, sc.align_gen_cov, sc.paraphrase, "
        "sc.idea FROM generations g JOIN runs r ON r.id = g.run_id JOIN samples s "
        "ON s.id = g.sample_id JOIN scores sc ON sc.generation_id = g.id "
        "ORDER BY r.name, s.record_id, s.split, g.probe").fetchall()


tmp = tempfile.mkdtemp(prefix="memscope-study-")
try:
    # 1. Uninterrupted.
    a = os.path.join(tmp, "a", "store.sqlite")
    os.makedirs(os.path.dirname(a))
    p = study(a)
    check(p.returncode == 0, "the quick study runs to the end (%s)" % p.stderr[-300:])
    db = sqlite3.connect(a)
    runs = dict(db.execute("SELECT name, status FROM runs").fetchall())
    check(sorted(runs) == ["base", "mix/both/s1", "single/sentiment/s1",
                           "single/summarization/s1"], "four runs: base, two singles, a mixture")
    check(all(s == "done" for s in runs.values()), "every run is done")
    n_gen = db.execute("SELECT count(*) FROM generations").fetchone()[0]
    check(n_gen > 0, "generations are stored (%d)" % n_gen)
    bad = db.execute("SELECT count(*) FROM scores WHERE token_match < 0 OR token_match > 1 "
                     "OR rouge_l < 0 OR rouge_l > 1 OR exact NOT IN (0, 1)").fetchone()[0]
    check(bad == 0, "scores are in range")
    # Sentiment sentences are short: only those with k + n = 32 input tokens are eligible
    # for input extraction, and the store holds exactly those.
    short = db.execute("SELECT count(*) FROM generations g JOIN samples s ON s.id = g.sample_id "
                       "WHERE g.probe = 'input' AND s.input_tokens < 32").fetchone()[0]
    check(short == 0, "no input probe of a sample shorter than k + n")
    curves = db.execute("SELECT count(*) FROM curves").fetchone()[0]
    check(curves > 0, "training curves are stored")
    mia = db.execute("SELECT count(*) FROM mia m JOIN runs r ON r.id = m.run_id "
                     "WHERE r.name = 'base'").fetchone()[0]
    samples = db.execute("SELECT count(*) FROM samples").fetchone()[0]
    check(mia == samples, "membership scores of every sample under the base model (%d of %d)"
          % (mia, samples))
    canaries = dict(db.execute("SELECT r.name, count(*) FROM canaries c JOIN runs r "
                               "ON r.id = c.run_id GROUP BY r.name").fetchall())
    check(canaries == {"base": 4, "single/summarization/s1": 4, "mix/both/s1": 4},
          "canary exposures for the runs trained on the canary task and the base (%s)" % canaries)
    again = study(a)
    check(again.returncode == 0 and "already done" in again.stderr,
          "a second run of the spec skips what is done")

    # 2. Killed during training, then during probing, then resumed.
    b = os.path.join(tmp, "b", "store.sqlite")
    os.makedirs(os.path.dirname(b))
    p = study(b, kill="single/summarization/s1:train:3")
    check(p.returncode == -9, "killed in the middle of training")
    p = study(b, kill="mix/both/s1:probe:20")
    check(p.returncode == -9, "killed in the middle of probing")
    con = sqlite3.connect(b)
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
          "the store is consistent after the kills")
    con.close()
    p = study(b)
    check(p.returncode == 0, "the resumed study finishes (%s)" % p.stderr[-300:])
    check(rows(a) == rows(b), "the resumed study's generations and scores equal the "
                              "uninterrupted one's (%d rows)" % len(rows(a)))

    # 3. Split over two processes on one store at the same time, as on a fleet (each with
    # --run and its own --device): the same results as one process.
    d = os.path.join(tmp, "d", "store.sqlite")
    os.makedirs(os.path.dirname(d))
    env = dict(os.environ)
    env.pop("MEMSCOPE_TEST_KILL", None)
    halves = [["base", "single/summarization/s1"], ["single/sentiment/s1", "mix/both/s1"]]
    procs = [subprocess.Popen([MEMSCOPE, "study", QUICK, "--store", d, "--no-report"]
                              + [a for r in half for a in ("--run", r)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for half in halves]
    errs = [p.communicate()[1] for p in procs]
    both = all(p.returncode == 0 for p in procs)
    check(both, "two processes share one store" + ("" if both else
                                                   ": " + " | ".join(e[-300:] for e in errs)))
    check(rows(a) == rows(d), "cells split over two concurrent processes give the same "
                              "generations and scores as one")

    # 4. Bad input.
    def spec_with(text, name):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    quick = open(QUICK).read().replace("../", os.path.join(ROOT, "data") + "/")
    p = study(os.path.join(tmp, "c.sqlite"),
              spec_with(quick.replace("strategy = proportional",
                                      "strategy = proportional\ntasks = summarization, qa"),
                        "unknown-task.ini"))
    check(p.returncode == 1 and "unknown task 'qa'" in p.stderr and "unknown-task.ini" in p.stderr,
          "a mixture naming an unknown task is an error naming the spec and the task")
    bad_jsonl = os.path.join(tmp, "bad.jsonl")
    with open(bad_jsonl, "w") as f:
        f.write('{"task": "sentiment", "input": "fine", "output": "positive", "id": "1"}\n')
        f.write('{"task": "sentiment", "input": "broken"\n')
    p = study(os.path.join(tmp, "d.sqlite"),
              spec_with(quick.replace(os.path.join(ROOT, "data", "tasks", "sentiment.train.jsonl"),
                                      bad_jsonl), "bad-jsonl.ini"))
    check(p.returncode == 1 and "bad.jsonl:2" in p.stderr,
          "malformed JSONL is an error naming the file and line (%s)" % p.stderr.strip()[-200:])
    p = study(os.path.join(tmp, "e.sqlite"),
              spec_with(quick.replace("sentiment.heldout.jsonl", "missing.jsonl"), "missing.ini"))
    check(p.returncode == 1 and "missing.jsonl" in p.stderr, "a missing task file is named")
    p = study(os.path.join(tmp, "f.sqlite"),
              spec_with(quick.replace("epochs = 3", "epochs = 3\nepohcs = 4"), "typo.ini"))
    check(p.returncode == 1 and "epohcs" in p.stderr, "an unknown key in a spec is an error")
    p = study(os.path.join(tmp, "g.sqlite"),
              spec_with(quick + "\n[mixture:short]\nepochs = 0\n", "zero-epochs.ini"))
    check(p.returncode == 1 and "[mixture:short] epochs" in p.stderr,
          "a mixture's epochs must be positive (%s)" % p.stderr.strip()[-200:])

    # 5. A mixture with its own epochs (to match a single-task run's steps): trained for them.
    h = os.path.join(tmp, "h.sqlite")
    short = spec_with(quick + "\n[mixture:short]\nepochs = 1\n", "short.ini")
    p = subprocess.run([MEMSCOPE, "study", short, "--store", h, "--no-report",
                        "--run", "mix/short/s1"], capture_output=True, text=True)
    check(p.returncode == 0, "a mixture with its own epochs runs"
          + ("" if p.returncode == 0 else ": " + p.stderr[-300:]))
    hyper, tokens = sqlite3.connect(h).execute(
        "SELECT hyper_json, train_tokens FROM runs WHERE name = 'mix/short/s1'").fetchone()
    full = sqlite3.connect(a).execute(
        "SELECT train_tokens FROM runs WHERE name = 'mix/both/s1'").fetchone()[0]
    # Whole batches drawn by the mixer: the token counts are a third up to a batch or so.
    check(json.loads(hyper)["epochs"] == 1 and abs(tokens * 3 / full - 1) < 0.1,
          "it trains 1 epoch: %d tokens against %d for the 3 epochs of [finetune]"
          % (tokens, full))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
