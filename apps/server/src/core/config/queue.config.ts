import { hostname } from 'node:os';
import { ConfigError, type Env, integer } from '../repositories/config.repository';

/** What one process runs: the API (and viewer), the segmentation workers, or both (the default). */
export const ROLES = ['api', 'worker', 'all'] as const;
export type ProcessRole = (typeof ROLES)[number];

/**
 * Settings of the job queue and of the process's role, validated once at boot (QUEUE_CONFIG).
 *
 * BullMQ timing, and why these defaults:
 * - `lockMs` (BULLMQ_LOCK_MS, 30 s): a worker holds a job's lock and renews it every lockMs/2. Inference
 *   runs in a worker thread, so the event loop that renews the lock stays free; 30 s tolerates a loaded
 *   2-core machine. A worker killed with -9 stops renewing: its job is "stalled" at most lockMs later.
 * - `stalledIntervalMs` (BULLMQ_STALLED_INTERVAL_MS, 15 s): how often each worker looks for stalled jobs
 *   and moves them back to wait. A killed worker's job is picked up by another within lockMs + stalledIntervalMs.
 * - `maxStalledCount` (BULLMQ_MAX_STALLED, 3): a job that stalls more often (e.g. it kills its worker
 *   by running out of memory each time) fails with the reason worker-lost instead of looping forever.
 */
export interface QueueConfig {
  role: ProcessRole;
  /** Redis of the BullMQ queue; undefined runs the in-process queue (embedded mode). */
  redisUrl: string | undefined;
  /** Port of a worker-role process's health and metrics server (WORKER_PORT). */
  workerPort: number;
  /** A short name for this process in logs, metrics and job records (WORKER_ID, default host:pid). */
  workerId: string;
  lockMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  /** How often (ms) queued jobs of the database that Redis does not know are handed to it again. */
  reconcileMs: number;
}


function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('Invalid environment variable REDIS_URL: expected a URL like redis://127.0.0.1:6379 or rediss://host:port');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`Invalid environment variable REDIS_URL: expected the scheme redis: or rediss:, got ${url.protocol}`);
  }
  return raw;
}

/** @throws ConfigError naming the first bad variable, or a role that cannot work with the rest. */
export function loadQueueConfig(env: Env, defaultWorkerId = `${hostname()}-${process.pid}`): QueueConfig {
  const role = (env.ROLE?.trim() || 'all') as ProcessRole;
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new ConfigError(`Invalid environment variable ROLE=${JSON.stringify(env.ROLE)}: expected one of ${ROLES.join(', ')}`);
  }
  const url = redisUrl(env);
  if (role !== 'all' && url === undefined) {
    // An API without workers (or workers without an API) only makes sense with a queue between processes.
    throw new ConfigError(`ROLE=${role} needs REDIS_URL: without Redis the queue lives inside one process, which must then be ROLE=all`);
  }
  const lockMs = integer(env, 'BULLMQ_LOCK_MS', 30_000, 1_000, 3600_000);
  const workerId = env.WORKER_ID?.trim() || defaultWorkerId;
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(workerId)) {
    throw new ConfigError(`Invalid environment variable WORKER_ID=${JSON.stringify(workerId)}: expected 1 to 64 letters, digits, dots, dashes, colons or underscores`);
  }
  return {
    role,
    redisUrl: url,
    workerPort: integer(env, 'WORKER_PORT', 3001, 0, 65535),
    workerId,
    lockMs,
    stalledIntervalMs: integer(env, 'BULLMQ_STALLED_INTERVAL_MS', Math.min(15_000, lockMs), 500, 3600_000),
    maxStalledCount: integer(env, 'BULLMQ_MAX_STALLED', 3, 1, 100),
    reconcileMs: integer(env, 'QUEUE_RECONCILE_MS', 30_000, 100, 3600_000),
  };
}

/** Injection token of the validated {@link QueueConfig}. */
export const QUEUE_CONFIG = Symbol('QUEUE_CONFIG');

export const runsApi = (config: QueueConfig) => config.role !== 'worker';
export const runsWorkers = (config: QueueConfig) => config.role !== 'api';
