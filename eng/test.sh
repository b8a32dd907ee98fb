#!/usr/bin/env bash
# Builds the solution and runs every test project, then prints one summary line: "N passed, N failed, N skipped".
#
#   bash eng/test.sh            every test (what CI runs)
#   bash eng/test.sh --fast     the fast tier: tests without a trait Category of process (edgec/edged as real
#                               processes, publishing), training (libtorch worker), aot (NativeAOT publish),
#                               board (arm64 under qemu), zoo (torchvision exports) or heavy (a minute of compute)
# Further arguments go to dotnet test (e.g. --filter "FullyQualifiedName~Calibration").
set -euo pipefail
args=()
for a in "$@"; do
  if [ "$a" = "--fast" ]; then
    args+=(--filter "Category!=process&Category!=training&Category!=aot&Category!=board&Category!=zoo&Category!=heavy")
  else
    args+=("$a")
  fi
done
set -- "${args[@]+"${args[@]}"}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="$root/TestResults"
rm -rf "$results"
dotnet build EdgeCompress.sln -c Release -nologo -v:q
status=0
dotnet test EdgeCompress.sln -c Release --no-build -nologo --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@" || status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); passed=$((passed + ${p:-0}))
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$((failed + ${f:-0}))
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$((skipped + ${n:-0}))
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
