import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Execution providers onnxruntime-node may use; `cpu` is always available. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** The server's configuration, validated once at boot (STYLE.md: config fails fast, naming the variable). */
export interface AppConfig {
  port: number;
  host: string;
  /** Absolute folder holding the SQLite database and the SEG outbox. */
  dataDir: string;
  databasePath: string;
  outboxDir: string;
  /** Absolute path of the ONNX model, loaded once at boot. */
  modelPath: string;
  executionProvider: ExecutionProvider;
  /** onnxruntime intra-op threads; undefined lets onnxruntime decide. */
  ortThreads: number | undefined;
  /**
   * Where onnxruntime runs: 'worker' (default) keeps HTTP (viewer, proxy, health) answering while a
   * batch runs, because onnxruntime-node 1.23's session.run blocks the calling thread.
   */
  inferenceThread: 'worker' | 'main';
  /** Worker threads that decode compressed slices (JPEG Lossless, JPEG-LS, JPEG 2000, RLE) while the series downloads. */
  decodeThreads: number;
  /** How many segmentation jobs run at the same time. */
  jobConcurrency: number;
  /** A job running longer than this (ms) fails with a timeout reason. */
  jobTimeoutMs: number;
  /** How often (ms) the worker looks for queued jobs when nobody woke it. */
  jobPollMs: number;
  /** Retries of a transient PACS failure (connection refused, timeout, 5xx, 429) before the job fails. */
  pacsRetries: number;
  /** First backoff delay (ms) of those retries; doubles each time, plus jitter. */
  pacsRetryBaseMs: number;
  /** Absolute folder of the built viewer, served at `/`. */
  viewerDist: string;
}

/** Thrown at boot when an environment variable is malformed; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Invalid environment variable ${key}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

function optionalInteger(env: Env, key: string, min: number, max: number): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return undefined;
  return integer(env, key, min, min, max);
}

function text(env: Env, key: string, fallback: string): string {
  const raw = env[key];
  if (raw === undefined) return fallback;
  if (raw.trim() === '') throw new ConfigError(`Invalid environment variable ${key}: it is set but empty`);
  return raw.trim();
}

function path(env: Env, key: string, fallback: string, root: string): string {
  const value = text(env, key, fallback);
  return isAbsolute(value) ? value : resolve(root, value);
}

/**
 * Reads and validates the server configuration from an environment. Relative paths are resolved against
 * `root` (the repository root by default), so the server behaves the same whatever its working directory.
 * @throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: Env, root: string = process.cwd()): AppConfig {
  const provider = text(env, 'ORT_EXECUTION_PROVIDER', 'cpu');
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ConfigError(`Invalid environment variable ORT_EXECUTION_PROVIDER=${JSON.stringify(provider)}: expected one of ${EXECUTION_PROVIDERS.join(', ')}`);
  }
  const dataDir = path(env, 'DATA_DIR', '.var/server', root);
  const inferenceThread = text(env, 'ORT_THREAD', 'worker');
  if (inferenceThread !== 'worker' && inferenceThread !== 'main') {
    throw new ConfigError(`Invalid environment variable ORT_THREAD=${JSON.stringify(inferenceThread)}: expected worker or main`);
  }
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST', '127.0.0.1'),
    dataDir,
    databasePath: join(dataDir, 'covseg.sqlite'),
    outboxDir: join(dataDir, 'outbox'),
    modelPath: path(env, 'MODEL_PATH', 'models/covseg-unet.onnx', root),
    executionProvider: provider as ExecutionProvider,
    ortThreads: optionalInteger(env, 'ORT_THREADS', 1, 256),
    inferenceThread,
    decodeThreads: integer(env, 'DECODE_THREADS', Math.min(4, availableParallelism()), 1, 64),
    jobConcurrency: integer(env, 'JOB_CONCURRENCY', 1, 1, 64),
    jobTimeoutMs: integer(env, 'JOB_TIMEOUT_MS', 15 * 60_000, 1_000, 24 * 3600_000),
    jobPollMs: integer(env, 'JOB_POLL_MS', 1_000, 10, 3600_000),
    pacsRetries: integer(env, 'PACS_RETRIES', 4, 0, 20),
    pacsRetryBaseMs: integer(env, 'PACS_RETRY_BASE_MS', 500, 1, 60_000),
    viewerDist: path(env, 'VIEWER_DIST', 'apps/viewer/dist', root),
  };
}

/** Injection token of the validated {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');
