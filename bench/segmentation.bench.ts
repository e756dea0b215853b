// Segmentation benchmark on the real 133-slice LIDC-IDRI-0001 series (not part of `npm test`).
//   node scripts/run-ts.mjs bench/segmentation.bench.ts [--model FILE] [--threads N] [--batch N] [--ep cpu|cuda|webgpu] [--thread main|worker]
// Prints the time of each stage: lung mask, preprocessing, inference, postprocessing, and the whole
// segmentVolume; the model target is <= 0.1 s per 512 x 512 source slice.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildWindowLut, computeLungFrame, computeLungMask, type ExecutionProvider, SegmentationModel, segmentVolume, windowToUint8, writeModelInput } from '@covseg/segmentation';
import { loadLidcVolume } from './segmentation-lidc-volume';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/covseg-unet.onnx' },
    threads: { type: 'string' },
    batch: { type: 'string', default: '8' },
    ep: { type: 'string', default: 'cpu' },
    thread: { type: 'string', default: 'main' },
  },
});
const ms = (t: number) => `${t.toFixed(1)} ms`;

async function main(): Promise<void> {
  let t = performance.now();
  const volume = await loadLidcVolume();
  const plane = volume.rows * volume.columns;
  console.log(`series: ${volume.columns} x ${volume.rows} x ${volume.slices}, ${volume.columnSpacingMm} mm pixels, ${volume.sliceSpacingMm} mm slices; decoded in ${ms(performance.now() - t)}`);

  t = performance.now();
  const model = await SegmentationModel.load(values.model!, {
    executionProvider: values.ep as ExecutionProvider,
    batchSize: Number(values.batch),
    thread: values.thread as 'main' | 'worker',
    ...(values.threads ? { intraOpThreads: Number(values.threads) } : {}),
  });
  const c = model.contract;
  console.log(`model: ${model.name} ${model.version} (${model.trained ? 'trained' : 'UNTRAINED'}), input ${c.inputChannels} x ${c.inputSize}², ep ${values.ep}, thread ${values.thread}, batch ${model.batchSize}, threads ${values.threads ?? 'default'}; loaded in ${ms(performance.now() - t)}`);

  // Lung mask alone, three runs (the first warms up the JIT).
  // CPU time is printed beside wall time: on a shared, loaded machine it is the steadier figure.
  const lungRuns: number[] = [];
  const lungCpu: number[] = [];
  let lung = computeLungMask(volume.hu, volume, volume);
  for (let r = 0; r < 3; r++) {
    t = performance.now();
    const cpu = process.cpuUsage();
    lung = computeLungMask(volume.hu, volume, volume);
    const used = process.cpuUsage(cpu);
    lungRuns.push(performance.now() - t);
    lungCpu.push((used.user + used.system) / 1000);
  }
  console.log(`lung mask: wall ${lungRuns.map(ms).join(', ')}; cpu ${lungCpu.map(ms).join(', ')} for ${volume.slices} slices (${lung.components} component(s))`);

  // Preprocessing alone: window + frame + resize + normalise for every slice with lung.
  const lut = buildWindowLut(c.windowCenter, c.windowWidth);
  const grey = new Uint8Array(plane);
  const input = new Float32Array(c.inputChannels * c.inputSize * c.inputSize);
  t = performance.now();
  const preCpu = process.cpuUsage();
  let framed = 0;
  for (let z = 0; z < volume.slices; z++) {
    const frame = computeLungFrame(lung.mask.subarray(z * plane, (z + 1) * plane), volume.columns, volume.rows, volume, c);
    if (!frame) continue;
    windowToUint8(volume.hu.subarray(z * plane, (z + 1) * plane), c.windowCenter, c.windowWidth, grey, lut);
    writeModelInput(grey, volume.columns, frame, input, 0, c.inputSize, c.inputChannels);
    framed++;
  }
  const pre = performance.now() - t;
  const preUsed = process.cpuUsage(preCpu);
  const preCpuMs = (preUsed.user + preUsed.system) / 1000;
  console.log(`preprocessing: wall ${ms(pre)}, cpu ${ms(preCpuMs)} for ${volume.slices} slices (${framed} framed), ${ms(pre / volume.slices)} per slice`);

  // Whole pipeline, watching how long the event loop is blocked at a time (what an HTTP server would feel).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the monitor's timer start before the synchronous lung stage
  const result = await segmentVolume(model, volume);
  loop.disable();
  const tm = result.timings;
  const n = result.slicesInferred;
  console.log(`segmentVolume: total ${ms(tm.totalMs)}; lung ${ms(tm.lungMs)}, preprocess ${ms(tm.preprocessMs)}, infer ${ms(tm.inferMs)} (${ms(tm.inferMs / n)} per slice over ${n} slices), postprocess ${ms(tm.postprocessMs)}`);
  console.log(`event loop during segmentVolume: max delay ${ms(loop.max / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}`);
  const q = result.quantification;
  console.log(`quantification: lung ${q.lungMl.toFixed(0)} mL (R ${q.right?.lungMl.toFixed(0)}, L ${q.left?.lungMl.toFixed(0)}), infection ${q.infectionMl.toFixed(1)} mL = ${q.percentInvolved.toFixed(2)} %`);
  console.log(JSON.stringify({ lungMs: Math.min(...lungRuns), lungCpuMs: Math.min(...lungCpu), preprocessMsPerSlice: pre / volume.slices, inferMsPerSlice: tm.inferMs / n, postprocessMs: tm.postprocessMs, totalMs: tm.totalMs }));
  await model.release();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
