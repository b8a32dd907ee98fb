#!/usr/bin/env bash
# Installs (or upgrades) edged as a systemd service from an unpacked edged-VERSION-RID tarball.
#
#   sudo ./firmware-scripts/install.sh [--profile ID] [--no-start]
#
# What it does, each step only when needed, so running it twice changes nothing the second time:
#   - system user "edged" (no login, no home) in the gpio and i2c groups (created when the board lacks them)
#   - /opt/edged: edged, libonnxruntime.so, VERSION, device-profiles/, firmware-scripts/ (replaced on upgrade)
#   - /etc/edged/edged.json (kept when present: it is the admin's), /etc/edged/token (random, 0640 root:edged)
#   - /var/lib/edged/tls.pfx: a self-signed P-256 certificate (kept when present, so pinned clients keep trusting it)
#   - /etc/systemd/system/edged.service (hardened), enabled and (re)started
# EDGED_INSTALL_ROOT (default /) installs below another root; it exists for tests and image builders.
set -euo pipefail

root="${EDGED_INSTALL_ROOT:-/}"
root="${root%/}"
bundle="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile=""
start=1

say() { printf 'edged install: %s\n' "$*"; }
die() { printf 'edged install: %s\n' "$1" >&2; exit "${2:-1}"; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --profile) [ "$#" -ge 2 ] || die "--profile needs a profile id" 2; profile="$2"; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" 2 ;;
  esac
done

# Refusals come first and touch nothing.
if [ ! -d "$root/run/systemd/system" ]; then
  die "systemd is not running on this machine ($root/run/systemd/system is missing); edged installs as a systemd service only. Nothing was changed. Run $bundle/edged by hand instead (edged --help)." 3
fi
for file in edged libonnxruntime.so VERSION edged.json firmware-scripts/edged.service; do
  [ -e "$bundle/$file" ] || die "$bundle/$file is missing: run install.sh from an unpacked edged tarball (dotnet publish -p:EdgedTarball=true). Nothing was changed." 2
done
if [ -n "$profile" ]; then
  case "$profile" in *[!a-z0-9-]*) die "profile id '$profile' may hold only a-z, 0-9 and '-'. Nothing was changed." 2 ;; esac
  if [ ! -f "$bundle/device-profiles/$profile.json" ]; then
    have=""
    for file in "$bundle"/device-profiles/*.json; do have="$have $(basename "$file" .json)"; done
    die "no device profile '$profile' in $bundle/device-profiles (have:$have). Nothing was changed." 2
  fi
fi
if [ "$(id -u)" -ne 0 ]; then
  die "must run as root (sudo $0). Nothing was changed." 2
fi

version="$(cat "$bundle/VERSION")"
opt="$root/opt/edged"
etc="$root/etc/edged"
state="$root/var/lib/edged"
unit="$root/etc/systemd/system/edged.service"
changed=()

# 1. The service account: a system user that only the unit runs as, in the groups that own /dev/gpiochip* and /dev/i2c-*.
# Local account files are read directly (system users are always local), so a different root works the same way.
account_root=()
if [ -n "$root" ]; then account_root=(--root "$root"); fi
has_group() { awk -F: -v g="$1" '$1 == g { found = 1 } END { exit !found }' "$root/etc/group"; }
has_user() { awk -F: -v u="$1" '$1 == u { found = 1 } END { exit !found }' "$root/etc/passwd"; }
in_group() { awk -F: -v g="$1" -v u="$2" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 } END { exit !found }' "$root/etc/group"; }
for group in gpio i2c; do
  if ! has_group "$group"; then
    groupadd "${account_root[@]}" --system "$group"
    changed+=("created group $group")
  fi
done
if ! has_user edged; then
  useradd "${account_root[@]}" --system --user-group --no-create-home --home-dir /var/lib/edged \
    --shell /usr/sbin/nologin --comment "EdgeCompress on-board daemon" edged
  changed+=("created system user edged")
fi
for group in gpio i2c; do
  if ! in_group "$group" edged; then
    usermod "${account_root[@]}" -a -G "$group" edged
    changed+=("added edged to group $group")
  fi
done
# Numeric ids: chown by name would ask this machine's account database, not the one below $root.
uid="$(awk -F: '$1 == "edged" { print $3 }' "$root/etc/passwd")"
gid="$(awk -F: '$1 == "edged" { print $4 }' "$root/etc/passwd")"

# 2. Program files: staged beside the old ones and swapped in, so a failed copy never leaves half an install.
install -d -m 0755 "$root/opt"
if [ ! -f "$opt/VERSION" ] || ! cmp -s "$bundle/edged" "$opt/edged" || ! cmp -s "$bundle/VERSION" "$opt/VERSION"; then
  staging="$(mktemp -d "$root/opt/.edged-new.XXXXXX")"
  install -m 0755 "$bundle/edged" "$staging/edged"
  install -m 0644 "$bundle/libonnxruntime.so" "$bundle/VERSION" "$staging/"
  install -d -m 0755 "$staging/device-profiles" "$staging/firmware-scripts"
  install -m 0644 "$bundle"/device-profiles/*.json "$staging/device-profiles/"
  install -m 0755 "$bundle"/firmware-scripts/*.sh "$staging/firmware-scripts/"
  install -m 0644 "$bundle/firmware-scripts/edged.service" "$staging/firmware-scripts/"
  chmod 0755 "$staging"
  rm -rf "$opt.old"
  if [ -d "$opt" ]; then mv "$opt" "$opt.old"; fi
  mv "$staging" "$opt"
  rm -rf "$opt.old"
  changed+=("installed edged $version in /opt/edged")
fi

# 3. Configuration, token, state folder: created once, never overwritten.
install -d -m 0750 -o 0 -g "$gid" "$etc"
if [ ! -f "$etc/edged.json" ]; then
  if [ -n "$profile" ]; then
    sed "s/\"profile\": \"[^\"]*\"/\"profile\": \"$profile\"/" "$bundle/edged.json" > "$etc/edged.json.tmp"
  else
    cp "$bundle/edged.json" "$etc/edged.json.tmp"
  fi
  chown "0:$gid" "$etc/edged.json.tmp"
  chmod 0640 "$etc/edged.json.tmp"
  mv "$etc/edged.json.tmp" "$etc/edged.json"
  changed+=("wrote /etc/edged/edged.json")
fi
if [ ! -s "$etc/token" ]; then
  (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$etc/token.tmp" && echo >> "$etc/token.tmp")
  chown "0:$gid" "$etc/token.tmp"
  chmod 0640 "$etc/token.tmp"
  mv "$etc/token.tmp" "$etc/token"
  changed+=("created bearer token /etc/edged/token")
fi
install -d -m 0750 -o "$uid" -g "$gid" "$state"
if [ ! -f "$state/tls.pfx" ]; then
  if command -v openssl >/dev/null 2>&1; then
    tls="$(mktemp -d)"
    host="$(hostname)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days 7300 -nodes \
      -subj "/CN=edged $host" -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" \
      -addext "extendedKeyUsage=serverAuth" -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
    openssl pkcs12 -export -inkey "$tls/key.pem" -in "$tls/cert.pem" -passout pass: -out "$tls/tls.pfx"
    install -m 0600 -o "$uid" -g "$gid" "$tls/tls.pfx" "$state/tls.pfx"
    fingerprint="$(openssl x509 -in "$tls/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
    rm -rf "$tls"
    changed+=("created TLS certificate /var/lib/edged/tls.pfx (SHA-256 $fingerprint)")
  else
    say "openssl not found: edged creates its certificate on first start (fingerprint in: journalctl -u edged)"
  fi
fi

# 4. The unit. A changed unit needs daemon-reload; a changed binary or unit needs a restart.
if ! cmp -s "$bundle/firmware-scripts/edged.service" "$unit"; then
  install -D -m 0644 "$bundle/firmware-scripts/edged.service" "$unit"
  changed+=("installed /etc/systemd/system/edged.service")
fi
if [ "$root" = "" ]; then
  systemctl daemon-reload
  systemctl enable edged.service >/dev/null 2>&1 || systemctl enable edged.service
  if [ "$start" -eq 1 ]; then
    if [ "${#changed[@]}" -gt 0 ] || ! systemctl is-active --quiet edged.service; then
      systemctl restart edged.service
      changed+=("(re)started edged.service")
    fi
  fi
fi

if [ "${#changed[@]}" -eq 0 ]; then
  say "edged $version already installed; nothing changed"
else
  for line in "${changed[@]}"; do say "$line"; done
fi
say "register it from your computer: copy $etc/token there, then"
say "  edgec devices add $(hostname) https://$(hostname):8443 --token-file TOKEN-COPY"
