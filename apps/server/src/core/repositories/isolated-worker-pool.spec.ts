import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IsolatedWorkerPool, WorkerTaskError } from './isolated-worker-pool';

const dirs: string[] = [];
const pools: IsolatedWorkerPool[] = [];

/** A worker entry (plain JS) that busy-waits `startupMs` before it is ready, and each task `taskMs`. */
function entry(startupMs: number, taskMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'covseg-pool-'));
  dirs.push(dir);
  const busy = (ms: string) => `{ const end = Date.now() + ${ms}; while (Date.now() < end); }`;
  writeFileSync(
    join(dir, 'entry.js'),
    `const { parentPort } = require('node:worker_threads');
${busy(String(startupMs))}
parentPort.on('message', (m) => { ${busy('m.ms ?? ' + taskMs)} parentPort.postMessage({ id: m.id, ok: true }); });
parentPort.postMessage({ ready: true });`,
  );
  return join(dir, 'entry');
}

function pool(entryPath: string, timeoutMs: number): IsolatedWorkerPool {
  const created = new IsolatedWorkerPool({ entry: entryPath, size: 1, maxQueued: 4, timeoutMs, resourceLimits: { maxOldGenerationSizeMb: 64 } });
  pools.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Niceness of a thread, field 19 of /proc/.../stat (after the parenthesised command name). */
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);

describe('IsolatedWorkerPool', () => {
  it('runs its workers at the niceness asked for, leaving the caller’s thread alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covseg-pool-'));
    dirs.push(dir);
    // The worker answers with its own thread's niceness, read from /proc.
    writeFileSync(
      join(dir, 'entry.js'),
      `const { parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, stat: readFileSync('/proc/thread-self/stat', 'utf8') }));
parentPort.postMessage({ ready: true });`,
    );
    const callerBefore = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
    const nice = new IsolatedWorkerPool({ entry: join(dir, 'entry'), size: 1, maxQueued: 1, timeoutMs: 30_000, resourceLimits: {}, niceness: Math.max(13, callerBefore) });
    pools.push(nice);
    const reply = await nice.run<{ stat: string }>({});
    expect(niceOf(reply.stat)).toBe(Math.max(13, callerBefore));
    expect(niceOf(readFileSync('/proc/thread-self/stat', 'utf8'))).toBe(callerBefore);
  });

  it('does not count a fresh worker’s start-up against the first task’s deadline', async () => {
    const slowStart = pool(entry(800, 10), 300);
    await expect(slowStart.run({})).resolves.toMatchObject({ ok: true });
  });

  it('stops a task that runs past its deadline and serves the next one on a new worker', async () => {
    const limited = pool(entry(0, 10), 300);
    await expect(limited.run({})).resolves.toMatchObject({ ok: true });
    const error = await limited.run({ ms: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as WorkerTaskError).kind).toBe('timeout');
    await expect(limited.run({})).resolves.toMatchObject({ ok: true });
  });
});
