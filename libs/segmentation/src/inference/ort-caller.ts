import type { MessagePort } from 'node:worker_threads';
import type { OrtRunner } from './ort-runner';

/** What the onnxruntime thread answers to a request (WORKER_SOURCE in ort-worker-runner.ts). */
export interface OrtReply {
  id: number;
  ok: boolean;
  message?: string;
  inputNames?: string[];
  outputNames?: string[];
  buffers?: ArrayBuffer[];
  dims?: number[][];
  missing?: boolean;
  niceness?: number;
}

/** This side of a channel to the onnxruntime thread: the Worker itself, or a port from its `connect()`. */
export interface OrtEndpoint {
  postMessage(value: unknown, transferList?: readonly (ArrayBuffer | MessagePort)[]): void;
  on(event: 'message', listener: (reply: OrtReply) => void): unknown;
  ref(): void;
  unref(): void;
}

export interface OrtCaller {
  /** Sends one numbered request; settles with the reply that carries its id (rejects on `ok: false`). */
  call(message: Record<string, unknown>, transfer?: (ArrayBuffer | MessagePort)[]): Promise<OrtReply>;
  /** Rejects every pending request, and every later call, with the first error given. */
  fail(error: Error): void;
  /** The error given to `fail`, if any. */
  readonly failed: Error | undefined;
}

/**
 * Numbered requests and their replies over `endpoint`, shared by the owner's worker runner and the
 * port runners of other threads. The endpoint keeps this thread alive only while a request is pending.
 */
export function ortCaller(endpoint: OrtEndpoint): OrtCaller {
  const pending = new Map<number, { resolve: (r: OrtReply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failed: Error | undefined;
  endpoint.on('message', (reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) endpoint.unref();
    if (reply.ok) p.resolve(reply);
    else p.reject(new Error(reply.message));
  });
  return {
    call(message, transfer = []) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      if (pending.size === 0) endpoint.ref();
      return new Promise<OrtReply>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        endpoint.postMessage({ ...message, id }, transfer);
      });
    },
    fail(error) {
      failed ??= error;
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    },
    get failed() {
      return failed;
    },
  };
}

/**
 * OrtRunner.run over a caller: the batch is copied to the session's thread (the caller keeps its
 * buffer), the outputs come back transferred; undefined when the session lacks an output.
 */
export async function runOverCaller(caller: OrtCaller, ...[input, outputs, data, dims]: Parameters<OrtRunner['run']>): ReturnType<OrtRunner['run']> {
  const batch = data.slice();
  const reply = await caller.call({ type: 'run', input, outputs: [...outputs], buffer: batch.buffer, dims }, [batch.buffer]);
  if (reply.missing || !reply.buffers || reply.buffers.length !== outputs.length) return undefined;
  return reply.buffers.map((buffer, i) => ({ data: new Float32Array(buffer), dims: reply.dims?.[i] ?? [] }));
}
