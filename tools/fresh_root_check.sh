#!/usr/bin/env bash
# tools/fresh_root_check.sh [--no-cache] [--refresh] [--keep] [REV] — the README's two commands
# on a brand-new minimal Debian 12, as a new user runs them.  For any change to set-up, build
# or test dependencies (tools/setup.sh, meson.build files, the cross file, test scripts).
#
#   1. debootstrap --variant=minbase bookworm into a new folder under /var/tmp, from the mirror
#      of this machine's apt sources (deb822 /etc/apt/sources.list.d/*.sources or classic
#      /etc/apt/sources.list; the root gets the same bookworm, -updates and -security lines);
#   2. the committed tree (`git archive REV`, default HEAD: uncommitted changes are NOT in it)
#      in ROOT/work/vggshuffle, and a read-only copy of ../shared in ROOT/work/shared;
#   3. chroot (in a private mount namespace: /proc, /sys, /dev, /dev/pts, /dev/shm, unmounted
#      on exit), as root with an empty environment but PATH and HOME, runs in /work/vggshuffle
#      the two ```sh blocks of README.md exactly as written, one after the other;
#   4. prints pass/fail per command with its time (and the failing lines), the total time, and
#      deletes the root (--keep: leaves it for inspection).
#
# Exit status: 0 if both commands passed.  Needs root, debootstrap (installed if missing) and
# the network to the Debian mirror.  Took 17 minutes on the project's 2 shared cores with the
# cache below (the test suite 15 of them, 2026-12-03); see README.md.
#
# Cache (outside the repository, $VGS_FRESH_ROOT_CACHE, default /var/cache/vgs-fresh-root):
# the debootstrap tarball (--make-tarball / --unpack-tarball) and the .deb files that
# tools/setup.sh downloaded, put back into the new root's /var/cache/apt/archives.  The root
# itself is always new: apt-get update and every install still happen in it.  --refresh
# rebuilds the tarball; --no-cache uses and writes no cache at all.
set -euo pipefail
{ # the whole script is read before it runs: editing it meanwhile does not change this run

usage() { sed -n '2,3p' "$0" | sed 's/^# //'; exit 2; }
cache=${VGS_FRESH_ROOT_CACHE:-/var/cache/vgs-fresh-root} use_cache=1 refresh=0 keep=0 rev=HEAD
for a in "$@"; do
  case $a in
    --no-cache) use_cache=0 ;;
    --refresh) refresh=1 ;;
    --keep) keep=1 ;;
    -h|--help) usage ;;
    -*) echo "fresh_root_check: unknown option $a" >&2; usage ;;
    *) rev=$a ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "fresh_root_check: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(dirname "$repo")/shared
[ -d "$shared" ] || { echo "fresh_root_check: $shared not found (the data the README's commands read)" >&2; exit 2; }
git -C "$repo" rev-parse --verify -q "$rev^{commit}" >/dev/null || { echo "fresh_root_check: no commit $rev" >&2; exit 2; }
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] || \
  echo "fresh_root_check: note: uncommitted changes in $repo are not part of the check ($rev only)"
command -v debootstrap >/dev/null || {
  echo "fresh_root_check: installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

# The README's two commands: the first two ```sh blocks.
mapfile -d '' -t commands < <(awk '/^```sh$/ {b = 1; s = ""; next} b && /^```$/ {printf "%s%c", s, 0; b = 0; next}
  b {s = s (s == "" ? "" : "\n") $0}' "$repo/README.md" | head -z -n 2)
[ ${#commands[@]} -eq 2 ] || { echo "fresh_root_check: README.md has no two \`\`\`sh blocks" >&2; exit 2; }

# The host's Debian sources for bookworm, bookworm-updates and bookworm-security, as
# "URI SUITE" lines; the first bookworm URI is debootstrap's mirror.
host_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'function flush() { if (deb) for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]; deb = nu = ns = 0 }
         /^[ \t]*$/ {flush(); next}
         /^[Tt]ypes:/ {deb = $0 ~ /[ \t]deb([ \t]|$)/}
         /^URIs:/ {for (i = 2; i <= NF; i++) u[++nu] = $i}
         /^Suites:/ {for (i = 2; i <= NF; i++) s[++ns] = $i}
         /^Enabled:[ \t]*no/ {deb = 0}
         END {flush()}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" {print $2, $3}'
  done
}
sources=$(host_sources | awk '$2 ~ /^bookworm(-updates|-security)?$/' | sort -u -k2,2)
mirror=$(awk '$2 == "bookworm" {print $1; exit}' <<<"$sources")
[ -n "$mirror" ] || { echo "fresh_root_check: no 'deb ... bookworm' source in /etc/apt/sources.list{,.d/}" >&2; exit 2; }
arch=$(dpkg --print-architecture)

t_start=$(date +%s)
root=$(mktemp -d /var/tmp/vgs-fresh-root.XXXXXX)
chmod 755 "$root" # a root folder, not mktemp's 0700 (apt's downloads run as user _apt)
log=$root.log
cleanup() {
  # The mounts live in the private namespace of the chroot step and end with it; refuse to
  # delete anything that still has a mount below it.
  if grep -q " $root/" /proc/self/mountinfo; then
    echo "fresh_root_check: mounts left under $root; not deleting it" >&2
  elif [ $keep = 1 ]; then
    echo "fresh_root_check: root kept in $root"
  else
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT
echo "fresh_root_check: $rev ($(git -C "$repo" rev-parse --short "$rev")) in $root, mirror $mirror ($arch); log $log"

# 1. the minimal root
tarball=$cache/bookworm-minbase-$arch.tgz
phase=$(date +%s)
if [ $use_cache = 1 ]; then
  mkdir -p "$cache/archives"
  if [ $refresh = 1 ] || [ ! -f "$tarball" ]; then
    debootstrap --variant=minbase --make-tarball="$tarball.new" bookworm "$root/tarball" "$mirror" >>"$log" 2>&1 || {
      echo "fresh_root_check: debootstrap --make-tarball failed:"; tail -20 "$log"; exit 1; }
    mv "$tarball.new" "$tarball"
    rm -rf --one-file-system "$root/tarball"
  fi
  debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$root" "$mirror" >>"$log" 2>&1
else
  debootstrap --variant=minbase bookworm "$root" "$mirror" >>"$log" 2>&1
fi || { echo "fresh_root_check: debootstrap failed:"; tail -20 "$log"; exit 1; }
awk '{print "deb", $1, $2, "main"}' <<<"$sources" >"$root/etc/apt/sources.list"
cp -L /etc/resolv.conf "$root/etc/resolv.conf" # the network of this machine
[ $use_cache = 0 ] || find "$cache/archives" -maxdepth 1 -name '*.deb' -exec cp -t "$root/var/cache/apt/archives/" {} +
echo "fresh_root_check: debootstrap --variant=minbase bookworm: $(($(date +%s) - phase)) s"

# 2. the committed tree and the data beside it
mkdir -p "$root/work/vggshuffle"
git -C "$repo" archive "$rev" | tar -x -C "$root/work/vggshuffle"
cp -a "$shared" "$root/work/shared"
chmod -R a-w "$root/work/shared"

# 3. the commands, in the chroot, in a private mount namespace
run_in_root() {
  local root=$1 n=0 status=0 cmd t0
  shift
  set -e # a mount that fails stops here
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --bind /dev "$root/dev"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts" # apt's log
  mount -t tmpfs tmpfs "$root/dev/shm"
  trap "umount '$root/dev/shm' '$root/dev/pts' '$root/dev' '$root/sys' '$root/proc'" EXIT
  set +e
  for cmd in "$@"; do
    n=$((n + 1)) t0=$(date +%s)
    echo "=== command $n: $cmd"
    chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      /bin/bash -c "cd /work/vggshuffle && $cmd" </dev/null
    status=$?
    echo "=== command $n: exit $status, $(($(date +%s) - t0)) s"
  done
}
export -f run_in_root
phase=$(date +%s)
unshare --mount --propagation private bash -c 'run_in_root "$@"' run_in_root "$root" "${commands[@]}" 2>&1 | tee -a "$log" |
  grep --line-buffered -v -E '^\[[0-9]+/[0-9]+\] |^ninja: ' || true
[ $use_cache = 0 ] || cp -n -t "$cache/archives/" "$root"/var/cache/apt/archives/*.deb 2>/dev/null || true

# 4. the report
echo "fresh_root_check: README commands in the fresh root: $(($(date +%s) - phase)) s"
fail=0
for n in 1 2; do
  line=$(grep -E "^=== command $n: exit [0-9]+" "$log" | tail -1 || true)
  if [ -z "$line" ] || ! grep -q ": exit 0," <<<"$line"; then
    fail=1
    echo "FAIL: command $n: ${commands[$((n - 1))]}"
    echo "  ${line:-did not finish}; its failing lines:"
    sed -n "/^=== command $n: /,/^=== command $n: exit/p" "$log" |
      grep -E -i 'error|fail|not ok|cannot|no such|bail out|timeout' | grep -v -E '^(Ok|Expected Fail|Unexpected Pass|Skipped|Timeout):' | head -40 | sed 's/^/    /' || true
  else
    echo "PASS: command $n (${line#*exit 0, })"
  fi
done
echo "fresh_root_check: $([ $fail = 0 ] && echo PASSED || echo FAILED) in $(($(date +%s) - t_start)) s (log: $log)"
exit $fail
}
