#!/usr/bin/env python3
"""The memscope command as a user runs it: training killed mid-run and resumed ends with the
same parameters, bit for bit, as an uninterrupted run (memscope train and memscope finetune);
forward prints the PyTorch loss; bad inputs give one-line errors that name the file.

    test-cli.py MEMSCOPE SOURCE_ROOT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

MEMSCOPE, ROOT = sys.argv[1], sys.argv[2]
FIX = os.path.join(ROOT, "tests", "fixtures")
TASKS = os.path.join(ROOT, "data", "tasks")
failures = []


def check(cond, what):
    print(("ok     " if cond else "FAILED ") + what, flush=True)
    if not cond:
        failures.append(what)


def ms(*args, kill=None):
    env = dict(os.environ)
    env.pop("MEMSCOPE_TEST_KILL_AFTER_STEP", None)
    if kill is not None:
        env["MEMSCOPE_TEST_KILL_AFTER_STEP"] = str(kill)
    return subprocess.run([MEMSCOPE] + list(args), env=env, capture_output=True, text=True)


def same_file(a, b):
    with open(a, "rb") as f, open(b, "rb") as g:
        return f.read() == g.read()


tmp = tempfile.mkdtemp(prefix="memscope-cli-")
try:
    model = os.path.join(FIX, "model", "tiny.bin")
    shard = os.path.join(FIX, "model", "tiny-tokens.bin")

    # forward: the loss PyTorch computed for the fixture (tests/fixtures/model/tiny.json).
    want = json.load(open(os.path.join(FIX, "model", "tiny.json")))["loss"]
    p = ms("forward", "--model", model, "--tokens", shard, "-B", "2", "-T", "9")
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    got = float(last.split()[-1]) if last.startswith("loss:") else float("nan")
    check(p.returncode == 0 and abs(got - want) / want < 1e-5,
          "forward prints 'loss: <value>' last, equal to PyTorch's (%s vs %.7f)" % (last, want))

    # train: uninterrupted, then killed after step 5 (state saved every 2) and resumed.
    args = ["train", "--model", model, "--tokens", shard, "-B", "2", "-T", "4", "--steps", "9",
            "--lr", "1e-2", "--weight-decay", "0.1", "--grad-clip", "1.0"]
    a, b = os.path.join(tmp, "a.bin"), os.path.join(tmp, "b.bin")
    p = ms(*args, "--out", a)
    steps = [l for l in p.stdout.splitlines() if l.startswith("step ")]
    check(p.returncode == 0 and len(steps) == 9 and all("loss " in l for l in steps),
          "train prints one line per step with 'step <n>' and 'loss <value>'")
    p = ms(*args, "--out", b, "--save-every", "2", kill=5)
    check(p.returncode == -9, "train killed after step 5")
    p = ms(*args, "--out", b, "--save-every", "2", "--resume")
    check(p.returncode == 0 and "resumed" in p.stderr, "train resumes from the saved state")
    check(same_file(a, b), "the resumed training ends with bitwise the same parameters")
    p = ms("train", "--model", model, "--tokens", shard, "-B", "4", "-T", "9", "--steps", "1")
    check(p.returncode == 1 and "tiny-tokens.bin" in p.stderr and "B·T + 1" in p.stderr,
          "a shard too short for B·T+1 is an error naming it")

    # finetune on the shipped base model: killed and resumed, bit for bit.
    base = os.path.join(ROOT, "data", "base", "model.bin")
    fargs = ["finetune", "--base", base, "--max-train", "12", "--max-heldout", "4", "-B", "4",
             "-T", "128", "--steps", "6", "--save-every", "2", "--mix", "temperature:T=2",
             "--task", "qa=%s/qa.train.jsonl,%s/qa.heldout.jsonl" % (TASKS, TASKS),
             "--task", "sentiment=%s/sentiment.train.jsonl" % TASKS]
    fa, fb = os.path.join(tmp, "fa"), os.path.join(tmp, "fb")
    p = ms(*fargs, "--out-dir", fa)
    check(p.returncode == 0, "finetune runs (%s)" % p.stderr.strip()[-200:])
    rec = json.load(open(os.path.join(fa, "record.json"))) if p.returncode == 0 else {}
    check([t["name"] for t in rec.get("tasks", [])] == ["qa", "sentiment"]
          and all(len(t["train_sha256"]) == 64 for t in rec["tasks"])
          and rec["settings"]["mixer"] == "temperature:T=2",
          "record.json names the tasks, their data hashes and the mixer")
    p = ms(*fargs, "--out-dir", fb, kill=3)
    check(p.returncode == -9, "finetune killed after step 3")
    p = ms(*fargs, "--out-dir", fb, "--resume")
    check(p.returncode == 0, "finetune resumes")
    check(same_file(os.path.join(fa, "model.bin"), os.path.join(fb, "model.bin")),
          "the resumed fine-tune ends with bitwise the same parameters")

    # Bad inputs.
    p = ms("finetune", "--base", base, "--out-dir", os.path.join(tmp, "x"), "--mix",
           "weights:qa=1,nosuch=2", "--task", "qa=%s/qa.train.jsonl" % TASKS)
    check(p.returncode == 1 and "nosuch" in p.stderr, "a mixer weight for an unknown task is an error")
    empty = os.path.join(tmp, "empty.jsonl")
    open(empty, "w").close()
    p = ms("finetune", "--base", base, "--out-dir", os.path.join(tmp, "y"), "--task",
           "qa=" + empty)
    check(p.returncode == 1 and "empty.jsonl" in p.stderr, "an empty task file is named")
    p = ms("finetune", "--base", base, "--out-dir", os.path.join(tmp, "z"), "--tokenizer",
           os.path.join(FIX, "gpt2"), "--task", "qa=%s/qa.train.jsonl" % TASKS)
    check(p.returncode == 1 and "do not belong together" in p.stderr,
          "a tokenizer that does not match the model is refused")
    bad = os.path.join(tmp, "bad.bin")
    with open(bad, "wb") as f:
        f.write(b"\0" * 2048)
    p = ms("forward", "--model", bad, "--tokens", shard, "-B", "2", "-T", "9")
    check(p.returncode == 1 and "bad.bin" in p.stderr and len(p.stderr.strip().splitlines()) <= 2,
          "a corrupt checkpoint gives a one-line error naming it")
    p = ms("study", os.path.join(tmp, "missing.ini"))
    check(p.returncode == 1 and "missing.ini" in p.stderr, "a missing spec is named")
    p = ms("nosuchcommand")
    check(p.returncode == 2, "an unknown command exits 2")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
