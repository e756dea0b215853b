import { availableParallelism } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** Execution providers onnxruntime-node may use; `cpu` is always available. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** The server's configuration, validated once at boot (STYLE.md: config fails fast, naming the variable). */
export interface AppConfig {
  port: number;
  host: string;
  /** Absolute folder holding the SQLite database and the SEG outbox. */
  dataDir: string;
  /** The embedded SQLite file, used when `postgres` is undefined. */
  databasePath: string;
  /** PostgreSQL (DATABASE_URL) instead of the SQLite file: every process of a scaled deployment shares it. */
  postgres: PostgresConfig | undefined;
  outboxDir: string;
  /** Absolute path of the ONNX model, loaded once at boot. */
  modelPath: string;
  executionProvider: ExecutionProvider;
  /** onnxruntime intra-op threads; undefined lets onnxruntime decide. */
  ortThreads: number | undefined;
  /**
   * ORT_INFERENCE_THREAD, where onnxruntime runs (not to be confused with ortThreads, a count): 'worker' (default) keeps HTTP (viewer, proxy, health) answering while a
   * batch runs, because onnxruntime-node 1.23's session.run blocks the calling thread.
   */
  inferenceThread: 'worker' | 'main';
  /**
   * INFERENCE_NICE (0-19, default 10): the niceness of the inference worker thread and onnxruntime's
   * threads (Linux), so this process's HTTP goes first when inference and a viewer share the CPU.
   */
  inferenceNice: number;
  /** Worker threads that decode compressed slices (JPEG Lossless, JPEG-LS, JPEG 2000, RLE) while the series downloads. */
  decodeThreads: number;
  /**
   * JOB_NICE (0-19, default 10): Linux niceness of a job's CPU work off the event loop: the segmentation
   * threads (lung mask, pre/post-processing, quantification, SEG/SR/key-image encoding) and the decode
   * threads, so this process's HTTP (viewer, proxy, health, metrics) goes first (like INFERENCE_NICE).
   */
  jobNice: number;
  /** How many segmentation jobs run at the same time. */
  jobConcurrency: number;
  /** A job running longer than this (ms) fails with a timeout reason. */
  jobTimeoutMs: number;
  /** How often (ms) the worker looks for queued jobs when nobody woke it. */
  jobPollMs: number;
  /**
   * RETRIEVE_TRANSFER_SYNTAX (default auto): `auto` asks the PACS for a lossless compressed series
   * (JPEG Lossless, JPEG-LS lossless, JPEG 2000 lossless) as Explicit VR Little Endian, so the PACS
   * decodes it, and falls back to the series as stored when it cannot; `as-stored` never asks.
   */
  retrieveTransferSyntax: 'auto' | 'as-stored';
  /** Retries of a transient PACS failure (connection refused, timeout, 5xx, 429) before the job fails. */
  pacsRetries: number;
  /** First backoff delay (ms) of those retries; doubles each time, plus jitter. */
  pacsRetryBaseMs: number;
  /**
   * PACS_ACCEPT_ENCODING (`identity`, the default, or `gzip`): the Accept-Encoding of every request to a
   * PACS. Orthanc gzips any single-block answer it may (QIDO, metadata, a 0.5 MB CT instance) at a cost
   * of tens of ms of its CPU and ours each, for bytes a LAN carries in a millisecond; `gzip` for a PACS
   * across a slow link.
   */
  pacsAcceptEncoding: 'identity' | 'gzip';
  /** Absolute folder of the built viewer, served at `/`. */
  viewerDist: string;
  /** Largest JSON or form body accepted (bytes); larger ones get 413 before they are parsed. */
  maxJsonBodyBytes: number;
  /** How long a delivered outbox payload (SEG, SR, …) is kept on disk (hours); 0 deletes it at delivery. */
  outboxKeepDeliveredHours: number;
  /** How long the payload of a failed outbox entry is kept for an admin's re-delivery (hours); 0 deletes it when it fails. */
  outboxKeepFailedHours: number;
  /** Deliveries of one pending outbox entry before it is marked failed (with its reason) instead of retried. */
  outboxMaxAttempts: number;
  /** First delay (ms) before a failed outbox delivery is tried again; doubles per attempt, at most 6 h. */
  outboxRetryBaseMs: number;
  /** How often (ms) the outbox sweeper retries due deliveries and deletes expired payloads. */
  outboxSweepMs: number;
  /**
   * AUTH_TOKEN_CACHE_MS (default 2000, 0 = off): how long a token found valid is trusted without reading
   * the database again. A revocation on this process takes effect at once; on another process of a
   * scaled deployment within this bound. Never past the token's own expiry.
   */
  authTokenCacheMs: number;
  /**
   * PACS_ENDPOINT_CACHE_MS (default 2000, 0 = off): how long the DICOMweb proxy reuses an endpoint's
   * record (base URL, credentials). An edit or deletion on this process takes effect at once; on another
   * process within this bound.
   */
  endpointCacheMs: number;
  /** Bytes of whole instance answers the DICOMweb proxy keeps in memory (PROXY_CACHE_MB); 0 keeps none. */
  proxyCacheBytes: number;
  /**
   * PROXY_RECENT_ANSWER_MS (default 2000, 0 = off): how long the DICOMweb proxy answers an identical GET
   * (same endpoint version, path, query, Accept) of a QIDO or metadata resource from its last answer. A
   * store by this process into the study drops it at once; another process's store is seen within this bound.
   */
  proxyRecentAnswerMs: number;
  /**
   * HTTP_KEEP_ALIVE_MS (default 65000): how long an idle keep-alive connection stays open (Node's own
   * default is 5 s). A viewer's browser keeps its few connections per host between a reader's actions and
   * reuses them; a connection closed meanwhile must be opened again, and a Node server accepts one new
   * connection per event-loop iteration (libuv >= 1.45), so a burst over new connections waits in line
   * for the accepts. Above a load balancer's idle timeout (60 s on common ones), so the balancer closes first.
   */
  httpKeepAliveMs: number;
  /**
   * DECODE_UNCOMPRESSED_IN_THREADS (0 or 1, default 0): uncompressed slices' stored values and Modality LUT in the
   * decode threads instead of on the event loop. Off: on this 2-core shared machine it made the embedded
   * viewer's answers slower in 3 of 3 interleaved runs (the threads compete for the same cores); try it with
   * cores to spare.
   */
  decodeUncompressedInThreads: boolean;
  /** Bytes of those recent answers kept per process (PROXY_RECENT_ANSWER_MB). */
  proxyRecentAnswerBytes: number;
  /**
   * PROXY_GZIP_LEVEL (0-9, default 0 = off): zlib level of the proxy's gzip of whole JSON answers for
   * callers that accept it. Off by default: measured on the load bench (client on the same host), the
   * client's inflating cost more CPU than the bytes saved; worth it when browsers are across a slow network.
   */
  proxyGzipLevel: number;
  /** Worker threads that parse uploaded DICOM slices (untrusted input) off the event loop. */
  uploadParseWorkers: number;
  /**
   * UPLOAD_PARSE_NICE (0-19, default 10): Linux niceness of the upload parse workers, so a hostile
   * upload's parse yields the CPU to health, the proxy and the rest of HTTP (like INFERENCE_NICE).
   */
  uploadParseNice: number;
  /** Deadline of one upload parse (ms); the worker is terminated past it. */
  uploadParseTimeoutMs: number;
  /** V8 heap limit of one upload parse worker (MB). */
  uploadParseHeapMb: number;
  /** Most data elements in one uploaded DICOM file (a CT slice has a few hundred). */
  uploadParseMaxElements: number;
  /** The DICOM (DIMSE) listener; undefined when DICOM_PORT is not set (off by default). */
  dicom: DicomListenerConfig | undefined;
  /** Our AE title: the called AE of the listener and the calling AE of our C-STORE/C-ECHO SCU. */
  dicomAeTitle: string;
  /** How often (ms) the background health monitor probes every enabled PACS endpoint; /api/health answers from its cache. */
  healthProbeIntervalMs: number;
}

/** The C-STORE SCP's settings (DICOM_* variables). */
export interface DicomListenerConfig {
  port: number;
  host: string;
  /** A series is segmented once no instance of it arrived for this long (s). */
  stableSeconds: number;
  /** Largest single instance accepted (bytes); bigger ones are refused with status A700. */
  maxInstanceBytes: number;
  /** Disk the received instances may use at once (bytes); past it, C-STOREs are refused with A700. */
  storeMaxBytes: number;
  maxAssociations: number;
  /** An association silent for this long (ms) is aborted. */
  timeoutMs: number;
  /** Absolute folder of received instances (DATA_DIR/dimse). */
  storeDir: string;
}

/** DATABASE_URL and its pool settings. */
export interface PostgresConfig {
  url: string;
  poolSize: number;
  /** How long a statement waits for a connection before failing as "database unavailable" (ms). */
  connectTimeoutMs: number;
}

/** Thrown at boot when an environment variable is malformed; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

/** An integer environment variable within [min, max], or `fallback` when unset or blank. @throws ConfigError naming it. */
export function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
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

function oneOf<T extends string>(env: Env, key: string, values: readonly T[], fallback: T): T {
  const value = text(env, key, fallback);
  if (!(values as readonly string[]).includes(value)) throw new ConfigError(`Invalid environment variable ${key}=${JSON.stringify(value)}: expected one of ${values.join(', ')}`);
  return value as T;
}

function path(env: Env, key: string, fallback: string, root: string | null): string {
  const value = text(env, key, fallback);
  if (isAbsolute(value)) return value;
  if (root === null) {
    throw new ConfigError(`Invalid environment variable ${key}=${JSON.stringify(value)}: a relative path needs the app root (the folder whose package.json is named covseg), and none was found above ${__dirname}; give an absolute path`);
  }
  return resolve(root, value);
}

/**
 * The app root: the nearest folder above `from` whose package.json is named `covseg` (the repository
 * root, or the deployed copy of it), the same whether this file runs from source or from dist, and
 * whatever the working directory. Undefined when there is none (then only absolute paths are accepted).
 */
export function findAppRoot(from: string = __dirname): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'covseg') return dir;
      } catch {
        // Not our manifest (unreadable or not JSON): keep looking further up.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** PS3.5 6.2 AE: 1-16 characters of the default repertoire, no backslash or control characters, not all spaces. */
function aeTitle(env: Env, key: string, fallback: string): string {
  const value = text(env, key, fallback);
  if (value.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(value)) {
    throw new ConfigError(`Invalid environment variable ${key}=${JSON.stringify(value)}: expected an AE title of 1 to 16 printable ASCII characters without a backslash`);
  }
  return value;
}

function dicomListener(env: Env, dataDir: string): DicomListenerConfig | undefined {
  const port = optionalInteger(env, 'DICOM_PORT', 1, 65535);
  if (port === undefined) return undefined;
  return {
    port,
    host: text(env, 'DICOM_HOST', text(env, 'HOST', '127.0.0.1')),
    stableSeconds: integer(env, 'DICOM_STABLE_SECONDS', 30, 1, 24 * 3600),
    maxInstanceBytes: integer(env, 'DICOM_MAX_INSTANCE_MB', 1024, 1, 64 * 1024) * 1024 * 1024,
    storeMaxBytes: integer(env, 'DICOM_STORE_MAX_GB', 20, 1, 100_000) * 1024 * 1024 * 1024,
    maxAssociations: integer(env, 'DICOM_MAX_ASSOCIATIONS', 8, 1, 256),
    timeoutMs: integer(env, 'DICOM_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
    storeDir: join(dataDir, 'dimse'),
  };
}

function postgres(env: Env): PostgresConfig | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // Never echo the value: it holds the database password.
    throw new ConfigError('Invalid environment variable DATABASE_URL: expected postgres://user:password@host:port/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`Invalid environment variable DATABASE_URL: expected a postgres:// URL, got ${url.protocol}//…`);
  }
  // The key sealing PACS secrets must not sit in the database it protects, nor on one process's disk
  // (DATA_DIR/secret.key) when several processes share the database: demand it from the environment.
  if (!env.COVSEG_SECRET_KEY && !env.COVSEG_SECRET_KEY_FILE) {
    throw new ConfigError(
      'DATABASE_URL is set (PostgreSQL mode), so COVSEG_SECRET_KEY (32 bytes, base64) or COVSEG_SECRET_KEY_FILE (a 0600 file holding it) must be set too: ' +
        'the key that encrypts PACS secrets never lives in the database, and every process needs the same one (make one with: openssl rand -base64 32)',
    );
  }
  return {
    url: url.toString(),
    poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    connectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
  };
}

/**
 * Reads and validates the server configuration from an environment. Relative paths are resolved against
 * `root`: the app root found from this file's location by default ({@link findAppRoot}), never the
 * working directory, so the server finds the same model and data wherever it is started from; `null`
 * when there is no app root (only absolute paths are then accepted).
 * @throws ConfigError naming the first bad variable (also: a renamed variable still set).
 */
export function loadConfig(env: Env, root: string | null = findAppRoot() ?? null): AppConfig {
  if (env.ORT_THREAD !== undefined) {
    // Renamed: ORT_THREAD (worker|main) and ORT_THREADS (a count) were one letter apart.
    throw new ConfigError('Environment variable ORT_THREAD was renamed to ORT_INFERENCE_THREAD (worker or main); ORT_THREADS is the intra-op thread count');
  }
  const provider = text(env, 'ORT_EXECUTION_PROVIDER', 'cpu');
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ConfigError(`Invalid environment variable ORT_EXECUTION_PROVIDER=${JSON.stringify(provider)}: expected one of ${EXECUTION_PROVIDERS.join(', ')}`);
  }
  const dataDir = path(env, 'DATA_DIR', '.var/server', root);
  const inferenceThread = text(env, 'ORT_INFERENCE_THREAD', 'worker');
  if (inferenceThread !== 'worker' && inferenceThread !== 'main') {
    throw new ConfigError(`Invalid environment variable ORT_INFERENCE_THREAD=${JSON.stringify(inferenceThread)}: expected worker or main`);
  }
  const retrieveTransferSyntax = text(env, 'RETRIEVE_TRANSFER_SYNTAX', 'auto');
  if (retrieveTransferSyntax !== 'auto' && retrieveTransferSyntax !== 'as-stored') {
    throw new ConfigError(`Invalid environment variable RETRIEVE_TRANSFER_SYNTAX=${JSON.stringify(retrieveTransferSyntax)}: expected auto or as-stored`);
  }
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST', '127.0.0.1'),
    dataDir,
    databasePath: join(dataDir, 'covseg.sqlite'),
    postgres: postgres(env),
    outboxDir: join(dataDir, 'outbox'),
    modelPath: path(env, 'MODEL_PATH', 'models/covseg-unet.onnx', root),
    executionProvider: provider as ExecutionProvider,
    ortThreads: optionalInteger(env, 'ORT_THREADS', 1, 256),
    inferenceThread,
    inferenceNice: integer(env, 'INFERENCE_NICE', 10, 0, 19),
    decodeThreads: integer(env, 'DECODE_THREADS', Math.min(4, availableParallelism()), 1, 64),
    jobNice: integer(env, 'JOB_NICE', 10, 0, 19),
    jobConcurrency: integer(env, 'JOB_CONCURRENCY', 1, 1, 64),
    jobTimeoutMs: integer(env, 'JOB_TIMEOUT_MS', 15 * 60_000, 1_000, 24 * 3600_000),
    jobPollMs: integer(env, 'JOB_POLL_MS', 1_000, 10, 3600_000),
    retrieveTransferSyntax,
    pacsRetries: integer(env, 'PACS_RETRIES', 4, 0, 20),
    pacsAcceptEncoding: oneOf(env, 'PACS_ACCEPT_ENCODING', ['identity', 'gzip'] as const, 'identity'),
    pacsRetryBaseMs: integer(env, 'PACS_RETRY_BASE_MS', 500, 1, 60_000),
    viewerDist: path(env, 'VIEWER_DIST', 'apps/viewer/dist', root),
    maxJsonBodyBytes: integer(env, 'MAX_JSON_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    outboxKeepDeliveredHours: integer(env, 'OUTBOX_KEEP_DELIVERED_HOURS', 0, 0, 24 * 365),
    outboxKeepFailedHours: integer(env, 'OUTBOX_KEEP_FAILED_HOURS', 7 * 24, 0, 24 * 365),
    outboxMaxAttempts: integer(env, 'OUTBOX_MAX_ATTEMPTS', 8, 1, 1000),
    outboxRetryBaseMs: integer(env, 'OUTBOX_RETRY_BASE_MS', 60_000, 10, 24 * 3600_000),
    outboxSweepMs: integer(env, 'OUTBOX_SWEEP_MS', 60_000, 10, 24 * 3600_000),
    proxyCacheBytes: integer(env, 'PROXY_CACHE_MB', 64, 0, 16 * 1024) * 1024 * 1024,
    proxyRecentAnswerMs: integer(env, 'PROXY_RECENT_ANSWER_MS', 2_000, 0, 10_000),
    httpKeepAliveMs: integer(env, 'HTTP_KEEP_ALIVE_MS', 65_000, 1_000, 3_600_000),
    decodeUncompressedInThreads: integer(env, 'DECODE_UNCOMPRESSED_IN_THREADS', 0, 0, 1) === 1,
    proxyRecentAnswerBytes: integer(env, 'PROXY_RECENT_ANSWER_MB', 32, 1, 4 * 1024) * 1024 * 1024,
    proxyGzipLevel: integer(env, 'PROXY_GZIP_LEVEL', 0, 0, 9),
    authTokenCacheMs: integer(env, 'AUTH_TOKEN_CACHE_MS', 2_000, 0, 60_000),
    endpointCacheMs: integer(env, 'PACS_ENDPOINT_CACHE_MS', 2_000, 0, 60_000),
    // One core stays with the event loop (HTTP, health, proxy): on 2 cores one parse worker.
    uploadParseWorkers: integer(env, 'UPLOAD_PARSE_WORKERS', Math.max(1, Math.min(4, availableParallelism() - 1)), 1, 32),
    uploadParseNice: integer(env, 'UPLOAD_PARSE_NICE', 10, 0, 19),
    uploadParseTimeoutMs: integer(env, 'UPLOAD_PARSE_TIMEOUT_MS', 10_000, 100, 600_000),
    uploadParseHeapMb: integer(env, 'UPLOAD_PARSE_HEAP_MB', 256, 16, 8192),
    uploadParseMaxElements: integer(env, 'UPLOAD_PARSE_MAX_ELEMENTS', 20_000, 100, 10_000_000),
    dicom: dicomListener(env, dataDir),
    dicomAeTitle: aeTitle(env, 'DICOM_AE_TITLE', 'COVSEG'),
    healthProbeIntervalMs: integer(env, 'HEALTH_PROBE_INTERVAL_MS', 30_000, 200, 3600_000),
  };
}

/** Injection token of the validated {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');
