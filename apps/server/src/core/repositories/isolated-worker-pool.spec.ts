import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../memory/collect-garbage';
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

  it('keeps no reference to a task’s message once posted, so that a large buffer it carries can be freed while the task runs', async () => {
    const slow = pool(entry(0, 400), 30_000);
    // Built in its own function: a value left in this test's frame would keep the payload reachable itself.
    const post = () => {
      const payload = { hu: new SharedArrayBuffer(1024) };
      return { reply: slow.run({ payload }, [], { signal: new AbortController().signal }), payload: new WeakRef(payload) };
    };
    const { reply, payload } = post();
    // A WeakRef's target is kept until the current job ends; then a collection must find it unreachable.
    await new Promise((resolve) => setTimeout(resolve, 20));
    collectGarbage();
    expect(payload.deref()).toBeUndefined();
    await expect(reply).resolves.toMatchObject({ ok: true });
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

  describe('tasks with events, aborts and crashes', () => {
    /**
     * A worker entry whose tasks post `m.events` events, then wait `m.ms` (in timers, so messages
     * and termination get through), then reply; `m.crash` ends the thread mid-task.
     */
    function eventEntry(): string {
      const dir = mkdtempSync(join(tmpdir(), 'covseg-pool-'));
      dirs.push(dir);
      writeFileSync(
        join(dir, 'entry.js'),
        `const { parentPort, threadId } = require('node:worker_threads');
parentPort.on('message', (m) => {
  for (let i = 0; i < (m.events ?? 0); i++) parentPort.postMessage({ id: m.id, event: { done: i + 1 } });
  if (m.crash) process.exit(3);
  setTimeout(() => parentPort.postMessage({ id: m.id, ok: true, threadId, bytes: m.buffer ? m.buffer.byteLength : 0 }), m.ms ?? 0);
});
parentPort.postMessage({ ready: true });`,
      );
      return join(dir, 'entry');
    }

    it('hands a task its events in order before its reply, and moves transferred buffers without a copy', async () => {
      const events: unknown[] = [];
      const buffer = new ArrayBuffer(1024);
      const reply = await pool(eventEntry(), 30_000).run<{ bytes: number }>({ events: 3, buffer }, [buffer], { onEvent: (event) => events.push(event) });
      expect(events).toEqual([{ done: 1 }, { done: 2 }, { done: 3 }]);
      expect(reply.bytes).toBe(1024);
      expect(buffer.byteLength).toBe(0); // detached here: it moved
    });

    it('fails an aborted running task with the abort reason at once, ends its thread, and serves the next task on a new one', async () => {
      const tasks = pool(eventEntry(), 30_000);
      const first = await tasks.run<{ threadId: number }>({});
      const controller = new AbortController();
      const running = tasks.run({ ms: 20_000 }, [], { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const reason = new Error('cancelled by the user');
      controller.abort(reason);
      await expect(running).rejects.toBe(reason);
      const next = await tasks.run<{ threadId: number }>({});
      expect(next.threadId).not.toBe(first.threadId);
    });

    it('drops an aborted task that was still queued, without touching the running one', async () => {
      const tasks = pool(eventEntry(), 30_000);
      const running = tasks.run({ ms: 300 });
      const controller = new AbortController();
      const queued = tasks.run({}, [], { signal: controller.signal });
      controller.abort(new Error('stop'));
      await expect(queued).rejects.toThrow('stop');
      await expect(running).resolves.toMatchObject({ ok: true });
    });

    it('prestarts a worker that the next task then uses, and never more than the pool size', async () => {
      const tasks = pool(eventEntry(), 30_000);
      tasks.prestart();
      tasks.prestart(); // one idle (starting) worker already: no second
      const first = await tasks.run<{ threadId: number }>({});
      const second = await tasks.run<{ threadId: number }>({});
      expect(second.threadId).toBe(first.threadId);
    });

    it('refuses a task whose signal is already aborted', async () => {
      await expect(pool(eventEntry(), 30_000).run({}, [], { signal: AbortSignal.abort(new Error('too late')) })).rejects.toThrow('too late');
    });

    it('fails a task whose thread dies as crashed, and the next task gets a new thread', async () => {
      const tasks = pool(eventEntry(), 30_000);
      const error = await tasks.run({ crash: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkerTaskError);
      expect((error as WorkerTaskError).kind).toBe('crashed');
      await expect(tasks.run({})).resolves.toMatchObject({ ok: true });
    });

    it('rejects a message that cannot be cloned and keeps the worker free for the next task', async () => {
      const tasks = pool(eventEntry(), 30_000);
      await expect(tasks.run({ notData: () => 1 })).rejects.toThrow(/could not be cloned/);
      await expect(tasks.run({})).resolves.toMatchObject({ ok: true });
    });
  });
});
