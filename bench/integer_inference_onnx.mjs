// onnxruntime's speed on the ONNX files bench/integer_inference --onnx DIR wrote (ResNet-50 FP32 and
// folded FGQ), CPU provider, graph optimizations at their default (all), 2 intra-op threads: images/s,
// the median of REPEATS runs after two warm-up runs, printed as bench/integer_inference's lines
// (`onnxruntime resnet50 ENGINE BATCH images_per_second`).
//   node bench/integer_inference_onnx.mjs DIR [--repeats R] [--batches 1,16]   (NODE_PATH: scripts/onnxruntime.sh)
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";

const ort = createRequire(import.meta.url)("onnxruntime-node");

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args.splice(i, 2)[1];
};
const repeats = Number(option("--repeats", "5"));
const batches = option("--batches", "1,16").split(",").map(Number);
const [dir] = args;
if (!dir || !(repeats > 0) || batches.some((b) => !(b > 0))) {
  console.error("usage: node bench/integer_inference_onnx.mjs DIR [--repeats R] [--batches 1,16]");
  process.exit(1);
}

async function medianSeconds(session, feeds) {
  const times = [];
  for (let i = 0; i < repeats + 2; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    if (i >= 2) times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const files = readdirSync(dir).filter((f) => /^resnet50_.*\.onnx$/.test(f)).sort();
if (files.length === 0) {
  console.error(`integer_inference_onnx: ${dir}: no resnet50_*.onnx (written by bench/integer_inference --onnx DIR)`);
  process.exit(1);
}
for (const file of files) {
  const engine = file.replace(/^resnet50_/, "").replace(/\.onnx$/, "");
  const session = await ort.InferenceSession.create(`${dir}/${file}`,
    { graphOptimizationLevel: "all", intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: "sequential" });
  for (const batch of batches) {
    const images = Float32Array.from({ length: batch * 3 * 224 * 224 }, () => Math.random() * 2 - 1);
    const seconds = await medianSeconds(session, { images: new ort.Tensor("float32", images, [batch, 3, 224, 224]) });
    console.log(`onnxruntime resnet50 ${engine} ${batch} ${(batch / seconds).toFixed(2)}`);
  }
}
