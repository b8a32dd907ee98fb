#!/usr/bin/env bash
# Installs every system prerequisite of the build, the demo and the tests on Debian 12 (and newer).
# Idempotent: it asks apt only for what is missing, and each step in eng/bootstrap.d/ checks before it acts,
# so a second run on a prepared machine takes a second or two.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf 'bootstrap: %s\n' "$*"; }

if ! command -v dotnet >/dev/null 2>&1; then
  log "the .NET SDK 10 is required (dotnet on PATH); install it from your distribution or Microsoft's packages" >&2
  exit 2
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    log "not root and no sudo: install these packages by hand: $(cat "$here"/apt-packages*.txt | grep -v '^#' | xargs)" >&2
  fi
fi

missing=()
while read -r pkg; do
  [ -z "$pkg" ] && continue
  case "$pkg" in \#*) continue ;; esac
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done < <(cat "$here"/apt-packages*.txt)

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt packages present"
fi

# Steps with logic of their own (private C runtime for TorchSharp, arm64 cross toolchain, ...).
shopt -s nullglob
for step in "$here"/bootstrap.d/*.sh; do
  [ -e "$step" ] || continue
  log "step $(basename "$step")"
  bash "$step"
done
log "ready"
