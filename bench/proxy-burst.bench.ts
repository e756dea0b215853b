// node scripts/run-ts.mjs bench/proxy-burst.bench.ts [--bursts N] — the load bench's viewer burst alone, repeated; not part of `npm test`.
// What one burst of 50 concurrent viewer requests (the load bench's paths: QIDO studies, 4 × series QIDO,
// 4 × series metadata, one instance) costs each process, without the jobs' noise: a real Orthanc holding 4
// re-UIDed 40-slice LIDC studies, the built server as a real process (ROLE=all, no jobs), and this client.
// Each burst starts cold: the next one waits past PROXY_RECENT_ANSWER_MS (read from the environment, which
// the server inherits, like every other setting: run it twice with different settings to compare).
// The LAST stdout line is one JSON object: per-burst medians of latency and CPU seconds per process.
// Env: BENCH_SLICES (40), BENCH_STUDIES (4), BENCH_VIEWER_REQUESTS (50).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { reUid } from './re-uid';
import { lidcSlices } from '../tests/support/lidc-fixture';
import { OrthancInstance } from '../tests/support/orthanc';
import { type ServerProcess, spawnServerProcess } from '../tests/support/server';
import { cpuSecondsOf } from './process-cpu';
import { percentile } from './percentile';

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
};
const BURSTS = Number(argument('bursts', '10'));
const SLICES = Number(process.env.BENCH_SLICES ?? 40);
const STUDIES = Number(process.env.BENCH_STUDIES ?? 4);
const REQUESTS = Number(process.env.BENCH_VIEWER_REQUESTS ?? 50);
const RECENT_MS = Number(process.env.PROXY_RECENT_ANSWER_MS ?? 2000);

const median = (values: number[]) => percentile(values, 50);

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((n) => +n.toFixed(2));
  const orthanc = await OrthancInstance.start();
  let server: ServerProcess | undefined;
  try {
    const source = lidcSlices(SLICES, 45);
    const studies = Array.from({ length: STUDIES }, (_, i) => reUid(source, i));
    for (const s of studies) await orthanc.upload(s.files);
    server = await spawnServerProcess({});
    const endpoint = await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name: 'bench-pacs', baseUrl: orthanc.dicomwebUrl }) });
    const user = (await server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'proxy burst bench' }) })).token;
    const proxy = `/api/dicomweb/${endpoint.id}`;
    const firstSop = (await orthanc.findInstances({ StudyInstanceUID: studies[0]!.studyInstanceUID }))[0];
    const paths = [
      `${proxy}/studies?ModalitiesInStudy=CT`,
      ...studies.map((s) => `${proxy}/studies/${s.studyInstanceUID}/series`),
      ...studies.map((s) => `${proxy}/studies/${s.studyInstanceUID}/series/${s.seriesInstanceUID}/metadata`),
      `${proxy}/studies/${studies[0]!.studyInstanceUID}/series/${studies[0]!.seriesInstanceUID}/instances/${firstSop}`,
    ];
    const pids = { api: server.child.pid, orthanc: Number(readFileSync(join(orthanc.dir, 'orthanc.pid'), 'utf8')), client: process.pid };
    type Figures = { p50: number; p95: number; seconds: number; cpu: Record<string, number>; sources: Record<string, number> };
    const bursts: Figures[] = [];
    let first: Figures | undefined;
    for (let b = 0; b < BURSTS + 1; b++) {
      // Cold: the recent answers of the previous burst have expired (the instance stays in its own cache, as in the load bench after its first burst).
      await new Promise((r) => setTimeout(r, RECENT_MS + 500));
      const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
      const latencies: number[] = [];
      const sources: Record<string, number> = {};
      const started = performance.now();
      await Promise.all(
        Array.from({ length: REQUESTS }, async (_, i) => {
          const path = paths[i % paths.length]!;
          const t = performance.now();
          const response = await fetch(`${server!.baseUrl}${path}`, { headers: { authorization: `Bearer ${user}`, accept: path.includes('/instances/') ? 'multipart/related; type="application/dicom"' : 'application/dicom+json' } });
          await response.arrayBuffer();
          if (!response.ok) throw new Error(`${response.status} for ${path}`);
          const source = /desc="(\w+)"/.exec(response.headers.get('server-timing') ?? '')?.[1] ?? 'none';
          sources[source] = (sources[source] ?? 0) + 1;
          latencies.push(performance.now() - t);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid) - before[name]!]));
      const figures = { p50: percentile(latencies, 50), p95: percentile(latencies, 95), seconds, cpu, sources };
      // The first burst warms both processes (V8 compiles and optimises the route, undici, the proxy): reported apart.
      if (b === 0) first = figures;
      else bursts.push(figures);
    }
    const report = {
      bursts: BURSTS,
      requestsPerBurst: REQUESTS,
      settings: { PROXY_RECENT_ANSWER_MS: RECENT_MS, PACS_ACCEPT_ENCODING: process.env.PACS_ACCEPT_ENCODING ?? 'identity', PROXY_GZIP_LEVEL: Number(process.env.PROXY_GZIP_LEVEL ?? 0) },
      // Medians over the bursts.
      p50Ms: +median(bursts.map((b) => b.p50)).toFixed(1),
      p95Ms: +median(bursts.map((b) => b.p95)).toFixed(1),
      burstSeconds: +median(bursts.map((b) => b.seconds)).toFixed(3),
      cpuSecondsPerBurst: Object.fromEntries(Object.keys(pids).map((name) => [name, +median(bursts.map((b) => b.cpu[name]!)).toFixed(3)])),
      answerSources: bursts[bursts.length - 1]!.sources,
      // The first burst after the server started (the load bench's only burst is one of these).
      firstBurst: { p50Ms: +first!.p50.toFixed(1), p95Ms: +first!.p95.toFixed(1), burstSeconds: +first!.seconds.toFixed(3), cpuSeconds: Object.fromEntries(Object.entries(first!.cpu).map(([k, v]) => [k, +v.toFixed(2)])) },
      loadAverageAtStart: loadAtStart,
      loadAverage: loadavg().map((n) => +n.toFixed(2)),
    };
    process.stderr.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await server?.stop();
    orthanc.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`proxy burst bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
