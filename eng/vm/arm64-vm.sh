#!/usr/bin/env bash
# A whole arm64 machine, booted: builds a Debian 12 (bookworm) arm64 disk image from Debian's own packages (mmdebstrap
# from the configured apt mirror), boots it under qemu-system-aarch64 (virt, cortex-a72, 4 CPUs, 2 GiB, TCG), installs
# the linux-arm64 edged release tarball with firmware-scripts/install.sh inside the guest, and checks it from this
# host with edgec through the forwarded port.
#
#   bash eng/vm/arm64-vm.sh [full]      every check (default): unit/journal/modes, devices add, push, bench, bench --data,
#                                        kill -9 restart, SIGSTOP watchdog restart, reboot, uninstall --purge
#   bash eng/vm/arm64-vm.sh --smoke     image (cached), boot, install, check 1 (unit active, journal, modes) only
#   bash eng/vm/arm64-vm.sh image       build (or find) the cached image only
#   bash eng/vm/arm64-vm.sh clean       remove the image cache
#
# Environment:
#   EDGEC_VM_CACHE     image cache (default /var/cache/edgecompress/vm); images are keyed by a hash of this script's
#                      image recipe, so editing the recipe builds a new one
#   EDGEC_VM_WORK      scratch folder for this run (default: a new folder under /tmp); holds console.log, the disk
#                      overlay, the publish output, the edgec config/data folders and the model
#   EDGEC_VM_TARBALL   use this edged-VERSION-linux-arm64.tar.gz instead of publishing one (by default the script
#                      publishes from a copy of the working tree in EDGEC_VM_WORK; EDGEC_VM_PUBLISH_IN_TREE=1
#                      publishes in the checkout itself)
#   EDGEC_VM_MIRROR    Debian mirror (default: the first URIs: of /etc/apt/sources.list.d/debian.sources)
#   EDGEC_VM_API_PORT  host port forwarded to the guest's 8443 (default 18443)
#   EDGEC_VM_SSH_PORT  host port forwarded to the guest's 22 (default 18022)
#   EDGEC_VM_BOOT_TIMEOUT  seconds to wait for ssh after starting qemu (default 900)
#
# Prints PASS/FAIL per check with its evidence and the wall time of every phase; exits non-zero on any FAIL.
# CI runs it after the tests (.ci/run). Measured on a 2-core x86-64 host (TCG): image build about 7 min cold (46 min
# with initramfs-tools' default MODULES=most: mkinitramfs runs under qemu-user, so the image's initramfs lists only
# the virtio and ext4 modules it boots with), 0 s cached; the linux-arm64 publish about 1 min; boot about 40 s; every
# check about 5 min. qemu is always killed on exit.
# shellcheck disable=SC2016  # mmdebstrap hooks: $1 is the root folder, expanded by mmdebstrap, not here
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${EDGEC_VM_CACHE:-/var/cache/edgecompress/vm}"
api_port="${EDGEC_VM_API_PORT:-18443}"
ssh_port="${EDGEC_VM_SSH_PORT:-18022}"
boot_timeout="${EDGEC_VM_BOOT_TIMEOUT:-900}"
mode="full"

while [ "$#" -gt 0 ]; do
  case "$1" in
    full|--full) mode=full; shift ;;
    smoke|--smoke) mode=smoke; shift ;;
    image|--image) mode=image; shift ;;
    clean|--clean) mode=clean; shift ;;
    -h|--help) awk 'NR > 1 && /^# shellcheck/ { exit } NR > 1 && /^#/ { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) printf 'arm64-vm: unknown argument %s (see --help)\n' "$1" >&2; exit 2 ;;
  esac
done

log() { printf '[arm64-vm %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[arm64-vm %s] ERROR: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; exit 1; }

fails=0
results=()
timings=()
t_total=$SECONDS
phase_start=0
phase() { phase_name="$1"; phase_start=$SECONDS; log "== $1"; }
phase_end() { local d=$((SECONDS - phase_start)); timings+=("$(printf '%-34s %5ss' "$phase_name" "$d")"); log "-- $phase_name took ${d}s"; }
pass() { results+=("PASS $1"); printf 'PASS %s\n' "$1"; }
fail() { results+=("FAIL $1"); printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }

if [ "$mode" = clean ]; then
  rm -rf "$cache"
  log "removed $cache"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap, binfmt_misc, the image's file ownership)"

# ---------------------------------------------------------------------------------------------------------------
# Host packages
# ---------------------------------------------------------------------------------------------------------------
ensure_host_packages() {
  local missing=() pkg
  while read -r pkg; do
    pkg="${pkg%%#*}"; pkg="${pkg// /}"
    [ -n "$pkg" ] || continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done < "$repo/eng/apt-packages-vm.txt"
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing host packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } \
      || die "could not install host packages: ${missing[*]}"
  fi
}

# arm64 maintainer scripts run under qemu-user through binfmt_misc; a container may have neither mounted nor registered.
ensure_binfmt() {
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
      || die "binfmt_misc is not mounted and cannot be mounted here; arm64 maintainer scripts cannot run"
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    local conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    [ -f "$conf" ] || die "$conf missing (qemu-user-static)"
    # The packaged flags include F: the interpreter is opened now, so it also works inside the arm64 chroot.
    cat "$conf" > /proc/sys/fs/binfmt_misc/register \
      || die "could not register qemu-aarch64 with binfmt_misc"
    log "registered qemu-aarch64 with binfmt_misc"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Image (cached)
# ---------------------------------------------------------------------------------------------------------------
image_packages="linux-image-arm64 systemd systemd-sysv udev dbus kmod procps openssl ca-certificates openssh-server iproute2 passwd"
image_recipe_version=1
mirror="${EDGEC_VM_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  if [ -z "$mirror" ]; then
    mirror="$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)"
  fi
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
# The key covers the recipe (packages, hooks below, version), not the mirror's moving contents.
image_key="$(sed -n '/^# >>> image recipe/,/^# <<< image recipe/p' "${BASH_SOURCE[0]}" \
  | cat - <(printf '%s\n%s\n' "$image_packages" "$image_recipe_version") | sha256sum | cut -c1-16)"
image_dir="$cache/bookworm-arm64-$image_key"

# >>> image recipe
build_image() {
  local tmp="$cache/.build-$image_key.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  ssh-keygen -q -t ed25519 -N '' -C edgecompress-vm -f "$tmp/id_ed25519"
  local pkgs
  pkgs="$(echo "$image_packages" | tr ' ' ',')"
  log "mmdebstrap bookworm arm64 from $mirror (packages: $image_packages)"
  mmdebstrap --mode=root --variant=minbase --architectures=arm64 --include="$pkgs" \
    --aptopt='Acquire::Retries "3"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d" && echo MODULES=list > "$1/etc/initramfs-tools/conf.d/edgevm.conf" && printf "virtio_pci\nvirtio_mmio\nvirtio_blk\next4\n" > "$1/usr/share/initramfs-tools/modules.d/edgevm"' \
    --customize-hook='echo edgevm > "$1/etc/hostname"' \
    --customize-hook='printf "127.0.0.1\tlocalhost\n127.0.1.1\tedgevm\n" > "$1/etc/hosts"' \
    --customize-hook='echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$1/etc/fstab"' \
    --customize-hook='mkdir -p "$1/etc/systemd/network" && printf "[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n" > "$1/etc/systemd/network/10-wired.network"' \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
    --customize-hook='chroot "$1" systemctl enable ssh.service' \
    --customize-hook='mkdir -p "$1/etc/systemd/system/systemd-networkd-wait-online.service.d" && printf "[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=60\n" > "$1/etc/systemd/system/systemd-networkd-wait-online.service.d/any.conf"' \
    --customize-hook='echo "nameserver 10.0.2.3" > "$1/etc/resolv.conf"' \
    --customize-hook="install -d -m 0700 \"\$1/root/.ssh\" && install -m 0600 '$tmp/id_ed25519.pub' \"\$1/root/.ssh/authorized_keys\"" \
    --customize-hook='printf "UseDNS no\n" > "$1/etc/ssh/sshd_config.d/edgevm.conf"' \
    --customize-hook="cp \"\$1\"/boot/vmlinuz-* '$tmp/vmlinuz' && cp \"\$1\"/boot/initrd.img-* '$tmp/initrd.img'" \
    --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
    bookworm "$tmp/rootfs" "$mirror" >"$tmp/mmdebstrap.log" 2>&1 \
    || { tail -40 "$tmp/mmdebstrap.log" >&2; die "mmdebstrap failed (log above)"; }
  log "writing ext4 image (3 GiB sparse) from the root tree"
  mke2fs -q -t ext4 -L edgevm -d "$tmp/rootfs" "$tmp/rootfs.ext4" 3G \
    || die "mke2fs -d failed"
  rm -rf "$tmp/rootfs"
  mkdir -p "$image_dir.new"
  mv "$tmp/rootfs.ext4" "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/id_ed25519" "$tmp/id_ed25519.pub" "$tmp/mmdebstrap.log" "$image_dir.new/"
  printf '%s\n' "$image_packages" > "$image_dir.new/packages"
  rm -rf "$image_dir"
  mv "$image_dir.new" "$image_dir"
  rm -rf "$tmp"
}
# <<< image recipe

ensure_host_packages
phase "image build"
if [ -f "$image_dir/rootfs.ext4" ] && [ -f "$image_dir/vmlinuz" ] && [ -f "$image_dir/initrd.img" ]; then
  log "cached image $image_dir"
else
  ensure_binfmt
  mkdir -p "$cache"
  build_image
fi
log "image: $image_dir ($(du -sh --apparent-size "$image_dir/rootfs.ext4" | cut -f1) apparent, $(du -sh "$image_dir/rootfs.ext4" | cut -f1) on disk)"
phase_end
if [ "$mode" = image ]; then
  printf '%s\n' "${timings[@]}"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------------------------
work="${EDGEC_VM_WORK:-$(mktemp -d /tmp/edgec-vm.XXXXXX)}"
mkdir -p "$work"
export EDGEC_CONFIG_DIR="$work/edgec-config" EDGEC_DATA_DIR="$work/edgec-data"
mkdir -p "$EDGEC_CONFIG_DIR" "$EDGEC_DATA_DIR"
console="$work/console.log"
qemu_pid=""
cleanup() {
  local rc=$?
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$qemu_pid" 2>/dev/null || true
  fi
  log "work folder: $work (serial console: $console)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

key="$work/id_ed25519"
install -m 0600 "$image_dir/id_ed25519" "$key"
ssh_opts=(-i "$key" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=8 -o BatchMode=yes)
g() { ssh "${ssh_opts[@]}" root@127.0.0.1 "$@"; }
edgec="$repo/src/EdgeCompress.Cli/bin/Release/net10.0/edgec"
api="https://127.0.0.1:$api_port"

# edged tarball and edgec: built on the host (skipped for an existing EDGEC_VM_TARBALL).
phase "host build (edged linux-arm64, edgec)"
tarball="${EDGEC_VM_TARBALL:-}"
if [ -z "$tarball" ]; then
  # Published from a snapshot of the working tree (no bin/, obj/, .git): a build running in the checkout at the same
  # time shares its obj/ folders, and ilc then fails reading a half-written PDB ("Read out of bounds").
  src="$repo"
  if [ "${EDGEC_VM_PUBLISH_IN_TREE:-0}" != 1 ]; then
    src="$work/src"
    rm -rf "$src" && mkdir -p "$src"
    (cd "$repo" && tar --exclude=./.git --exclude=bin --exclude=obj -cf - .) | (cd "$src" && tar -xf -)
  fi
  log "dotnet publish src/EdgeCompress.Daemon -c Release -r linux-arm64 -p:EdgedTarball=true (in $src)"
  dotnet publish "$src/src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj" -c Release -r linux-arm64 \
    -p:EdgedTarball=true -o "$work/publish" -nologo --disable-build-servers -nodeReuse:false >"$work/publish.log" 2>&1 \
    || { tail -30 "$work/publish.log" >&2; die "linux-arm64 publish failed (log: $work/publish.log)"; }
  tarball="$(ls "$work"/edged-*-linux-arm64.tar.gz 2>/dev/null | head -1)"
fi
[ -f "$tarball" ] || die "no edged linux-arm64 tarball (looked for $work/edged-*-linux-arm64.tar.gz)"
log "tarball: $tarball"
if [ "$mode" = full ]; then
  if [ ! -x "$edgec" ]; then
    dotnet build "$repo/EdgeCompress.sln" -c Release -nologo -v:q >"$work/build.log" 2>&1 \
      || { tail -30 "$work/build.log" >&2; die "dotnet build EdgeCompress.sln failed"; }
  fi
  model="$work/squeezenet1_1.onnx"
  [ -s "$model" ] || /usr/bin/python3 - "$model" <<'EOF' >"$work/export.log" 2>&1 || { cat "$work/export.log" >&2; die "model export failed"; }
import sys, torch, torchvision
torch.manual_seed(0)
net = torchvision.models.squeezenet1_1(weights=None).eval()
torch.onnx.export(net, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=13, input_names=["image"], output_names=["logits"])
EOF
fi
phase_end

boot() {
  : >"$console"
  qemu-img create -q -f qcow2 -F raw -b "$image_dir/rootfs.ext4" "$work/disk.qcow2" || die "qemu-img create failed"
  qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 4 -m 2048 -accel tcg \
    -kernel "$image_dir/vmlinuz" -initrd "$image_dir/initrd.img" \
    -append "root=/dev/vda rw console=ttyAMA0 net.ifnames=0 systemd.show_status=1" \
    -drive "file=$work/disk.qcow2,if=virtio,format=qcow2" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$api_port-:8443,hostfwd=tcp:127.0.0.1:$ssh_port-:22" \
    -device virtio-net-pci,netdev=n0,romfile= -device virtio-rng-pci \
    -display none -monitor none -serial "file:$console" -pidfile "$work/qemu.pid" &
  qemu_pid=$!
}

# wait_until SECONDS WHAT COMMAND...: retries COMMAND every 5 s; returns 1 (naming WHAT) when it never succeeds.
# wait_for: the same, but a timeout ends the run. Both end the run when qemu itself is gone.
wait_until() {
  local limit="$1" what="$2" start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ -n "$qemu_pid" ] && ! kill -0 "$qemu_pid" 2>/dev/null; then
      tail -30 "$console" >&2 || true
      die "qemu exited while waiting for $what (serial console tail above; full log $console)"
    fi
    if [ $((SECONDS - start)) -ge "$limit" ]; then
      log "TIMEOUT: $what did not come up within ${limit}s"
      return 1
    fi
    sleep 5
  done
  log "$what is up after $((SECONDS - start))s"
}
wait_for() {
  wait_until "$@" && return 0
  tail -30 "$console" >&2 || true
  die "$2 did not come up within ${1}s (serial console tail above; full log $console)"
}

phase "boot (qemu start -> ssh answers)"
rm -f "$work/disk.qcow2"
boot
wait_for "$boot_timeout" "guest ssh on 127.0.0.1:$ssh_port" g true
g 'uname -a; systemctl is-system-running || true'
phase_end

phase "install (copy tarball, install.sh)"
g 'rm -rf /root/edged && mkdir -p /root/edged'
scp -q -i "$key" -P "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
  "$tarball" root@127.0.0.1:/root/edged/ || die "scp of the tarball into the guest failed"
install_rc=0
g 'cd /root/edged && tar -xzf edged-*-linux-arm64.tar.gz && ./edged-*-linux-arm64/firmware-scripts/install.sh' \
  2>&1 | tee "$work/install.log" || install_rc=$?
phase_end
if [ "$install_rc" -ne 0 ]; then
  fail "install.sh exited $install_rc (log $work/install.log)"
fi

health() { curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "$api/v1/health" | grep -q '^200$'; }
main_pid() { g 'systemctl show -p MainPID --value edged.service'; }

# Check 1: the unit, the journal, the modes.
phase "check 1 unit/journal/modes"
wait_until 300 "edged API on $api/v1/health" health || true
state="$(g 'systemctl is-active edged.service; systemctl show -p Type -p WatchdogUSec -p NRestarts -p MainPID edged.service' 2>&1 || true)"
journal="$(g 'journalctl -u edged.service --no-pager -o cat | tail -25' 2>&1 || true)"
modes="$(g "stat -c '%a %U:%G %n' /etc/edged/token /var/lib/edged/tls.pfx /etc/edged /etc/edged/edged.json /var/lib/edged /opt/edged/edged" 2>&1 || true)"
printf '%s\n--- journalctl -u edged (last 25 lines)\n%s\n--- stat\n%s\n' "$state" "$journal" "$modes"
if [ "$(head -1 <<<"$state")" = active ] && grep -q '^Type=notify' <<<"$state" && grep -q '^WatchdogUSec=30s' <<<"$state"; then
  pass "1a edged.service active, Type=notify, WatchdogUSec=30s ($(grep MainPID <<<"$state"))"
else
  fail "1a edged.service not active as Type=notify with a 30 s watchdog: $(tr '\n' ' ' <<<"$state")"
fi
if [ -n "$(grep -v -e '^-- ' -e '^$' <<<"$journal" || true)" ]; then
  pass "1b journalctl -u edged has edged's lines ($(grep -c . <<<"$journal") lines shown)"
else
  fail "1b journalctl -u edged is empty"
fi
if grep -qx '640 root:edged /etc/edged/token' <<<"$modes" && grep -qx '600 edged:edged /var/lib/edged/tls.pfx' <<<"$modes"; then
  pass "1c $(grep token <<<"$modes" | head -1); $(grep tls.pfx <<<"$modes")"
else
  fail "1c modes: $(tr '\n' ';' <<<"$modes")"
fi
# install.sh makes both folders 0750; systemd's StateDirectory=/ConfigurationDirectory= must not widen them on start.
if grep -qx '750 root:edged /etc/edged' <<<"$modes" && grep -qx '750 edged:edged /var/lib/edged' <<<"$modes"; then
  pass "1d after start: $(grep -x '750 root:edged /etc/edged' <<<"$modes"); $(grep -x '750 edged:edged /var/lib/edged' <<<"$modes")"
else
  fail "1d folder modes widened after start (want 750 root:edged /etc/edged, 750 edged:edged /var/lib/edged): $(grep -E ' /etc/edged$| /var/lib/edged$' <<<"$modes" | tr '\n' ';')"
fi
phase_end

if [ "$mode" = full ]; then
  # Check 2: register (pins TLS), push, bench, bench --data, list.
  phase "check 2 devices add/push/bench/list"
  g 'cat /etc/edged/token' >"$work/token" && chmod 0600 "$work/token"
  out="$("$edgec" devices add vm "$api" --token-file "$work/token" --timeout 60 2>&1)" && rc=0 || rc=$?
  printf '%s\n' "$out"
  if [ "$rc" -eq 0 ]; then pass "2a edgec devices add vm $api: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"; else fail "2a edgec devices add exited $rc: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"; fi
  out="$("$edgec" push "$model" --device vm --timeout 120 --deadline 900 2>&1)" && rc=0 || rc=$?
  printf '%s\n' "$out"
  if [ "$rc" -eq 0 ]; then pass "2b edgec push squeezenet1_1.onnx --device vm: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"; else fail "2b edgec push exited $rc: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"; fi
  out="$("$edgec" bench "$model" --device vm -n 5 --warmup 1 --timeout 120 --deadline 1200 2>&1)" && rc=0 || rc=$?
  printf '%s\n' "$out"
  if [ "$rc" -eq 0 ]; then pass "2c edgec bench squeezenet1_1.onnx --device vm -n 5: $(tr '\n' ' ' <<<"$out" | cut -c1-400)"; else fail "2c edgec bench exited $rc: $(tr '\n' ' ' <<<"$out" | cut -c1-400)"; fi
  # Real inputs on the board: the same samples run here and there, the guest's outputs judged against the host's.
  out="$("$edgec" bench "$model" --device vm --data synthetic:4 -n 2 --warmup 0 --timeout 120 --deadline 1200 2>&1)" && rc=0 || rc=$?
  printf '%s\n' "$out"
  agreement="$(grep -A2 '^outputs on vm' <<<"$out" | tr '\n' ' ' | tr -s ' ')"
  if [ "$rc" -eq 0 ] && grep -q "agrees within the quality guard's limits" <<<"$out"; then pass "2e edgec bench --data synthetic:4 --device vm: $agreement"; else fail "2e edgec bench --data exited $rc: $(tr '\n' ' ' <<<"$out" | cut -c1-600)"; fi
  out="$("$edgec" devices list --timeout 60 2>&1)" && rc=0 || rc=$?
  printf '%s\n' "$out"
  if [ "$rc" -eq 0 ] && grep -q vm <<<"$out"; then pass "2d edgec devices list: $(tr '\n' ' ' <<<"$out" | tr -s ' ' | cut -c1-400)"; else fail "2d edgec devices list exited $rc: $(tr '\n' ' ' <<<"$out" | cut -c1-400)"; fi
  phase_end

  models() { curl -sk --max-time 30 -H "Authorization: Bearer $(tr -d '\n' <"$work/token")" "$api/v1/models"; }
  api_ok() { "$edgec" devices list --timeout 30 2>&1 | tr '\n' ' ' | tr -s ' ' | cut -c1-300; }

  # Check 3: kill -9 -> Restart=on-failure.
  phase "check 3 kill -9 -> restart"
  old="$(main_pid)"
  g "kill -9 $old"
  new_pid_up() { local p; p="$(main_pid)"; [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old" ] && g 'systemctl is-active --quiet edged.service' && health; }
  wait_until 240 "edged restarted after kill -9 $old" new_pid_up || true
  new="$(main_pid)"
  ev="$(g 'journalctl -u edged.service --no-pager -o short-monotonic | grep -E "Main process exited|Scheduled restart|Started" | tail -3' 2>&1 || true)"
  printf '%s\n' "$ev"
  if [ "$new" != "$old" ] && [ "$new" != 0 ] && health; then pass "3 kill -9 $old -> new MainPID $new, API answers; $(tr '\n' '|' <<<"$ev")"; else fail "3 after kill -9 $old MainPID=$new, health failed"; fi
  phase_end

  # Check 4: SIGSTOP -> watchdog timeout (30 s) -> restart.
  phase "check 4 kill -STOP -> watchdog restart"
  old="$(main_pid)"
  g "kill -STOP $old"
  wait_until 300 "edged restarted by the watchdog after kill -STOP $old" new_pid_up || true
  new="$(main_pid)"
  ev="$(g 'journalctl -u edged.service --no-pager -o short-monotonic | grep -iE "watchdog|Main process exited|Scheduled restart" | tail -4' 2>&1 || true)"
  printf '%s\n' "$ev"
  if [ "$new" != "$old" ] && [ "$new" != 0 ] && health && grep -qi 'watchdog timeout' <<<"$ev"; then pass "4 kill -STOP $old -> watchdog -> new MainPID $new, API answers; $(tr '\n' '|' <<<"$ev")"; else fail "4 after kill -STOP $old MainPID=$new; journal: $(tr '\n' '|' <<<"$ev")"; fi
  phase_end

  # Check 5: reboot -> service back, model still stored.
  phase "check 5 reboot"
  boot_id="$(g 'cat /proc/sys/kernel/random/boot_id')"
  g 'systemctl reboot' || true
  sleep 10
  rebooted() { local b; b="$(g 'cat /proc/sys/kernel/random/boot_id')" && [ -n "$b" ] && [ "$b" != "$boot_id" ]; }
  wait_for "$boot_timeout" "guest ssh after reboot" rebooted
  wait_until 300 "edged API after reboot" health || true
  st="$(g 'systemctl is-active edged.service; systemctl show -p MainPID --value edged.service' 2>&1 || true)"
  m="$(models 2>&1 || true)"
  dl="$(api_ok)"
  printf '%s\n%s\n%s\n' "$st" "$m" "$dl"
  if [ "$(head -1 <<<"$st")" = active ] && grep -q squeezenet1_1 <<<"$m"; then pass "5 after reboot edged.service active (MainPID $(tail -1 <<<"$st")), GET /v1/models lists: $(cut -c1-300 <<<"$m"); devices list: $dl"; else fail "5 after reboot: $(tr '\n' ' ' <<<"$st"); models: $(cut -c1-300 <<<"$m")"; fi
  phase_end

  # Check 6: uninstall --purge leaves nothing.
  phase "check 6 uninstall.sh --purge"
  g '/root/edged/edged-*-linux-arm64/firmware-scripts/uninstall.sh --purge' 2>&1 | tee "$work/uninstall.log" && rc=0 || rc=$?
  left="$(g 'for p in /opt/edged /etc/edged /var/lib/edged /etc/systemd/system/edged.service /etc/systemd/system/multi-user.target.wants/edged.service /var/lib/private/edged; do [ -e "$p" ] && echo "left: $p"; done; getent passwd edged && echo "left: user edged"; getent group edged && echo "left: group edged"; systemctl is-active edged.service; systemctl list-unit-files edged.service --no-legend | grep -c edged' 2>&1 || true)"
  printf '%s\n' "$left"
  if [ "$rc" -eq 0 ] && ! grep -q '^left:' <<<"$left" && ! health; then pass "6 uninstall.sh --purge exit 0; nothing left ($(tr '\n' ' ' <<<"$left"))"; else fail "6 uninstall.sh --purge rc=$rc: $(tr '\n' ' ' <<<"$left")"; fi
  phase_end
fi

phase "shutdown"
g 'systemctl poweroff' >/dev/null 2>&1 || true
for _ in $(seq 1 60); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 2; done
phase_end

echo
echo "==== results ($mode)"
printf '%s\n' "${results[@]}"
echo "==== phase wall times"
printf '%s\n' "${timings[@]}"
printf '%-34s %5ss\n' "total" "$((SECONDS - t_total))"
if [ "$fails" -gt 0 ]; then
  echo "$fails check(s) FAILED"
  exit 1
fi
echo "all checks passed"
