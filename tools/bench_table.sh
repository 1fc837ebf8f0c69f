#!/bin/bash
# tools/bench_table.sh [--runs R] [--vgg-runs R] [--rounds K] [--no-ort] [MODEL...]
# The tables of bench/README.md, as Markdown on stdout (progress on stderr), for every MODEL given
# (default: every net there are weights for):
#   1. build/bench/bench_net --runs R --threads 1,2 --batch 1,8 --markdown MODEL=WEIGHTS: per (threads,
#      batch) the median ms per pass and per image, images/s and the memory the net holds, with the
#      command of each row (four nets of a model interleaved run by run in one process);
#   2. unless --no-ort: ../shared/peers/compare.sh MODEL --rounds K --threads T, T = 1 and 2, batch 1:
#      the project's and ONNX Runtime's medians and the median per-round ratio (below 1: we are faster).
# Weights: the real ShuffleNet V1 g3/g8 0.5x (converted by meson from ../shared/models into
# build/tools/), the others from compare.sh's exports ($VGS_PEERS_DIR/models/b1/MODEL.safetensors,
# default ~/.cache/vgs-peers; `../shared/peers/compare.sh MODEL` makes them). A model without weights
# is left out with a note. Run from the project root after `meson compile -C build`; the machine
# should be otherwise idle (speed is compared within a run, but absolute times move with the load).
# Defaults: R = 20 (VGG: --vgg-runs 5), K = 3.
set -euo pipefail
RUNS=20 VGG_RUNS=5 ROUNDS=3 ORT=1 MODELS=()
die() { echo "bench_table: $1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --runs|--vgg-runs|--rounds)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "bench_table: $1 needs a positive integer" >&2; usage; }
      case $1 in --runs) RUNS=$2;; --vgg-runs) VGG_RUNS=$2;; --rounds) ROUNDS=$2;; esac; shift 2;;
    --no-ort) ORT=0; shift;;
    -h|--help) usage;;
    -*) echo "bench_table: unknown option $1" >&2; usage;;
    *) MODELS+=("$1"); shift;;
  esac
done
[ -x build/bench/bench_net ] && [ -x build/examples/vggshuffle ] ||
  die "no build/bench/bench_net or build/examples/vggshuffle: run from the project root after 'meson compile -C build'"
PEERS=${VGS_PEERS_DIR:-$HOME/.cache/vgs-peers}/models/b1
COMPARE=../shared/peers/compare.sh
[ ${#MODELS[@]} -gt 0 ] || MODELS=(shufflenet_v1_g3_x0_5 shufflenet_v1_g8_x0_5 shufflenet_v1_g3_x1_0 shufflenet_v1_g8_x1_0
  shufflenet_v2_x0_5 shufflenet_v2_x1_0 shufflenet_v2_x1_5 shufflenet_v2_x2_0 vgg16 vgg19)

# MODEL -> its weights ("" if none), and the name compare.sh knows it by
weights() {
  case $1 in
    shufflenet_v1_g[38]_x0_5) [ -f "build/tools/$1.safetensors" ] && echo "build/tools/$1.safetensors" || true;;
    *) [ -f "$PEERS/$1.safetensors" ] && echo "$PEERS/$1.safetensors" || true;;
  esac
}
peer_name() { case $1 in shufflenet_v1_g[38]_x0_5) echo "$1:REAL";; *) echo "$1";; esac; }

echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'),"\
  "$(build/examples/vggshuffle info | sed -n 's/^isa in use: \([a-z0-9]*\).*/\1/p') tier, $(nproc) cores"\
  "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average at the start $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| model | isa | threads | batch | FC weights | ms/pass | ms/image | images/s | memory MiB | command |"
echo "|---|---|---|---|---|---|---|---|---|---|"
MISSING=()
for m in "${MODELS[@]}"; do
  w=$(weights "$m")
  if [ -z "$w" ]; then MISSING+=("$m"); continue; fi
  r=$RUNS; case $m in vgg*) r=$VGG_RUNS;; esac
  echo "bench_table: $m: bench_net --runs $r" >&2
  build/bench/bench_net --runs "$r" --threads 1,2 --batch 1,8 --markdown "$m=$w" | sed "s|\`bench_net|\`build/bench/bench_net|; s|=WEIGHTS\`|=$w\`|"
done
[ ${#MISSING[@]} -eq 0 ] || { echo; echo "No weights here for: ${MISSING[*]} (\`$COMPARE MODEL\` exports them)."; }

[ $ORT = 1 ] || exit 0
[ -x "$COMPARE" ] || die "no $COMPARE (../shared beside the project) for the ONNX Runtime ratios; --no-ort skips them"
echo
echo "Against ONNX Runtime, batch 1, same rounds ($ROUNDS rounds; ms per forward, medians of the round medians):"
echo
echo "| model | threads | vggshuffle ms | ORT ms | ratio (median per round) [min-max] | command |"
echo "|---|---|---|---|---|---|"
for m in "${MODELS[@]}"; do
  [ -n "$(weights "$m")" ] || continue
  p=$(peer_name "$m")
  for t in 1 2; do
    echo "bench_table: $m: compare.sh --rounds $ROUNDS --threads $t" >&2
    if ! out=$("$COMPARE" "$p" --rounds "$ROUNDS" --threads "$t" 2>&1); then
      echo "| $m | $t | failed: $(tail -1 <<<"$out") | | | \`$COMPARE $p --rounds $ROUNDS --threads $t\` |"
      continue
    fi
    pm=$(sed -nE 's/^  project \([0-9]+ threads?\): ([0-9.]+).*/\1/p' <<<"$out")
    om=$(sed -nE 's/^  ONNX Runtime \([0-9]+ threads?\): ([0-9.]+).*/\1/p' <<<"$out")
    ra=$(sed -nE 's/^  ratio project\/ORT per round: median ([0-9.]+) \[([0-9.]+-[0-9.]+)\].*/\1 [\2]/p' <<<"$out")
    echo "| $m | $t | $pm | $om | $ra | \`$COMPARE $p --rounds $ROUNDS --threads $t\` |"
  done
done
