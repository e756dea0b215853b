// Times the exported model through onnxruntime-node the way the server runs it: a batch of 512x512 lung-
// framed 8-bit slices is resized bilinearly (align_corners=False) to S x S, scaled by 1/255 and run.
// Usage: node training/bench_onnx.mjs <model.onnx> [batch=8] [threads=2] [repeats=5]
// Prints one JSON line; msPerSlice is the median over repeats of (resize + run) / batch.
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const ort = require('onnxruntime-node');

const [modelPath, batchArg = '8', threadsArg = '2', repeatsArg = '5'] = process.argv.slice(2);
if (!modelPath) {
  console.error('usage: node training/bench_onnx.mjs <model.onnx> [batch] [threads] [repeats]');
  process.exit(2);
}
const batch = Number(batchArg);
const threads = Number(threadsArg);
const repeats = Number(repeatsArg);
const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
// onnxruntime-node does not expose metadata_props, so S and C come from the environment (shipped: 160, 1).
const size = Number(process.env.COVSEG_INPUT_SIZE ?? 160);
const channels = Number(process.env.COVSEG_INPUT_CHANNELS ?? 1);

/** Bilinear resize of a side x side uint8 plane into out (S x S, float32 x/255), align_corners=False. */
function resizeInto(src, side, out, offset) {
  const scale = side / size;
  for (let y = 0; y < size; y++) {
    const sy = Math.max((y + 0.5) * scale - 0.5, 0);
    const y0 = Math.min(Math.floor(sy), side - 1);
    const y1 = Math.min(y0 + 1, side - 1);
    const fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = Math.max((x + 0.5) * scale - 0.5, 0);
      const x0 = Math.min(Math.floor(sx), side - 1);
      const x1 = Math.min(x0 + 1, side - 1);
      const fx = sx - x0;
      const top = src[y0 * side + x0] * (1 - fx) + src[y0 * side + x1] * fx;
      const bottom = src[y1 * side + x0] * (1 - fx) + src[y1 * side + x1] * fx;
      out[offset + y * size + x] = (top * (1 - fy) + bottom * fy) / 255;
    }
  }
}

const side = 512;
const slices = Array.from({ length: batch }, (_, i) => {
  const plane = new Uint8Array(side * side);
  for (let p = 0; p < plane.length; p++) plane[p] = (p * 31 + i * 17) % 251;
  return plane;
});
const plane = size * size;
const input = new Float32Array(batch * channels * plane);
const times = [];
for (let r = 0; r < repeats + 1; r++) {
  const t0 = performance.now();
  slices.forEach((s, i) => {
    for (let c = 0; c < channels; c++) resizeInto(s, side, input, (i * channels + c) * plane);
  });
  await session.run({ input: new ort.Tensor('float32', input, [batch, channels, size, size]) });
  if (r > 0) times.push(performance.now() - t0); // the first run warms up the allocator
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(JSON.stringify({ model: modelPath, inputSize: size, batch, threads, msPerSlice: median / batch, msPerBatch: median }));
