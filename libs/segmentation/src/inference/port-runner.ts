import type { MessagePort } from 'node:worker_threads';
import type { OrtRunner } from './ort-runner';

interface Reply {
  id: number;
  ok: boolean;
  message?: string;
  buffers?: ArrayBuffer[];
  dims?: number[][];
  missing?: boolean;
}

/**
 * An OrtRunner over a port from another runner's `connect()`: this thread (e.g. a job's segmentation
 * thread) runs batches on a session that lives in the onnxruntime worker thread, without a hop through
 * the session owner's event loop. Batches are copied to the session's thread, results transferred back,
 * as with createWorkerRunner. `release()` closes this port only: the session belongs to its owner.
 * When the owner releases the session (its thread ends), the port closes and pending runs reject.
 */
export function createPortRunner(port: MessagePort, names: { inputNames: readonly string[]; outputNames: readonly string[] }): OrtRunner {
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let closed: Error | undefined;
  const failAll = (error: Error) => {
    closed ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  port.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    // Idle, the port does not keep this thread alive.
    if (pending.size === 0) port.unref();
    if (reply.ok) p.resolve(reply);
    else p.reject(new Error(reply.message));
  });
  port.on('close', () => failAll(new Error('the onnxruntime session this port ran on was released')));
  port.unref();

  const call = (message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> => {
    if (closed) return Promise.reject(closed);
    const id = nextId++;
    if (pending.size === 0) port.ref();
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      port.postMessage({ ...message, id }, transfer);
    });
  };
  return {
    inputNames: [...names.inputNames],
    outputNames: [...names.outputNames],
    async run(input, outputs, data, dims) {
      const batch = data.slice();
      const reply = await call({ type: 'run', input, outputs: [...outputs], buffer: batch.buffer, dims }, [batch.buffer]);
      if (reply.missing || !reply.buffers || reply.buffers.length !== outputs.length) return undefined;
      return reply.buffers.map((buffer, i) => ({ data: new Float32Array(buffer), dims: reply.dims?.[i] ?? [] }));
    },
    async trim() {
      await call({ type: 'trim' });
    },
    async release() {
      failAll(new Error('this port runner was released'));
      port.close();
    },
  };
}
