#!/usr/bin/env bash
# Rebuilds EdgeCompress.sln from every project under src/ and tests/ (used after merges; the list is the folders).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -f EdgeCompress.sln
dotnet new sln -n EdgeCompress --format sln >/dev/null
find src tests eng/bench -name '*.csproj' | sort | xargs dotnet sln EdgeCompress.sln add >/dev/null
