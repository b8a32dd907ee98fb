#!/usr/bin/env bash
# The arm64 side of the cross toolchain: NativeAOT links edged for linux-arm64 with clang + lld against the
# arm64 C runtime, which comes from Debian's multiarch packages (SysRoot=/ in eng/Publish.targets).
# The host tools (clang lld llvm qemu-user-static) are in eng/apt-packages-arm64.txt.
#
# Idempotent: does nothing (no apt-get update) when every package is already installed.
set -euo pipefail
log() { printf 'arm64: %s\n' "$*"; }
# libssl3: edged (NativeAOT) loads OpenSSL at run time for TLS; needed to run the arm64 build under qemu here.
packages=(libc6-dev:arm64 libgcc-12-dev:arm64 zlib1g-dev:arm64 libstdc++6:arm64 libssl3:arm64)

if [ "$(dpkg --print-architecture)" = "arm64" ]; then
  log "host is arm64; no cross toolchain needed"
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  log "arm64 C runtime present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    log "not root and no sudo: run as root: dpkg --add-architecture arm64; apt-get update; apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "adding the arm64 architecture to dpkg"
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
log "installing: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
log "arm64 C runtime installed"
