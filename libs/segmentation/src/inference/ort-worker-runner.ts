import { createRequire } from 'node:module';
import { MessageChannel, Worker } from 'node:worker_threads';
import { type OrtRunner, type OrtRunnerOptions, sessionOptions } from './ort-runner';
import { type OrtReply, ortCaller, runOverCaller } from './ort-caller';

/*
 * The worker is plain CommonJS evaluated from a string, so it runs the same way under vitest (SWC),
 * scripts/run-ts.mjs and the compiled dist/ without a separate build entry. It loads
 * onnxruntime-node from the path resolved here (an eval'd worker has no module directory of its own).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
// Linux keeps a niceness per thread and new threads inherit it: set here, before the session exists,
// it also holds for the intra-op threads onnxruntime starts. Raised only, never lowered.
let niceness;
if (workerData.niceness !== undefined) {
  try {
    const os = require('node:os');
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    if (os.getPriority(tid) < workerData.niceness) os.setPriority(tid, workerData.niceness);
    niceness = os.getPriority(tid);
  } catch (error) {
    niceness = undefined; // not Linux (no /proc/thread-self): reported to the caller as undefined
  }
}
let session;
let bytes;
let options;
// Runs wait for a trim in progress; a trim waits for the runs in flight (OrtRunner.trim).
let ready = Promise.resolve();
const running = new Set();
let broken;
async function run(msg) {
  await ready;
  if (broken) throw broken;
  const pending = session.run({ [msg.input]: new ort.Tensor('float32', new Float32Array(msg.buffer), msg.dims) }, msg.outputs);
  running.add(pending);
  try {
    return await pending;
  } finally {
    running.delete(pending);
  }
}
function trim() {
  const trimmed = ready.then(async () => {
    await Promise.allSettled([...running]);
    await session.release();
    try {
      session = await ort.InferenceSession.create(bytes, options);
    } catch (error) {
      broken = error;
      throw error;
    }
  });
  ready = trimmed.catch(() => undefined);
  return trimmed;
}
// One handler per port: the owner's (parentPort) and each port another thread was given (connect), so a
// segmentation thread runs batches here without a hop through the owner's event loop. Replies go back on
// the port the request came in on.
function serve(port) {
  port.on('message', (msg) => handle(msg, port));
}
async function handle(msg, port) {
  try {
    // Only the owner loads and releases the session; a connected thread runs and trims.
    if (port !== parentPort && (msg.type === 'load' || msg.type === 'release')) throw new Error(msg.type + ' is only accepted from the owning thread');
    if (msg.type === 'load') {
      // Kept for trim, which builds the session again from the same bytes and options.
      bytes = new Uint8Array(msg.bytes);
      options = msg.options;
      session = await ort.InferenceSession.create(bytes, options);
      port.postMessage({ id: msg.id, ok: true, inputNames: session.inputNames, outputNames: session.outputNames, niceness });
    } else if (msg.type === 'run') {
      const result = await run(msg);
      const tensors = msg.outputs.map((name) => result[name]);
      if (tensors.some((t) => !t || t.type !== 'float32')) return port.postMessage({ id: msg.id, ok: true, missing: true });
      const copies = tensors.map((t) => new Float32Array(t.data));
      port.postMessage({ id: msg.id, ok: true, buffers: copies.map((c) => c.buffer), dims: tensors.map((t) => t.dims) }, copies.map((c) => c.buffer));
    } else if (msg.type === 'trim') {
      await trim();
      port.postMessage({ id: msg.id, ok: true });
    } else if (msg.type === 'connect') {
      serve(msg.port);
      port.postMessage({ id: msg.id, ok: true });
    } else if (msg.type === 'release') {
      await ready;
      await Promise.allSettled([...running]);
      if (session && !broken) await session.release();
      session = undefined;
      port.postMessage({ id: msg.id, ok: true });
    }
  } catch (error) {
    port.postMessage({ id: msg.id, ok: false, message: error && error.message ? error.message : String(error) });
  }
}
serve(parentPort);
`;

/**
 * Runs the session in a worker thread, so inference does not block the caller's event loop (HTTP
 * requests, timers and job cancellation stay responsive while a batch runs). Batches are copied to
 * the worker and results transferred back: ~1 MB per batch of 8 x 192², negligible beside inference.
 * The worker only keeps the process alive while a request is pending; `release()` terminates it.
 */
export async function createWorkerRunner(bytes: Uint8Array, options: OrtRunnerOptions, niceness?: number): Promise<OrtRunner & { niceness: number | undefined }> {
  const ortPath = createRequire(__filename).resolve('onnxruntime-node');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, niceness } });
  worker.unref();
  const caller = ortCaller(worker);
  worker.on('error', (error) => caller.fail(error));
  worker.on('exit', (code) => caller.fail(new Error(`onnxruntime worker thread exited with code ${code}`)));
  const call = caller.call;

  const copy = bytes.slice();
  let loaded: OrtReply;
  try {
    loaded = await call({ type: 'load', bytes: copy.buffer, options: sessionOptions(options) }, [copy.buffer]);
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    niceness: loaded.niceness,
    inputNames: loaded.inputNames ?? [],
    outputNames: loaded.outputNames ?? [],
    run: (input, outputs, data, dims) => runOverCaller(caller, input, outputs, data, dims),
    async trim() {
      await call({ type: 'trim' });
    },
    async connect() {
      const { port1, port2 } = new MessageChannel();
      try {
        await call({ type: 'connect', port: port2 }, [port2]);
      } catch (error) {
        port1.close();
        throw error;
      }
      return port1;
    },
    async release() {
      if (!caller.failed) await call({ type: 'release' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
