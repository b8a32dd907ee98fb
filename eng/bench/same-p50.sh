#!/usr/bin/env bash
# One model, one thread, three ways of measuring it, which must agree (issue 21: one measurement service):
#   1. `edgec eval MODEL --bench`          (the host timing eval and optimize use)
#   2. `edgec bench MODEL --device local`  (the benchmark engine in process)
#   3. `edgec bench MODEL --device e1`     (a NativeAOT edged on 127.0.0.1, the same engine on a board)
# Interleaved rounds (1, 2, 3, 1, 2, 3, ...) so a slow patch of the machine hits all three alike. Prints each way's
# median p50 over the rounds and the largest gap between two of them; exits 1 when it is over the limit (10%).
#
#   bash eng/bench/same-p50.sh [--model M.onnx] [--runs 200] [--rounds 5] [--limit 10] [--work /tmp/edgec-same-p50]
#
# Needs a Release build; without --model it exports squeezenet1_1 (random weights) with /usr/bin/python3 (bootstrap).
set -euo pipefail

model=""
runs=200
rounds=5
limit=10
work=/tmp/edgec-same-p50
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) model="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --limit) limit="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        *) echo "same-p50: unknown argument $1" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/../.." && pwd)"
edgec="$root/src/EdgeCompress.Cli/bin/Release/net10.0/edgec"
[[ -x "$edgec" ]] || { echo "same-p50: build first: dotnet build EdgeCompress.sln -c Release" >&2; exit 2; }
mkdir -p "$work"
work="$(cd "$work" && pwd)"
if [[ -z "$model" ]]; then
    model="$work/squeezenet1_1.onnx"
    [[ -f "$model" ]] || /usr/bin/python3 - "$model" <<'PY'
import sys, torch, torchvision
torch.manual_seed(0)
net = torchvision.models.squeezenet1_1(weights=None).eval()
torch.onnx.export(net, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=13, input_names=["image"], output_names=["logits"])
PY
fi
[[ -f "$model" ]] || { echo "same-p50: --model $model: no such file" >&2; exit 2; }

edged="$work/edged/edged"
if [[ ! -x "$edged" || -n "$(find "$root/src/EdgeCompress.Daemon" "$root/src/EdgeCompress.Runtime" -name '*.cs' -newer "$edged" -print -quit)" ]]; then
    echo "same-p50: publishing edged (NativeAOT) to $work/edged"
    dotnet publish "$root/src/EdgeCompress.Daemon" -c Release -r linux-x64 -o "$work/edged" -nologo -v:q >"$work/publish.log" 2>&1 \
        || { tail -20 "$work/publish.log" >&2; exit 1; }
fi

export EDGEC_CONFIG_DIR="$work/config" EDGEC_DATA_DIR="$work/data" NO_COLOR=1
rm -rf "$work/config" "$work/data" "$work/board"
mkdir -p "$work/board"
port=$((20000 + RANDOM % 8000))
"$edged" --urls "https://127.0.0.1:$port" --store "$work/board" --token-file "$work/board/token" \
    --power-sensor none --profile x64-host >"$work/board/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    curl -sk --max-time 2 "https://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
    sleep 0.2
done
printf '[board]\ne1 edged_url=https://127.0.0.1:%s edged_token_file=%s\n' "$port" "$work/board/token" >"$work/inventory.ini"
"$edgec" devices import "$work/inventory.ini" >"$work/import.log" 2>&1 || { tail -5 "$work/import.log" >&2; exit 1; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "same-p50: $(basename "$model"), 1 thread, $runs runs x $rounds rounds, on $cpu ($(nproc) CPUs)"
eval_p50=(); local_p50=(); edged_p50=()
for r in $(seq 1 "$rounds"); do
    eval_p50+=("$("$edgec" eval "$model" --data synthetic:1 --bench --runs "$runs" --threads 1 --json 2>/dev/null | jq -r '.latency.median_ms')")
    local_p50+=("$("$edgec" bench "$model" --device local -n "$runs" --warmup 5 --threads 1 --json 2>/dev/null | jq -r '.[0].record.result.p50Ms')")
    edged_p50+=("$("$edgec" bench "$model" --device e1 -n "$runs" --warmup 5 --threads 1 --json 2>/dev/null | jq -r '.[0].record.result.p50Ms')")
    printf '  round %d: eval --bench %.3f ms, bench local %.3f ms, edged %.3f ms\n' "$r" "${eval_p50[-1]}" "${local_p50[-1]}" "${edged_p50[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
a=$(median "${eval_p50[@]}"); b=$(median "${local_p50[@]}"); c=$(median "${edged_p50[@]}")
gap=$(awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {lo=a; hi=a; if (b<lo) lo=b; if (c<lo) lo=c; if (b>hi) hi=b; if (c>hi) hi=c; printf "%.1f", (hi/lo - 1) * 100}')
printf 'median p50: eval --bench %.3f ms, bench --device local %.3f ms, edged %.3f ms; largest gap %s%% (limit %s%%)\n' "$a" "$b" "$c" "$gap" "$limit"
awk -v g="$gap" -v l="$limit" 'BEGIN {exit !(g <= l)}' || { echo "same-p50: the three measurements disagree by more than $limit%" >&2; exit 1; }
