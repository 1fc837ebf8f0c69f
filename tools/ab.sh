#!/bin/bash
# tools/ab.sh [--threads T] [--rounds R] [--passes P] A B MODEL WEIGHTS — a change's speed, in one
# process: A and B are git revisions or directories holding vggshuffle.h with kernels/, arch/,
# nets/ (`.` = the working tree); both are compiled into one program (bench/ab/variant.c, their
# symbols made local but their entry points) that runs MODEL's net of each on the same
# input, passes interleaved (bench/ab/ab_net.c; on 2+ threads each timed pass after a 3 ms
# pause and an untimed pass of its own build, so that the other's workers are asleep).  Prints
# each round's medians and the median over rounds of B / A (below 1: B is faster), and whether
# their logits are identical.  The way to measure a change on a machine whose speed drifts: two
# processes minutes apart can differ by 2x on the project's VM, B / A in one process by 1-3 %.
# Defaults: T = 1, R = 7, P = 30.  Example, the working tree against the last commit:
#   chrt -f 50 tools/ab.sh HEAD . shufflenet_v2_x1_0 ~/.cache/vgs-peers/models/b1/shufflenet_v2_x1_0.safetensors
# tools/ab.sh --gemm [--rounds R] A B — the GEMM alone (bench/ab/ab_gemm.c): A's and B's kernels
# on the ShuffleNets' 1x1 shapes, hot in cache, calls interleaved, B / A per shape and whether
# the outputs are identical (R default 31; the tier: VGS_ISA or the best).
set -euo pipefail
T=1 R= P=30 GEMM=0
usage() { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --threads|--rounds|--passes)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "ab.sh: $1 needs a positive integer" >&2; usage; }
      case $1 in --threads) T=$2;; --rounds) R=$2;; --passes) P=$2;; esac; shift 2;;
    --gemm) GEMM=1; shift;;
    -h|--help) usage;;
    -*) echo "ab.sh: unknown option $1" >&2; usage;;
    *) break;;
  esac
done
if [ $GEMM = 1 ]; then [ $# -eq 2 ] || usage; else [ $# -eq 4 ] || usage; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
tree() { # REV-or-DIR -> a directory with the header tree
  if [ "$1" = . ]; then echo "$ROOT"
  elif [ -d "$1" ] && [ -f "$1/vggshuffle.h" ]; then (cd "$1" && pwd)
  else
    local d="$TMP/$2"; mkdir -p "$d"
    git -C "$ROOT" archive "$1" vggshuffle.h kernels arch nets | tar -x -C "$d" || { echo "ab.sh: no revision or tree '$1'" >&2; exit 1; }
    echo "$d"
  fi
}
A=$(tree "$1" a) B=$(tree "$2" b)
CC=${CC:-cc}
for v in A:abA:"$A" B:abB:"$B"; do
  IFS=: read -r n sym dir <<< "$v"
  "$CC" -O2 -c -I"$dir" -DVARIANT="$sym" -o "$TMP/$n.o" "$ROOT/bench/ab/variant.c"
  objcopy --keep-global-symbol="${sym}_create" --keep-global-symbol="${sym}_forward" \
          --keep-global-symbol="${sym}_sizes" --keep-global-symbol="${sym}_error" \
          --keep-global-symbol="${sym}_kernels" --keep-global-symbol="${sym}_pack_a" "$TMP/$n.o" "$TMP/$n.local.o"
done
if [ $GEMM = 1 ]; then
  R=${R:-31}
  "$CC" -O2 -I"$ROOT" -o "$TMP/ab_gemm" "$ROOT/bench/ab/ab_gemm.c" "$TMP/A.local.o" "$TMP/B.local.o" \
    $(pkg-config --libs sleef 2>/dev/null || echo -lsleef) -lm -lpthread
  "$TMP/ab_gemm" "$R"
  exit
fi
"$CC" -O2 -o "$TMP/ab_net" "$ROOT/bench/ab/ab_net.c" "$TMP/A.local.o" "$TMP/B.local.o" \
  $(pkg-config --libs sleef 2>/dev/null || echo -lsleef) -lm -lpthread
"$TMP/ab_net" "$3" "$4" "$T" "${R:-7}" "$P"
