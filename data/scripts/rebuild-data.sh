#!/bin/sh
# Rebuild memscope's data from its real sources, in order: fetch the sources into
# the cache, build the task subsets (data/tasks), build the pretraining corpus
# (data/corpus), check everything.  Works from any directory.
#
# usage: rebuild-data.sh [--corpus-only] [CACHE_DIR]
#   --corpus-only  keep the committed task files (the reference subset) and only
#                  rebuild data/corpus/general.txt and sample.txt from them
#   CACHE_DIR      default $MEMSCOPE_SOURCES, else ${XDG_CACHE_HOME:-$HOME/.cache}/memscope/sources
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3

TASKS=yes
if [ "${1:-}" = "--corpus-only" ]; then
	TASKS=no
	shift
fi
SRC=${1:-${MEMSCOPE_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/memscope/sources}}

"$HERE/fetch-sources.sh" "$SRC"
if [ $TASKS = yes ]; then
	"$PY" "$HERE/build-tasks.py" --sources "$SRC"
fi
"$PY" "$HERE/build-corpus.py" --sources "$SRC"
"$PY" "$HERE/check-data.py"
