// node scripts/run-ts.mjs bench/queue-capacity.bench.ts [--workers N] [--jobs N] — the scaled mode's cost per
// job, for docs/SCALING.md's capacity model. Not part of `npm test`.
// Starts Redis, PostgreSQL (scripts/postgres.sh), Orthanc, 1 API and N workers (separate processes, own data
// folders), runs N jobs on re-UIDed copies of LIDC-IDRI-0001 (BENCH_SLICES slices each, default 40), and
// measures per job: Redis commands and bytes on the wire (INFO commandstats / stats), PostgreSQL
// transactions, row writes and bytes grown (pg_stat_database, pg_database_size), PACS bytes read and
// written (Orthanc's /statistics and the series sizes), and the throughput in jobs per minute.
// The LAST stdout line is one JSON object.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import { waitForJob } from '../tests/support/jobs';
import { lidcSlices } from '../tests/support/lidc-fixture';
import { OrthancInstance } from '../tests/support/orthanc';
import { RedisInstance } from '../tests/support/redis';
import { ScaledCluster } from '../tests/support/scaled-cluster';
import { reUid } from './re-uid';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}
const WORKERS = Number(argument('workers', '2'));
const JOBS = Number(argument('jobs', '4'));
const SLICES = Number(process.env.BENCH_SLICES ?? 40);

async function redisCounters(client: Redis): Promise<{ commands: number; netInBytes: number; netOutBytes: number; usedMemory: number }> {
  const stats = await client.info('commandstats');
  const commands = [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const general = await client.info('stats');
  const memory = await client.info('memory');
  const field = (text: string, name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? 0);
  return { commands, netInBytes: field(general, 'total_net_input_bytes'), netOutBytes: field(general, 'total_net_output_bytes'), usedMemory: field(memory, 'used_memory') };
}

async function postgresCounters(url: string): Promise<{ commits: number; rowWrites: number; bytes: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT xact_commit::bigint AS commits, (tup_inserted + tup_updated + tup_deleted)::bigint AS writes, pg_database_size(datname)::bigint AS bytes FROM pg_stat_database WHERE datname = current_database()',
    );
    return { commits: Number(rows[0].commits), rowWrites: Number(rows[0].writes), bytes: Number(rows[0].bytes) };
  } finally {
    await client.end();
  }
}

async function orthancBytes(orthanc: OrthancInstance): Promise<number> {
  return ((await (await fetch(`${orthanc.restUrl}/statistics`)).json()) as { TotalDiskSize: string }).TotalDiskSize as unknown as number;
}

async function main(): Promise<void> {
  const postgresSupport = resolve(__dirname, '../tests/support/postgres.ts');
  if (!existsSync(postgresSupport)) throw new Error('tests/support/postgres.ts is missing: the capacity bench needs the PostgreSQL state store');
  const { PostgresInstance } = (await import(postgresSupport)) as typeof import('../tests/support/postgres');
  const [orthanc, redis, postgres] = await Promise.all([OrthancInstance.start(), RedisInstance.start(), PostgresInstance.start()]);
  let cluster: ScaledCluster | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'covseg-capacity-'));
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  try {
    const source = lidcSlices(SLICES, 45);
    const studies = Array.from({ length: JOBS }, (_, i) => reUid(source, i));
    for (const s of studies) await orthanc.upload(s.files);
    const seriesBytes = studies[0].files.reduce((sum, f) => sum + f.byteLength, 0);
    const databaseUrl = await postgres.createDatabase();
    cluster = await ScaledCluster.start({ redis, dicomwebUrl: orthanc.dicomwebUrl, workers: WORKERS, workerNice: 10, queueEnv: {}, env: { DATABASE_URL: databaseUrl, COVSEG_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') } });
    const api = cluster.api;
    // Idle baseline over the same wall time would add the workers' polling; measure it separately.
    const idleStart = await redisCounters(client);
    await new Promise((r) => setTimeout(r, 10_000));
    const idleEnd = await redisCounters(client);
    const [redis0, pg0, pacs0] = await Promise.all([redisCounters(client), postgresCounters(databaseUrl), orthancBytes(orthanc)]);
    const started = performance.now();
    const ids = await Promise.all(
      studies.map(async (s) => (await api.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: api.pacsEndpointId, studyInstanceUID: s.studyInstanceUID }), expectStatus: 202 })).id),
    );
    const jobs = await Promise.all(ids.map((id) => waitForJob(api, id, 1_800_000)));
    const seconds = (performance.now() - started) / 1000;
    const [redis1, pg1, pacs1] = await Promise.all([redisCounters(client), postgresCounters(databaseUrl), orthancBytes(orthanc)]);
    const idlePerSecond = (idleEnd.commands - idleStart.commands) / 10;
    const perJob = (n: number) => Math.round(n / JOBS);
    const report = {
      setup: { workers: WORKERS, jobs: JOBS, slicesPerJob: SLICES, sourceSeriesBytes: seriesBytes, cpus: (await import('node:os')).cpus().length },
      statuses: jobs.map((j) => j.status),
      seconds: +seconds.toFixed(1),
      throughputJobsPerMinute: +((JOBS / seconds) * 60).toFixed(2),
      jobsByWorker: cluster.jobsByWorker(),
      redis: {
        commandsPerJob: perJob(redis1.commands - redis0.commands - idlePerSecond * seconds),
        idleCommandsPerSecond: +idlePerSecond.toFixed(1),
        netBytesPerJob: perJob(redis1.netInBytes - redis0.netInBytes + redis1.netOutBytes - redis0.netOutBytes),
        memoryBytesPerFinishedJob: perJob(redis1.usedMemory - redis0.usedMemory),
      },
      postgres: {
        transactionsPerJob: perJob(pg1.commits - pg0.commits),
        rowWritesPerJob: perJob(pg1.rowWrites - pg0.rowWrites),
        databaseBytesPerJob: perJob(pg1.bytes - pg0.bytes),
      },
      pacs: {
        readBytesPerJob: seriesBytes,
        storedBytesPerJob: perJob(Number(pacs1) - Number(pacs0)),
      },
    };
    process.stderr.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await client.quit();
    await cluster?.stop();
    redis.destroy();
    postgres.destroy();
    orthanc.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`capacity bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
