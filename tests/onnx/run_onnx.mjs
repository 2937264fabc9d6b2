// Runs an ONNX file in onnxruntime on the images fgq-eval --save-outputs wrote, and compares its logits
// with fgq's: prints one JSON line (examples, Top-1 of both, agreement of their top classes, the largest
// absolute and relative logit difference).
//   node tests/onnx/run_onnx.mjs MODEL.onnx OUTPUTS.safetensors [disabled|all] [--max-rel R] [--min-agreement A]
//                                [--max-top1-diff D] [--min-fused K]
// With --max-rel (largest logit difference over the largest |logit| of the image), --min-agreement (%) or
// --max-top1-diff (points) it exits with status 1 when the export is further from fgq than that; with
// --min-fused, when onnxruntime's optimized graph (level all, saved beside MODEL.onnx) has fewer than K
// QLinearConv nodes.
// onnxruntime-node comes from `npm install --ignore-scripts onnxruntime-node` (NODE_PATH names where).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ort = require("onnxruntime-node");

function fail(message) {
  console.error(`run_onnx: ${message}`);
  process.exit(1);
}

// The tensors of a safetensors file: { name: { dtype, shape, data (a typed array) } }.
function readSafetensors(path) {
  const bytes = readFileSync(path);
  const headerBytes = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerBytes).toString("utf8"));
  const types = { F32: Float32Array, I64: BigInt64Array };
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (!types[t.dtype]) fail(`${path}: tensor '${name}' of dtype ${t.dtype} (expected F32 or I64)`);
    const [begin, end] = t.data_offsets;
    const raw = bytes.subarray(8 + headerBytes + begin, 8 + headerBytes + end);
    const copy = new Uint8Array(raw);  // aligned for the typed array
    tensors[name] = { dtype: t.dtype, shape: t.shape, data: new types[t.dtype](copy.buffer) };
  }
  return tensors;
}

const argmax = (row) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0);

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = Number(args.splice(i, 2)[1]);
  if (Number.isNaN(value)) fail(`${name} needs a number`);
  return value;
};
const maxRel = option("--max-rel"), minAgreement = option("--min-agreement"), maxTop1Diff = option("--max-top1-diff");
const minFused = option("--min-fused");
const [modelPath, outputsPath, level = "all"] = args, batch = 100;
if (!modelPath || !outputsPath || !["disabled", "all"].includes(level))
  fail("usage: node tests/onnx/run_onnx.mjs MODEL.onnx OUTPUTS.safetensors [disabled|all] [--max-rel R] [--min-agreement A]");
const saved = readSafetensors(outputsPath);
for (const name of ["inputs", "labels", "logits"]) if (!saved[name]) fail(`${outputsPath}: no tensor '${name}' (written by fgq-eval --save-outputs)`);
const optimizedPath = modelPath.replace(/\.onnx$/, "") + ".optimized.onnx";
const session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: level, intraOpNumThreads: 2,
  ...(level === "all" ? { optimizedModelFilePath: optimizedPath } : {}) });
// Operator types are plain strings in the protobuf: count the fused ones in the saved graph.
const fused = level === "all" ? readFileSync(optimizedPath).toString("latin1").split("QLinearConv").length - 1 : 0;
const [n, c, h, w] = saved.inputs.shape, classes = saved.logits.shape[1], image = c * h * w;
let top1 = 0, fgqTop1 = 0, agree = 0, worstAbs = 0, worstRel = 0, seconds = 0;
for (let start = 0; start < n; start += batch) {
  const size = Math.min(batch, n - start);
  const input = new ort.Tensor("float32", saved.inputs.data.subarray(start * image, (start + size) * image), [size, c, h, w]);
  const begin = process.hrtime.bigint();
  const result = await session.run({ images: input });
  seconds += Number(process.hrtime.bigint() - begin) / 1e9;
  const logits = result.logits.data;
  for (let i = 0; i < size; ++i) {
    const ours = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    const theirs = Array.from(saved.logits.data.subarray((start + i) * classes, (start + i + 1) * classes));
    const label = Number(saved.labels.data[start + i]);
    top1 += argmax(ours) === label;
    fgqTop1 += argmax(theirs) === label;
    agree += argmax(ours) === argmax(theirs);
    const scale = Math.max(...theirs.map(Math.abs));
    for (let j = 0; j < classes; ++j) {
      const d = Math.abs(ours[j] - theirs[j]);
      worstAbs = Math.max(worstAbs, d);
      worstRel = Math.max(worstRel, d / Math.max(scale, 1e-6));
    }
  }
}
const result = { model: modelPath, optimization: level, examples: n, top1: (100 * top1) / n, fgq_top1: (100 * fgqTop1) / n,
  agreement: (100 * agree) / n, max_abs_diff: worstAbs, max_rel_diff: worstRel, images_per_second: n / seconds, qlinearconv: fused };
console.log(JSON.stringify(result));
if (maxRel !== undefined && worstRel > maxRel) fail(`${modelPath}: logits ${worstRel} (relative) from fgq's, over the tolerance ${maxRel}`);
if (minAgreement !== undefined && result.agreement < minAgreement)
  fail(`${modelPath}: top classes agree with fgq's on ${result.agreement}% of the images, under ${minAgreement}%`);
if (minFused !== undefined && level === "all" && fused < minFused)
  fail(`${modelPath}: onnxruntime fused ${fused} convolutions into QLinearConv (${optimizedPath}), fewer than ${minFused}`);
if (maxTop1Diff !== undefined && Math.abs(result.top1 - result.fgq_top1) > maxTop1Diff + 1e-9)
  fail(`${modelPath}: Top-1 ${result.top1}% against fgq's ${result.fgq_top1}%, more than ${maxTop1Diff} apart`);
