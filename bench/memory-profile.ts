// node scripts/run-ts.mjs bench/memory-profile.ts [--series DIR|NAME] [--batch N] [--keep-model-memory] — what a job holds, stage by
// stage, in this process (no server, no PACS): the series' Part 10 files are read from disk into the job's
// CtVolumeStream (compressed frames through a FrameDecodePool, as the server does), then segmentVolume with
// the model in a worker thread (as the server runs it), then the SEG encode. At every stage boundary and
// every model batch it prints RSS, VmHWM (the kernel's peak), V8 heap used, external and ArrayBuffer memory,
// so that the peak can be put on a stage and on what is alive at it. The last stdout line is one JSON object.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { CtVolumeStream, FrameDecodePool } from '@covseg/dicom';
import { SegmentationModel, segmentVolume } from '@covseg/segmentation';
import { releasesModelMemory, segmentationInputOf } from '../apps/server/src/jobs/pipeline/segment-volume.step';
import { encodeSeg } from '../apps/server/src/jobs/pipeline/encode-seg.step';
import { repoRoot } from '../tests/support/server';
import { benchSeries, benchSeriesNames, dicomFiles, type BenchSeriesName } from './bench-set';

const mb = (bytes: number) => Math.round(bytes / 1048576);
function status(field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

interface Sample {
  at: string;
  rssMb: number;
  hwmMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}
const samples: Sample[] = [];
function sample(at: string): void {
  const m = process.memoryUsage();
  const s = { at, rssMb: mb(m.rss), hwmMb: status('VmHWM'), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
  samples.push(s);
  process.stderr.write(`${at.padEnd(28)} rss ${String(s.rssMb).padStart(5)}  hwm ${String(s.hwmMb).padStart(5)}  heap ${String(s.heapUsedMb).padStart(4)}  external ${String(s.externalMb).padStart(5)}  arrayBuffers ${String(s.arrayBuffersMb).padStart(5)}\n`);
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--series');
  const value = at >= 0 ? process.argv[at + 1]! : 'lidc-0001-thin-600';
  const dir = (benchSeriesNames as readonly string[]).includes(value) ? await benchSeries(value as BenchSeriesName) : resolve(value);
  const batchAt = process.argv.indexOf('--batch');
  const batchSize = batchAt >= 0 ? Number(process.argv[batchAt + 1]) : undefined;
  sample('start');
  const model = await SegmentationModel.load(join(repoRoot, 'models/covseg-unet.onnx'), { thread: 'worker', ...(batchSize ? { batchSize } : {}) });
  const pool = new FrameDecodePool();
  sample('model loaded');
  const files = dicomFiles(dir);
  const stream = new CtVolumeStream({ pool, expectedSlices: files.length });
  for (const file of files) await stream.add(new Uint8Array(readFileSync(file)));
  sample('all slices added');
  const volume = await stream.finish();
  sample('volume built');
  let batches = 0;
  let stage = '';
  const segmentation = await segmentVolume(model, segmentationInputOf(volume), {
    // As the job does (segment-volume.step.ts); --keep-model-memory to see the peak without it.
    releaseModelMemory: !process.argv.includes('--keep-model-memory') && releasesModelMemory(volume),
    onProgress: (p) => {
      if (p.stage !== stage) {
        stage = p.stage;
        sample(`${p.stage} start (${p.done})`);
      } else if (p.stage === 'segment' && (++batches % 30 === 0 || p.done === p.total)) sample(`segment ${p.done}/${p.total}`);
    },
  });
  sample('segmented');
  const seg = encodeSeg(volume, segmentation, model);
  sample('SEG encoded');
  // SHA-256 of what must not change when memory or speed work lands: HU, masks, the SEG's pixel data
  // (the SEG's last bytes: its UIDs and dates differ per run).
  const sha = (bytes: ArrayBufferView) => createHash('sha256').update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest('hex').slice(0, 16);
  const plane = volume.geometry.rows * volume.geometry.columns;
  const segPixelBytes = Math.ceil((seg.numberOfFrames * plane) / 8);
  const digests = { hu: sha(volume.hu), lungSide: sha(segmentation.lungSide), infection: sha(segmentation.infection), segPixelData: sha(seg.bytes.subarray(seg.bytes.length - segPixelBytes - (segPixelBytes % 2))) };
  await model.release();
  await pool.close();
  const peak = samples.reduce((a, b) => (b.hwmMb > a.hwmMb ? b : a));
  const firstAtPeak = samples.find((s) => s.hwmMb === peak.hwmMb)!;
  process.stdout.write(
    `${JSON.stringify({
      series: basename(dir),
      slices: volume.geometry.slices,
      batchSize: model.batchSize,
      hwmMb: peak.hwmMb,
      peakReachedBy: firstAtPeak.at,
      lungMl: Math.round(segmentation.quantification.lungMl * 1000) / 1000,
      infectionMl: Math.round(segmentation.quantification.infectionMl * 1000) / 1000,
      segBytes: seg.bytes.byteLength,
      sha256: digests,
      loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`memory-profile: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
