import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type MessagePort, Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Runs one kind of task on untrusted input in worker threads, so that hostile input cannot stall the
 * event loop (HTTP, health, the proxy keep answering) or exhaust the process: each worker has V8 heap
 * and stack limits (worker_threads resourceLimits), each task a deadline after which its worker is
 * terminated (a parse loop cannot be interrupted any other way), and the queue is bounded.
 * A worker that died is replaced on the next task. Workers are unref'ed while idle.
 *
 * Contract with the entry: once its modules are loaded and its message handler is set, it posts
 * `{ ready: true }` ({@link WORKER_READY}). A task's deadline starts then, not at spawn: loading the
 * entry's modules in a fresh worker takes seconds on a loaded machine, and counting that against the
 * input turned a normal upload right after a timed-out one into a 422. Besides its one reply
 * (`{ id, … }`), a task may post events (`{ id, event }`, e.g. progress) that go to its `onEvent`.
 */

/** The message an entry posts when it can take tasks. */
export const WORKER_READY = { ready: true } as const;

/** A worker that has not posted WORKER_READY by then is broken (not the input's fault). */
const STARTUP_TIMEOUT_MS = 60_000;

export interface IsolatedWorkerPoolOptions {
  /** The worker entry, without extension: `.js` is used when it exists (dist), else `.ts` (vitest, run-ts). */
  entry: string;
  /** Workers running at once. */
  size: number;
  /** Tasks waiting beyond the running ones; more are refused at once with WorkerPoolBusyError. */
  maxQueued: number;
  /** Wall-clock deadline of one task, ms; the worker is terminated when it passes. */
  timeoutMs: number;
  resourceLimits: ResourceLimits;
  /**
   * Linux niceness (0-19) of each worker thread, set by the thread itself before its entry loads: the
   * untrusted work then yields the CPU to the event loop (health, the proxy) when both want it.
   * Raised only, never lowered; ignored where per-thread niceness does not exist (not Linux).
   */
  niceness?: number;
}

/** Why a task did not produce a result. `kind` tells the caller whose fault it is. */
export class WorkerTaskError extends Error {
  override name = 'WorkerTaskError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'memory' | 'crashed',
  ) {
    super(message);
  }
}

/** The queue is full: the caller should answer 503 and let the client retry. */
export class WorkerPoolBusyError extends Error {
  override name = 'WorkerPoolBusyError';
}

/** What may move to a worker with a task: buffers and ports. */
export type WorkerTransferable = ArrayBuffer | MessagePort;

export interface WorkerTaskOptions {
  /** Receives the task's events (`{ id, event }` messages) while it runs. */
  onEvent?: (event: unknown) => void;
  /**
   * Aborting fails the task with `signal.reason` at once: a queued task leaves the queue, a running
   * one's worker is terminated (the next task starts a new one).
   */
  signal?: AbortSignal;
}

interface Task {
  /** Dropped (undefined) once posted: see dispatch. */
  message: Record<string, unknown> | undefined;
  transfer: WorkerTransferable[];
  options: WorkerTaskOptions;
  resolve: (reply: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  /** Removes the abort listener. */
  detach?: () => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Until ready: fails the slot if the entry never starts. */
  startupTimer?: NodeJS.Timeout;
  task?: Task & { timer?: NodeJS.Timeout; id: number };
}

// Runs first in every worker: Linux keeps a niceness per thread (setpriority on the thread's own tid),
// and threads the entry starts inherit it. Same technique as the inference thread
// (libs/segmentation ort-worker-runner). Never lower it: an unprivileged process could not raise it back.
const NICE_PRELUDE = `
if (require('node:worker_threads').workerData.niceness !== undefined) {
  try {
    const os = require('node:os');
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    const wanted = require('node:worker_threads').workerData.niceness;
    if (os.getPriority(tid) < wanted) os.setPriority(tid, wanted);
  } catch {
    // Not Linux (no /proc/thread-self): the worker runs at the process's niceness.
  }
}
`;

// Under vitest or scripts/run-ts.mjs the entry is TypeScript: the worker registers the same SWC
// require hook as scripts/run-ts.mjs (with the tsconfig path aliases) before loading it. The built
// server (dist) never takes this branch. The spawning thread loads @swc/core first (loadSwcHere):
// a native addon first loaded by a worker is unloaded when that worker ends, and loading it again
// in the next worker hung it (or "Module did not self-register"), e.g. a second app in one vitest
// fork. The same holds for every native addon an entry loads (onnxruntime-node, sharp): the server's
// main thread loads them at boot.
const TS_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const root = workerData.tsRoot;
const swc = Module.createRequire(path.join(root, 'package.json'))('@swc/core');
const { compilerOptions } = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
const aliases = new Map(Object.entries(compilerOptions.paths || {}).map(([name, [target]]) => [name, path.resolve(root, compilerOptions.baseUrl || '.', target)]));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return resolveFilename.call(this, aliases.get(request) || request, ...rest); };
Module._extensions['.ts'] = function (module, filename) {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), { filename, module: { type: 'commonjs' }, jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } } });
  module._compile(code, filename);
};
require(workerData.entry);
`;

/** Keeps @swc/core's native binding loaded in this process (see TS_BOOTSTRAP), once per root. */
const swcLoaded = new Set<string>();
function loadSwcHere(root: string): void {
  if (swcLoaded.has(root)) return;
  createRequire(join(root, 'package.json'))('@swc/core');
  swcLoaded.add(root);
}

function findTsRoot(from: string): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'tsconfig.json')) && existsSync(join(dir, 'package.json'))) return dir;
  throw new Error(`No tsconfig.json above ${from}`);
}

export class IsolatedWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: IsolatedWorkerPoolOptions) {}

  /** Runs one task; `transfer` buffers and ports move to the worker. Resolves with the worker's reply message. */
  run<Reply extends Record<string, unknown>>(message: Record<string, unknown>, transfer: WorkerTransferable[] = [], options: WorkerTaskOptions = {}): Promise<Reply> {
    if (this.closed) return Promise.reject(new WorkerTaskError('The worker pool is closed', 'crashed'));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
    const busy = this.slots.filter((s) => s.task).length;
    if (busy >= this.options.size && this.queue.length >= this.options.maxQueued) {
      return Promise.reject(new WorkerPoolBusyError(`All ${this.options.size} workers are busy and ${this.queue.length} tasks wait; retry shortly`));
    }
    // Built out here: the closures below (the executor, the abort listener) hold `task`, whose message
    // dispatch drops once posted; one that referenced `message` itself would keep it until the task ends.
    const task: Task = { message, transfer, options, resolve: () => undefined, reject: () => undefined };
    return new Promise<Reply>((resolve, reject) => {
      task.resolve = resolve as (reply: Record<string, unknown>) => void;
      task.reject = reject;
      const { signal } = options;
      if (signal) {
        const onAbort = () => this.abort(task, signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
        task.detach = () => signal.removeEventListener('abort', onAbort);
        const settle = { resolve: task.resolve, reject: task.reject };
        task.resolve = (reply) => (task.detach!(), settle.resolve(reply));
        task.reject = (error) => (task.detach!(), settle.reject(error));
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /**
   * Starts a worker now when none is idle and the pool has room, so that a task expected soon does not
   * wait for the worker's start-up (loading its modules takes a second or more on a busy machine).
   */
  prestart(): void {
    if (this.closed || this.slots.some((s) => !s.task) || this.slots.length >= this.options.size) return;
    this.spawn();
  }

  /** Starts workers until the pool is full (a process about to take tasks at its boot). */
  prestartAll(): void {
    while (!this.closed && this.slots.length < this.options.size) this.spawn();
  }

  /** True when the entry runs compiled (dist), not through the TypeScript bootstrap. */
  get compiled(): boolean {
    return existsSync(`${this.options.entry}.js`);
  }

  /** An aborted task: out of the queue, or its worker terminated. */
  private abort(task: Task, reason: Error): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      task.reject(reason);
      return;
    }
    const slot = this.slots.find((s) => s.task?.resolve === task.resolve);
    if (slot) this.fail(slot, reason);
  }

  /** Terminates every worker; pending tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new WorkerTaskError('The worker pool closed', 'crashed'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.task);
      if (!slot && this.slots.length < this.options.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      const id = this.nextId++;
      const { message, transfer } = task;
      // The worker has its own copy (or the moved buffers) once posted: the task does not keep the message,
      // which may hold a large shared buffer (a job's HU volume) that its caller wants freed before the
      // task ends (the abort listener keeps `task` itself reachable until then).
      task.message = undefined;
      task.transfer = [];
      slot.task = { ...task, id };
      // Posted now even before the worker is ready: its port queues the message until the handler is set.
      if (slot.ready) this.startDeadline(slot);
      slot.worker.ref();
      try {
        slot.worker.postMessage({ ...message, id }, transfer);
      } catch (error) {
        // A message that cannot be cloned (DataCloneError) is the caller's bug: the slot stays free.
        clearTimeout(slot.task.timer);
        slot.task = undefined;
        slot.worker.unref();
        task.reject(error as Error);
      }
    }
  }

  private spawn(): Slot {
    const js = `${this.options.entry}.js`;
    const ts = `${this.options.entry}.ts`;
    const niceness = this.options.niceness;
    let worker: Worker;
    if (existsSync(js)) {
      worker = new Worker(`${NICE_PRELUDE}\nrequire(require('node:worker_threads').workerData.entry);`, { eval: true, workerData: { entry: js, niceness }, resourceLimits: this.options.resourceLimits });
    } else {
      const tsRoot = findTsRoot(ts);
      loadSwcHere(tsRoot);
      worker = new Worker(`${NICE_PRELUDE}\n${TS_BOOTSTRAP}`, { eval: true, workerData: { entry: ts, tsRoot, niceness }, resourceLimits: this.options.resourceLimits });
    }
    worker.unref();
    const slot: Slot = { worker, ready: false };
    slot.startupTimer = setTimeout(() => this.fail(slot, new WorkerTaskError(`the worker did not start within ${STARTUP_TIMEOUT_MS} ms`, 'crashed')), STARTUP_TIMEOUT_MS);
    slot.startupTimer.unref();
    worker.on('message', (reply: Record<string, unknown>) => {
      if (reply.ready === true && !slot.ready) {
        slot.ready = true;
        clearTimeout(slot.startupTimer);
        if (slot.task) this.startDeadline(slot);
        return;
      }
      const task = slot.task;
      if (!task || reply.id !== task.id) return;
      if ('event' in reply) {
        task.options.onEvent?.(reply.event);
        return;
      }
      clearTimeout(task.timer);
      slot.task = undefined;
      worker.unref();
      task.resolve(reply);
      this.dispatch();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.fail(slot, new WorkerTaskError(memory ? `it needed more than ${this.options.resourceLimits.maxOldGenerationSizeMb ?? '?'} MB of heap and was stopped` : `the worker failed: ${error.message}`, memory ? 'memory' : 'crashed'));
    });
    worker.on('exit', () => this.fail(slot, new WorkerTaskError('the worker exited', 'crashed')));
    this.slots.push(slot);
    return slot;
  }

  private startDeadline(slot: Slot): void {
    const task = slot.task!;
    task.timer = setTimeout(() => this.fail(slot, new WorkerTaskError(`it ran longer than ${this.options.timeoutMs} ms and was stopped`, 'timeout')), this.options.timeoutMs);
  }

  /** Fails the slot's task (if any), terminates its worker and removes it; the next task spawns a new one. */
  private fail(slot: Slot, error: Error): void {
    clearTimeout(slot.startupTimer);
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const task = slot.task;
    slot.task = undefined;
    if (task) {
      clearTimeout(task.timer);
      task.reject(error);
    }
    void slot.worker.terminate();
    if (!this.closed) this.dispatch();
  }
}
