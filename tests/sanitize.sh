#!/usr/bin/env bash
# tests/sanitize.sh SOURCE_DIR SANITIZE_BUILD_DIR — the native checks again, built with
# AddressSanitizer and UndefinedBehaviorSanitizer; run by the native build's `meson test`
# (tests/meson.build, "checks (asan+ubsan)").  Configures SANITIZE_BUILD_DIR on first use
# (-Db_sanitize=address,undefined, -O1 -g; meson regenerates it by itself afterwards),
# then runs that build's "checks (tap, sanitizers)" (the Criterion checks by the TAP runner, in
# one process: tests/meson.build says why; every check, every tier this CPU runs, the
# real-weights networks) in quick mode (VGS_CHECK_QUICK=1: the kernel sweeps keep every tile
# edge; the sanitizers make each call several times slower).  Any sanitizer report fails it:
# UBSan halts on the first error, ASan reports leaks too.  Native only: qemu-user with ASan's
# shadow memory exhausts the machine's memory.  Exit status: that of the inner `meson test`.
set -uo pipefail
src=$1 dir=$2
command -v meson >/dev/null || { echo "sanitize.sh: meson not found: run tools/setup.sh"; exit 1; }
if [ ! -f "$dir/build.ninja" ]; then
  [ -n "$dir" ] && rm -rf -- "$dir" # a configuration that failed half-way
  echo "sanitize.sh: configuring $dir (-Db_sanitize=address,undefined)"
  meson setup -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized -Doptimization=1 "$dir" "$src" || exit 1
fi
# -O1: the library's one translation unit, instrumented, compiles in 105 s instead of 247 at
# -O2, and the checks ran no slower (198 s against 208; stop 22, 2 cores, Xeon host).  A build
# directory configured before at another level is switched to it.
grep -q '"name": "optimization", "value": "1"' "$dir/meson-info/intro-buildoptions.json" 2>/dev/null ||
  meson configure "$dir" -Doptimization=1 || exit 1
export VGS_CHECK_QUICK=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
rm -f "$dir/meson-logs/testlog.txt"
meson test -C "$dir" --print-errorlogs 'checks (tap, sanitizers)'
status=$?
echo "sanitize.sh: inner meson test exited with $status (log: $dir/meson-logs/testlog.txt)"
exit $status
