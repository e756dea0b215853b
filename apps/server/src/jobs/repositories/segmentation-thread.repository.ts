import { join } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { SegmentationModel, SharedSegmentationModel } from '@covseg/segmentation';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { QUEUE_CONFIG, QueueConfig } from '../../core/config/queue.config';
import { IsolatedWorkerPool, WorkerTaskError, type WorkerTransferable } from '../../core/repositories/isolated-worker-pool';
import type { BuiltResult, ResultBuildOptions } from '../pipeline/build-result';
import type { BuildResultEvent, BuildResultReply, BuildResultRequest } from '../pipeline/build-result.worker';
import { HeldVolume, releaseHu } from '../pipeline/held-volume';
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
   * Segments and encodes `volume` in a segmentation thread. The HU are shared when they live in a
   * SharedArrayBuffer (as the decode stream builds them); otherwise their buffer MOVES to the thread.
   * Either way `volume.hu` is released here once the request is posted: the thread lets go of them after
   * its last batch, and for a large volume this thread's reference is collected at once (collectGarbage),
   * so that the shared memory is freed as soon as the thread's is.
   * @throws SegmentationThreadFailedError (what failed there, or that the thread died), `signal.reason` when aborted.
   */
  async build(model: SegmentationModel, volume: HeldVolume, options: ResultBuildOptions, task: { signal: AbortSignal; onEvent: (event: BuildResultEvent) => void }): Promise<BuiltResult> {
    task.signal.throwIfAborted();
    const shared = await model.share();
    let reply: BuildResultReply;
    try {
      const replied = this.post(shared, volume, options, task);
      // Posted (or queued, holding its own reference until it is): nothing here reads the HU again.
      releaseHu(volume);
      reply = await replied;
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

  /**
   * Builds the request and hands it to the pool. Its own (synchronous) function, so that the request,
   * which references the HU, is never held in `build`'s frame: a value left in a frame's registers stays
   * reachable for the collection `build` forces, and across its await.
   */
  private post(shared: SharedSegmentationModel, volume: HeldVolume, options: ResultBuildOptions, task: { signal: AbortSignal; onEvent: (event: BuildResultEvent) => void }): Promise<BuildResultReply> {
    const [request, transfer] = requestOf(shared, volume, options);
    return this.pool.run<BuildResultReply>(request, transfer, { signal: task.signal, onEvent: (event) => task.onEvent(event as BuildResultEvent) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}

/** The thread's request and what moves with it. */
function requestOf(shared: SharedSegmentationModel, volume: HeldVolume, options: ResultBuildOptions): [Record<string, unknown>, WorkerTransferable[]] {
  const { hu: handle, ...rest } = volume;
  const hu = handle.get('the segmentation thread request');
  const transfer: WorkerTransferable[] = [shared.port];
  if (!(hu.buffer instanceof SharedArrayBuffer)) transfer.push(hu.buffer as ArrayBuffer);
  const request = {
    model: shared,
    volume: { ...rest, header: cloneable(rest.header) as HeldVolume['header'] },
    huBuffer: hu.buffer,
    huByteOffset: hu.byteOffset,
    huLength: hu.length,
    options,
  } satisfies Omit<BuildResultRequest, 'id'>;
  return [request, transfer];
}
