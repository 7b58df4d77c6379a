"""Read R lazy-load databases (.rdx/.rdb) and .rds files without R.

R's serialization (XDR big-endian, format version 2 or 3) is decoded into plain
Python values: character vectors become lists of str (None for NA), numeric
vectors lists of numbers, generic vectors lists, pairlists dicts.  Only what data
packages use is supported; anything else raises RFormatError naming the file.
"""

import bz2
import gzip
import lzma
import struct
import zlib


class RFormatError(Exception):
    pass


# SEXP types (R internals, serialize.c)
NILSXP, SYMSXP, LISTSXP, CLOSXP, ENVSXP, PROMSXP, LANGSXP = 0, 1, 2, 3, 4, 5, 6
CHARSXP, LGLSXP, INTSXP, REALSXP, CPLXSXP, STRSXP, DOTSXP = 9, 10, 13, 14, 15, 16, 17
VECSXP, EXPRSXP, RAWSXP, S4SXP = 19, 20, 24, 25
REFSXP, NILVALUE_SXP, GLOBALENV_SXP, UNBOUNDVALUE_SXP = 255, 254, 253, 252
MISSINGARG_SXP, BASENAMESPACE_SXP, NAMESPACESXP, PACKAGESXP = 251, 250, 249, 248
PERSISTSXP, EMPTYENV_SXP, BASEENV_SXP = 247, 242, 241
ATTRLANGSXP, ATTRLISTSXP, ALTREP_SXP = 240, 239, 238

NA_INTEGER = -2147483648
UTF8_MASK, LATIN1_MASK, BYTES_MASK, ASCII_MASK = 1 << 3, 1 << 2, 1 << 1, 1 << 6


class RSymbol(str):
    """A symbol (name) as opposed to a string value."""


class RObject:
    """A vector with attributes (names, class, dim, ...)."""

    def __init__(self, value, attributes):
        self.value = value
        self.attributes = attributes

    def __repr__(self):
        return "RObject(%r, attrs=%r)" % (type(self.value).__name__, list(self.attributes))


class _Reader:
    def __init__(self, data, where):
        self.data = data
        self.pos = 0
        self.where = where
        self.refs = []

    def fail(self, msg):
        raise RFormatError("%s: byte %d: %s" % (self.where, self.pos, msg))

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            self.fail("truncated: wanted %d bytes, %d left" % (n, len(self.data) - self.pos))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def length(self):
        n = self.int()
        if n == -1:
            hi, lo = self.int(), self.int()
            n = (hi << 32) + lo
        if n < 0:
            self.fail("negative vector length %d" % n)
        return n

    def header(self):
        magic = self.take(2)
        if magic != b"X\n":
            self.fail("expected XDR serialization header 'X\\n', got %r" % magic)
        version = self.int()
        self.int()  # writer's R version
        self.int()  # minimal reader version
        if version == 3:
            self.take(self.int())  # native encoding name
        elif version != 2:
            self.fail("unsupported serialization format version %d" % version)

    def charsxp(self, levels):
        n = self.int()
        if n == -1:
            return None
        raw = self.take(n)
        if levels & LATIN1_MASK:
            return raw.decode("latin-1")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail("string is neither flagged latin1 nor valid UTF-8")

    def attach(self, value, attrs):
        return RObject(value, attrs) if attrs else value

    def pairlist_attrs(self):
        item = self.item()
        if item is None:
            return {}
        if not isinstance(item, dict):
            self.fail("attributes are not a pairlist")
        return item

    def item(self):
        flags = self.int()
        t = flags & 0xFF
        levels = flags >> 12
        has_attr = bool(flags & (1 << 9))
        has_tag = bool(flags & (1 << 10))

        if t == NILVALUE_SXP:
            return None
        if t in (EMPTYENV_SXP, BASEENV_SXP, GLOBALENV_SXP, UNBOUNDVALUE_SXP,
                 MISSINGARG_SXP, BASENAMESPACE_SXP):
            return RSymbol("<special %d>" % t)
        if t == REFSXP:
            idx = flags >> 8
            if idx == 0:
                idx = self.int()
            if not 1 <= idx <= len(self.refs):
                self.fail("reference %d out of range (%d known)" % (idx, len(self.refs)))
            return self.refs[idx - 1]
        if t in (PERSISTSXP, NAMESPACESXP, PACKAGESXP):
            if self.int() != 0:
                self.fail("bad persistent string vector")
            n = self.int()
            v = RSymbol("<namespace %s>" % ",".join(str(self.item()) for _ in range(n)))
            self.refs.append(v)
            return v
        if t == SYMSXP:
            v = RSymbol(self.item() or "")
            self.refs.append(v)
            return v
        if t == ENVSXP:
            self.int()  # locked
            env = {}
            self.refs.append(env)
            env["enclos"] = self.item()
            env["frame"] = self.item()
            env["hashtab"] = self.item()
            env["attrib"] = self.item()
            return env
        if t in (LISTSXP, LANGSXP, CLOSXP, PROMSXP, DOTSXP, ATTRLANGSXP, ATTRLISTSXP):
            # A pairlist is read iteratively along its CDR to bound recursion.
            out = {}
            unnamed = 0
            while True:
                if has_attr:
                    self.pairlist_attrs()
                tag = self.item() if has_tag else None
                car = self.item()
                if tag is None:
                    tag = "<%d>" % unnamed
                    unnamed += 1
                out[str(tag)] = car
                flags = self.int()
                t = flags & 0xFF
                has_attr = bool(flags & (1 << 9))
                has_tag = bool(flags & (1 << 10))
                if t == NILVALUE_SXP:
                    return out
                if t not in (LISTSXP, LANGSXP, CLOSXP, PROMSXP, DOTSXP, ATTRLANGSXP, ATTRLISTSXP):
                    # a dotted pair ending in a non-list: put the flags back
                    self.pos -= 4
                    out["<cdr>"] = self.item()
                    return out
        if t == CHARSXP:
            return self.charsxp(levels)
        if t in (LGLSXP, INTSXP):
            n = self.length()
            vals = list(struct.unpack(">%di" % n, self.take(4 * n)))
            vals = [None if x == NA_INTEGER else x for x in vals]
            if t == LGLSXP:
                vals = [None if x is None else bool(x) for x in vals]
        elif t == REALSXP:
            n = self.length()
            vals = list(struct.unpack(">%dd" % n, self.take(8 * n)))
        elif t == CPLXSXP:
            n = self.length()
            raw = struct.unpack(">%dd" % (2 * n), self.take(16 * n))
            vals = [complex(raw[2 * i], raw[2 * i + 1]) for i in range(n)]
        elif t == STRSXP:
            n = self.length()
            vals = []
            for _ in range(n):
                f = self.int()
                if f & 0xFF != CHARSXP:
                    self.fail("string vector element of type %d, expected CHARSXP" % (f & 0xFF))
                vals.append(self.charsxp(f >> 12))
        elif t in (VECSXP, EXPRSXP):
            n = self.length()
            vals = [self.item() for _ in range(n)]
        elif t == RAWSXP:
            vals = self.take(self.length())
        elif t == ALTREP_SXP:
            info = self.item()
            state = self.item()
            attrs = self.pairlist_attrs()
            return self.attach(self.altrep(info, state), attrs)
        else:
            self.fail("unsupported SEXP type %d" % t)
        attrs = self.pairlist_attrs() if has_attr else {}
        return self.attach(vals, attrs)

    def altrep(self, info, state):
        cls = str(list(info.values())[0]) if isinstance(info, dict) and info else "?"
        if cls in ("compact_intseq", "compact_realseq"):
            st = state.value if isinstance(state, RObject) else state
            n, start, step = int(st[0]), st[1], st[2]
            seq = [start + i * step for i in range(n)]
            return [int(x) for x in seq] if cls == "compact_intseq" else seq
        if cls.startswith("wrap_"):
            return state[0] if isinstance(state, list) else state
        if cls == "deferred_string":
            arg = list(state.values())[0] if isinstance(state, dict) else state
            arg = arg.value if isinstance(arg, RObject) else arg
            return [None if x is None else (str(int(x)) if float(x).is_integer() else repr(x))
                    for x in arg]
        self.fail("unsupported ALTREP class %r" % cls)


def _decompress_any(blob, where):
    """.rds files are gzip (saveRDS default), bzip2, xz or not compressed."""
    try:
        if blob[:2] == b"\x1f\x8b":
            return gzip.decompress(blob)
        if blob[:3] == b"BZh":
            return bz2.decompress(blob)
        if blob[:6] == b"\xfd7zXZ\x00":
            return lzma.decompress(blob)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise RFormatError("%s: cannot decompress: %s" % (where, e))
    return blob


def unserialize(data, where="<bytes>"):
    r = _Reader(data, where)
    r.header()
    return r.item()


def read_rds(path):
    with open(path, "rb") as f:
        blob = f.read()
    return unserialize(_decompress_any(blob, path), path)


def _rdb_entry(rdb, offset, length, where):
    blob = rdb[offset:offset + length]
    if len(blob) != length or length < 5:
        raise RFormatError("%s: entry at %d+%d lies outside the file (%d bytes)"
                           % (where, offset, length, len(rdb)))
    size = struct.unpack(">I", blob[:4])[0]
    body = blob[4:]
    try:
        if body[:1] == b"x":          # type 1: zlib, no type byte
            out = zlib.decompress(body)
        elif body[:1] == b"Z":        # type 3: xz
            out = lzma.decompress(body[1:])
        elif body[:1] == b"2":        # type 2: bzip2
            out = bz2.decompress(body[1:])
        elif body[:1] == b"0":        # stored
            out = body[1:]
        else:
            raise RFormatError("%s: entry at %d: unknown compression byte %r"
                               % (where, offset, body[:1]))
    except (zlib.error, lzma.LZMAError, OSError, EOFError) as e:
        raise RFormatError("%s: entry at %d: cannot decompress: %s" % (where, offset, e))
    if len(out) != size:
        raise RFormatError("%s: entry at %d: %d bytes after decompression, header says %d"
                           % (where, offset, len(out), size))
    return unserialize(out, "%s@%d" % (where, offset))


def as_named(obj):
    """A generic vector with a names attribute, as a dict (else None)."""
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, RObject) and isinstance(obj.value, list):
        names = obj.attributes.get("names")
        names = names.value if isinstance(names, RObject) else names
        if isinstance(names, list) and len(names) == len(obj.value):
            return dict(zip(names, obj.value))
    return None


def read_lazyload(prefix):
    """Return {name: value} for every variable of the database PREFIX.rdx/.rdb."""
    idx = as_named(read_rds(prefix + ".rdx"))
    variables = as_named(idx.get("variables")) if idx else None
    if variables is None:
        raise RFormatError("%s.rdx: not a lazy-load index (no 'variables' list)" % prefix)
    with open(prefix + ".rdb", "rb") as f:
        rdb = f.read()
    out = {}
    for name, pos in variables.items():
        pos = pos.value if isinstance(pos, RObject) else pos
        if not isinstance(pos, list) or len(pos) != 2:
            raise RFormatError("%s.rdx: bad position for %s" % (prefix, name))
        out[name] = _rdb_entry(rdb, int(pos[0]), int(pos[1]), prefix + ".rdb")
    return out
