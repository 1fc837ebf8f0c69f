#!/bin/bash
# tools/layers_ab.sh [--runs R] [--threads T] REV MODEL WEIGHTS — per-layer times of an older
# revision against the current build, on this machine in the same minutes: REV's CLI is built in
# a temporary directory (`git archive REV`, cc -O3, the system's stb and SLEEF), then REV's and
# build/examples/vggshuffle's `bench --model MODEL --weights WEIGHTS --runs R --threads T
# --layers` run alternately twice (REV, current, REV, current).  Prints a Markdown table: per
# layer of the current net the lower of each side's two medians, current / REV, and % of the
# FMA peak (layers REV lacks show "-"); then the sums by kind and the whole-pass medians.
# Defaults: R = 200, T = 1.  Run from the project root after `meson compile -C build`; the
# machine should be otherwise idle (the two sides alternate, so a drift hits both).
# Example (the tree when issue 11 was filed against now):
#   chrt -f 50 tools/layers_ab.sh c9f490e shufflenet_v2_x1_5 ~/.cache/vgs-peers/models/b1/shufflenet_v2_x1_5.safetensors
set -euo pipefail
R=200 T=1
while [ $# -gt 0 ]; do
  case $1 in
    --runs|--threads)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "layers_ab.sh: $1 needs a positive integer" >&2; exit 2; }
      case $1 in --runs) R=$2;; --threads) T=$2;; esac; shift 2;;
    -*) echo "layers_ab.sh: unknown option $1" >&2; exit 2;;
    *) break;;
  esac
done
[ $# -eq 3 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
REV=$1 MODEL=$2 WEIGHTS=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NOW=$ROOT/build/examples/vggshuffle
[ -x "$NOW" ] || { echo "layers_ab.sh: $NOW not built (meson compile -C build)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
git -C "$ROOT" archive "$REV" | tar -x -C "$TMP" || { echo "layers_ab.sh: no revision '$REV'" >&2; exit 1; }
echo "layers_ab.sh: building $REV's CLI" >&2
read -ra STB_CFLAGS <<< "$(pkg-config --cflags stb)"
read -ra STB_LIBS <<< "$(pkg-config --libs stb)"
(cd "$TMP" && cc -I. -O3 -pthread -DNDEBUG -std=gnu11 -c tools/vggshuffle.c -o lib.o &&
  cc -I. "${STB_CFLAGS[@]}" -O2 -pthread -std=gnu11 -DVGS_DEFAULT_LABELS='"none"' \
    examples/vggshuffle_cli.c lib.o -o old "${STB_LIBS[@]}" -lsleef -lm)
for i in 1 2; do
  for side in old now; do
    bin=$TMP/old; [ $side = now ] && bin=$NOW
    echo "layers_ab.sh: $side, round $i" >&2
    "$bin" bench --model "$MODEL" --weights "$WEIGHTS" --runs "$R" --threads "$T" --layers > "$TMP/$side$i.txt"
  done
done
python3 - "$TMP" "$REV" <<'PY'
import re, sys
tmp, rev = sys.argv[1], sys.argv[2]
def parse(path):
    rows, med = {}, None
    for line in open(path):
        p = line.split()
        if len(p) >= 10 and p[0].isdigit():  # #, layer, kind, kernel, output, ms, GFLOP/s, %peak, GB/s, %bw
            rows[p[1]] = (float(p[-5]), p[2], float(p[-3]))
        m = re.search(r'median ([0-9.]+) ms', line)
        if m: med = float(m.group(1))
    return rows, med
old = [parse(f'{tmp}/old{i}.txt') for i in (1, 2)]
now = [parse(f'{tmp}/now{i}.txt') for i in (1, 2)]
print(f'| layer | kind | {rev} ms | now ms | now / {rev} | {rev} %peak | now %peak |')
print('|---|---|---|---|---|---|---|')
kinds = {}
for name, (_, kind, _) in now[0][0].items():
    a = min(r[0][name][0] for r in now); ap = max(r[0][name][2] for r in now)
    if all(name in r[0] for r in old):
        b = min(r[0][name][0] for r in old); bp = max(r[0][name][2] for r in old)
        print(f'| {name} | {kind} | {b:.4f} | {a:.4f} | {a / b:.2f} | {bp:.1f} | {ap:.1f} |')
        kb, ka = kinds.get(kind, (0.0, 0.0)); kinds[kind] = (kb + b, ka + a)
    else:
        print(f'| {name} | {kind} | - | {a:.4f} | - | - | {ap:.1f} |')
print(f'\n| kind | {rev} ms | now ms | now / {rev} |\n|---|---|---|---|')
for kind, (b, a) in kinds.items():
    print(f'| {kind} | {b:.3f} | {a:.3f} | {a / b:.2f} |')
gone = [n for n in old[0][0] if n not in now[0][0]]
print(f'\nwhole pass, median ms of each run: {rev} {[r[1] for r in old]}, now {[r[1] for r in now]}'
      + (f'; layers only in {rev}: {", ".join(gone)}' if gone else ''))
PY
