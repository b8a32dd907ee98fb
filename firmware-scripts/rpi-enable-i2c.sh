#!/usr/bin/env bash
# Enables the I2C bus on Raspberry Pi OS (for an INA219 power sensor on I2C-1): dtparam=i2c_arm=on in config.txt
# and the i2c-dev module at boot, then loads i2c-dev now. Says what it changed; a second run changes nothing.
# The same edits raspi-config makes, without its menus, so it also works over ssh in scripts.
#
#   sudo ./rpi-enable-i2c.sh
#
# EDGED_BOARD_ROOT (default /) reads and edits files below another root (tests, image builders).
set -euo pipefail
root="${EDGED_BOARD_ROOT:-/}"
root="${root%/}"
say() { printf 'rpi-enable-i2c: %s\n' "$*"; }
die() { printf 'rpi-enable-i2c: %s\n' "$1" >&2; exit "${2:-1}"; }

model="$(tr -d '\0' 2>/dev/null < "$root/proc/device-tree/model" || true)"
case "$model" in
  "Raspberry Pi"*) ;;
  *) die "this is not a Raspberry Pi (device-tree model: '${model:-none}'); nothing changed" 3 ;;
esac
config=""
for candidate in "$root/boot/firmware/config.txt" "$root/boot/config.txt"; do
  if [ -f "$candidate" ]; then config="$candidate"; break; fi
done
[ -n "$config" ] || die "$model: no config.txt in /boot/firmware or /boot; is this Raspberry Pi OS? nothing changed" 3
[ -w "$config" ] || die "cannot write $config (run with sudo); nothing changed" 2

changed=0
if grep -Eq '^[[:space:]]*dtparam=i2c_arm=on[[:space:]]*$' "$config"; then
  say "$config already has dtparam=i2c_arm=on"
elif grep -Eq '^[[:space:]]*#?[[:space:]]*dtparam=i2c_arm=(on|off)' "$config"; then
  sed -i -E 's/^[[:space:]]*#?[[:space:]]*dtparam=i2c_arm=(on|off).*$/dtparam=i2c_arm=on/' "$config"
  say "changed $config: dtparam=i2c_arm=on (was commented out or off; takes effect after a reboot)"
  changed=1
else
  printf '\n# I2C for the EdgeCompress power sensor (firmware-scripts/rpi-enable-i2c.sh)\ndtparam=i2c_arm=on\n' >> "$config"
  say "added dtparam=i2c_arm=on to $config (takes effect after a reboot)"
  changed=1
fi

modules="$root/etc/modules-load.d/i2c-dev.conf"
if grep -qx 'i2c-dev' "$modules" 2>/dev/null || grep -qx 'i2c-dev' "$root/etc/modules" 2>/dev/null; then
  say "i2c-dev already loads at boot"
else
  mkdir -p "$(dirname "$modules")"
  printf 'i2c-dev\n' > "$modules"
  say "wrote $modules: i2c-dev loads at boot"
  changed=1
fi

if [ -z "$root" ] && [ ! -d /sys/module/i2c_dev ]; then
  modprobe i2c-dev
  say "loaded the i2c-dev module now"
fi
if [ "$changed" -eq 1 ]; then
  say "reboot for the bus to appear as /dev/i2c-1, then: sudo systemctl restart edged"
else
  say "I2C was already enabled; nothing changed"
fi
