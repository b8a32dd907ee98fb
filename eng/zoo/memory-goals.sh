#!/usr/bin/env bash
# Issue 20's memory and time goals, measured: wall time and peak RSS of each verb on large models, against its goal.
#
#   bash eng/zoo/memory-goals.sh [--work DIR] [--only large|resnet50]
#
# Exports (eng/zoo/export_zoo.py, seeded random weights, Debian's python3-torch, nothing downloaded, cached in WORK):
# - deeplabv3_resnet50_1024_fp16: DeepLabV3-ResNet50 at 1024x1024, fp16 weights and compute, 79 MB (the "88 MB-class"
#   segmentation model): `edgec quantize --calibration synthetic:16`, goal <= 4 GB peak RSS and <= 10 min;
# - resnet50 (224x224, 102 MB fp32): `edgec quantize --calibration synthetic:100`, goal <= 2 GB and <= 3 min;
#   `edgec prune --channels 0.3` and `edgec factorize --params 0.6`, goal <= 1 min each.
# Prints one row per run (seconds, peak RSS from GNU time, goal, met or MISSED) and exits 1 when a goal is missed.
# Times depend on the CPU: the script prints it. Runs take about 15 minutes on 2 vCPUs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=/tmp/edgec-memory-goals; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: bash eng/zoo/memory-goals.sh [--work DIR] [--only large|resnet50]" >&2; exit 2 ;;
  esac
done
case "$only" in ""|large|resnet50) ;; *) echo "memory-goals: --only takes large or resnet50, not '$only'" >&2; exit 2 ;; esac
if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "needs Debian's python3-torch, python3-torchvision and python3-onnx (bash eng/bootstrap.sh installs them)" >&2; exit 2
fi
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install -y time)" >&2; exit 2; }
edgec="$root/src/EdgeCompress.Cli/bin/Release/net10.0/edgec"
[ -x "$edgec" ] || dotnet build "$root/src/EdgeCompress.Cli" -c Release -nologo -v:q
mkdir -p "$work/out" "$work/logs"
want=()
[ "$only" != resnet50 ] && [ ! -s "$work/deeplabv3_resnet50_1024_fp16.onnx" ] && want+=(deeplabv3_resnet50_1024_fp16)
[ "$only" != large ] && [ ! -s "$work/resnet50.onnx" ] && want+=(resnet50)
if [ "${#want[@]}" -gt 0 ]; then
  /usr/bin/python3 "$root/eng/zoo/export_zoo.py" "$work" --models "$(IFS=,; echo "${want[*]}")" 2>&1 | grep '^exported' || true
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
isa=$(grep -o 'avx512_vnni\|avx2' /proc/cpuinfo | sort -u | xargs | sed 's/ /, /')
echo "CPU: $cpu, $(nproc) cores ($isa); memory $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo)"
printf '%-44s %8s %9s  %-18s %s\n' "run" "seconds" "peak RSS" "goal" "result"
missed=0
# goal NAME MAX_SECONDS MAX_GB CMD...: runs CMD under GNU time and prints its row.
goal() {
  local name="$1" max_s="$2" max_gb="$3"; shift 3
  local log="$work/logs/$name.log" rc=0
  /usr/bin/time -o "$log.time" -f "%e %M" "$@" >"$log" 2>&1 || rc=$?
  local s kb; read -r s kb < <(tail -n 1 "$log.time")
  local gb; gb=$(awk -v k="$kb" 'BEGIN{printf "%.2f", k/1048576}')
  local goal="<= ${max_s} s" verdict="met"
  [ "$max_gb" != "-" ] && goal="$goal, <= $max_gb GB"
  if [ "$rc" -ne 0 ] && ! grep -q 'not reached' "$log"; then verdict="FAILED (exit $rc, see $log)"; missed=1
  elif awk -v s="$s" -v m="$max_s" 'BEGIN{exit !(s > m)}'; then verdict="MISSED (time)"; missed=1
  elif [ "$max_gb" != "-" ] && awk -v g="$gb" -v m="$max_gb" 'BEGIN{exit !(g > m)}'; then verdict="MISSED (memory)"; missed=1
  fi
  printf '%-44s %8.0f %6s GB  %-18s %s\n' "$name" "$s" "$gb" "$goal" "$verdict"
}
if [ "$only" != resnet50 ]; then
  goal "quantize deeplabv3_1024_fp16 synthetic:16" 600 4 \
    "$edgec" quantize "$work/deeplabv3_resnet50_1024_fp16.onnx" --out "$work/out/deeplabv3_int8.onnx" --calibration synthetic:16
fi
if [ "$only" != large ]; then
  goal "quantize resnet50 synthetic:100" 180 2 \
    "$edgec" quantize "$work/resnet50.onnx" --out "$work/out/resnet50_int8.onnx" --calibration synthetic:100
  goal "prune resnet50 --channels 0.3" 60 - \
    "$edgec" prune "$work/resnet50.onnx" --out "$work/out/resnet50_pruned.onnx" --channels 0.3
  goal "factorize resnet50 --params 0.6" 60 - \
    "$edgec" factorize "$work/resnet50.onnx" --out "$work/out/resnet50_factorized.onnx" --params 0.6
fi
echo "logs: $work/logs"
exit "$missed"
