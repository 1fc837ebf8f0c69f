#!/usr/bin/env bash
# tools/setup.sh — everything a fresh Debian 12 machine needs before building vggshuffle:
# installs the missing Debian packages (as root, or through sudo), then configures the meson
# build directory `build/` (release, no -m flags).  Safe to run again: it only adds what is
# missing.  The shared data (photos, Megvii weights) is read from ../shared; meson converts
# the weights to safetensors during the build.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config gcc python3 libsleef-dev libcriterion-dev libstb-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build --buildtype=release >/dev/null
fi
echo "setup: build/ configured ($(meson --version), $(cc --version | head -1))"
