import type { MessagePort } from 'node:worker_threads';
import type { OrtRunner } from './ort-runner';
import { ortCaller, runOverCaller } from './ort-caller';

/**
 * An OrtRunner over a port from another runner's `connect()`: this thread (e.g. a job's segmentation
 * thread) runs batches on a session that lives in the onnxruntime worker thread, without a hop through
 * the session owner's event loop. Batches are copied to the session's thread, results transferred back,
 * as with createWorkerRunner. `release()` closes this port only: the session belongs to its owner.
 * When the owner releases the session (its thread ends), the port closes and pending runs reject.
 */
export function createPortRunner(port: MessagePort, names: { inputNames: readonly string[]; outputNames: readonly string[] }): OrtRunner {
  const caller = ortCaller(port);
  port.on('close', () => caller.fail(new Error('the onnxruntime session this port ran on was released')));
  port.unref();
  return {
    inputNames: [...names.inputNames],
    outputNames: [...names.outputNames],
    run: (input, outputs, data, dims) => runOverCaller(caller, input, outputs, data, dims),
    async trim() {
      await caller.call({ type: 'trim' });
    },
    async release() {
      caller.fail(new Error('this port runner was released'));
      port.close();
    },
  };
}
