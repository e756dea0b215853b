import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './orthanc';
import { RedisInstance } from './redis';
import { ServerProcess, spawnServerProcess } from './server';

export interface ScaledClusterOptions {
  redis: RedisInstance;
  dicomwebUrl: string;
  workers: number;
  /** Environment every process shares (DATABASE_URL, COVSEG_SECRET_KEY, …). */
  env?: Record<string, string>;
  /** Environment of the API process only (e.g. its DICOM listener's port). */
  apiEnv?: Record<string, string>;
  /** One data folder for all processes (the SQLite state store needs it); otherwise one each. */
  sharedDataDir?: string;
  /** Niceness of the worker processes (the API stays at 0, so the viewer is served first). */
  workerNice?: number;
  /** BullMQ timings (default FAST_QUEUE_ENV); `{}` keeps production's defaults. */
  queueEnv?: Record<string, string>;
}

/**
 * Shorter BullMQ timings than production's (30 s lock), so a killed worker's job is taken over within
 * ~12 s in tests. Not shorter: a worker niced on a loaded 2-core machine may not renew a 3 s lock in time,
 * and a live worker's job would be declared stalled (the load bench saw it).
 */
export const FAST_QUEUE_ENV = { BULLMQ_LOCK_MS: '10000', BULLMQ_STALLED_INTERVAL_MS: '2000', QUEUE_RECONCILE_MS: '1000' };

/**
 * One API process (ROLE=api) and `workers` worker processes (ROLE=worker), each a real `node
 * dist/.../main.js`, meeting only through Redis and the state store.
 */
export class ScaledCluster {
  private readonly ownDirs: string[] = [];

  private constructor(
    readonly api: ServerProcess,
    readonly workers: Map<string, ServerProcess>,
    private readonly options: ScaledClusterOptions,
  ) {}

  static async start(options: ScaledClusterOptions): Promise<ScaledCluster> {
    const common = { REDIS_URL: options.redis.url, ...(options.queueEnv ?? FAST_QUEUE_ENV), ...options.env };
    const api = await spawnServerProcess({ dicomwebUrl: options.dicomwebUrl, dataDir: options.sharedDataDir ?? mkdtempSync(join(tmpdir(), 'covseg-api-')), env: { ...common, ...options.apiEnv, ROLE: 'api' } });
    const cluster = new ScaledCluster(api, new Map(), options);
    if (!options.sharedDataDir) cluster.ownDirs.push(api.dataDir);
    for (let i = 1; i <= options.workers; i++) await cluster.addWorker(`worker-${i}`);
    return cluster;
  }

  async addWorker(id: string): Promise<ServerProcess> {
    const port = String(await freePort());
    const dataDir = this.options.sharedDataDir ?? mkdtempSync(join(tmpdir(), `covseg-${id}-`));
    if (!this.options.sharedDataDir) this.ownDirs.push(dataDir);
    const worker = await spawnServerProcess({
      dataDir,
      nice: this.options.workerNice,
      env: { REDIS_URL: this.options.redis.url, ...(this.options.queueEnv ?? FAST_QUEUE_ENV), ...this.options.env, ROLE: 'worker', WORKER_ID: id, WORKER_PORT: port, PORT: port, ORT_THREADS: '1' },
    });
    this.workers.set(id, worker);
    return worker;
  }

  /** The worker whose log says it took the job (the latest to take it). */
  holderOf(jobId: string): string | undefined {
    let holder: string | undefined;
    let latest = -1;
    for (const [id, worker] of this.workers) {
      const at = worker.output().lastIndexOf(`Job ${jobId} taken by worker ${id}`);
      if (at > latest && worker.child.exitCode === null && worker.child.signalCode === null) {
        latest = at;
        holder = id;
      }
    }
    return holder;
  }

  /** Worker id → jobs it finished (from its log: "Job … succeeded"). */
  jobsByWorker(): Record<string, number> {
    return Object.fromEntries([...this.workers].map(([id, w]) => [id, (w.output().match(/Job [0-9a-f-]+ succeeded/g) ?? []).length]));
  }

  async stop(): Promise<void> {
    // COVSEG_TEST_LOG_DIR: keep every process's log there (to read after a failed run).
    const logDir = process.env.COVSEG_TEST_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      writeFileSync(join(logDir, 'api.log'), this.api.output());
      for (const [id, worker] of this.workers) writeFileSync(join(logDir, `${id}.log`), worker.output());
    }
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    await this.api.stop();
    for (const dir of this.ownDirs) rmSync(dir, { recursive: true, force: true });
  }
}
