// Upload-stall benchmark (not part of npm test): does one hostile upload stall everyone else?
//   node scripts/run-ts.mjs bench/upload-stall.bench.ts [--elements 1000000] [--runs 3] [--concurrent 4] [--parse-all]
// --parse-all lifts the element limit (UPLOAD_PARSE_MAX_ELEMENTS) so each worker really parses the
// million elements until UPLOAD_PARSE_TIMEOUT_MS (10 s) stops it: the case where the parse is long,
// to show it runs beside the event loop, not on it.
// A real Orthanc with a small CT series, the BUILT server as its own process (npm run build:server
// first; ensureServerBuilt does it when stale). The hostile file is generated here (never committed):
// the base 64x64 CT slice with 1,000,000 empty private elements (12 MB). While it is uploaded to
// POST /api/segment-image, GET /api/health and a proxied WADO-RS frame are timed back to back.
// Target (issue #10): both answer in < 100 ms while the hostile upload is being parsed.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeriesFactory } from '../tests/factories/series.factory';
import { manyEmptyElementsDicom } from '../tests/support/hostile-dicom';
import { OrthancInstance } from '../tests/support/orthanc';
import { spawnServerProcess } from '../tests/support/server';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const summary = (name: string, values: number[]) =>
  `${name.padEnd(16)} n=${String(values.length).padStart(4)}  p50 ${percentile(values, 50).toFixed(1).padStart(6)} ms  p95 ${percentile(values, 95).toFixed(1).padStart(6)} ms  max ${Math.max(...values).toFixed(1).padStart(6)} ms`;

async function timed(request: () => Promise<Response>): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await request();
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

async function main(): Promise<void> {
  const elements = arg('elements', 1_000_000);
  const runs = arg('runs', 3);
  const concurrent = arg('concurrent', 4);
  const orthanc = await OrthancInstance.start();
  const series = SeriesFactory.ct().size(256, 256).slices(8).build();
  await orthanc.upload(series.files);
  const parseAll = process.argv.includes('--parse-all');
  const env: Record<string, string> = parseAll ? { UPLOAD_PARSE_MAX_ELEMENTS: '10000000', UPLOAD_PARSE_HEAP_MB: '2048' } : {};
  const server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, env });
  const instance = series.instances[0]!.sopInstanceUID;
  const framePath = `/api/dicomweb/${server.pacsEndpointId}/studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/instances/${instance}/frames/1`;
  const health = () => server.request('/api/health');
  const frame = () => server.request(framePath, { headers: { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' } });
  const hostile = manyEmptyElementsDicom(elements);
  const dir = mkdtempSync(join(tmpdir(), 'covseg-stall-'));
  const hostilePath = join(dir, 'hostile.dcm');
  writeFileSync(hostilePath, hostile);
  // The upload is sent by curl, a separate process, so that sending 12 MB does not delay this
  // process's own timing of the probes (on a loaded 2-core machine it would).
  const upload = () =>
    new Promise<{ ms: number; status: number }>((resolve, reject) => {
      const started = performance.now();
      execFile(
        'curl',
        ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `authorization: Bearer ${server.env.COVSEG_BOOTSTRAP_ADMIN_TOKEN}`, '-F', `file=@${hostilePath}`, `${server.baseUrl}/api/segment-image`],
        (error, stdout) => (error ? reject(error) : resolve({ ms: performance.now() - started, status: Number(stdout) })),
      );
    });
  try {
    // Warm-up: connections, the proxy, the worker pool.
    for (let i = 0; i < 5; i++) await Promise.all([timed(health), timed(frame)]);
    const idle = { health: [] as number[], frame: [] as number[] };
    for (let i = 0; i < 20; i++) {
      idle.health.push((await timed(health)).ms);
      idle.frame.push((await timed(frame)).ms);
    }
    const during = { health: [] as number[], frame: [] as number[] };
    const statuses: number[] = [];
    const uploadMs: number[] = [];
    const probeWhile = async (work: Promise<unknown>) => {
      let done = false;
      void work.finally(() => (done = true));
      while (!done) {
        const h = await timed(health);
        const f = await timed(frame);
        if (h.status !== 200 || f.status !== 200) throw new Error(`health ${h.status}, frame ${f.status} during the hostile upload`);
        during.health.push(h.ms);
        during.frame.push(f.ms);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const oneUpload = async () => {
      const t = await upload();
      statuses.push(t.status);
      uploadMs.push(t.ms);
    };
    for (let run = 0; run < runs; run++) await probeWhile(oneUpload());
    await probeWhile(Promise.all(Array.from({ length: concurrent }, () => oneUpload())));

    const target = 100;
    const worst = Math.max(...during.health, ...during.frame);
    console.log(`upload-stall bench: ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`hostile file: ${elements.toLocaleString('en')} empty private elements, ${(hostile.length / 1e6).toFixed(1)} MB; ${runs} uploads one at a time, then ${concurrent} at once${parseAll ? '; element limit lifted (--parse-all)' : ''}`);
    console.log(`upload answers: ${statuses.join(' ')}; upload time p50 ${percentile(uploadMs, 50).toFixed(0)} ms, max ${Math.max(...uploadMs).toFixed(0)} ms`);
    console.log(summary('idle health', idle.health));
    console.log(summary('idle frame', idle.frame));
    console.log(summary('during health', during.health));
    console.log(summary('during frame', during.frame));
    console.log(`target < ${target} ms during the upload: ${worst < target ? 'met' : 'NOT met'} (worst ${worst.toFixed(1)} ms)`);
  } finally {
    await server.stop();
    orthanc.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
