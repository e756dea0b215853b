// Checks that ONNX Runtime (the runtime the server uses) reproduces PyTorch's output of an exported model.
// Python has no onnxruntime on this machine, so export_onnx.py writes a sample and this script runs it.
// Usage: node training/check_parity.mjs <model.onnx> <sample-dir> [tolerance]
// Prints one JSON line {maxAbsDiff, meanAbsDiff, tolerance, ok[, maxAbsDiffByOutput]} over every output the
// sample lists (prob only, or prob and consolidation); exits 1 when the tolerance is exceeded.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const ort = require('onnxruntime-node');

const [modelPath, sampleDir, toleranceArg] = process.argv.slice(2);
if (!modelPath || !sampleDir) {
  console.error('usage: node training/check_parity.mjs <model.onnx> <sample-dir> [tolerance]');
  process.exit(2);
}
const tolerance = toleranceArg === undefined ? 1e-4 : Number(toleranceArg);
const sample = JSON.parse(readFileSync(join(sampleDir, 'sample.json'), 'utf8'));

function readFloat32(path, shape) {
  const bytes = readFileSync(path);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== expected * 4) {
    throw new Error(`read parity sample ${path}: ${bytes.byteLength} bytes, expected ${expected * 4}`);
  }
  // Copy into an aligned buffer: a Node Buffer may sit at an odd offset of its pool.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const input = readFloat32(join(sampleDir, 'input.bin'), sample.input_shape);
// A multi-class sample lists every output (prob, consolidation) by name; an older one has prob only.
const outputs = sample.outputs ?? [{ name: 'prob', file: 'expected.bin', shape: sample.output_shape }];
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
const result = await session.run({ input: new ort.Tensor('float32', input, sample.input_shape) });
let maxAbsDiff = 0;
let sumAbsDiff = 0;
let count = 0;
const byOutput = {};
for (const { name, file, shape } of outputs) {
  const actual = result[name];
  if (!actual) throw new Error(`check parity of ${modelPath}: the model has no output "${name}" (it has ${Object.keys(result).join(', ')})`);
  if (JSON.stringify(actual.dims) !== JSON.stringify(shape)) {
    throw new Error(`check parity of ${modelPath}: output ${name} dims ${actual.dims} differ from ${shape}`);
  }
  const expected = readFloat32(join(sampleDir, file), shape);
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual.data[i] - expected[i]);
    sumAbsDiff += d;
    if (!(d <= max)) max = d; // NaN propagates into the maximum and fails the check
  }
  count += expected.length;
  byOutput[name] = max;
  if (!(max <= maxAbsDiff)) maxAbsDiff = max;
}
const ok = maxAbsDiff <= tolerance;
const report = { maxAbsDiff, meanAbsDiff: sumAbsDiff / count, tolerance, ok };
if (outputs.length > 1) report.maxAbsDiffByOutput = byOutput;
console.log(JSON.stringify(report));
process.exit(ok ? 0 : 1);
