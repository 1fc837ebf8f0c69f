#!/usr/bin/env bash
# The single-file header (tools/amalgamate.py -> build/single/vggshuffle.h), as users get it:
#   - reproducible: two runs, from another directory and on a copy of the tree elsewhere, give
#     the same bytes as the build's copy (no date, no absolute path in it);
#   - self-contained: no quoted #include directive left, one begin/end marker pair per inlined
#     file, and every file of the tree it includes is inlined;
#   - a user's program (examples/classify.c) with only the single header beside it in an empty
#     folder builds with plain `cc -O2` and classifies chelsea.png as class 285 (Egyptian cat);
#   - `meson install` puts the single file (and no kernels/ or arch/ folder) in
#     <includedir>/vggshuffle/, and a program built with `pkg-config --cflags --libs vggshuffle`
#     against the installed tree links and runs.
# (tests/header_only.sh compiles it as C99, C++, with clang and for aarch64.)  Prints TAP.
#   tests/single_header.sh SOURCE_ROOT BUILD_DIR SINGLE_HEADER WEIGHTS SHARED_DIR
set -u
root=$1 build=$2 single=$(cd "$(dirname "$3")" && pwd)/$(basename "$3") weights=$4 shared=$5
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0 fail=0
echo "1..4"
result() { # name, status (0 ok, 1 fail, or "skip REASON"); the details are in $out/log
  n=$((n + 1))
  case $2 in
    0) echo "ok $n - $1" ;;
    skip*) echo "ok $n - $1 # SKIP ${2#skip }" ;;
    *) echo "not ok $n - $1"; head -30 "$out/log" | sed 's/^/# /'; fail=1 ;;
  esac
  : >"$out/log"
}

# 1. reproducible
reproducible() {
  (cd / && python3 "$root/tools/amalgamate.py" "$root/vggshuffle.h" "$out/a.h") || return 1
  mkdir "$out/tree" && tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$out/tree" -xf - || return 1
  (cd "$out/tree" && python3 tools/amalgamate.py vggshuffle.h b.h) || return 1
  cmp "$out/a.h" "$out/tree/b.h" || return 1
  cmp "$out/a.h" "$single" || { echo "build/single/vggshuffle.h is not the amalgamation of the tree"; return 1; }
  ! grep -n -F -e "$root" -e "$out" -e "$(cd "$root" && pwd -P)" "$single" || { echo "an absolute path is in it"; return 1; }
}
reproducible >"$out/log" 2>&1
result "amalgamation reproducible (same bytes from another directory and another copy of the tree)" $?

# 2. self-contained
self_contained() {
  if grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$single"; then echo "quoted includes left"; return 1; fi
  local begins ends
  begins=$(grep -c '^/\* ==== begin ' "$single") ends=$(grep -c '^/\* ==== end ' "$single")
  [ "$begins" -gt 0 ] && [ "$begins" = "$ends" ] || { echo "$begins begin markers, $ends end markers"; return 1; }
  # every project header that vggshuffle.h reaches is inlined (each kernel family at least once per tier)
  local f
  for f in $(cd "$root" && ls kernels/*.h arch/*.h arch/*/*.h); do
    grep -q "^/\* ==== begin $f ==== \*/" "$single" || { echo "$f is not inlined"; return 1; }
  done
  local tiers want
  tiers=$(grep -c '^/\* ==== begin kernels/gemm.h ==== \*/' "$single")
  want=$(cd "$root" && ls -d arch/*/ | wc -l)
  [ "$tiers" = "$want" ] || { echo "kernels/gemm.h inlined $tiers times, expected once per tier ($want)"; return 1; }
}
self_contained >"$out/log" 2>&1
result "self-contained: no quoted include directive left, every kernels/ and arch/ file inlined" $?

# 3. a user's program in an empty folder
if [ ! -d "$shared" ]; then
  result "user program: plain cc -O2, only the single header, classifies chelsea.png" "skip no ../shared data beside the source tree (photos, weights)"
elif [ ! -f "$weights" ]; then
  result "user program: plain cc -O2, only the single header, classifies chelsea.png" "skip no converted weights $weights"
else
  user_program() {
    mkdir "$out/app" && cp "$single" "$root/examples/classify.c" "$out/app/" && cd "$out/app" || return 1
    ls
    cc -O2 classify.c -o classify -lsleef -lm -lpthread -lstb || return 1
    ./classify shufflenet_v1_g3_x0_5 "$weights" "$shared/images/chelsea.png" >run.txt || { cat run.txt; return 1; }
    cat run.txt
    sed -n 2p run.txt | grep -q 'class  285 ' || { echo "top-1 is not class 285"; return 1; }
  }
  (user_program) >"$out/log" 2>&1
  st=$?
  result "user program: plain cc -O2, only the single header, classifies chelsea.png as 285" $st
  [ $st = 0 ] && grep -E 'isa|class  285' "$out/app/run.txt" | sed 's/^/# /'
fi

# 4. the installed tree
installed() {
  meson install -C "$build" --no-rebuild --destdir "$out/dest" --tags devel >/dev/null || return 1
  local inc pc
  inc=$(find "$out/dest" -path '*/include/vggshuffle' -type d)
  [ -n "$inc" ] && cmp "$single" "$inc/vggshuffle.h" || { echo "no <includedir>/vggshuffle/vggshuffle.h equal to the single file"; return 1; }
  [ "$(ls "$inc")" = vggshuffle.h ] || { echo "installed beside it:"; ls -R "$inc"; return 1; }
  pc=$(dirname "$(find "$out/dest" -name vggshuffle.pc)")
  printf '#include <vggshuffle.h>\n#include <stdio.h>\nint main(void) { printf("isa %%s\\n", vgs_isa_name()); return vgs_isa_supported(vgs_isa_current()) ? 0 : 1; }\n' >"$out/inst.c"
  cc -O2 "$out/inst.c" -o "$out/inst" $(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$out/dest" pkg-config --cflags --libs vggshuffle) || return 1
  "$out/inst"
}
installed >"$out/log" 2>&1
result "meson install: the single file in <includedir>/vggshuffle, pkg-config build links and runs" $?
exit $fail
