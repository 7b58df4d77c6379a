#!/bin/bash
# The kernel tests on a simulated GPU: each case below (tiny shapes only) runs under
# `oclgrind --data-races` with GPU-like limits, so an out-of-bounds access, a data race or a
# work-group size or local-memory use a real GPU would refuse fails it, even where PoCL
# tolerates it. A case fails when the test fails or Oclgrind logs any error report.
# Usage: tests/oclgrind/run.sh BUILD_DIR. Prints "oclgrind: N passed, N failed"; exit 1 on a failure.
set -u
build=${1:-build}
src=$(cd "$(dirname "$0")/../.." && pwd)
export MS_FIXTURES="$src/tests/fixtures" MS_SOURCE_ROOT="$src" MS_BUILD_ROOT="$build"
export G_TEST_SRCDIR="$src/tests" G_DEBUG=fatal-criticals OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export MEMSCOPE_CACHE_DIR=$(mktemp -d)
trap 'rm -rf "$MEMSCOPE_CACHE_DIR"' EXIT

# test binary (relative to BUILD_DIR) and GLib test paths: the forward and backward kernels, a
# 2-layer model's forward and backward through CLBlast against PyTorch, two AdamW steps of it,
# attention and sparse coding.
CASES="
model/test-forward:/forward/tiny/clblast
model/test-backward:/backward/tiny/clblast
train/test-adamw:/adamw/tiny-trace
model/test-kernels:/kernels/forward
model/test-kernels:/kernels/backward
analysis/test-attention:/attention/hand
analysis/test-sparse:/sparse/fista-step
analysis/test-sparse:/sparse/lipschitz
"
passed=0 failed=0
for c in $CASES; do
  exe=$build/tests/${c%%:*} path=${c#*:}
  log=$(mktemp)
  start=$(date +%s)
  oclgrind --data-races --max-wgsize 256 --local-mem-size 32768 --log "$log" \
    "$exe" -p "$path" >"$log.out" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$rc" -eq 0 ] && [ ! -s "$log" ] && ! grep -q "Oclgrind" "$log.out"; then
    echo "ok   $c (${secs} s)"; passed=$((passed + 1))
  else
    echo "FAIL $c (exit $rc, ${secs} s)"; cat "$log" "$log.out" | tail -40; failed=$((failed + 1))
  fi
  rm -f "$log" "$log.out"
done
echo "oclgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
