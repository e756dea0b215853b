import { join } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { CtVolume } from '@covseg/dicom';
import type { SegmentationModel } from '@covseg/segmentation';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { QUEUE_CONFIG, QueueConfig } from '../../core/config/queue.config';
import { IsolatedWorkerPool, WorkerTaskError, type WorkerTransferable } from '../../core/repositories/isolated-worker-pool';
import type { BuiltResult, ResultBuildOptions } from '../pipeline/build-result';
import type { BuildResultEvent, BuildResultReply } from '../pipeline/build-result.worker';
import { JobError } from '../pipeline/job.errors';

/** The segmentation thread failed the job (the code and message are what its error meant there). */
export class SegmentationThreadFailedError extends JobError {
  override name = 'SegmentationThreadFailedError';
}

/**
 * The dataset as plain data that postMessage can copy: dcmjs gives a PersonName value accessor methods
 * (a function on the array), which structured clone refuses. Arrays and objects are rebuilt from their
 * own enumerable data, functions dropped; buffers and typed arrays are kept as they are.
 */
export function cloneable(value: unknown): unknown {
  if (typeof value === 'function') return undefined;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) return value.map(cloneable);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item !== 'function') out[key] = cloneable(item);
  return out;
}

/** setTimeout's largest delay: a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Owns the threads that run a job's CPU work after the volume is built (build-result.worker.ts:
 * segment, quantify, encode SEG/SR/key images), so the event loop only moves messages while a job
 * segments: HTTP, health and metrics keep answering. One thread per concurrent job (JOB_CONCURRENCY),
 * kept between jobs and idle without keeping the process alive, each at JOB_NICE so HTTP goes first
 * on a busy CPU. The same in every role that runs jobs (embedded, ROLE=all, ROLE=worker).
 * A thread that dies (crash, out of memory) fails its job with `segmentation-thread-failed` and is
 * replaced for the next; a job's abort (cancel, timeout, shutdown) terminates its thread at once.
 */
@Injectable()
export class SegmentationThreadRepository implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pool: IsolatedWorkerPool;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(QUEUE_CONFIG) private readonly queueConfig: QueueConfig,
  ) {
    this.pool = new IsolatedWorkerPool({
      entry: join(__dirname, '../pipeline/build-result.worker'),
      size: config.jobConcurrency,
      // Jobs are already bounded by JOB_CONCURRENCY; the queue only absorbs a shutdown/restart overlap.
      maxQueued: config.jobConcurrency * 4,
      // The job's own JOB_TIMEOUT_MS aborts it first; this only bounds a thread that stopped answering.
      timeoutMs: Math.min(MAX_TIMER_MS, config.jobTimeoutMs + 60_000),
      // No old-generation limit: the volume and masks live in array buffers outside the heap, and a limit
      // low enough to matter would fail large series that are legitimate. A small young generation keeps
      // the thread's own heap (SEG/SR encoding's short-lived objects) from adding tens of MB to the peak.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      niceness: config.jobNice,
    });
  }

  /**
   * A process that runs jobs starts its JOB_CONCURRENCY threads at boot, as it warms the model: loading
   * a thread's modules took 0.5-2 CPU s, which a fresh server's first jobs otherwise paid while its first
   * viewer requests came in (bench/load.bench.ts). Built server only: under TypeScript (tests) each
   * thread compiles its modules first, and most test servers never run a job; they start one per job.
   */
  onApplicationBootstrap(): void {
    if (this.queueConfig.role !== 'api' && this.config.inferenceThread === 'worker' && this.pool.compiled) this.pool.prestartAll();
  }

  /** Starts a thread for a job about to need one (while its series downloads), unless one is idle. */
  prepare(): void {
    this.pool.prestart();
  }

  /**
   * Segments and encodes `volume` in a segmentation thread. `volume.hu` is shared when it lives in a
   * SharedArrayBuffer (as the decode stream builds it); otherwise its buffer MOVES to the thread and
   * `volume.hu` is detached here afterwards. Either way the caller must not use `volume.hu` again.
   * @throws SegmentationThreadFailedError (what failed there, or that the thread died), `signal.reason` when aborted.
   */
  async build(model: SegmentationModel, volume: CtVolume, options: ResultBuildOptions, task: { signal: AbortSignal; onEvent: (event: BuildResultEvent) => void }): Promise<BuiltResult> {
    task.signal.throwIfAborted();
    const shared = await model.share();
    const { hu, ...rest } = volume;
    const transfer: WorkerTransferable[] = [shared.port];
    if (!(hu.buffer instanceof SharedArrayBuffer)) transfer.push(hu.buffer as ArrayBuffer);
    let reply: BuildResultReply;
    try {
      reply = await this.pool.run<BuildResultReply>(
        { model: shared, volume: { ...rest, header: cloneable(rest.header) }, huBuffer: hu.buffer, huByteOffset: hu.byteOffset, huLength: hu.length, options },
        transfer,
        { signal: task.signal, onEvent: (event) => task.onEvent(event as BuildResultEvent) },
      );
    } catch (error) {
      if (task.signal.aborted) throw task.signal.reason;
      if (error instanceof WorkerTaskError) throw new SegmentationThreadFailedError(`The segmentation thread failed: ${error.message}`, 'segmentation-thread-failed', { cause: error });
      throw error;
    } finally {
      // Ours still when the task never reached a thread; closing an already transferred port is a no-op.
      shared.port.close();
    }
    if (!reply.ok) throw new SegmentationThreadFailedError(reply.failure.message, reply.failure.code);
    return reply.result;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}
