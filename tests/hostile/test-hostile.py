#!/usr/bin/env python3
"""Hostile inputs that once crashed or misled memscope (issue 11), each run as a user would:
every one must end with exit status 1, a one-line error naming the file or option and the
fault, no signal, and nothing written outside the folders memscope owns.

    test-hostile.py MEMSCOPE SOURCE_ROOT
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

MEMSCOPE, ROOT = sys.argv[1], sys.argv[2]
FIX = os.path.join(ROOT, "tests", "fixtures")
failures = []


def check(cond, what):
    print(("ok     " if cond else "FAILED ") + what, flush=True)
    if not cond:
        failures.append(what)


def ms(*args, cwd=None):
    return subprocess.run([MEMSCOPE] + list(args), capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def refused(p, *needles):
    """Exit 1 (not a signal, not 0) and every needle in stderr's last line."""
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    return p.returncode == 1 and all(n in last for n in needles), last


def expect(p, what, *needles):
    ok, last = refused(p, *needles)
    check(ok, "%s (rc %d: %s)" % (what, p.returncode, last[-160:]))


DEEP = "[" * 100000 + "]" * 100000
tmp = tempfile.mkdtemp(prefix="memscope-hostile-")
try:
    shard = os.path.join(FIX, "model", "tiny-tokens.bin")
    BT = ["-B", "2", "-T", "9"]  # what the fixture shard holds, so only the model can fail
    model = os.path.join(FIX, "model", "tiny.bin")

    # Sizes that wrap the parameter arithmetic (was a wild 512 MB memset / a heap overflow).
    hf = os.path.join(tmp, "hf")
    os.mkdir(hf)
    cfg = {"model_type": "gpt2", "n_layer": 1, "n_head": 1, "n_embd": 2147483584,
           "n_positions": 1024, "vocab_size": 50257, "n_ctx": 1024}
    json.dump(cfg, open(os.path.join(hf, "config.json"), "w"))
    header = json.dumps({"wte.weight": {"dtype": "F32", "shape": [1, 1],
                                        "data_offsets": [0, 4]}}).encode()
    with open(os.path.join(hf, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    expect(ms("forward", "--model", hf, "--tokens", shard, *BT), "config.json with wrapping sizes",
           "config.json")
    for shape, what in (("L=1,NH=1,C=65536,V=1000000000", "padded_vocab_size"),
                        ("L=2000000000,NH=1,C=64,V=100", "num_layers"),
                        ("L=48,NH=16,C=65536,V=50257", "2^31")):
        expect(ms("forward", "--model", "random:" + shape, "--tokens", shard, *BT),
               "random shape %s" % shape, what)
    expect(ms("forward", "--model", model, "--tokens", shard, "-B", "65536", "-T", "65536"),
           "-B 65536 -T 65536 (B·T overflowed int)", "B=65536", "T=65536")

    # JSON nested 100,000 deep (json-glib recursed until the stack overflowed).
    deep_cfg = os.path.join(tmp, "deepcfg")
    os.mkdir(deep_cfg)
    open(os.path.join(deep_cfg, "config.json"), "w").write(DEEP)
    shutil.copy(os.path.join(hf, "model.safetensors"), deep_cfg)
    expect(ms("forward", "--model", deep_cfg, "--tokens", shard, *BT), "config.json nested 1e5 deep",
           "config.json", "nested")
    deep_st = os.path.join(tmp, "deepst")
    os.mkdir(deep_st)
    cfg["n_embd"] = 64
    json.dump(cfg, open(os.path.join(deep_st, "config.json"), "w"))
    with open(os.path.join(deep_st, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(DEEP)) + DEEP.encode())
    expect(ms("forward", "--model", deep_st, "--tokens", shard, *BT),
           "safetensors header nested 1e5 deep", "model.safetensors", "nested")
    tok = os.path.join(tmp, "tok")
    os.mkdir(tok)
    open(os.path.join(tok, "encoder.json"), "w").write(DEEP)
    shutil.copy(os.path.join(ROOT, "data", "tokenizer", "vocab.bpe"), tok)
    p = subprocess.run([MEMSCOPE, "tokenize", "--tokenizer", tok], input="hello",
                       capture_output=True, text=True, timeout=60)
    expect(p, "encoder.json nested 1e5 deep", "encoder.json", "nested")
    jsonl = os.path.join(tmp, "deep.jsonl")
    open(jsonl, "w").write('{"task": "qa", "input": ' + DEEP + ', "output": "x", "id": "a"}\n')
    expect(ms("finetune", "--base", os.path.join(ROOT, "data", "base", "model.bin"),
              "--out-dir", os.path.join(tmp, "ft"), "--task", "qa=" + jsonl),
           "a JSONL line nested 1e5 deep", "deep.jsonl")

    # Study specs: names become folders; settings are checked when the spec is read.
    quick = open(os.path.join(ROOT, "data", "studies", "quick.ini")).read()
    studies = os.path.join(ROOT, "data", "studies")

    def spec(name, text, study_name="quick"):
        path = os.path.join(tmp, name)
        # Relative paths in the spec resolve from its folder: point them at data/.
        text = text.replace("../", os.path.join(ROOT, "data") + "/")
        open(path, "w").write(text.replace("name = quick", "name = " + study_name))
        return path

    work = os.path.join(tmp, "work")
    os.mkdir(work)
    store = os.path.join(work, "s.sqlite")
    p = ms("study", spec("escape.ini", quick, "../../../x"),
           "--store", store, cwd=work)
    expect(p, "a study named ../../../x", "escape.ini", "../../../x")
    check(not os.path.exists(os.path.join(tmp, "x")) and not os.path.exists("/x"),
          "nothing was written outside the work folder")
    p = ms("study", spec("batch.ini", quick.replace("batch = 24", "batch = 2000000000")),
           "--store", store, "--list", cwd=work)
    expect(p, "[probe] batch = 2000000000 refused when the spec is read", "batch.ini",
           "[probe] batch")
    p = ms("study", spec("task.ini", quick.replace("[task:summarization]", "[task:a/b]")),
           "--store", store, "--list", cwd=work)
    expect(p, "a task named a/b", "task.ini", "a/b")

    # study --run base said "all runs done" with three runs pending.
    p = ms("study", spec("only-base.ini", quick), "--store", store, "--run", "base", cwd=work)
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    check(p.returncode == 0 and "1 of 4 runs done" in last and "mix/both/s1" in last
          and "all" not in last, "study --run base names the pending runs (%s)" % last[-120:])

    # An output file in a folder that does not exist: an error, and no folder created.
    out = os.path.join(tmp, "nonexistent", "dir", "x.f32")
    expect(ms("forward", "--model", model, "--tokens", shard, "-B", "2", "-T", "9",
              "--logits", out), "--logits into a missing folder", "does not exist")
    check(not os.path.exists(os.path.join(tmp, "nonexistent")), "--logits created no folder")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
