#!/usr/bin/env bash
# Private C/C++ runtime for the TorchSharp training worker.
#
# Why: TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13+). Debian 12 ships 3.4.30, and
# Debian 13's libstdc++6 needs glibc 2.38, so both have to come together. We never touch the system glibc
# (that breaks the multiarch arm64 libc the cross toolchain uses); instead Debian 13's libc6, libstdc++6 and
# libgcc-s1 are unpacked into a private folder, and the training launcher starts the worker through that
# folder's dynamic loader (a patched copy of the worker's apphost; see WorkerLauncher in
# src/EdgeCompress.Training).
#
# Idempotent: does nothing when the system libstdc++ is new enough or the runtime is already unpacked.
# EDGEC_TORCH_RUNTIME overrides the location (default /opt/edgecompress/torch-runtime).
set -euo pipefail
dest="${EDGEC_TORCH_RUNTIME:-/opt/edgecompress/torch-runtime}"
log() { printf 'torch-runtime: %s\n' "$*"; }

if [ "$(uname -m)" != "x86_64" ]; then
  log "not x86-64; the training worker is only built for linux-x64 here, nothing to do"
  exit 0
fi
syslib="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found {print $NF; found = 1}')"  # read to the end: an early exit would SIGPIPE ldconfig and fail under pipefail
if [ -n "$syslib" ] && grep -q 'GLIBCXX_3\.4\.32' "$syslib"; then
  log "system libstdc++ has GLIBCXX_3.4.32; no private runtime needed"
  exit 0
fi
if [ -x "$dest/lib/ld-linux-x86-64.so.2" ] && grep -q 'GLIBCXX_3\.4\.32' "$dest/lib/libstdc++.so.6" 2>/dev/null; then
  log "present at $dest"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A private apt configuration: the trixie source lives only in $work, never in /etc/apt.
chmod 755 "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/debs"
cat > "$work/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SRC
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Architecture=amd64"
  -o "APT::Architectures=amd64" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
log "fetching Debian 13 libc6, libstdc++6, libgcc-s1 (private apt config in $work)"
apt-get -qq "${apt_opts[@]}" update
(cd "$work/debs" && apt-get -qq "${apt_opts[@]}" download libc6 libstdc++6 libgcc-s1)

stage="$work/stage"
mkdir -p "$stage"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$stage"
done
mkdir -p "$dest.tmp/lib"
# Flatten the multiarch layout: one folder holds the loader and every library it should resolve.
cp -a "$stage"/usr/lib/x86_64-linux-gnu/. "$dest.tmp/lib/"
if [ -d "$stage/lib/x86_64-linux-gnu" ]; then cp -a "$stage"/lib/x86_64-linux-gnu/. "$dest.tmp/lib/"; fi
if [ -e "$stage/lib64/ld-linux-x86-64.so.2" ] && [ ! -e "$dest.tmp/lib/ld-linux-x86-64.so.2" ]; then
  cp -aL "$stage/lib64/ld-linux-x86-64.so.2" "$dest.tmp/lib/"
fi
for f in ld-linux-x86-64.so.2 libc.so.6 libstdc++.so.6 libgcc_s.so.1 libm.so.6; do
  if [ ! -e "$dest.tmp/lib/$f" ]; then log "unpacked runtime lacks $f" >&2; exit 1; fi
done
ls "$work"/debs/*.deb | xargs -n1 basename > "$dest.tmp/PACKAGES"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$dest.tmp" "$dest"
log "installed at $dest ($(tr '\n' ' ' < "$dest/PACKAGES"))"
