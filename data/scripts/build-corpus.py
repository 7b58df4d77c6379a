#!/usr/bin/python3
"""Build the general English corpus that memscope's small base model is
pretrained on: data/corpus/general.txt (not committed, ~35 MB), a committed
deterministic sample data/corpus/sample.txt (~1.5 MB) and data/corpus/MANIFEST.json.

Format: plain UTF-8; one paragraph per line; documents separated by one blank
line; documents in a fixed pseudo-random order (so any prefix is a fair mix).

Nothing of the task data may reach the corpus: the units the tasks use are left
out (Debian source packages, Austen paragraphs, WordNet synsets), and then every
line that would contain a task input or output (or one of their lines) of >= 40
characters, compared case- and space-insensitively, is removed.
data/scripts/check-data.py verifies the result independently.

usage: build-corpus.py [--sources DIR] [--tasks DIR] [--out DIR]
"""

import argparse
import collections
import json
import os
import sys

sys.dont_write_bytecode = True  # keep data/scripts free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memdata as md  # noqa: E402

SAMPLE_BYTES = 1_500_000
KEY_MIN = 40


def load_tasks(tasks_dir):
    recs = []
    for t in md.TASKS:
        for split in ("train", "heldout"):
            path = md.need(os.path.join(tasks_dir, "%s.%s.jsonl" % (t, split)),
                           "run data/scripts/build-tasks.py first")
            recs.extend(md.read_jsonl(path))
    return recs


# ---------------------------------------------------------------- documents
# Each builder yields (source, doc id, [line, ...]).

def debian_docs(src, recs):
    """Descriptions of source packages that no task uses."""
    pk = md.read_packages(md.need(os.path.join(src, "debian", "Packages")))
    used_pkgs = {r["id"].split("/pkg:", 1)[1] for r in recs if "/pkg:" in r["id"]}
    missing = sorted(p for p in used_pkgs if p not in pk)
    if missing:
        # the archive moved since the tasks were built: exclude by name as well
        sys.stderr.write("build-corpus: %d task packages no longer in Packages (e.g. %s)\n"
                         % (len(missing), missing[0]))
    used_sources = {pk[p][0] for p in used_pkgs if p in pk} | used_pkgs
    sources_of = md.debian_sources_of(src)
    for md5, r in sorted(md.debian_index(src).items(), key=lambda x: x[1]["package"]):
        if sources_of.get(md5, set()) & used_sources or r["package"] in used_pkgs:
            continue
        lines = ["%s: %s" % (r["package"], r["synopsis"])] + r["long"].split("\n")
        yield "debian", "pkg:" + r["package"], [l for l in lines if l]


def austen_docs(src, recs):
    """One document per chapter, without the paragraphs of the dialogue task."""
    used = set()
    for r in recs:
        if r["task"] == "dialogue":
            used.update(r["input"].split("\n"))
            used.update(r["output"].split("\n"))
    for nid, paras in md.austen_paragraphs(src).items():
        chapter, cur = 0, []
        for p in paras:
            if md.austen_is_chapter(p) and cur:
                yield "austen", "%s:ch%d" % (nid, chapter), cur
                chapter, cur = chapter + 1, []
            if p not in used:
                cur.append(p)
        if cur:
            yield "austen", "%s:ch%d" % (nid, chapter), cur


def wordnet_docs(src, recs):
    """Synsets not used by the qa task that have example sentences (the others
    would make a third of the corpus dictionary text), 100 to a document, one
    per line: 'lemma, lemma (pos): definition; "example"'."""
    used = {r["id"].split("qa/wn:", 1)[1] for r in recs if r["task"] == "qa"}
    cur, n = [], 0
    for s in md.wordnet_synsets(src):
        if s["id"] in used or not s["examples"]:
            continue
        line = "%s (%s): %s" % (", ".join(s["lemmas"]), md.WN_POS[s["pos"]], s["definition"])
        if s["examples"]:
            line += "; " + s["examples"]
        cur.append(line)
        if len(cur) == 100:
            yield "wordnet", "wn:%d" % n, cur
            cur, n = [], n + 1
    if cur:
        yield "wordnet", "wn:%d" % n, cur


def brown_docs(src, recs):
    for name, paras in md.brown_documents(src):
        yield "brown", name, paras


def jargon_docs(src, recs):
    seen = collections.Counter()
    for title, paras in md.jargon_entries(src):
        seen[title] += 1
        yield "jargon", "%s#%d" % (title, seen[title]), paras


def fortune_docs(src, recs):
    for name, i, text in md.fortune_cookies(src):
        yield "fortunes", "%s:%d" % (name, i), text.split("\n")


def man_docs(src, recs):
    for name, lines in md.man_pages(src):
        yield "man", name, lines


BUILDERS = (("brown", brown_docs), ("austen", austen_docs), ("wordnet", wordnet_docs),
            ("debian", debian_docs), ("jargon", jargon_docs), ("fortunes", fortune_docs),
            ("man", man_docs))


# ---------------------------------------------------------------- leak filter

class LeakFilter:
    """Finds task texts inside a document.  Keys are normalised (md.norm_key)
    task inputs/outputs and their lines of >= KEY_MIN characters; a document's
    normalised lines, joined by spaces, are scanned with a KEY_MIN-character
    window looked up in a table of key prefixes, so a key is found wherever it
    starts, even across line boundaries."""

    def __init__(self, recs):
        self.by_prefix = collections.defaultdict(set)
        for r in recs:
            for k in md.text_keys(r["input"], KEY_MIN) | md.text_keys(r["output"], KEY_MIN):
                self.by_prefix[k[:KEY_MIN]].add(k)
        self.nkeys = sum(len(v) for v in self.by_prefix.values())

    def bad_lines(self, lines):
        """Indices of the lines that a key occurrence touches."""
        norm = [md.norm_key(l) for l in lines]
        starts, pos = [], 0
        for n in norm:
            starts.append(pos)
            pos += len(n) + 1
        text = " ".join(norm)
        bad = set()
        prefixes = self.by_prefix
        for i in range(len(text) - KEY_MIN + 1):
            keys = prefixes.get(text[i:i + KEY_MIN])
            if not keys:
                continue
            for k in keys:
                if text.startswith(k, i):
                    end = i + len(k)
                    for j, s in enumerate(starts):
                        if s < end and i < s + len(norm[j]) + 1:
                            bad.add(j)
        return bad

    def clean(self, lines):
        removed = 0
        while True:
            bad = self.bad_lines(lines)
            if not bad:
                return lines, removed
            removed += len(bad)
            lines = [l for j, l in enumerate(lines) if j not in bad]


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", help="cache folder of fetch-sources.sh")
    ap.add_argument("--tasks", default=md.TASKS_DIR, help="task files to keep out (default data/tasks)")
    ap.add_argument("--out", default=md.CORPUS_DIR, help="output folder (default data/corpus)")
    args = ap.parse_args()
    src = md.source_dir(args.sources)

    try:
        recs = load_tasks(args.tasks)
        leak = LeakFilter(recs)
        docs = []
        for name, builder in BUILDERS:
            n0 = len(docs)
            for source, did, lines in builder(src, recs):
                docs.append((source, did, lines))
            sys.stderr.write("build-corpus: %-8s %6d documents\n" % (name, len(docs) - n0))
    except md.SourceError as e:
        md.die(str(e))

    # Exact repeats of a line of >= 40 characters are dropped after the first
    # (Debian boilerplate paragraphs, cookies in two fortune files), so the base
    # model does not learn repeated text by heart.
    stats = collections.defaultdict(lambda: collections.Counter())
    seen = set()
    out_docs = []
    for source, did, lines in sorted(docs, key=lambda d: (md.h64("corpus-order", d[0], d[1]), d[1])):
        st = stats[source]
        lines = [l for l in (x.rstrip() for x in lines) if l.strip()]
        keep = []
        for l in lines:
            if md.has_bad_chars(l):
                st["bad_character_lines_dropped"] += 1
                continue
            k = md.norm_key(l) if len(l) >= KEY_MIN else None
            if k is not None and k in seen:
                st["repeated_lines_dropped"] += 1
                continue
            if k is not None:
                seen.add(k)
            keep.append(l)
        keep, removed = leak.clean(keep)
        st["task_text_lines_dropped"] += removed
        if sum(len(l) for l in keep) < 40 or (source == "debian" and len(keep) < 2):
            st["short_documents_dropped"] += 1
            continue
        out_docs.append((source, did, "\n".join(keep)))
        st["documents"] += 1
        st["bytes"] += len(out_docs[-1][2].encode("utf-8")) + 2
        st["words"] += len(out_docs[-1][2].split())

    os.makedirs(args.out, exist_ok=True)
    general = os.path.join(args.out, "general.txt")
    write_docs(general, out_docs)

    # sample: documents in order of a second hash until SAMPLE_BYTES, kept in corpus order
    pick, size = set(), 0
    for i in sorted(range(len(out_docs)), key=lambda i: md.h64("corpus-sample", out_docs[i][0], out_docs[i][1])):
        if size >= SAMPLE_BYTES:
            break
        pick.add(i)
        size += len(out_docs[i][2].encode("utf-8")) + 2
    sample_docs = [d for i, d in enumerate(out_docs) if i in pick]
    sample = os.path.join(args.out, "sample.txt")
    write_docs(sample, sample_docs)

    manifest = {
        "format": "UTF-8 text; one paragraph per line; documents separated by a blank line",
        "generated_by": "data/scripts/build-corpus.py (see data/SOURCES.md)",
        "task_keys_excluded": leak.nkeys,
        "files": {
            "general.txt": {"committed": False, "bytes": os.path.getsize(general),
                            "documents": len(out_docs), "sha256": md.sha256_file(general)},
            "sample.txt": {"committed": True, "bytes": os.path.getsize(sample),
                           "documents": len(sample_docs), "sha256": md.sha256_file(sample),
                           "documents_by_source": dict(sorted(collections.Counter(
                               d[0] for d in sample_docs).items())),
                           "bytes_by_source": dict(sorted(collections.Counter(
                               {s: sum(len(d[2].encode("utf-8")) + 2 for d in sample_docs if d[0] == s)
                                for s in {d[0] for d in sample_docs}}).items()))},
        },
        "sources": {k: dict(v) for k, v in sorted(stats.items())},
    }
    mpath = os.path.join(args.out, "MANIFEST.json")
    with open(mpath + ".tmp", "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(mpath + ".tmp", mpath)
    for k, v in sorted(stats.items()):
        print("%-9s %6d docs %9d words %10d bytes" % (k, v["documents"], v["words"], v["bytes"]))
    print("general.txt %d bytes, sample.txt %d bytes" % (os.path.getsize(general), os.path.getsize(sample)))


def write_docs(path, docs):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n\n".join(d[2] for d in docs))
        f.write("\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
