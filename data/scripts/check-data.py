#!/usr/bin/python3
"""Check memscope's committed task data and the pretraining corpus.

  1. every task file: valid records {task, input, output, id} in that key order,
     ids unique, counts within the caps, sizes and sha256 as in MANIFEST.json;
  2. train and held-out of a task share no input, input line or output of
     >= 40 characters (normalised), and the Debian-based tasks (summarization,
     topic, translation) share no input text and no package;
  3. no task input or output of >= 40 characters occurs in the corpus, found
     with GNU grep -F (Aho-Corasick; independent of build-corpus.py's filter),
     both case-sensitively and case-insensitively, as a whole text and line by line.

Exits non-zero on any failure.  usage: check-data.py [--tasks DIR] [--corpus DIR]
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep data/scripts free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memdata as md  # noqa: E402

CAP = {"train": 2000, "heldout": 500}
KEY_MIN = 40
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def check_tasks(tasks_dir):
    mpath = os.path.join(tasks_dir, "MANIFEST.json")
    manifest = {f["file"]: f for f in json.load(open(mpath, encoding="utf-8"))["files"]} \
        if os.path.exists(mpath) else {}
    if not manifest:
        fail("%s missing or empty" % mpath)
    data, ids = {}, set()
    for task in md.TASKS:
        for split in ("train", "heldout"):
            name = "%s.%s.jsonl" % (task, split)
            path = os.path.join(tasks_dir, name)
            if not os.path.exists(path):
                fail("%s: missing" % path)
                continue
            raw = open(path, "rb").read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                fail("%s: not UTF-8: %s" % (path, e))
                continue
            recs = []
            for n, line in enumerate(text.split("\n")[:-1], 1):
                try:
                    r = json.loads(line, object_pairs_hook=lambda kv: kv)
                except ValueError as e:
                    fail("%s:%d: not JSON: %s" % (path, n, e))
                    continue
                keys = [k for k, _ in r]
                r = dict(r)
                if keys != ["task", "input", "output", "id"]:
                    fail("%s:%d: keys %s, expected task,input,output,id" % (path, n, keys))
                elif not all(isinstance(r[k], str) and r[k] for k in keys):
                    fail("%s:%d: empty or non-string field" % (path, n))
                elif r["task"] != task or not r["id"].startswith(task + "/"):
                    fail("%s:%d: task %r id %r" % (path, n, r["task"], r["id"]))
                elif r["id"] in ids:
                    fail("%s:%d: duplicate id %s" % (path, n, r["id"]))
                elif md.has_bad_chars(r["input"]) or md.has_bad_chars(r["output"]):
                    fail("%s:%d: control or replacement character" % (path, n))
                elif line != json.dumps(r, ensure_ascii=False):
                    fail("%s:%d: not in canonical form (json.dumps, ensure_ascii=False)" % (path, n))
                ids.add(r["id"])
                recs.append(r)
            if not text.endswith("\n"):
                fail("%s: no final newline" % path)
            if len(recs) > CAP[split]:
                fail("%s: %d records, cap %d" % (path, len(recs), CAP[split]))
            m = manifest.get(name)
            if m is None:
                fail("%s: not in MANIFEST.json" % path)
            elif (m["records"], m["bytes"], m["sha256"]) != (len(recs), len(raw), md.sha256_file(path)):
                fail("%s: records/bytes/sha256 differ from MANIFEST.json" % path)
            data[(task, split)] = recs
            print("ok   %-30s %5d records" % (name, len(recs)))
    return data


def keys_of(recs, with_lines=True):
    out = collections.defaultdict(set)
    for r in recs:
        for k in md.text_keys(r["input"], KEY_MIN, not with_lines) | \
                md.text_keys(r["output"], KEY_MIN, not with_lines):
            out[k].add(r["id"])
    return out


def check_splits(data):
    for task in md.TASKS:
        tr, ho = data.get((task, "train"), []), data.get((task, "heldout"), [])
        shared = set(keys_of(tr)) & set(keys_of(ho))
        # outputs that are labels (sentiment, topic) are short and never keys
        if shared:
            fail("%s: %d texts shared by train and held-out, e.g. %r" % (task, len(shared), min(shared)[:60]))
        else:
            print("ok   %-13s train/held-out share no text of >= %d chars" % (task, KEY_MIN))
    deb = ("summarization", "topic", "translation")
    seen_text, seen_pkg = {}, {}
    bad_text = bad_pkg = 0
    for task in deb:
        for split in ("train", "heldout"):
            for r in data.get((task, split), []):
                pkg = r["id"].split("/pkg:", 1)[1]
                if seen_pkg.setdefault(pkg, task) != task:
                    bad_pkg += 1
                for k in md.text_keys(r["input"], KEY_MIN):
                    if seen_text.setdefault(k, task) != task:
                        bad_text += 1
    if bad_text or bad_pkg:
        fail("Debian tasks overlap: %d shared input texts, %d shared packages" % (bad_text, bad_pkg))
    else:
        print("ok   summarization/topic/translation: disjoint packages and input texts")


def grep_hits(corpus_path, patterns, icase):
    """The patterns found in the corpus (one document per line, whitespace
    collapsed) by grep -F -o."""
    with tempfile.TemporaryDirectory() as tmp:
        pf = os.path.join(tmp, "patterns")
        fold = str.lower if icase else (lambda x: x)  # grep -i is far too slow here
        with open(pf, "w", encoding="utf-8") as f:
            for p in sorted({fold(p) for p in patterns}):
                f.write(p + "\n")
        flat = os.path.join(tmp, "corpus")
        with open(corpus_path, encoding="utf-8") as fin, open(flat, "w", encoding="utf-8") as fout:
            for doc in fin.read().split("\n\n"):
                fout.write(fold(" ".join(doc.split())) + "\n")
        r = subprocess.run(["grep", "-o", "-F", "-f", pf, flat], stdout=subprocess.PIPE,
                           env=dict(os.environ, LC_ALL="C.UTF-8"))
        if r.returncode not in (0, 1):
            fail("grep failed on %s (exit %d)" % (corpus_path, r.returncode))
            return set()
        found = set(r.stdout.decode("utf-8", "replace").split("\n")) - {""}
    return {p for p in patterns if fold(p) in found}


def check_corpus(corpus_dir, data):
    recs = [r for v in data.values() for r in v]
    whole = set()
    lines = set()
    for r in recs:
        for t in (r["input"], r["output"]):
            s = " ".join(t.split())
            if len(s) >= KEY_MIN:
                whole.add(s)
            for line in t.split("\n"):
                s = " ".join(line.split())
                if len(s) >= KEY_MIN:
                    lines.add(s)
    print("     %d task texts and %d task lines of >= %d characters" % (len(whole), len(lines), KEY_MIN))
    mpath = os.path.join(corpus_dir, "MANIFEST.json")
    manifest = json.load(open(mpath, encoding="utf-8"))["files"] if os.path.exists(mpath) else {}
    for name in ("sample.txt", "general.txt"):
        path = os.path.join(corpus_dir, name)
        if not os.path.exists(path):
            if name == "sample.txt":
                fail("%s: missing" % path)
            else:
                print("skip %s (not built; data/scripts/build-corpus.py makes it)" % path)
            continue
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            fail("%s: not UTF-8: %s" % (path, e))
            continue
        if "\n\n\n" in text or not text.endswith("\n") or text.startswith("\n"):
            fail("%s: documents must be separated by exactly one blank line" % path)
        if any(md.has_bad_chars(l) for l in text.split("\n")):
            fail("%s: control or replacement characters" % path)
        m = manifest.get(name)
        if m and m["sha256"] != md.sha256_file(path):
            fail("%s: sha256 differs from MANIFEST.json (rebuilt with other sources?)" % path)
        for label, pats in (("whole texts", whole), ("lines", lines)):
            for icase in (False, True):
                hits = grep_hits(path, pats, icase)
                what = "%s: task %s found%s: %d" % (name, label, " (ignoring case)" if icase else "", len(hits))
                if hits:
                    fail(what + ", e.g. %r" % sorted(hits)[0][:80])
                else:
                    print("ok   " + what)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", default=md.TASKS_DIR)
    ap.add_argument("--corpus", default=md.CORPUS_DIR)
    args = ap.parse_args()
    data = check_tasks(args.tasks)
    check_splits(data)
    check_corpus(args.corpus, data)
    if failures:
        print("check-data: %d failure(s)" % len(failures))
        sys.exit(1)
    print("check-data: all checks passed")


if __name__ == "__main__":
    main()
