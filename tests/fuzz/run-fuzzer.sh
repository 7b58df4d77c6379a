#!/bin/sh
# One short libFuzzer run (the fuzz suite of a -Dfuzz=enabled build):
#   run-fuzzer.sh FUZZER SEED_DIR SECONDS [RUNS]
# Replays the seeds and the crash-* regression inputs of SEED_DIR, then fuzzes for SECONDS
# (or until RUNS inputs were run, whichever comes first) with new inputs kept in a scratch folder (the source tree is not written). Inputs that
# crash, leak, hang (10 s) or allocate over 512 MB at once are saved to $MS_FUZZ_ARTIFACTS
# (default: fuzz-artifacts/ in the current folder) and fail the run.
set -u
fuzzer=$1 seeds=$2 seconds=$3 runs=${4:--1}
art=${MS_FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
mkdir -p "$art"
# Undefined behaviour stops the run like a crash does.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fuzzer" -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
  -print_final_stats=1 -artifact_prefix="$art/${fuzzer##*/}-" "$work" "$seeds" \
  > "$work.log" 2>&1
rc=$?
grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done )|ERROR|SUMMARY' "$work.log"
[ "$rc" -eq 0 ] || tail -n 60 "$work.log"
rm -f "$work.log"
exit $rc
