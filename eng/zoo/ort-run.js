// Loads each ONNX model given and runs it once in onnxruntime-node (a second runtime, independent of edgec's .NET
// binding) on seeded random inputs shaped from the model's own metadata (dynamic axes as 1); prints one line per
// model: "ok NAME outputs=... finite=yes" or "FAIL NAME: reason", and exits 1 if any failed.
//   node ort-run.js MODEL.onnx [MODEL.onnx ...]     (NODE_PATH or ZOO_NODE_MODULES points at onnxruntime-node)
const path = require("path");
const ort = require(path.join(process.env.ZOO_NODE_MODULES || "", "onnxruntime-node"));

let seed = 20;
function rand() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }

function inputFor(meta) {
  const dims = (meta.shape || []).map(d => (typeof d === "number" && d > 0 ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  switch (meta.type) {
    case "float32": return new ort.Tensor("float32", Float32Array.from({ length: n }, () => rand() * 2 - 1), dims);
    case "float16": return new ort.Tensor("float16", Uint16Array.from({ length: n }, () => 0x3800), dims); // 0.5
    case "int64": return new ort.Tensor("int64", BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 100))), dims);
    case "int32": return new ort.Tensor("int32", Int32Array.from({ length: n }, () => Math.floor(rand() * 100)), dims);
    default: throw new Error(`input '${meta.name}' has type ${meta.type}, not handled here`);
  }
}

(async () => {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    try {
      const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
      const feeds = {};
      for (const m of s.inputMetadata) feeds[m.name] = inputFor(m);
      const out = await s.run(feeds);
      const names = Object.keys(out);
      const finite = names.every(k => out[k].type.startsWith("float32") ? Array.prototype.every.call(out[k].data, Number.isFinite) : true);
      console.log(`${finite ? "ok" : "FAIL"} ${path.basename(file)} outputs=${names.map(k => `${k}[${out[k].dims.join("x")}]`).join(",")} finite=${finite ? "yes" : "no"}`);
      if (!finite) failed++;
    } catch (e) {
      console.log(`FAIL ${path.basename(file)}: ${String(e.message || e).split("\n")[0]}`);
      failed++;
    }
  }
  process.exit(failed ? 1 : 0);
})();
