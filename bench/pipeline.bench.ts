// npm run bench:pipeline — the whole flow on the full 133-slice LIDC-IDRI-0001 series against a local
// Orthanc, with the built server as a real process. Prints per-stage wall time, slices/s, the server's
// peak RSS, and the floor: retrieving the series alone + the model alone over every slice + one STOW
// of a file the size of the SEG. Targets: PACS -> stored SEG < 20 s; total <= 1.5 x floor.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DicomwebClient, parseDicom } from '@covseg/dicom';
import { SegmentationModel } from '@covseg/segmentation';
import { waitForJob } from '../tests/support/jobs';
import { OrthancInstance } from '../tests/support/orthanc';
import { repoRoot, spawnServerProcess } from '../tests/support/server';

const shared = resolve(repoRoot, '../shared/data/ct/lidc-idri-0001.tar.xz');
const committed = join(repoRoot, 'tests/fixtures/ct/lidc-idri-0001/lidc-idri-0001.tar.xz');
const TARGET_SECONDS = 20;
const TARGET_FLOOR_RATIO = 1.5;

const ms = (value: number) => `${(value / 1000).toFixed(2)} s`.padStart(9);

function unpack(): { dir: string; files: string[] } {
  const archive = existsSync(shared) ? shared : committed;
  const dir = mkdtempSync(join(tmpdir(), 'covseg-bench-'));
  execFileSync('tar', ['-xJf', archive, '-C', dir]);
  const folder = join(dir, 'lidc-idri-0001-chest-ct');
  process.stderr.write(`bench: series from ${archive}\n`);
  return { dir, files: readdirSync(folder).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(folder, f)) };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

async function main(): Promise<void> {
  const { dir, files } = unpack();
  const orthanc = await OrthancInstance.start();
  let server: Awaited<ReturnType<typeof spawnServerProcess>> | undefined;
  try {
    await orthanc.upload(files);
    const first = parseDicom(new Uint8Array(readFileSync(files[0]))).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
    server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl });

    // The whole flow, timed from the client's POST to the job's end.
    const started = performance.now();
    const { id } = await server.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: first.StudyInstanceUID, seriesInstanceUID: first.SeriesInstanceUID, force: true }),
      expectStatus: 202,
    });
    const job = await waitForJob(server, id, 600_000);
    const totalMs = performance.now() - started;
    if (job.status !== 'succeeded') throw new Error(`bench job ${job.status}: ${job.error?.code}: ${job.error?.message}`);
    const rssMb = peakRssMb(server.child.pid!);
    await server.stop();
    server = undefined;

    // The floor, each part alone in this process.
    const client = new DicomwebClient({ baseUrl: orthanc.dicomwebUrl });
    let t = performance.now();
    await client.retrieveSeries(first.StudyInstanceUID, first.SeriesInstanceUID);
    const retrieveMs = performance.now() - t;

    const model = await SegmentationModel.load(join(repoRoot, 'models/covseg-unet.onnx'));
    const { inputSize: s, inputChannels: c } = model.contract;
    const input = new Float32Array(files.length * c * s * s).fill(0.5);
    await model.predict(input.subarray(0, c * s * s), 1); // warm-up, as the server's model is warm
    t = performance.now();
    await model.predictBatched(input, files.length);
    const modelMs = performance.now() - t;
    // The pipeline skips slices with too little lung, so also time the model on just as many slices as it ran.
    const inferred = job.result.slicesInferred as number;
    t = performance.now();
    await model.predictBatched(input.subarray(0, inferred * c * s * s), inferred);
    const modelInferredMs = performance.now() - t;
    await model.release();

    const segBytes = await orthanc.downloadInstance(job.result.segSopInstanceUID);
    t = performance.now();
    await client.store([segBytes], first.StudyInstanceUID);
    const stowMs = performance.now() - t;
    const floorMs = retrieveMs + modelMs + stowMs;

    const slices = job.result.slices as number;
    const lines = [
      `covseg pipeline benchmark: ${slices} slices of LIDC-IDRI-0001, model ${job.result.model.name} ${job.result.model.version} (${job.result.model.trained ? 'trained' : 'UNTRAINED'}), input ${s}x${s}`,
      '',
      'stage              wall time',
      ...['qido', 'retrieve', 'decode', 'preprocess', 'infer', 'postprocess', 'segEncode', 'stow'].map((stage) => `  ${stage.padEnd(14)} ${ms(job.timings[stage] ?? 0)}`),
      `  ${'total (client)'.padEnd(14)} ${ms(totalMs)}   ${(slices / (totalMs / 1000)).toFixed(1)} slices/s`,
      `  server peak RSS ${rssMb} MB`,
      '',
      'floor',
      `  retrieve alone ${ms(retrieveMs)}`,
      `  model alone    ${ms(modelMs)}   (session.run over ${files.length} slices, batch ${model.batchSize})`,
      `  STOW ${(segBytes.byteLength / 1e6).toFixed(1)} MB   ${ms(stowMs)}`,
      `  floor          ${ms(floorMs)}`,
      `  model alone on the ${inferred} slices the pipeline ran: ${ms(modelInferredMs).trim()}; floor with it ${ms(retrieveMs + modelInferredMs + stowMs).trim()}`,
      '',
      `target PACS -> stored SEG < ${TARGET_SECONDS} s: ${totalMs / 1000 < TARGET_SECONDS ? 'MET' : 'MISSED'} (${(totalMs / 1000).toFixed(2)} s)`,
      `target total <= ${TARGET_FLOOR_RATIO} x floor: ${totalMs <= TARGET_FLOOR_RATIO * floorMs ? 'MET' : 'MISSED'} (${(totalMs / floorMs).toFixed(2)} x; ${(totalMs / (retrieveMs + modelInferredMs + stowMs)).toFixed(2)} x the floor over the inferred slices only)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server?.stop();
    orthanc.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
