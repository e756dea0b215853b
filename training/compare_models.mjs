// Runs two ONNX models through ONNX Runtime (the server's runtime) on the same input and compares every output
// they share by name, e.g. that a multi-class model's `prob` is its binary parent's output bit for bit.
// Usage: node training/compare_models.mjs <a.onnx> <b.onnx> <sample-dir> [batch]
// <sample-dir> holds input.bin (float32 little-endian NCHW) and sample.json {input_shape}; the input is run in
// batches of [batch] (default 8, the server's batch) with 2 intra-op threads, as the server runs it.
// Prints one JSON line {shared, outputs: {name: {maxAbsDiff, differing, elements}}}; exits 1 when no output is shared.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const ort = require('onnxruntime-node');

const [pathA, pathB, sampleDir, batchArg] = process.argv.slice(2);
if (!pathA || !pathB || !sampleDir) {
  console.error('usage: node training/compare_models.mjs <a.onnx> <b.onnx> <sample-dir> [batch]');
  process.exit(2);
}
const batch = Number(batchArg ?? 8);
const sample = JSON.parse(readFileSync(join(sampleDir, 'sample.json'), 'utf8'));
const bytes = readFileSync(join(sampleDir, 'input.bin'));
const input = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const [n, c, h, w] = sample.input_shape;
if (input.length !== n * c * h * w) throw new Error(`compare models: input.bin holds ${input.length} floats, expected ${n * c * h * w}`);

const options = { intraOpNumThreads: 2, executionMode: 'sequential' };
const a = await ort.InferenceSession.create(pathA, options);
const b = await ort.InferenceSession.create(pathB, options);
const shared = a.outputNames.filter((name) => b.outputNames.includes(name));
if (shared.length === 0) {
  console.log(JSON.stringify({ shared, outputs: {} }));
  process.exit(1);
}
const outputs = Object.fromEntries(shared.map((name) => [name, { maxAbsDiff: 0, differing: 0, elements: 0 }]));
for (let start = 0; start < n; start += batch) {
  const count = Math.min(batch, n - start);
  const plane = c * h * w;
  const feeds = { input: new ort.Tensor('float32', input.slice(start * plane, (start + count) * plane), [count, c, h, w]) };
  const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
  for (const name of shared) {
    const x = ra[name].data;
    const y = rb[name].data;
    const o = outputs[name];
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i] - y[i]);
      if (d !== 0 || Number.isNaN(d)) o.differing++;
      if (!(d <= o.maxAbsDiff)) o.maxAbsDiff = d;
    }
    o.elements += x.length;
  }
}
console.log(JSON.stringify({ shared, onlyA: a.outputNames.filter((x) => !shared.includes(x)), onlyB: b.outputNames.filter((x) => !shared.includes(x)), outputs }));
