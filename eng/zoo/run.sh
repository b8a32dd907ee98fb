#!/usr/bin/env bash
# The zoo table: every verb on every zoo model, timed, with peak RSS, each output re-run in onnxruntime-node.
#
#   bash eng/zoo/run.sh [--models a,b] [--work DIR] [--readme]
#
# Exports the zoo (eng/zoo/export_zoo.py: torchvision architectures, seeded random weights, Debian's python3-torch),
# then per model: static int8 (`edgec quantize --calibration synthetic:16`), 30% channel pruning
# (`edgec prune --channels 0.3`), factorization to 60% of the parameters (`edgec factorize --params 0.6`), and
# single-thread latency of each output against the original (`edgec eval --bench --runs 50`, interleaved). Writes
# WORK/zoo-table.md; --readme also puts it into README.md between the zoo-table markers. Random weights: the
# quality figures show how far outputs moved, not accuracy; pruning and factorization without fine-tuning move
# them far (a trained model would be fine-tuned after).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=/tmp/edgec-zoo; models=""; readme=0
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --readme) readme=1; shift ;;
    *) echo "usage: bash eng/zoo/run.sh [--models a,b] [--work DIR] [--readme]" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null \
  || { echo "needs Debian's python3-torch, python3-torchvision and python3-onnx (bash eng/bootstrap.sh installs them)" >&2; exit 2; }
command -v npm >/dev/null || { echo "needs node and npm (apt-get install -y nodejs npm)" >&2; exit 2; }
edgec="$root/src/EdgeCompress.Cli/bin/Release/net10.0/edgec"
[ -x "$edgec" ] || dotnet build "$root/src/EdgeCompress.Cli" -c Release -nologo -v:q
mkdir -p "$work/out" "$work/logs"
if [ ! -d "$work/node/node_modules/onnxruntime-node" ]; then
  npm install --silent --prefix "$work/node" --ignore-scripts --no-audit --no-fund onnxruntime-node@1.31.1 >/dev/null
fi
/usr/bin/python3 "$root/eng/zoo/export_zoo.py" "$work" ${models:+--models "$models"} 2>&1 | grep '^exported' || true
[ -s "$work/zoo.tsv" ] || { echo "export failed: no $work/zoo.tsv" >&2; exit 1; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
isa=$(grep -o 'avx512_vnni\|avx2' /proc/cpuinfo | sort -u | xargs | sed 's/ /, /')
# timed LOG CMD...: runs CMD, keeps its output in LOG, returns its exit code; LOG.time holds "seconds peak-KB".
timed() { local log="$1"; shift; local rc=0; /usr/bin/time -o "$log.time" -f "%e %M" "$@" >"$log" 2>&1 || rc=$?; return $rc; }
wall() { tail -n 1 "$1.time" | awk '{printf "%.0f s", $1}'; }   # GNU time writes "Command exited with ..." first on failure
rss() { tail -n 1 "$1.time" | awk '{printf "%.2f GB", $2/1048576}'; }
speedup() { grep -o 'speed-up *[0-9.]*x by median' "$1" | grep -o '[0-9.]*x' || echo "?"; }

table="$work/zoo-table.md"
{
  echo "| model | params | opset | int8 size | int8 cosine | int8 speed-up | int8 time / RSS | prune 30% MACs | prune speed-up | prune time / RSS | factorize params | factorize time / RSS | onnxruntime-node |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$table"

tail -n +2 "$work/zoo.tsv" | while IFS=$'\t' read -r name file params opset input kind; do
  if [ -n "$models" ] && ! [[ ",$models," == *",$name,"* ]]; then continue; fi
  m="$work/$file"; q="$work/out/$name.int8.onnx"; p="$work/out/$name.p30.onnx"; f="$work/out/$name.fact.onnx"; l="$work/logs/$name"
  rm -f "$q" "$p" "$f"
  echo "== $name ($params parameters)" >&2
  qs="failed"; qc="-"; qx="-"; qt="-"
  if timed "$l.quantize" "$edgec" quantize "$m" -o "$q" --calibration synthetic:16 && [ -f "$q" ]; then
    qs=$(grep -o 'size  .*(\([0-9.]*x\))' "$l.quantize" | grep -o '([0-9.]*x)' | tr -d '()')
    qc=$(grep -o "cosine [0-9][0-9.]*" "$l.quantize" | awk '{print $2}' | sort -n | head -1)
    timed "$l.qbench" "$edgec" eval "$q" --data synthetic:1 --baseline "$m" --bench --runs 50 && qx=$(speedup "$l.qbench")
  fi
  qt="$(wall "$l.quantize") / $(rss "$l.quantize")"
  pm="not pruned"; px="-"
  if timed "$l.prune" "$edgec" prune "$m" --out "$p" --channels 0.3 && [ -f "$p" ]; then
    pm=$(grep -o 'MACs [0-9,]* -> [0-9,]* ([0-9.]*x)' "$l.prune" | grep -o '([0-9.]*x)' | tr -d '()')
    grep -q 'did less than asked' "$l.prune" && pm="$pm (partial)"
    timed "$l.pbench" "$edgec" eval "$p" --data synthetic:1 --baseline "$m" --bench --runs 50 && px=$(speedup "$l.pbench")
  else
    pm="none: $(grep -o 'none of its [0-9]* layer groups can be pruned' "$l.prune" || echo 'see log')"
  fi
  pt="$(wall "$l.prune") / $(rss "$l.prune")"
  fr="-"
  timed "$l.factorize" "$edgec" factorize "$m" --out "$f" --params 0.6 || true
  if [ -f "$f" ]; then
    fr=$(grep -o 'params [0-9.]*[kMG]* -> [0-9.]*[kMG]* ([0-9.]*x)' "$l.factorize" | grep -o '([0-9.]*x)' | tr -d '()')
    grep -q 'not reached' "$l.factorize" && fr="$fr (target 0.6 not reached)"
  fi
  ft="$(wall "$l.factorize") / $(rss "$l.factorize")"
  outs=(); for o in "$q" "$p" "$f"; do [ -f "$o" ] && outs+=("$o"); done
  node_ok="-"
  if [ ${#outs[@]} -gt 0 ]; then
    if ZOO_NODE_MODULES="$work/node/node_modules" node "$root/eng/zoo/ort-run.js" "${outs[@]}" > "$l.node" 2>&1; then
      node_ok="${#outs[@]}/${#outs[@]} run"
    else
      node_ok="$(grep -c '^ok' "$l.node")/${#outs[@]} run"
    fi
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" \
    "$(awk -v p="$params" 'BEGIN{printf "%.1fM", p/1e6}')" "$opset" "${qs}" "${qc}" "${qx}" "$qt" "$pm" "$px" "$pt" "$fr" "$ft" "$node_ok" >> "$table"
done
{
  echo
  echo "Measured by \`bash eng/zoo/run.sh\` on $(date -u +%Y-%m-%d), $cpu ($isa), $(nproc) cores; speed-ups are"
  echo "single-thread medians of 50 runs interleaved with the original (\`edgec eval --bench\`). Random weights (seeded):"
  echo "cosine shows how far int8 moved the outputs (worst output, 16 random inputs), not accuracy."
} >> "$table"
cat "$table"
if [ "$readme" = 1 ]; then
  begin='<!-- zoo-table:begin -->'; end='<!-- zoo-table:end -->'
  grep -q "$begin" "$root/README.md" || { echo "README.md has no '$begin' marker" >&2; exit 1; }
  awk -v b="$begin" -v e="$end" -v t="$table" '
    $0 == b { print; while ((getline line < t) > 0) print line; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$root/README.md" > "$root/README.md.tmp" && mv "$root/README.md.tmp" "$root/README.md"
  echo "README.md: zoo table updated" >&2
fi
