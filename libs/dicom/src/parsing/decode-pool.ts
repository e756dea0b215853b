import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DicomError, PixelDecodeError, UnsupportedTransferSyntaxError } from '../errors';
import type { EncodedFrame, NativeFrame } from './decode-frame';
import type { DecodeReply, DecodeRequest } from './decode-messages';

export interface FrameDecodePoolOptions {
  /** Worker threads; default: the cores available, at most 4 (decoding shares the CPU with inference). */
  readonly threads?: number;
  /**
   * Linux niceness (0-19) of each decode thread, set by the thread itself before it decodes anything,
   * so a server's HTTP goes first when both want the CPU. Raised only, never lowered; ignored where
   * per-thread niceness does not exist (not Linux).
   */
  readonly niceness?: number;
  /**
   * Whether CtVolumeStream hands uncompressed slices here too (their stored values and Modality LUT), not only
   * compressed ones. Off by default: on a saturated 2-core machine it made an embedded server's viewer answers
   * slower, not faster (docs/SCALING.md, session 6); with cores to spare it takes that work off the event loop.
   */
  readonly uncompressed?: boolean;
}

/*
 * Sources (vitest, scripts/run-ts.mjs) run decode-worker.ts through TypeScript's transpileModule
 * (typescript is a dev dependency, present wherever .ts sources run); the compiled server (dist/) runs
 * decode-worker.js directly. The bootstrap only installs that require hook: the worker's code is the
 * library's own decode path. Never use @swc/core here: a native addon loaded in a worker thread that
 * is terminated crashes the whole process when the next worker loads it (seen under vitest's forks).
 */
const TS_BOOTSTRAP = `
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const ts = require(workerData.typescriptPath);
Module._extensions['.ts'] = function (module, filename) {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(workerData.entry);
`;

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

/** Turns a worker's error description back into the library's error class. */
function reviveError(error: { name: string; message: string; transferSyntaxUID?: string }): DicomError {
  if (error.name === 'UnsupportedTransferSyntaxError') return new UnsupportedTransferSyntaxError(error.message, error.transferSyntaxUID ?? '');
  if (error.name === 'PixelDecodeError') return new PixelDecodeError(error.message, error.transferSyntaxUID ?? '');
  return new DicomError(`Decoding a frame in a worker thread failed: ${error.message}`);
}

class DecodeThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | undefined;

  constructor(niceness: number | undefined) {
    const entry = join(__dirname, `decode-worker${extname(__filename)}`);
    this.worker =
      extname(__filename) === '.ts'
        ? new Worker(TS_BOOTSTRAP, { eval: true, workerData: { entry, typescriptPath: createRequire(__filename).resolve('typescript'), niceness } })
        : new Worker(entry, { workerData: { niceness } });
    this.worker.unref();
    this.worker.on('message', (reply: DecodeReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) p.resolve();
      else p.reject(reviveError(reply.error));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new DicomError(`A decode worker thread exited with code ${code}`)));
  }

  get load(): number {
    return this.dead ? Number.POSITIVE_INFINITY : this.pending.size;
  }

  run(request: DecodeRequest): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.postMessage(request, [request.frame.bytes]);
    });
  }

  async terminate(): Promise<void> {
    this.fail(new DicomError('The frame decode pool was closed'));
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.dead ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

/**
 * Decodes frames (JPEG Lossless, JPEG-LS, JPEG 2000, RLE, JPEG, and native pixel data) in worker threads and
 * writes their HU straight into a shared volume, so decoding overlaps retrieval and runs on every core.
 * Threads start on first use and keep the process alive only while a frame is pending; a dead thread
 * is replaced. Owns its threads: call `close()` when done.
 */
export class FrameDecodePool {
  readonly threads: number;
  /** See FrameDecodePoolOptions.uncompressed. */
  readonly uncompressed: boolean;
  private readonly niceness: number | undefined;
  private readonly workers: DecodeThread[] = [];
  private nextId = 1;
  private closed = false;
  private handed = { encapsulated: 0, native: 0 };

  constructor(options: FrameDecodePoolOptions = {}) {
    const threads = options.threads ?? Math.min(4, availableParallelism());
    if (!Number.isInteger(threads) || threads < 1) throw new DicomError(`A frame decode pool needs a positive whole number of threads, got ${threads}`);
    this.threads = threads;
    if (options.niceness !== undefined && !(Number.isInteger(options.niceness) && options.niceness >= 0 && options.niceness <= 19)) {
      throw new DicomError(`A frame decode pool's niceness must be a whole number from 0 to 19, got ${options.niceness}`);
    }
    this.niceness = options.niceness;
    this.uncompressed = options.uncompressed ?? false;
  }

  /**
   * Decodes one frame, applies the Modality LUT (HU = stored x slope + intercept, rounded, clamped to
   * int16, as rescaleInto does) and writes the `rows x columns` HU at int16 element `targetOffset` of
   * `target`. `frame.bytes` is transferred to the worker: the caller must not use it afterwards.
   * A native frame (uncompressed pixel data) goes the same way, so that reading its stored values and
   * the Modality LUT do not run on the caller's thread either (a server's event loop).
   * @throws PixelDecodeError, UnsupportedTransferSyntaxError as the serial decode would.
   */
  decodeInto(frame: EncodedFrame | NativeFrame, slope: number, intercept: number, target: SharedArrayBuffer, targetOffset: number): Promise<void> {
    if (this.closed) return Promise.reject(new DicomError('The frame decode pool was closed'));
    // The worker takes the buffer; a view into a larger buffer (a multipart body) is copied first.
    const owned = frame.bytes.byteOffset === 0 && frame.bytes.byteLength === frame.bytes.buffer.byteLength && frame.bytes.buffer instanceof ArrayBuffer;
    const bytes = (owned ? frame.bytes : frame.bytes.slice()).buffer as ArrayBuffer;
    const { bytes: _bytes, ...rest } = frame;
    this.handed[frame.encoding === 'native' ? 'native' : 'encapsulated'] += 1;
    const request: DecodeRequest = { id: this.nextId++, frame: { ...rest, bytes }, slope, intercept, target, targetOffset, pixels: frame.pixel.rows * frame.pixel.columns };
    return this.leastLoaded().run(request);
  }

  /** Frames handed to the threads so far, by kind (native: uncompressed pixel data). */
  get framesHanded(): { readonly encapsulated: number; readonly native: number } {
    return { ...this.handed };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private leastLoaded(): DecodeThread {
    // Replace threads that died (a codec abort, an out-of-memory kill) before choosing.
    for (let i = 0; i < this.workers.length; i++) if (this.workers[i]!.load === Number.POSITIVE_INFINITY) this.workers.splice(i--, 1);
    if (this.workers.length < this.threads) {
      const thread = new DecodeThread(this.niceness);
      this.workers.push(thread);
      return thread;
    }
    return this.workers.reduce((a, b) => (b.load < a.load ? b : a));
  }
}
