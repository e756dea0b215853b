// node scripts/run-ts.mjs bench/load.bench.ts [--mode embedded|scaled] [--workers N] [--worker-nice N] [--client http|fetch] [--connections N] — load on loopback, not part of `npm test`.
// --mode embedded (default): one server process runs everything (JOB_CONCURRENCY jobs at a time).
// --mode scaled: Redis + 1 API (ROLE=api) + N workers (ROLE=worker, default 2), workers under nice 10 (--worker-nice) with
//   ORT_THREADS=1 each, so the API serving the viewer keeps the CPU it needs.
// The LAST stdout line is one JSON object: {"mode","jobs":{"statuses","throughputJobsPerMinute",…},
//   "viewer":{"requests","failures","p50Ms","p95Ms",…},"segPerStudy":[…]}; details go to stderr.
// A real Orthanc holds 4 CT studies (40 slices each, re-UIDed copies of LIDC-IDRI-0001); the built
// server runs as a real process. While 4 segmentation jobs run concurrently, 50 concurrent viewer
// requests go through the DICOMweb proxy (QIDO studies/series, WADO metadata, WADO instance). Prints
// throughput and p50/p95 latency, then checks every job stored exactly one SEG.
// Env: BENCH_SLICES (40), BENCH_STUDIES (4), BENCH_VIEWER_REQUESTS (50), JOB_CONCURRENCY (4).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { waitForJob } from '../tests/support/jobs';
import { reUid } from './re-uid';
import { lidcSlices } from '../tests/support/lidc-fixture';
import { OrthancInstance } from '../tests/support/orthanc';
import { PostgresInstance } from '../tests/support/postgres';
import { RedisInstance } from '../tests/support/redis';
import { ScaledCluster } from '../tests/support/scaled-cluster';
import { ServerProcess, spawnServerProcess } from '../tests/support/server';
import { cpuSecondsOf, schedOf } from './process-cpu';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { percentile } from './percentile';

interface BurstAnswer {
  status: number;
  header(name: string): string | null;
  /** Resolves with the whole body. */
  body(): Promise<Uint8Array>;
}


/** One GET of the burst with node:http; resolves when the answer's headers arrived. */
function httpGet(url: string, headers: Record<string, string>): Promise<BurstAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers, agent: burstAgent }, (response) => {
      const chunks: Buffer[] = [];
      const done = new Promise<Uint8Array>((resolveBody, rejectBody) => {
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolveBody(Buffer.concat(chunks)));
        response.on('error', rejectBody);
        response.on('aborted', () => rejectBody(new Error('the answer was cut')));
      });
      done.catch(() => undefined);
      resolve({
        status: response.statusCode ?? 0,
        header: (name) => {
          const value = response.headers[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
        body: () => done,
      });
    });
    request.on('error', reject);
    request.end();
  });
}

async function fetchGet(url: string, headers: Record<string, string>): Promise<BurstAnswer> {
  const response = await fetch(url, { headers });
  return { status: response.status, header: (name) => response.headers.get(name), body: async () => new Uint8Array(await response.arrayBuffer()) };
}

const burstGet = (url: string, headers: Record<string, string>) => (CLIENT === 'http' ? httpGet : fetchGet)(url, headers);

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}
const MODE = argument('mode', 'embedded');
if (MODE !== 'embedded' && MODE !== 'scaled') throw new Error(`--mode must be embedded or scaled, got ${MODE}`);
const WORKERS = Number(argument('workers', '2'));
const WORKER_NICE = Number(argument('worker-nice', '10'));
// The burst's HTTP client. `http` (default): node:http, the body kept as the Buffers that arrive — what a browser
// on another machine costs this one is nothing, and this is the cheapest way to play it here. `fetch`: Node's
// fetch (undici, WHATWG streams), as the bench did before 2026-12-02 s6: it took 0.4–0.5 CPU s of the two
// cores per burst, about as much as the API it measures.
const CLIENT = argument('client', 'http');
if (CLIENT !== 'http' && CLIENT !== 'fetch') throw new Error(`--client must be http or fetch, got ${CLIENT}`);
// --connections N (http client only): the burst goes over at most N keep-alive connections, opened before it,
// as one browser that has loaded the viewer holds them (Chromium: 6 per host over HTTP/1.1); requests beyond N
// wait in the client for a free connection, and that wait counts in their latency. 0 (default): every
// request on a new connection, as 50 browsers arriving at once. A Node server accepts ONE new connection
// per event-loop iteration (libuv >= 1.45, libuv/libuv#3696), so 50 new connections cost 50 iterations.
const CONNECTIONS = Number(argument('connections', '0'));
if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 0 || (CONNECTIONS > 0 && CLIENT !== 'http')) throw new Error('--connections takes a whole number >= 0, with --client http');
// Without --connections every burst request gets a connection of its own, as with fetch; reused afterwards.
const burstAgent = new Agent({ keepAlive: true, ...(CONNECTIONS > 0 ? { maxSockets: CONNECTIONS } : {}) });

const SLICES = Number(process.env.BENCH_SLICES ?? 40);
const STUDIES = Number(process.env.BENCH_STUDIES ?? 4);
const VIEWER_REQUESTS = Number(process.env.BENCH_VIEWER_REQUESTS ?? 50);
const CONCURRENCY = process.env.JOB_CONCURRENCY ?? '4';

let lastServerOutput: (() => string) | undefined;



/** The API's event-loop delay (ms) since the previous /metrics scrape: p50, p99, max. */
function eventLoopOf(metrics: string): { p50: number; p99: number; max: number } {
  const read = (name: string) => +(Number((new RegExp(`^nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(metrics) ?? [])[1]) * 1000).toFixed(1);
  return { p50: read('p50'), p99: read('p99'), max: read('max') };
}

/**
 * Where each burst request spent its time (COVSEG_TRACE_HTTP: the API wrote its side, see
 * apps/server/src/core/http/request-trace.ts; one clock, one machine): p50 / p95 / max of each phase, and
 * the mean of each over the slowest 5 %. Phases: `toAccept` client sent → API accepted the connection (new
 * connections only), `toParsed` client sent → API parsed the request head, `api` head parsed → answer's head
 * written, `write` → last byte to the kernel, `toClient` → the client saw the head, `body` → the client had
 * the last byte.
 */
function phasesOf(clientTrace: Array<{ id: number; start: number; headers: number; end: number }>, prefix: string) {
  const dir = dirname(prefix);
  const api = new Map<number, { accept: number; nth: number; request: number; head: number; finish: number }>();
  // request-trace.ts names its files <prefix>.<role>.<pid>.
  const ours = new RegExp(`^${basename(prefix).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(api|all|worker)\\.\\d+$`);
  for (const file of readdirSync(dir).filter((name) => ours.test(name))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const row = JSON.parse(line) as { id?: string; accept: number; nth: number; request: number; head: number; finish: number };
        if (row.id !== undefined) api.set(Number(row.id), row);
      } catch {
        // A line cut by a write in progress: that request is not traced.
      }
    }
  }
  const phases: Record<string, number[]> = { total: [], toAccept: [], toParsed: [], api: [], write: [], toClient: [], body: [] };
  const rows: Array<Record<string, number>> = [];
  for (const c of clientTrace) {
    const a = api.get(c.id);
    if (!a || !c.end) continue;
    const row: Record<string, number> = { total: c.end - c.start, toParsed: a.request - c.start, api: a.head - a.request, write: a.finish - a.head, toClient: c.headers - a.finish, body: c.end - c.headers };
    if (a.nth === 1) row.toAccept = a.accept - c.start;
    for (const [name, ms] of Object.entries(row)) phases[name]!.push(ms);
    rows.push(row);
  }
  if (rows.length === 0) return undefined;
  const slowest = rows.sort((x, y) => x.total! - y.total!).slice(-Math.max(1, Math.round(rows.length / 20)));
  const round = (x: number) => +x.toFixed(1);
  return {
    traced: rows.length,
    ...Object.fromEntries(Object.entries(phases).filter(([, v]) => v.length > 0).map(([name, v]) => [name, [percentile(v, 50), percentile(v, 95), Math.max(...v)].map(round)])),
    slowestMean: Object.fromEntries(Object.keys(phases).map((name) => [name, round(slowest.reduce((sum, r) => sum + (r[name] ?? 0), 0) / slowest.length)])),
  };
}

async function main(): Promise<void> {
  const loadAtStart = (await import('node:os')).loadavg().map((n) => +n.toFixed(2));
  const orthanc = await OrthancInstance.start();
  const redis = MODE === 'scaled' ? await RedisInstance.start() : undefined;
  const postgres = MODE === 'scaled' ? await PostgresInstance.start() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'covseg-load-'));
  let server: ServerProcess | undefined;
  let cluster: ScaledCluster | undefined;
  try {
    const source = lidcSlices(SLICES, 45);
    const studies = Array.from({ length: STUDIES }, (_, i) => reUid(source, i));
    for (const s of studies) await orthanc.upload(s.files);
    if (redis) {
      // State in PostgreSQL, a data folder per process: nothing shared but Redis, PostgreSQL and the PACS.
      const env = { DATABASE_URL: await postgres!.createDatabase(), COVSEG_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') };
      cluster = await ScaledCluster.start({ redis, dicomwebUrl: orthanc.dicomwebUrl, workers: WORKERS, workerNice: WORKER_NICE, queueEnv: {}, env });
      server = cluster.api;
    } else {
      server = await spawnServerProcess({ dataDir, env: { JOB_CONCURRENCY: CONCURRENCY } });
    }
    lastServerOutput = server.output;
    // The production default per-request timeout (30 s), not the test helper's 10 s.
    const endpoint = await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name: 'bench-pacs', baseUrl: orthanc.dicomwebUrl }) });
    server = { ...server, pacsEndpointId: endpoint.id };
    const user = (await server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'load bench' }) })).token;
    const proxy = `/api/dicomweb/${server.pacsEndpointId}`;
    const firstSop = (await orthanc.findInstances({ StudyInstanceUID: studies[0].studyInstanceUID }))[0];
    const viewerPaths = [
      `${proxy}/studies?ModalitiesInStudy=CT`,
      ...studies.map((s) => `${proxy}/studies/${s.studyInstanceUID}/series`),
      ...studies.map((s) => `${proxy}/studies/${s.studyInstanceUID}/series/${s.seriesInstanceUID}/metadata`),
      `${proxy}/studies/${studies[0].studyInstanceUID}/series/${studies[0].seriesInstanceUID}/instances/${firstSop}`,
    ];

    const jobsStarted = performance.now();
    const jobIds = await Promise.all(
      studies.map(async (s) => (await server!.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server!.pacsEndpointId, studyInstanceUID: s.studyInstanceUID }), expectStatus: 202 })).id),
    );
    // The viewer burst lands while the jobs are retrieving and inferring.
    await new Promise((r) => setTimeout(r, 500));
    const latencies: number[] = [];
    // Until the answer's headers arrived (fetch resolves there); the rest of `latencies` is the body.
    const headersMs: number[] = [];
    // The proxy's own share of each answer (its Server-Timing header) and where the answer came from.
    const proxyMs: number[] = [];
    // Every Server-Timing stage the API reported (pre: middleware + authentication; endpoint; pacs; body).
    const stages: Record<string, number[]> = {};
    // The API's event-loop delay over the burst (prom-client's window restarts at each /metrics scrape).
    const admin = server.env.COVSEG_BOOTSTRAP_ADMIN_TOKEN;
    const scrapeApi = async () => (await fetch(`${server!.baseUrl}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text();
    await scrapeApi();
    // Who used the two cores during the burst (CPU seconds from /proc): the API, the workers, Orthanc, this client.
    const pids: Record<string, number | undefined> = {
      api: server.child.pid,
      ...(cluster ? Object.fromEntries([...cluster.workers].map(([id, w]) => [id, w.child.pid])) : {}),
      orthanc: Number(readFileSync(join(orthanc.dir, 'orthanc.pid'), 'utf8')),
      client: process.pid,
    };
    if (CONNECTIONS > 0) {
      // The browser's connections, open before the burst (it fetched the viewer and the study list over them).
      await Promise.all(Array.from({ length: CONNECTIONS }, () => burstGet(`${server!.baseUrl}/api/health`, {}).then((answer) => answer.body())));
    }
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
    const schedBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, schedOf(pid)]));
    // This client's own event-loop delay over the burst: time its answers waited for its JavaScript.
    const clientLoop = monitorEventLoopDelay({ resolution: 10 });
    clientLoop.enable();
    // Per request, absolute times (ms since the epoch) at the client: sent, headers, last byte.
    const clientTrace: Array<{ id: number; path: string; start: number; headers: number; end: number }> = [];
    const epochNow = () => performance.timeOrigin + performance.now();
    const sources: Record<string, number> = {};
    // Bytes on the wire (Content-Length, gzip included) and after decoding, over the burst.
    let wireBytes = 0;
    let bodyBytes = 0;
    let failures = 0;
    const failureReasons = new Set<string>();
    const burstStarted = performance.now();
    await Promise.all(
      Array.from({ length: VIEWER_REQUESTS }, async (_, i) => {
        const path = viewerPaths[i % viewerPaths.length];
        const started = performance.now();
        const row = { id: i, path: path.replace(proxy, ''), start: epochNow(), headers: 0, end: 0 };
        clientTrace.push(row);
        try {
          const response = await burstGet(`${server!.baseUrl}${path}`, { 'x-bench-id': String(i), authorization: `Bearer ${user}`, accept: path.includes('/instances/') ? 'multipart/related; type="application/dicom"' : 'application/dicom+json' });
          headersMs.push(performance.now() - started);
          row.headers = epochNow();
          const body = await response.body();
          row.end = epochNow();
          wireBytes += Number(response.header('content-length') ?? body.byteLength);
          bodyBytes += body.byteLength;
          const serverTiming = response.header('server-timing') ?? '';
          for (const [, name, ms] of serverTiming.matchAll(/(\w+);dur=([\d.]+)/g)) (stages[name!] ??= []).push(Number(ms));
          const timing = /proxy;dur=([\d.]+);desc="(\w+)"/.exec(serverTiming);
          if (timing) {
            proxyMs.push(Number(timing[1]));
            sources[timing[2]!] = (sources[timing[2]!] ?? 0) + 1;
          }
          if (response.status < 200 || response.status > 299) {
            failures += 1;
            // The error body names the failure (our messages carry UIDs, never PHI).
            const reason = (/"message":"([^"]{0,300})/.exec(Buffer.from(body).toString('utf8')) ?? [])[1] ?? '';
            failureReasons.add(`${response.status} ${path.replace(proxy, '')} ${reason}`);
          }
        } catch (error) {
          failures += 1;
          failureReasons.add(`${String(error)} ${path.replace(proxy, '')}`);
        }
        latencies.push(performance.now() - started);
      }),
    );
    const burstSeconds = (performance.now() - burstStarted) / 1000;
    const burstCpuSeconds = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, +(cpuSecondsOf(pid) - cpuBefore[name]!).toFixed(2)]));
    clientLoop.disable();
    const schedDuringBurst = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => {
        const after = schedOf(pid);
        return [name, { runMs: +(after.runMs - schedBefore[name]!.runMs).toFixed(0), runQueueWaitMs: +(after.waitMs - schedBefore[name]!.waitMs).toFixed(0), mainThreadWaitMs: +(after.mainWaitMs - schedBefore[name]!.mainWaitMs).toFixed(0) }];
      }),
    );
    const apiLoop = eventLoopOf(await scrapeApi());
    // The same paths one at a time while the jobs still run: straight to Orthanc, then through the proxy.
    // Separates what one request costs under this load from the queueing of 50 at once.
    const sequential = { orthanc: [] as number[], proxy: [] as number[] };
    for (const path of viewerPaths) {
      const accept = path.includes('/instances/') ? 'multipart/related; type="application/dicom"' : 'application/dicom+json';
      let started = performance.now();
      await (await fetch(`${orthanc.dicomwebUrl}${path.slice(proxy.length)}`, { headers: { accept } })).arrayBuffer();
      sequential.orthanc.push(performance.now() - started);
      started = performance.now();
      // No flight is in progress any more; the instance comes from the proxy's cache.
      await (await fetch(`${server!.baseUrl}${path}`, { headers: { authorization: `Bearer ${user}`, accept } })).arrayBuffer();
      sequential.proxy.push(performance.now() - started);
    }
    const jobs = await Promise.all(jobIds.map((id) => waitForJob(server!, id, 900_000)));
    const requestPhasesMs = process.env.COVSEG_TRACE_HTTP ? phasesOf(clientTrace, process.env.COVSEG_TRACE_HTTP) : undefined;
    const jobsSeconds = (performance.now() - jobsStarted) / 1000;
    const jobDurations = jobs.map((j) => (Date.parse(j.finishedAt) - Date.parse(j.createdAt)) / 1000);
    const segCounts = await Promise.all(studies.map((s) => orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: s.studyInstanceUID }).then((r) => r.length)));

    const report = {
      mode: MODE,
      setup: {
        studies: STUDIES,
        slicesPerStudy: SLICES,
        client: CLIENT,
        connections: CONNECTIONS || 'new per request',
        ...(cluster ? { workers: WORKERS, workerNice: WORKER_NICE, ortThreadsPerWorker: 1, jobsByWorker: cluster.jobsByWorker() } : { jobConcurrency: Number(CONCURRENCY) }),
        cpus: (await import('node:os')).cpus().length,
      },
      jobs: {
        statuses: jobs.map((j) => j.status),
        wallSeconds: +jobsSeconds.toFixed(2),
        throughputJobsPerMinute: +((STUDIES / jobsSeconds) * 60).toFixed(2),
        throughputSlicesPerSecond: +((STUDIES * SLICES) / jobsSeconds).toFixed(1),
        p50JobSeconds: +percentile(jobDurations, 50).toFixed(2),
        p95JobSeconds: +percentile(jobDurations, 95).toFixed(2),
      },
      viewer: {
        requests: VIEWER_REQUESTS,
        failures,
        burstSeconds: +burstSeconds.toFixed(3),
        throughputRequestsPerSecond: +(VIEWER_REQUESTS / burstSeconds).toFixed(1),
        p50Ms: +percentile(latencies, 50).toFixed(1),
        p95Ms: +percentile(latencies, 95).toFixed(1),
        maxMs: +Math.max(...latencies).toFixed(1),
        // Inside the proxy (after authentication): endpoint lookup plus the PACS or the cache.
        proxyP50Ms: proxyMs.length ? +percentile(proxyMs, 50).toFixed(1) : null,
        proxyP95Ms: proxyMs.length ? +percentile(proxyMs, 95).toFixed(1) : null,
        answerSources: sources,
        burstMegabytes: { wire: +(wireBytes / 1e6).toFixed(2), decoded: +(bodyBytes / 1e6).toFixed(2) },
        headersP50Ms: +percentile(headersMs, 50).toFixed(1),
        headersP95Ms: +percentile(headersMs, 95).toFixed(1),
        // p50 / p95 / max of each Server-Timing stage (ms).
        serverTiming: Object.fromEntries(Object.entries(stages).map(([name, v]) => [name, [percentile(v, 50), percentile(v, 95), Math.max(...v)].map((x) => +x.toFixed(1))])),
        apiEventLoopMs: apiLoop,
        burstCpuSeconds,
        // Per process over the burst (/proc/<pid>/task/*/schedstat): ms on a CPU, and ms runnable but waiting for one.
        schedDuringBurst,
        clientEventLoopMs: { p50: +(clientLoop.percentile(50) / 1e6).toFixed(1), p99: +(clientLoop.percentile(99) / 1e6).toFixed(1), max: +(clientLoop.max / 1e6).toFixed(1) },
        // One request at a time after the burst, jobs still running: p50 / max (ms).
        sequentialOrthancMs: [percentile(sequential.orthanc, 50), Math.max(...sequential.orthanc)].map((x) => +x.toFixed(1)),
        ...(requestPhasesMs ? { requestPhasesMs } : {}),
        sequentialProxyMs: [percentile(sequential.proxy, 50), Math.max(...sequential.proxy)].map((x) => +x.toFixed(1)),
      },
      // 1, 5 and 15 minute load averages (uptime) when the bench started and when it ended.
      loadAverageAtStart: loadAtStart,
      loadAverage: (await import('node:os')).loadavg().map((n) => +n.toFixed(2)),
      segPerStudy: segCounts,
    };
    process.stderr.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    const problems = [
      ...jobs.filter((j) => j.status !== 'succeeded').map((j) => `job ${j.id} ${j.status}: ${JSON.stringify(j.error)}`),
      ...segCounts.flatMap((n, i) => (n === 1 ? [] : [`study ${studies[i].studyInstanceUID} holds ${n} SEGs, expected exactly 1`])),
      ...(failures > 0 ? [`${failures} viewer requests failed: ${[...failureReasons].join('; ')}`] : []),
    ];
    if (problems.length > 0) {
      process.stderr.write(`load bench FAILED:\n${problems.join('\n')}\n`);
      // What the API logged about it (warnings and errors only).
      const logged = server.output().split('\n').filter((line) => /"level":"(warn|error)"/.test(line));
      process.stderr.write(`API warnings and errors (last 20 of ${logged.length}):\n${logged.slice(-20).join('\n')}\n`);
      process.exitCode = 1;
    }
  } finally {
    if (cluster) await cluster.stop();
    else await server?.stop();
    redis?.destroy();
    postgres?.destroy();
    orthanc.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    burstAgent.destroy();
  }
}

main().catch((error: unknown) => {
  // The server's last words, when it died under load.
  if (lastServerOutput) process.stderr.write(`server output (tail):\n${lastServerOutput().slice(-3000)}\n`);
  process.stderr.write(`load bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
