#!/usr/bin/env bash
# Puts an NVIDIA Jetson into its maximum power mode with clocks pinned for a benchmark session (nvpmodel and
# jetson_clocks), and back to the mode and clocks it had before. Says what it changed.
#
#   sudo ./jetson-power.sh max [--mode N]   # default mode 0 (MAXN on most modules; see nvpmodel -p --verbose)
#   sudo ./jetson-power.sh restore
#   ./jetson-power.sh status
#
# EDGED_BOARD_ROOT (default /) reads the board identity and keeps its saved state below another root (tests).
set -euo pipefail
root="${EDGED_BOARD_ROOT:-/}"
root="${root%/}"
saved_mode="$root/run/edged-nvpmodel.saved"
saved_clocks="$root/run/edged-jetson-clocks.saved"
say() { printf 'jetson-power: %s\n' "$*"; }
die() { printf 'jetson-power: %s\n' "$1" >&2; exit "${2:-1}"; }

action="${1:-}"
mode=0
case "$action" in
  max|restore|status) shift ;;
  *) die "usage: jetson-power.sh max [--mode N]|restore|status" 2 ;;
esac
while [ "$#" -gt 0 ]; do
  case "$1" in
    --mode) [ "$#" -ge 2 ] || die "--mode needs a number" 2; mode="$2"; shift 2 ;;
    *) die "unknown option '$1'" 2 ;;
  esac
done
case "$mode" in ''|*[!0-9]*) die "--mode takes a number (nvpmodel mode id), not '$mode'" 2 ;; esac

model="$(tr -d '\0' 2>/dev/null < "$root/proc/device-tree/model" || true)"
if [ ! -f "$root/etc/nv_tegra_release" ] && [[ "$model" != *Jetson* ]]; then
  die "this is not an NVIDIA Jetson (no /etc/nv_tegra_release, device-tree model: '${model:-none}'); nothing changed" 3
fi
for tool in nvpmodel jetson_clocks; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: install nvidia-l4t-tools (JetPack); nothing changed" 3
done
current_mode() { nvpmodel -q 2>/dev/null | awk '/^[0-9]+$/ { id = $1 } END { print id }'; }

case "$action" in
  status)
    nvpmodel -q
    jetson_clocks --show | head -n 20
    ;;
  max)
    before="$(current_mode)"
    if [ ! -f "$saved_mode" ]; then
      mkdir -p "$(dirname "$saved_mode")"
      echo "$before" > "$saved_mode"
      jetson_clocks --store "$saved_clocks"
    fi
    if [ "$before" != "$mode" ]; then
      nvpmodel -m "$mode"
      say "power mode $before -> $mode"
    else
      say "power mode already $mode"
    fi
    jetson_clocks
    say "clocks pinned to their maximum (jetson_clocks); after benchmarking: sudo $0 restore"
    ;;
  restore)
    if [ ! -f "$saved_mode" ]; then
      say "no saved power mode ($saved_mode); nothing to restore, nothing changed"
      exit 0
    fi
    if [ -f "$saved_clocks" ]; then
      jetson_clocks --restore "$saved_clocks"
      say "clocks restored from $saved_clocks"
    fi
    wanted="$(cat "$saved_mode")"
    now="$(current_mode)"
    if [ -n "$wanted" ] && [ "$wanted" != "$now" ]; then
      nvpmodel -m "$wanted"
      say "power mode $now -> $wanted"
    fi
    rm -f "$saved_mode" "$saved_clocks"
    say "power mode and clocks restored"
    ;;
esac
