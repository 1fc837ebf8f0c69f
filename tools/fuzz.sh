#!/usr/bin/env bash
# tools/fuzz.sh [TARGET] [SECONDS | --runs N] [-- LIBFUZZER_ARGS...] — fuzzes the safetensors
# loader (TARGET fuzz_weights) and the network builders (fuzz_nets) of tests/fuzz/ with
# libFuzzer, ASan and UBSan.  No TARGET: both, one after the other.
#
# Configures build/fuzz on first use (CC=clang, -Dfuzz=true; tools/setup.sh installs clang and
# libclang-rt-14-dev, which holds libFuzzer on Debian 12), builds the targets, replays every
# regression input of tests/fuzz/regressions/ (each must pass), then fuzzes each target for
# SECONDS (default 30) or N executions (.ci/run's smoke: a number of inputs each), from
# the seed corpus tests/fuzz/corpus/ (read-only; tests/fuzz/make_corpus.py writes it) into
# build/fuzz/corpus_TARGET/ (what the fuzzer finds, kept between runs).  Niced: the machine is
# shared.  A crash is written to build/fuzz/crash-* and the exit status is non-zero: minimise
# it (TARGET -minimize_crash=1 FILE), fix the bug, and add the input to
# tests/fuzz/regressions/, which the ordinary test suite replays too (api/fuzz_inputs).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(fuzz_weights fuzz_nets)
case "${1:-}" in fuzz_weights | fuzz_nets) targets=("$1"); shift ;; esac
limit=(-max_total_time=30)
if [ $# -gt 0 ] && [ "$1" = --runs ]; then limit=(-runs="$2"); shift 2
elif [ $# -gt 0 ] && [ "$1" != -- ]; then limit=(-max_total_time="$1"); shift; fi
[ $# -gt 0 ] && [ "$1" = -- ] && shift
dir=build/fuzz
if [ ! -f "$dir/build.ninja" ]; then
  [ -d "$dir" ] && rm -rf -- "$dir" # a configuration that failed half-way
  CC=clang meson setup "$dir" -Dfuzz=true --buildtype=debugoptimized >/dev/null
fi
meson compile -C "$dir" "${targets[@]/#/tests/fuzz/}" >/dev/null
for t in "${targets[@]}"; do
  bin=$dir/tests/fuzz/$t
  regressions=(tests/fuzz/regressions/*)
  if [ -e "${regressions[0]}" ]; then
    "$bin" "${regressions[@]}" 2>&1 | tail -n 30
  fi
  # the loader's inputs are small: a 4 KB limit keeps it at thousands of inputs per second
  extra=()
  [ "$t" = fuzz_weights ] && extra=(-max_len=4096)
  mkdir -p "$dir/corpus_$t"
  echo "fuzz.sh: $t ${limit[*]}"
  status=0
  nice -n 19 "$bin" "${limit[@]}" "${extra[@]}" -print_final_stats=1 -artifact_prefix="$dir/" "$@" \
    "$dir/corpus_$t" tests/fuzz/corpus >"$dir/$t.log" 2>&1 || status=$?
  if [ $status -ne 0 ]; then
    tail -n 40 "$dir/$t.log"
    echo "fuzz.sh: $t FAILED (exit $status; log $dir/$t.log, the input in $dir/crash-*)"
    exit 1
  fi
  grep "^stat::" "$dir/$t.log"
done
