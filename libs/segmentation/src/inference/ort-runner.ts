import type { MessagePort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

/** What SegmentationModel needs from an onnxruntime session, wherever that session lives. */
export interface OrtRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs one float32 input and returns the named outputs, in the order asked, each as a new
   * Float32Array owned by the caller (undefined when any of them is missing or not float32).
   * @param data the input, not retained.
   */
  run(input: string, outputs: readonly string[], data: Float32Array, dims: readonly number[]): Promise<OrtOutput[] | undefined>;
  /**
   * Frees what the session keeps between runs (onnxruntime's CPU arena holds the largest batch's
   * activations for the session's life) by replacing the session with a new one built from the same
   * bytes and options: same outputs, but the next run grows the arena again. Runs in flight finish on
   * the old session first; runs started meanwhile wait for the new one.
   */
  trim(): Promise<void>;
  release(): Promise<void>;
  /**
   * A port on which another thread can run and trim this session directly (createPortRunner), while
   * this runner keeps owning it; only a runner whose session lives in a worker thread has one. The
   * port stops working when this runner is released.
   */
  connect?(): Promise<MessagePort>;
}

export interface OrtOutput {
  data: Float32Array;
  dims: readonly number[];
}

/** Session options shared by both runners (plain data: they cross the worker boundary). */
export interface OrtRunnerOptions {
  executionProviders: string[];
  intraOpNumThreads?: number;
}

/** onnxruntime session options from ours; omits unset values (they also cross postMessage). */
export function sessionOptions(options: OrtRunnerOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: options.executionProviders,
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
    // No memory-pattern plan (one block sized for the batch's activations, on top of the arena): measured on
    // the 600-slice bench series, server peak RSS 1144 -> 1058/1066 MB, model alone 21.1 -> 21.0-21.1 s.
    // enableCpuMemArena: false was also measured: 1004 MB but the model 3.5x slower (73 s), so the arena stays.
    enableMemPattern: false,
    // No busy-waiting between runs: idle spinning intra-op threads steal the cores the JS pre/post-
    // processing needs. Measured on 2 cores, LIDC, worker thread: 24-31 ms/slice with spinning, 11 without.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  };
}

/**
 * Runs the session on the calling thread. Note: onnxruntime-node 1.23's `session.run` is synchronous
 * native work wrapped in a promise, so it blocks the event loop for the whole batch; see
 * createWorkerRunner for the alternative.
 */
export async function createMainThreadRunner(bytes: Uint8Array, options: OrtRunnerOptions): Promise<OrtRunner> {
  let session = await ort.InferenceSession.create(bytes, sessionOptions(options));
  // Runs wait for a trim in progress; a trim waits for the runs in flight (see OrtRunner.trim).
  let ready: Promise<unknown> = Promise.resolve();
  const running = new Set<Promise<unknown>>();
  // A trim whose new session could not be created leaves no session: every later run fails with why.
  let broken: unknown;
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(input, outputs, data, dims) {
      await ready;
      if (broken) throw broken;
      // Only the outputs asked for are computed and returned (a binary caller of a two-output graph gets one).
      const run = session.run({ [input]: new ort.Tensor('float32', data, dims) }, [...outputs]);
      running.add(run);
      try {
        const result = await run;
        const tensors = outputs.map((name) => result[name]);
        if (tensors.some((t) => !t || t.type !== 'float32')) return undefined;
        return tensors.map((t) => ({ data: t!.data as Float32Array, dims: t!.dims }));
      } finally {
        running.delete(run);
      }
    },
    trim() {
      const trimmed = ready.then(async () => {
        await Promise.allSettled([...running]);
        await session.release();
        try {
          session = await ort.InferenceSession.create(bytes, sessionOptions(options));
        } catch (error) {
          broken = error;
          throw error;
        }
      });
      ready = trimmed.catch(() => undefined);
      return trimmed;
    },
    release: async () => {
      await ready;
      await Promise.allSettled([...running]);
      if (!broken) await session.release();
    },
  };
}
