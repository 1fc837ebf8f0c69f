#!/usr/bin/env bash
# The header alone compiles, without any -m flag, as C (gcc and clang), as C++, and for
# aarch64 (NEON tier) with the cross compiler.  A compiler that is not installed is skipped;
# gcc itself must be there.  Prints TAP.
set -u
src="$(dirname "$0")/header_only.c"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0 fail=0
echo "1..5"
run() { # name compiler args...
  local name=$1 comp=$2; shift 2
  n=$((n + 1))
  if ! command -v "$comp" >/dev/null 2>&1; then echo "ok $n - $name # SKIP $comp not installed"; return; fi
  if "$comp" "$@" -c "$src" -o "$out/$n.o" 2>"$out/err"; then
    if [ -s "$out/err" ]; then echo "not ok $n - $name (warnings)"; head -30 "$out/err" | sed "s/^/# /"; fail=1; else echo "ok $n - $name"; fi
  else
    echo "not ok $n - $name"; head -30 "$out/err" | sed "s/^/# /"; fail=1
  fi
}
command -v cc >/dev/null || { echo "Bail out! no cc"; exit 1; }
run "cc -O2 (no -m flags)" cc -O2 -Wall -Wextra
run "clang -O2" clang -O2 -Wall -Wextra
run "c++ -O2 (as C++)" c++ -O2 -Wall -Wextra -x c++
run "aarch64-linux-gnu-gcc -O2 (NEON tier)" aarch64-linux-gnu-gcc -O2 -Wall -Wextra
run "cc -O2 -DVGS_NO_X86_SIMD (scalar only)" cc -O2 -Wall -Wextra -DVGS_NO_X86_SIMD
exit $fail
