#!/usr/bin/env bash
# Removes the edged service and program files. Models, results, token, certificate and configuration stay (a
# reinstall then keeps its pinned fingerprint and token) unless --purge is given, which also removes the
# "edged" user. Safe to run twice: what is already gone is skipped.
#
#   sudo ./firmware-scripts/uninstall.sh [--purge]
#
# EDGED_INSTALL_ROOT (default /) works below another root, like install.sh.
set -euo pipefail

root="${EDGED_INSTALL_ROOT:-/}"
root="${root%/}"
purge=0

say() { printf 'edged uninstall: %s\n' "$*"; }
die() { printf 'edged uninstall: %s\n' "$1" >&2; exit "${2:-1}"; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" 2 ;;
  esac
done

if [ ! -d "$root/run/systemd/system" ]; then
  die "systemd is not running on this machine ($root/run/systemd/system is missing); there is no edged service to remove. Nothing was changed." 3
fi
if [ "$(id -u)" -ne 0 ]; then
  die "must run as root (sudo $0). Nothing was changed." 2
fi

changed=()
unit="$root/etc/systemd/system/edged.service"
if [ -z "$root" ] && systemctl list-unit-files edged.service >/dev/null 2>&1; then
  if systemctl is-active --quiet edged.service; then
    systemctl stop edged.service
    changed+=("stopped edged.service")
  fi
  if systemctl is-enabled --quiet edged.service 2>/dev/null; then
    systemctl disable edged.service >/dev/null 2>&1
    changed+=("disabled edged.service")
  fi
fi
if [ -e "$unit" ]; then
  rm -f "$unit"
  changed+=("removed /etc/systemd/system/edged.service")
  if [ -z "$root" ]; then systemctl daemon-reload; fi
fi
if [ -d "$root/opt/edged" ]; then
  rm -rf "$root/opt/edged"
  changed+=("removed /opt/edged")
fi

if [ "$purge" -eq 1 ]; then
  for dir in /etc/edged /var/lib/edged; do
    if [ -d "$root$dir" ]; then
      # $root is empty for the real root (/), so it must not be ${root:?}; $dir is one of the two literals above.
      rm -rf "$root$dir"
      changed+=("removed $dir (token, configuration, certificate, models, results)")
    fi
  done
  if awk -F: '$1 == "edged" { found = 1 } END { exit !found }' "$root/etc/passwd"; then
    account_root=()
    if [ -n "$root" ]; then account_root=(--root "$root"); fi
    userdel "${account_root[@]}" edged
    changed+=("removed system user edged")
  fi
else
  say "kept /etc/edged and /var/lib/edged (token, certificate, models, results); --purge removes them"
fi

if [ "${#changed[@]}" -eq 0 ]; then
  say "edged is not installed; nothing changed"
else
  for line in "${changed[@]}"; do say "$line"; done
fi
