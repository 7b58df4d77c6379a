#!/usr/bin/python3
"""Build memscope's six task datasets (data/tasks/<task>.{train,heldout}.jsonl and
MANIFEST.json) from the raw sources that fetch-sources.sh put in the cache.

Every choice is deterministic: splits and selections are decided by a salted
sha256 of a stable key (memdata.h64), never by a random generator.

usage: build-tasks.py [--sources DIR] [--out DIR]
"""

import argparse
import collections
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # keep data/scripts free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memdata as md  # noqa: E402

CAP = {"train": 2000, "heldout": 500}
MIN_IN, MAX_IN = 20, 1200           # characters of input
DEBIAN_MIN_WORDS = 40               # long descriptions: enough for a prefix/suffix probe
DIALOGUE_MIN_IN, MIN_OUT = 100, 20
DIALOGUE_HELDOUT = "pride"          # Pride and Prejudice: the one held-out novel
TRANSLATION_LANG = "de"
TRANSLATION_MAX_IN, TRANSLATION_MAX_OUT = 800, 1100  # pairs fit ~512 tokens

LICENCES = {
    "debian": "Debian package descriptions and their DDTP translations: part of the Debian "
              "archive (bookworm main, DFSG-free packages); no separate licence is stated for "
              "description texts, which Debian mirrors redistribute freely",
    "austen": "novel texts public domain (Project Gutenberg); R package janeaustenr MIT",
    "wordnet": "WordNet 3.0 licence (Princeton University, BSD-like: use, copy, modify, "
               "distribute with the copyright notice)",
    "sentiment": "CC BY 4.0 (Kotzias et al. 2015, UCI Sentiment Labelled Sentences), shipped "
                 "in npm sentiment@5.0.2 (MIT)",
}


class Split:
    """Fill train/held-out up to the caps, in the order records are offered."""

    def __init__(self, task):
        self.task = task
        self.recs = {"train": [], "heldout": []}

    def wants(self, split):
        return len(self.recs[split]) < CAP[split]

    def add(self, split, rec):
        if self.wants(split):
            self.recs[split].append(rec)
            return True
        return False

    def full(self):
        return not self.wants("train") and not self.wants("heldout")


def input_ok(s, lo=MIN_IN, hi=MAX_IN):
    return lo <= len(s) <= hi and not md.has_bad_chars(s)


# ---------------------------------------------------------------- Debian tasks

def debian_tasks(src):
    """summarization, topic, translation: one shared split of SOURCE packages
    (memdata.split_of('debian', source)), and disjoint source packages per task.
    Each source package contributes at most one description to one task."""
    index = md.debian_index(src)
    tr_path = md.need(os.path.join(src, "debian", "Translation-" + TRANSLATION_LANG))
    trans = md.read_translation(tr_path, TRANSLATION_LANG)

    # Boilerplate paragraphs ("This package contains the development files ...")
    # recur across source packages; a description with such a paragraph could leak
    # between splits or tasks, so only descriptions whose every paragraph of
    # >= 40 characters is unique to its source package are eligible.
    para_sources = collections.defaultdict(set)
    for r in index.values():
        for p in r["long"].split("\n"):
            if len(p) >= 40:
                para_sources[md.norm_key(p)].add(r["source"])

    by_source = collections.defaultdict(list)
    shared = 0
    for r in index.values():
        long = r["long"]
        if len(long.split()) < DEBIAN_MIN_WORDS or not input_ok(long) or not r["synopsis"] \
                or md.has_bad_chars(r["synopsis"]):
            continue
        if any(len(para_sources[md.norm_key(p)]) > 1 for p in long.split("\n") if len(p) >= 40):
            shared += 1
            continue
        by_source[r["source"]].append(r)

    # the same holds for the translated paragraphs (translators reuse them)
    de_para_sources = collections.defaultdict(set)
    for md5, t in trans.items():
        if md5 in index:
            for p in t[2].split("\n"):
                if len(p) >= 40:
                    de_para_sources[md.norm_key(p)].add(index[md5]["source"])

    def translation_of(r):
        t = trans.get(r["md5"])
        if t is None:
            return None
        de = t[2]
        if not de or de == r["long"] or md.has_bad_chars(de):
            return None
        if any(len(de_para_sources[md.norm_key(p)]) > 1 for p in de.split("\n") if len(p) >= 40):
            return None
        ratio = len(de) / len(r["long"])
        if not 0.7 <= ratio <= 1.8 or len(r["long"]) > TRANSLATION_MAX_IN or len(de) > TRANSLATION_MAX_OUT:
            return None
        return de

    order = sorted(by_source, key=lambda s: (md.h64("debian-order", s), s))
    tasks = {t: Split(t) for t in ("translation", "summarization", "topic")}
    used = {}

    # translation first: it can only use the ~1/4 of packages with a translation
    for s in order:
        split = md.split_of("debian", s)
        if not tasks["translation"].wants(split):
            continue
        cands = [(md.h64("debian-pick", r["md5"]), r) for r in by_source[s]]
        cands = [(h, r, translation_of(r)) for h, r in sorted(cands, key=lambda x: x[0])]
        cands = [c for c in cands if c[2] is not None]
        if cands:
            _, r, de = cands[0]
            tasks["translation"].add(split, md.record("translation", r["long"], de,
                                                      "translation/pkg:" + r["package"]))
            used[s] = "translation"

    # the rest alternate between summarization and topic by a second hash
    for s in order:
        if s in used:
            continue
        split = md.split_of("debian", s)
        task = "summarization" if md.h64("debian-role", s) % 2 == 0 else "topic"
        if not tasks[task].wants(split):
            continue
        r = min(by_source[s], key=lambda r: md.h64("debian-pick", r["md5"]))
        out = r["synopsis"] if task == "summarization" else r["section"]
        tasks[task].add(split, md.record(task, r["long"], out, "%s/pkg:%s" % (task, r["package"])))
        used[s] = task
    stats = {"descriptions": len(index),
             "dropped_shared_paragraph": shared,
             "eligible_descriptions": sum(len(v) for v in by_source.values()),
             "eligible_sources": len(by_source)}
    return tasks, stats


# ---------------------------------------------------------------- dialogue

def dialogue_task(src):
    novels = md.austen_paragraphs(src)
    t = Split("dialogue")
    cands = []
    for nid, paras in novels.items():
        turns = md.austen_turns(paras)
        for a, b in zip(turns, turns[1:]):
            if a[2] is None or b[2] is None:
                continue
            inp, out = a[2], b[2]
            if not input_ok(inp, DIALOGUE_MIN_IN) or not input_ok(out, MIN_OUT):
                continue
            split = "heldout" if nid == DIALOGUE_HELDOUT else "train"
            rid = "dialogue/%s:%d" % (nid, a[0])
            cands.append((md.h64("dialogue-order", rid), split, md.record("dialogue", inp, out, rid)))
    for _, split, rec in sorted(cands, key=lambda c: c[0]):
        t.add(split, rec)
    return t, {"candidate_pairs": len(cands),
               "candidates_by_novel": dict(collections.Counter(c[2]["id"].split("/")[1].split(":")[0]
                                                               for c in cands))}


# ---------------------------------------------------------------- qa

_LEMMA_OK = re.compile(r"^[a-z][a-z' -]*[a-z]$")


def qa_task(src):
    """'What does LEMMA mean?' -> the gloss's definition.  LEMMA is the first
    lemma of its synset that is lower-case and belongs to no other synset in
    WordNet, so a question has one answer and no lemma string can occur in both
    splits; the split is by synset."""
    synsets = md.wordnet_synsets(src)
    senses = collections.Counter(l.casefold() for s in synsets for l in set(s["lemmas"]))
    t = Split("qa")
    cands = []
    for s in synsets:
        lemma = next((l for l in s["lemmas"] if _LEMMA_OK.match(l) and senses[l.casefold()] == 1), None)
        d = s["definition"]
        if lemma is None or not input_ok(d, MIN_OUT, 400):
            continue
        rid = "qa/wn:" + s["id"]
        cands.append((md.h64("qa-order", s["id"]), md.split_of("wordnet", s["id"]),
                      md.record("qa", "What does %s mean?" % lemma, d, rid)))
    for _, split, rec in sorted(cands, key=lambda c: c[0]):
        t.add(split, rec)
    return t, {"synsets": len(synsets), "eligible_synsets": len(cands)}


# ---------------------------------------------------------------- sentiment

def sentiment_task(src):
    """Exact duplicates (after normalisation) are merged, conflicting labels
    dropped; the split is by a hash of the normalised sentence."""
    items = md.sentiment_sentences(src)
    groups = collections.OrderedDict()
    for name, i, text, label in items:
        groups.setdefault(md.norm_key(text), []).append((name, i, text, label))
    t = Split("sentiment")
    cands, conflicts = [], 0
    for key, g in groups.items():
        if len({x[3] for x in g}) > 1:
            conflicts += 1
            continue
        name, i, text, label = g[0]
        if not input_ok(text):
            continue
        rid = "sentiment/%s:%d" % (name, i)
        cands.append((md.h64("sentiment-order", key), md.split_of("sentiment", key),
                      md.record("sentiment", text, label, rid)))
    for _, split, rec in sorted(cands, key=lambda c: c[0]):
        t.add(split, rec)
    return t, {"sentences": len(items), "unique": len(groups), "conflicting_labels": conflicts,
               "eligible": len(cands)}


# ---------------------------------------------------------------- output

SOURCES = {
    "summarization": ("Debian bookworm main Translation-en + Packages (Section, Source)", "debian"),
    "topic": ("Debian bookworm main Translation-en + Packages (Section, Source)", "debian"),
    "translation": ("Debian bookworm main Translation-en joined to Translation-de (DDTP) on "
                    "Description-md5", "debian"),
    "dialogue": ("Jane Austen's six novels, Debian r-cran-janeaustenr (R lazy-load data)", "austen"),
    "qa": ("WordNet 3.0, Debian wordnet-base, data.{noun,verb,adj,adv}", "wordnet"),
    "sentiment": ("UCI Sentiment Labelled Sentences, npm sentiment@5.0.2 "
                  "test/fixtures/{amazon,imdb,yelp}.json", "sentiment"),
}


def check_disjoint(name, t):
    """Held-out shares no input or output, and no line of one, of >= 40
    characters with train (data/scripts/check-data.py checks the
    committed files the same way)."""
    ids = [r["id"] for s in t.recs.values() for r in s]
    if len(ids) != len(set(ids)):
        md.die("%s: duplicate ids" % name)
    seen = set()
    for r in t.recs["train"]:
        seen.update(md.text_keys(r["input"]))
        seen.update(md.text_keys(r["output"]))
    for r in t.recs["heldout"]:
        keys = md.text_keys(r["input"]) | md.text_keys(r["output"])
        if keys & seen:
            md.die("%s: held-out record %s shares text with train" % (name, r["id"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", help="cache folder of fetch-sources.sh")
    ap.add_argument("--out", default=md.TASKS_DIR, help="output folder (default data/tasks)")
    args = ap.parse_args()
    src = md.source_dir(args.sources)
    os.makedirs(args.out, exist_ok=True)

    try:
        deb, deb_stats = debian_tasks(src)
        dia, dia_stats = dialogue_task(src)
        qa, qa_stats = qa_task(src)
        sen, sen_stats = sentiment_task(src)
    except md.SourceError as e:
        md.die(str(e))

    all_tasks = dict(deb)
    all_tasks.update(dialogue=dia, qa=qa, sentiment=sen)
    stats = {"debian": deb_stats, "dialogue": dia_stats, "qa": qa_stats, "sentiment": sen_stats}

    versions = {}
    vpath = os.path.join(src, "VERSIONS")
    if os.path.exists(vpath):
        for line in open(vpath, encoding="utf-8"):
            kind, name, ver = line.split()
            versions[name] = "%s %s" % (kind, ver)
    rel = os.path.join(src, "debian", "RELEASE")
    if os.path.exists(rel):
        versions["debian-archive"] = "; ".join(l.strip() for l in open(rel, encoding="utf-8"))

    files = []
    for name in md.TASKS:
        t = all_tasks[name]
        check_disjoint(name, t)
        for split in ("train", "heldout"):
            path = os.path.join(args.out, "%s.%s.jsonl" % (name, split))
            md.write_jsonl(path, t.recs[split])
            what, lic = SOURCES[name]
            files.append({"file": os.path.basename(path), "task": name, "split": split,
                          "records": len(t.recs[split]), "bytes": os.path.getsize(path),
                          "sha256": md.sha256_file(path), "source": what,
                          "licence": LICENCES[lic]})
            print("%-34s %5d records %8d bytes" % (os.path.basename(path), len(t.recs[split]),
                                                   os.path.getsize(path)))
    manifest = {"format": "one JSON object per line: {task, input, output, id}; UTF-8",
                "generated_by": "data/scripts/build-tasks.py (see data/SOURCES.md)",
                "source_versions": versions, "selection_stats": stats, "files": files}
    mpath = os.path.join(args.out, "MANIFEST.json")
    with open(mpath + ".tmp", "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(mpath + ".tmp", mpath)
    print("wrote %s" % mpath)


if __name__ == "__main__":
    main()
