import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConsoleLogger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../apps/server/src/app.module';
import { configureApp } from '../../apps/server/src/app.setup';
import { APP_CONFIG, loadConfig } from '../../apps/server/src/core/repositories/config.repository';
import { loadQueueConfig } from '../../apps/server/src/core/config/queue.config';
import { freePort } from './orthanc';

export const repoRoot = resolve(__dirname, '../..');
const builtMain = join(repoRoot, 'dist/apps/server/src/main.js');

export interface TestServerOptions {
  /** When given, a PACS endpoint named `test-pacs` is created for it; its id is `pacsEndpointId`. */
  dicomwebUrl?: string;
  /** Extra environment for the server (PORT and DATA_DIR are chosen unless given). */
  env?: Record<string, string>;
  /** Reuse a data folder (restart tests); otherwise a fresh temporary one. */
  dataDir?: string;
  /** Spawned processes only: run under `nice -n N` (every thread, including onnxruntime's, inherits it). */
  nice?: number;
}

export interface TestServer {
  baseUrl: string;
  dataDir: string;
  env: Record<string, string>;
  pacsEndpointId?: string;
  /** fetch against the server, with the test's auth headers added. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** JSON helper: throws with the body when the status is not the expected one. */
  json<T>(path: string, init?: RequestInit & { expectStatus?: number }): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Headers every test request carries. The trust module adds its admin token here (from `env`), so that
 * every medium and e2e test authenticates the same way.
 */
export function authHeaders(env: Record<string, string>): Record<string, string> {
  return env.COVSEG_BOOTSTRAP_ADMIN_TOKEN ? { authorization: `Bearer ${env.COVSEG_BOOTSTRAP_ADMIN_TOKEN}` } : {};
}

/** The bootstrap admin token every test server starts with (COVSEG_BOOTSTRAP_ADMIN_TOKEN); test-only. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';

/** The environment a test server runs with: a free port, a temp DATA_DIR, quiet job polling. */
async function testEnv(options: TestServerOptions): Promise<Record<string, string>> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'covseg-server-'));
  return {
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JOB_POLL_MS: '200',
    PACS_RETRY_BASE_MS: '50',
    COVSEG_BOOTSTRAP_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ...options.env,
  };
}

function client(baseUrl: string, env: Record<string, string>) {
  const request = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { ...authHeaders(env), ...(init.body && typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
    });
  const json = async <T>(path: string, init: RequestInit & { expectStatus?: number } = {}): Promise<T> => {
    const response = await request(path, init);
    const text = await response.text();
    const expected = init.expectStatus;
    if (expected !== undefined ? response.status !== expected : !response.ok) {
      throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${text}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { request, json };
}

async function withEndpoint(server: Omit<TestServer, 'pacsEndpointId'>, dicomwebUrl: string | undefined): Promise<TestServer> {
  if (!dicomwebUrl) return server;
  const existing = (await server.json<Array<{ id: string; name: string }>>('/api/pacs-endpoints')).find((e) => e.name === 'test-pacs');
  const endpoint =
    existing ??
    (await server.json<{ id: string }>('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'test-pacs', baseUrl: dicomwebUrl, authType: 'none', timeoutMs: 10_000 }),
    }));
  return { ...server, pacsEndpointId: endpoint.id };
}

/**
 * Creates the Nest app inside the test process (fast; SWC compiles the decorators). The environment is
 * visible in process.env while the modules are built, so modules that read it at construction see it.
 */
export async function startInProcessServer(options: TestServerOptions = {}): Promise<TestServer> {
  const env = await testEnv(options);
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  let app: NestExpressApplication;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(loadQueueConfig({ ...process.env, ...env }))] })
      .overrideProvider(APP_CONFIG)
      .useValue(loadConfig({ ...process.env, ...env }, repoRoot))
      .compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: new ConsoleLogger({ json: true, logLevels: ['error', 'warn'] }) });
    configureApp(app);
    await app.listen(Number(env.PORT), '127.0.0.1');
    // The test's fetch shares this event loop. When a test or a job step holds it for seconds, Node's
    // 5 s keep-alive timer fires late and closes a socket that fetch is reusing at that moment
    // (ECONNRESET on the next request). Idle sockets are closed by the client (undici) instead.
    const http = app.getHttpServer() as import('node:http').Server;
    http.keepAliveTimeout = 10 * 60_000;
    http.headersTimeout = 10 * 60_000 + 1000;
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  const stop = async () => {
    await app.close();
    if (!options.dataDir) rmSync(env.DATA_DIR, { recursive: true, force: true });
  };
  return withEndpoint({ baseUrl, dataDir: env.DATA_DIR, env, ...client(baseUrl, env), stop }, options.dicomwebUrl);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the server (npm run build:server) unless dist is newer than every source file. */
export function ensureServerBuilt(): void {
  const sources = [join(repoRoot, 'apps/server/src'), join(repoRoot, 'libs/dicom/src'), join(repoRoot, 'libs/segmentation/src')];
  if (existsSync(builtMain) && statSync(builtMain).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  // Like `npm run build:server`, except that type errors do not stop the build (tsc exits 2 but emits):
  // vitest does not typecheck either, and `npm run typecheck` reports them. Other failures do stop it.
  const tsc = join(repoRoot, 'node_modules/.bin/tsc');
  try {
    execFileSync(tsc, ['-p', 'apps/server/tsconfig.app.json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as { status?: number }).status !== 2) throw error;
  }
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc-alias'), ['-p', 'apps/server/tsconfig.app.json'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface ServerProcess extends TestServer {
  child: ChildProcess;
  /** Everything the process wrote (JSON log lines). */
  output(): string;
  /** SIGKILL, as a crash would: no shutdown hooks run. */
  kill(): Promise<void>;
}

/** Spawns the BUILT server (`node dist/apps/server/src/main.js`) as a real process, for crash/restart tests. */
export async function spawnServerProcess(options: TestServerOptions = {}): Promise<ServerProcess> {
  // COVSEG_SERVER_MAIN: another build's main.js (e.g. a copy of dist/ made before a change), for
  // interleaved before/after benches of two builds; it is run as it is, never rebuilt.
  const main = process.env.COVSEG_SERVER_MAIN ? resolve(process.env.COVSEG_SERVER_MAIN) : builtMain;
  if (main === builtMain) ensureServerBuilt();
  else if (!existsSync(main)) throw new Error(`COVSEG_SERVER_MAIN=${main} does not exist`);
  const env = await testEnv(options);
  // COVSEG_SERVER_NODE_ARGS: extra node flags for the server process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  // to profile it under a bench (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = [...(process.env.COVSEG_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), main];
  const [command, args] = options.nice ? ['nice', ['-n', String(options.nice), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  // If the test process ends without stopping the server (a failed test, a crash), take it along.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolveExit();
    }),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The server exited with code ${child.exitCode} during start:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/api/health`)).status < 500) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The server did not answer on ${baseUrl} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const server = await withEndpoint(
    {
      baseUrl,
      dataDir: env.DATA_DIR,
      env,
      ...client(baseUrl, env),
      stop: async () => {
        await stopWith('SIGTERM');
        if (!options.dataDir) rmSync(env.DATA_DIR, { recursive: true, force: true });
      },
    },
    options.dicomwebUrl,
  );
  return { ...server, child, output: () => output, kill: () => stopWith('SIGKILL') };
}

/** Starts an in-process server (the default for medium tests). */
export const startTestServer = startInProcessServer;
