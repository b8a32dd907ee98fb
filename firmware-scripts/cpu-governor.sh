#!/usr/bin/env bash
# Pins every CPU's frequency governor to "performance" for a benchmark session, and puts the previous governors
# back afterwards, so latency figures do not depend on how fast ondemand/schedutil ramps the clock up.
#
#   sudo ./cpu-governor.sh performance   # saves the current governors (once), sets performance
#   sudo ./cpu-governor.sh restore       # puts the saved governors back
#   ./cpu-governor.sh status
#
# For any Linux board with cpufreq (Raspberry Pi, Jetson, most SBCs). EDGED_BOARD_ROOT (default /) works below
# another root (tests).
set -euo pipefail
root="${EDGED_BOARD_ROOT:-/}"
root="${root%/}"
saved="$root/run/edged-governors.saved"
say() { printf 'cpu-governor: %s\n' "$*"; }
die() { printf 'cpu-governor: %s\n' "$1" >&2; exit "${2:-1}"; }

action="${1:-}"
case "$action" in
  performance|restore|status) ;;
  *) die "usage: cpu-governor.sh performance|restore|status" 2 ;;
esac

shopt -s nullglob
governors=("$root"/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor)
if [ "${#governors[@]}" -eq 0 ]; then
  die "this machine has no cpufreq governors ($root/sys/devices/system/cpu/cpu*/cpufreq missing: a VM or a kernel without cpufreq); nothing changed" 3
fi
cpu_of() { basename "$(dirname "$(dirname "$1")")"; }

case "$action" in
  status)
    for file in "${governors[@]}"; do say "$(cpu_of "$file"): $(cat "$file")"; done
    if [ -f "$saved" ]; then say "a benchmark session is on (saved governors in $saved)"; fi
    ;;
  performance)
    available="$(cat "$(dirname "${governors[0]}")/scaling_available_governors" 2>/dev/null || echo performance)"
    case " $available " in *" performance "*) ;; *) die "the kernel offers no performance governor (available: $available); nothing changed" 3 ;; esac
    for file in "${governors[@]}"; do [ -w "$file" ] || die "cannot write $file (run with sudo); nothing changed" 2; done
    # Saved once: a second "performance" must not overwrite the original governors with "performance".
    if [ ! -f "$saved" ]; then
      mkdir -p "$(dirname "$saved")"
      for file in "${governors[@]}"; do printf '%s %s\n' "$(cpu_of "$file")" "$(cat "$file")"; done > "$saved.tmp"
      mv "$saved.tmp" "$saved"
    fi
    changes=0
    for file in "${governors[@]}"; do
      before="$(cat "$file")"
      if [ "$before" != performance ]; then
        echo performance > "$file"
        say "$(cpu_of "$file"): $before -> performance"
        changes=$((changes + 1))
      fi
    done
    if [ "$changes" -eq 0 ]; then say "every CPU already runs the performance governor; nothing changed"; fi
    say "after benchmarking: sudo $0 restore"
    ;;
  restore)
    if [ ! -f "$saved" ]; then
      say "no saved governors ($saved); nothing to restore, nothing changed"
      exit 0
    fi
    while read -r cpu governor; do
      file="$root/sys/devices/system/cpu/$cpu/cpufreq/scaling_governor"
      [ -f "$file" ] || continue
      before="$(cat "$file")"
      if [ "$before" != "$governor" ]; then
        echo "$governor" > "$file"
        say "$cpu: $before -> $governor"
      fi
    done < "$saved"
    rm -f "$saved"
    say "governors restored"
    ;;
esac
