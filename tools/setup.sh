#!/usr/bin/env bash
# tools/setup.sh — everything a fresh Debian 12 machine needs before building vggshuffle:
# installs the missing Debian packages (as root, or through sudo), then configures the meson
# build directory `build/` (release, no -m flags).  Safe to run again: it only adds what is
# missing.  The shared data (photos, Megvii weights) is read from ../shared; meson converts
# the weights to safetensors during the build.
#
# Packages are installed with --no-install-recommends, so every one the build and the tests
# use is named here, even when Debian would bring it as a Recommends: libc6-dev (gcc only
# recommends it), g++ and clang (tests/header_only.sh compiles the header with them).
#
# On an x86-64 (amd64) machine it also installs the cross-architecture test matrix of
# tests/meson.build: qemu-user (x86-64 CPU models and aarch64), the aarch64 cross compiler
# and its libc (libc6-dev-arm64-cross: a Recommends of gcc-aarch64-linux-gnu) and, after
# `dpkg --add-architecture arm64`, the arm64 libraries the aarch64 build links
# (libsleef-dev:arm64, libstb-dev:arm64; both are Multi-Arch: same and sit beside the amd64
# ones).  Not libcriterion-dev:arm64: it would remove the amd64 one, and the aarch64 build does
# not need it.  The aarch64 build directory (build/aarch64, from tools/aarch64-linux-gnu.ini)
# is configured by the test suite on first use.  On an arm64 machine the tests run natively
# (NEON; no qemu matrix, tests/meson.build), and its gcc is aarch64-linux-gnu-gcc.
#
# tools/fresh_root_check.sh checks this script and the README's commands in a brand-new
# minimal Debian 12 root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config gcc libc6-dev g++ clang python3 libsleef-dev libcriterion-dev libstb-dev)
packages+=(libclang-rt-14-dev) # tools/fuzz.sh: clang's libFuzzer and sanitizer runtimes
foreign=()
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  packages+=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
  foreign=(libsleef-dev:arm64 libstb-dev:arm64)
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
for p in "${packages[@]}" "${foreign[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ ${#foreign[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build --buildtype=release >/dev/null
fi
echo "setup: build/ configured ($(meson --version), $(cc --version | head -1))"
