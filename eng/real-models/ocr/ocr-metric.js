// The second runtime: onnxruntime-node runs a PaddleOCR model over rendered data and prints one JSON number.
//   node ocr-metric.js MODEL DATA[@N]
// DATA with class folders (0/, 180/): the direction classifier's top-1 accuracy in %.
// DATA with text.tsv: the recogniser's character accuracy in % (1 - edit distance / characters, CTC greedy decode).
// Preprocessing is PaddleOCR's own: BGR, height 48, width ceil(48*w/h) capped at the input width, (x/255-0.5)/0.5,
// right-padded with 0; written here independently of edgec's.
// Needs OCR_NODE_MODULES (a node_modules folder with onnxruntime-node and pngjs) and OCR_KEYS (ppocr_keys_v1.txt);
// eng/real-models/ocr/run.sh sets both.
const fs = require('fs'), path = require('path');
const modules = process.env.OCR_NODE_MODULES || path.join(__dirname, 'node_modules');
const ort = require(path.join(modules, 'onnxruntime-node'));
const { PNG } = require(path.join(modules, 'pngjs'));
const [modelPath, spec] = process.argv.slice(2);
const [dir, nText] = spec.split('@');
const limit = nText ? parseInt(nText, 10) : Infinity;
const W = parseInt(process.env.OCR_WIDTH || (fs.existsSync(path.join(dir, 'text.tsv')) ? '320' : '192'), 10), H = 48;

function load(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const { width: w, height: h, data } = png;
  const rw = Math.min(W, Math.ceil(H * w / h));
  const t = new Float32Array(3 * H * W); // zero = padding after normalisation
  for (let y = 0; y < H; y++) for (let x = 0; x < rw; x++) {
    const sx = Math.min(Math.max((x + 0.5) * w / rw - 0.5, 0), w - 1), sy = Math.min(Math.max((y + 0.5) * h / H - 0.5, 0), h - 1);
    const x0 = Math.floor(sx), y0 = Math.floor(sy), x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
    const fx = sx - x0, fy = sy - y0;
    for (let c = 0; c < 3; c++) {
      const ch = 2 - c; // BGR
      const p = (xx, yy) => data[(yy * w + xx) * 4 + ch];
      const v = (p(x0, y0) * (1 - fx) + p(x1, y0) * fx) * (1 - fy) + (p(x0, y1) * (1 - fx) + p(x1, y1) * fx) * fy;
      t[c * H * W + y * W + x] = (v / 255 - 0.5) / 0.5;
    }
  }
  return new ort.Tensor('float32', t, [1, 3, H, W]);
}
function editDistance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++)
    d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
(async () => {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  const input = session.inputNames[0], output = session.outputNames[0];
  const tsv = path.join(dir, 'text.tsv');
  if (fs.existsSync(tsv)) {
    const keys = fs.readFileSync(process.env.OCR_KEYS || path.join(__dirname, 'ppocr_keys_v1.txt'), 'utf8').split('\n').filter((_, i, a) => i < a.length - 1 || a[i] !== '');
    const chars = ['', ...keys.map(k => k.replace(/\r$/, '')), ' '];
    const rows = fs.readFileSync(tsv, 'utf8').split('\n').filter(Boolean).map(l => l.split('\t')).slice(0, limit);
    let errors = 0, total = 0;
    for (const [file, text] of rows) {
      const out = (await session.run({ [input]: load(path.join(dir, file)) }))[output];
      const [, T, C] = out.dims; let prev = -1, s = '';
      for (let t = 0; t < T; t++) {
        let best = 0; for (let c = 1; c < C; c++) if (out.data[t * C + c] > out.data[t * C + best]) best = c;
        if (best !== prev && best !== 0) s += chars[best]; prev = best;
      }
      errors += editDistance([...s.trim()], [...text]); total += [...text].length;
    }
    console.log(JSON.stringify(Math.max(0, 100 * (1 - errors / total))));
  } else {
    const classes = fs.readdirSync(dir).filter(d => fs.statSync(path.join(dir, d)).isDirectory()).sort();
    const lists = classes.map(c => fs.readdirSync(path.join(dir, c)).filter(f => f.endsWith('.png')).sort());
    const items = []; // round-robin over classes: the first N are balanced
    for (let i = 0; items.length < Math.min(limit, lists.reduce((a, l) => a + l.length, 0)); i++)
      lists.forEach((l, c) => { if (i < l.length && items.length < limit) items.push([c, path.join(dir, classes[c], l[i])]); });
    let right = 0;
    for (const [label, file] of items) {
      const out = (await session.run({ [input]: load(file) }))[output].data;
      let best = 0; for (let c = 1; c < out.length; c++) if (out[c] > out[best]) best = c;
      if (best === label) right++;
    }
    console.log(JSON.stringify(100 * right / items.length));
  }
})().catch(e => { console.error('ocr-metric: ' + e.message); process.exit(1); });
