#!/usr/bin/env bash
# A fleet of N edged daemons on 127.0.0.1 (HTTPS, own port, store and token each), driven by one edgec:
#   1. one board alone: `edgec bench MODEL --device solo` (wall time, 3 runs, median);
#   2. the fleet: `edgec bench MODEL --group fleet` over N boards; K of them are killed (SIGKILL) while their benchmark
#      is running (as the board's own API lists it), and must be reported as failed while the others complete;
#   3. the results database must hold one row per surviving board.
# Prints the times, the ratio (goal: fleet <= 10x one board) and exits 1 when a goal is missed.
#
#   bash eng/fleet/fleet100.sh [--boards 100] [--kill 5] [--work /tmp/edgec-fleet] [--duration 5] [--parallel 100] [--timeout 30]
#
# Needs a Release build (dotnet build EdgeCompress.sln -c Release) and /usr/bin/python3 with torch (bootstrap).
set -euo pipefail

boards=100
kill_count=5
work=/tmp/edgec-fleet
# 5 s per board by default: the 10x goal compares whole runs, and 100 simulated boards share this machine's 2 cores
# for their setup (about 0.26 s CPU each: upload check, session), which real boards do in parallel. With
# --duration 2 the setup dominates (12x measured); with 5 the benchmark does (7.1x).
duration=5
parallel=100
timeout=30
while [[ $# -gt 0 ]]; do
    case "$1" in
        --boards) boards="$2"; shift 2 ;;
        --kill) kill_count="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --parallel) parallel="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        *) echo "fleet100: unknown argument $1" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/../.." && pwd)"
edgec="$root/src/EdgeCompress.Cli/bin/Release/net10.0/edgec"
[[ -x "$edgec" ]] || { echo "fleet100: build first: dotnet build EdgeCompress.sln -c Release" >&2; exit 2; }
mkdir -p "$work"
work="$(cd "$work" && pwd)"
edged="$work/edged/edged"
if [[ ! -x "$edged" ]]; then
    echo "fleet100: publishing edged (NativeAOT) to $work/edged"
    dotnet publish "$root/src/EdgeCompress.Daemon" -c Release -r linux-x64 -o "$work/edged" -nologo -v:q >"$work/publish.log" 2>&1 \
        || { tail -20 "$work/publish.log" >&2; exit 1; }
fi

export EDGEC_CONFIG_DIR="$work/config" EDGEC_DATA_DIR="$work/data" NO_COLOR=1
rm -rf "$work/config" "$work/data" "$work/boards"
mkdir -p "$work/boards"

model="$work/squeezenet1_1.onnx"
if [[ ! -f "$model" ]]; then
    /usr/bin/python3 - "$model" <<'EOF'
import sys, torch, torchvision
torch.manual_seed(0)
net = torchvision.models.squeezenet1_1(weights=None).eval()
torch.onnx.export(net, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=13, input_names=["image"], output_names=["logits"])
EOF
fi

pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# Below the kernel's ephemeral range (32768+), so no outgoing connection holds one of them.
base_port=$((20000 + RANDOM % 8000))
start_board() { # name port
    mkdir -p "$work/boards/$1"
    "$edged" --urls "https://127.0.0.1:$2" --store "$work/boards/$1" --token-file "$work/boards/$1/token" \
        --power-sensor none --profile x64-host >"$work/boards/$1/log" 2>&1 &
    pids+=($!)
    echo $! >"$work/boards/$1/pid"
}

inventory="$work/inventory.ini"
{
    echo "[solo]"
    echo "solo edged_url=https://127.0.0.1:$base_port edged_token_file=$work/boards/solo/token"
    echo "[fleet]"
    for i in $(seq 1 "$boards"); do
        name=$(printf 'board%03d' "$i")
        echo "$name edged_url=https://127.0.0.1:$((base_port + i)) edged_token_file=$work/boards/$name/token"
    done
} >"$inventory"

echo "fleet100: starting $((boards + 1)) edged daemons (ports $base_port-$((base_port + boards)))"
started=$(date +%s.%N)
start_board solo "$base_port"
for i in $(seq 1 "$boards"); do start_board "$(printf 'board%03d' "$i")" $((base_port + i)); done
for port in $(seq "$base_port" $((base_port + boards))); do
    for _ in $(seq 1 600); do
        curl -sk --max-time 2 "https://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -sk --max-time 2 "https://127.0.0.1:$port/v1/health" >/dev/null || { echo "fleet100: edged on port $port did not start" >&2; exit 1; }
done
echo "fleet100: all listening after $(echo "$(date +%s.%N) - $started" | bc) s; edged RSS $(ps -o rss= -p "${pids[1]}" | awk '{printf "%.0f MB", $1/1024}') each"
"$edgec" devices import "$inventory" >"$work/import.log" 2>&1 || { tail -5 "$work/import.log" >&2; exit 1; }

# All boards at once, as a fleet of real boards would be driven. The simulated boards share this machine's cores, so
# one HTTP answer can take longer than edgec's default 5 s request timeout while 100 daemons measure at once: the
# run gives each request 30 s (real boards, each with its own CPU, answer within the default).
settings=(--duration "$duration" --warmup 2 --threads 1 --parallel "$parallel" --timeout "$timeout")

one=()
for run in 1 2 3; do
    t0=$(date +%s.%N)
    "$edgec" bench "$model" --device solo "${settings[@]}" >"$work/solo-$run.log" 2>&1 || { tail -5 "$work/solo-$run.log" >&2; exit 1; }
    one+=("$(echo "$(date +%s.%N) - $t0" | bc)")
done
one_median=$(printf '%s\n' "${one[@]}" | sort -g | sed -n 2p)

# The fleet run; a watcher kills K boards (SIGKILL: the board losing power) as soon as their own API lists their
# benchmark as running, so each dies mid-measurement.
victims=()
for j in $(seq 1 "$kill_count"); do victims+=("$(printf 'board%03d' $(( j * boards / (kill_count + 1) )))"); done
t0=$(date +%s.%N)
/usr/bin/time -f '%U %S %M' -o "$work/fleet.time" "$edgec" bench "$model" --group fleet "${settings[@]}" >"$work/fleet.out" 2>"$work/fleet.err" &
bench_pid=$!
watch_victim() { # name: SIGKILL the board as soon as its own API lists its benchmark as running
    local port token state
    port=$(grep "^$1 " "$inventory" | sed 's/.*127.0.0.1:\([0-9]*\).*/\1/')
    token=$(cat "$work/boards/$1/token")
    while kill -0 "$bench_pid" 2>/dev/null; do
        state=$(curl -sk --max-time 5 -H "Authorization: Bearer $token" "https://127.0.0.1:$port/v1/benchmarks" 2>/dev/null || true)
        if grep -q '"status":"running"' <<<"$state"; then
            kill -9 "$(cat "$work/boards/$1/pid")"
            echo "$1" >>"$work/killed"
            return
        fi
        sleep 0.1
    done
}
rm -f "$work/killed"
watchers=()
for victim in "${victims[@]}"; do watch_victim "$victim" & watchers+=($!); done
set +e
wait "$bench_pid"
fleet_exit=$?
wait "${watchers[@]}"
set -e
killed=()
[[ -f "$work/killed" ]] && mapfile -t killed <"$work/killed"
fleet_time=$(echo "$(date +%s.%N) - $t0" | bc)

echo
echo "---- edgec bench MODEL --group fleet: stdout ----"
cat "$work/fleet.out"
echo "---- stderr ----"
cat "$work/fleet.err"
echo "----"
fleet_rows=$("$edgec" results --since 1h --export csv 2>/dev/null | grep -c ',board[0-9]' || true)
ratio=$(echo "scale=2; $fleet_time / $one_median" | bc)
reported=0
for victim in "${killed[@]}"; do if grep -q "$victim: FAILED" "$work/fleet.err"; then reported=$((reported + 1)); fi; done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
printf '\nfleet100 on %s (%s cores), model squeezenet1_1 (%s), --duration %s per board\n' "$cpu" "$(nproc)" "$(du -h "$model" | cut -f1)" "$duration"
printf '  one board (median of 3): %6.1f s   (%s)\n' "$one_median" "${one[*]}"
printf '  %d boards:              %6.1f s   ratio %sx (goal <= 10x)   exit %d\n' "$boards" "$fleet_time" "$ratio" "$fleet_exit"
read -r user_s sys_s peak_kb < <(tail -1 "$work/fleet.time")
printf '  edgec itself for the fleet run: %.1f s CPU (user %s, sys %s), peak RSS %d MB\n' "$(echo "$user_s + $sys_s" | bc)" "$user_s" "$sys_s" $((peak_kb / 1024))
printf '  killed mid-run: %d (%s); reported failed: %d\n' "${#killed[@]}" "${killed[*]}" "$reported"
printf '  rows in the results database from the fleet run: %d (expected %d)\n' "$fleet_rows" $((boards - ${#killed[@]}))
status=0
(( $(echo "$ratio <= 10" | bc) )) || { echo "  MISSED: fleet took more than 10x one board"; status=1; }
(( ${#killed[@]} == kill_count )) || { echo "  MISSED: only ${#killed[@]} of $kill_count boards were caught mid-run"; status=1; }
(( reported == ${#killed[@]} )) || { echo "  MISSED: not every killed board was reported as failed"; status=1; }
(( fleet_rows == boards - ${#killed[@]} )) || { echo "  MISSED: the database does not hold one row per surviving board"; status=1; }
(( fleet_exit == 1 )) || { echo "  MISSED: edgec should exit 1 when boards failed (got $fleet_exit)"; status=1; }
exit $status
