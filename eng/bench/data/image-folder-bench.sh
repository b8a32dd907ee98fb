#!/usr/bin/env bash
# Image-folder read throughput: generates JPEG folders with ImageMagick (once, under $BENCH_DIR, default
# /tmp/edgec-data-bench) and runs `edgec data bench` on them: 224x224 JPEGs to a 224x224 nchw float32 tensor, and
# 500x375 camera-like JPEGs through shorter-side-then-center-crop; 1k vs 10k images for the peak-RSS comparison.
# Usage: eng/bench/data/image-folder-bench.sh [COUNT...]   (default: 1000 10000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
root=${BENCH_DIR:-/tmp/edgec-data-bench}
counts=("${@:-1000 10000}")
counts=(${counts[@]})
# /usr/bin/convert first: a stand-in named convert may sit earlier on PATH.
im=${IMAGEMAGICK:-$( [ -x /usr/bin/convert ] && echo /usr/bin/convert || command -v convert || true)}
"$im" -version 2>/dev/null | grep -q ImageMagick || { echo "needs ImageMagick: apt-get install -y imagemagick" >&2; exit 2; }

dotnet build src/EdgeCompress.Cli -c Release -nologo -v:q >/dev/null
edgec=src/EdgeCompress.Cli/bin/Release/net10.0/edgec

# One folder of N distinct JPEGs of W x H (plasma noise differs per seed, so the decoder cannot cheat on repeats).
make_folder() {
  local dir=$1 n=$2 w=$3 h=$4
  [ -f "$dir/.done" ] && return
  mkdir -p "$dir"
  local seeds=32
  for s in $(seq 0 $((seeds - 1))); do
    [ -f "$dir/base$s.jpg" ] || "$im" -seed "$s" -size "${w}x${h}" plasma:fractal -quality 90 "$dir/base$s.jpg"
  done
  for i in $(seq 0 $((n - 1))); do
    cp "$dir/base$((i % seeds)).jpg" "$dir/$(printf 'img%06d.jpg' "$i")"
  done
  rm -f "$dir"/base*.jpg
  touch "$dir/.done"
}

echo "host: $(nproc) cores, $(grep -o 'avx512_vnni\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' '); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${counts[@]}"; do
  make_folder "$root/sq224-$n" "$n" 224 224
  echo "== $n JPEGs 224x224 -> 224x224 nchw float32"
  "$edgec" data bench "$root/sq224-$n" --batch 32
done
make_folder "$root/cam500-${counts[0]}" "${counts[0]}" 500 375
echo '{"size":[224,224],"resize":"shorter-side-then-center-crop","mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}' > "$root/imagenet.json"
echo "== ${counts[0]} JPEGs 500x375 -> 224x224 shorter-side-then-center-crop"
"$edgec" data bench "$root/cam500-${counts[0]}" --preprocess "$root/imagenet.json" --batch 32
