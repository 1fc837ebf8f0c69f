#!/usr/bin/env bash
# tests/cross_aarch64.sh SOURCE_DIR CROSS_BUILD_DIR CROSS_FILE [PARITY_DIR] — the aarch64 part of
# the test matrix, run by the native build's `meson test` (tests/meson.build).  Configures a
# cross build of SOURCE_DIR in CROSS_BUILD_DIR with CROSS_FILE on first use (meson regenerates it
# by itself afterwards when a meson.build or the cross file changes), with -Dparity_dir=PARITY_DIR
# (the native build's tests/ directory, whose parity reference it then uses instead of building
# a native copy of the library to make its own; a directory configured with another is
# switched), then runs that build's test
# suite "cross" — the TAP runner under qemu-aarch64 (the cross file's exe_wrapper) on the NEON
# tier — which first rebuilds whatever changed.  Then prints the inner test log (the runner's
# whole TAP output: tier, every check, diagnostics, times) so that it lands in this test's log.
# On failure the failing checks are repeated at the end.  Exit status: that of the inner
# `meson test`.
set -uo pipefail
src=$1 dir=$2 cross=$3 parity=${4:-}
for tool in aarch64-linux-gnu-gcc qemu-aarch64 meson; do
  command -v "$tool" >/dev/null || { echo "cross_aarch64.sh: $tool not found: run tools/setup.sh"; exit 1; }
done
if [ ! -f "$dir/build.ninja" ]; then
  [ -n "$dir" ] && rm -rf -- "$dir" # a configuration that failed half-way
  echo "cross_aarch64.sh: configuring $dir (--cross-file $cross)"
  meson setup --cross-file "$cross" --buildtype=release -Dparity_dir="$parity" "$dir" "$src" || exit 1
fi
grep -qF "\"name\": \"parity_dir\", \"value\": \"$parity\"" "$dir/meson-info/intro-buildoptions.json" 2>/dev/null ||
  meson setup --reconfigure -Dparity_dir="$parity" "$dir" "$src" || exit 1
rm -f "$dir/meson-logs/testlog.txt"
meson test -C "$dir" --suite cross
status=$?
echo "cross_aarch64.sh: inner meson test exited with $status; its log ($dir/meson-logs/testlog.txt):"
log=$dir/meson-logs/testlog.txt
if [ -f "$log" ]; then
  sed -n '/^=\+ 1\/1 =\+$/,$p' "$log"
  if [ $status -ne 0 ]; then # last, so that meson's --print-errorlogs tail shows it
    echo "cross_aarch64.sh: the failing checks:"
    grep -E -A3 '^(not ok|Bail out)' "$log" | grep -v '^# time:' | head -60
  fi
fi
exit $status
