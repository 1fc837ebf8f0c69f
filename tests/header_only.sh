#!/usr/bin/env bash
# The header alone builds without any -m flag, as C (gcc, clang; C99 and the compilers'
# default), as C++, and for aarch64 (NEON tier, compile only); each native program is linked
# against SLEEF and run.
# The source tree's vggshuffle.h (kernels/, arch/, nets/ beside it) with cc, as it is and with
# VGS_API=static; the single-file header (tools/amalgamate.py; its path is the argument, meson
# passes build/single/vggshuffle.h), copied alone into an empty folder with the program so that
# it cannot rot, with every compiler and language.  The single file is the source tree's text
# inlined, so each compiler's warnings on it are those on the tree: the tree's own copies of
# those builds (C99, clang, C++, scalar only, aarch64) took 5 of the 12 compiles' 368 s.
# Warnings count as failures.  A compiler that is not installed is a skip; gcc must be there.
# Prints TAP.
#   tests/header_only.sh [SINGLE_HEADER]
set -u
here=$(cd "$(dirname "$0")" && pwd)
single=${1:-}
[ -z "$single" ] || single=$(cd "$(dirname "$single")" && pwd)/$(basename "$single")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0 fail=0
echo "1..7"
# name, compiler, link (1: link and run, 0: compile only), flags...; compiles $src
run() {
  local name=$1 comp=$2 link=$3; shift 3
  n=$((n + 1))
  if ! command -v "$comp" >/dev/null 2>&1; then echo "ok $n - $name # SKIP $comp not installed"; return; fi
  if [ -z "$src" ]; then echo "ok $n - $name # SKIP no single-file header given"; return; fi
  local ok=1
  if [ "$link" = 1 ]; then
    "$comp" "$@" "$src" -o "$out/$n" -lsleef -lm -lpthread 2>"$out/err" && [ ! -s "$out/err" ] && "$out/$n" >"$out/run" 2>&1 || ok=0
  else
    "$comp" "$@" -c "$src" -o "$out/$n.o" 2>"$out/err" && [ ! -s "$out/err" ] || ok=0
  fi
  if [ $ok = 1 ]; then
    echo "ok $n - $name"; [ -s "$out/run" ] && sed 's/^/# /' "$out/run"; rm -f "$out/run"
  else
    echo "not ok $n - $name"; cat "$out/err" "$out/run" 2>/dev/null | head -30 | sed 's/^/# /'; fail=1
  fi
}
command -v cc >/dev/null || { echo "Bail out! no cc"; exit 1; }
# vggshuffle.h with kernels/ and arch/ beside it (the source tree)
src="$here/header_only.c" inc="-I$here/.."
run "cc -O2 (no -m flags), linked and run" cc 1 "$inc" -O2 -Wall -Wextra
run "cc -O2 -DVGS_API=static" cc 1 "$inc" -O2 -Wall -Wextra -Wno-unused-function -DVGS_API=static
# the single-file header alone in an empty folder with the program
src=""
if [ -n "$single" ]; then
  mkdir "$out/single" && cp "$single" "$out/single/vggshuffle.h" && cp "$here/header_only.c" "$out/single/" || exit 1
  src="$out/single/header_only.c"
fi
run "single file: cc -std=c99 -pedantic, linked and run" cc 1 -std=c99 -pedantic -O2 -Wall -Wextra
run "single file: clang -O2, linked and run" clang 1 -O2 -Wall -Wextra
run "single file: c++ -std=c++11 -pedantic (as C++), linked and run" c++ 1 -std=c++11 -pedantic -O2 -Wall -Wextra -x c++
run "single file: cc -O2 -DVGS_NO_X86_SIMD (scalar only), linked and run" cc 1 -O2 -Wall -Wextra -DVGS_NO_X86_SIMD
run "single file: aarch64-linux-gnu-gcc -O2 (NEON tier), compile only" aarch64-linux-gnu-gcc 0 -O2 -Wall -Wextra
exit $fail
