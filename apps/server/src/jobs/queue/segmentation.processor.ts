import { Logger, OnModuleDestroy, Type } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { DelayedError, Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueConfig } from '../../core/config/queue.config';
import { redisClient, SEGMENTATION_QUEUE, SegmentationJobData } from './bullmq-names';
import { StudyLock } from './study-lock';
import { QueueJobRunner } from './job-queue';

/** How long a job waits before trying again when another worker holds its study. */
const STUDY_BUSY_RETRY_MS = 2_000;
/** How often a paused worker (state store away) checks whether it answers again. */
const STORE_PROBE_MS = 2_000;

/**
 * The worker side of the BullMQ adapter, as an @nestjs/bullmq processor: BullModule's explorer creates
 * the BullMQ Worker (connection and prefix from QueueTransportModule, the worker options from the
 * @Processor that {@link segmentationProcessorClass} puts on a subclass at boot) and closes it at
 * shutdown.
 *
 * Each job takes its study's lock first (one job per study at a time across workers), then runs. BullMQ
 * keeps the job's own lock alive every lockMs/2; a worker killed with -9 stops doing so, and another
 * worker's stalled check moves the job back to wait within lockMs + stalledIntervalMs (queue.config.ts
 * explains the values).
 */
export class SegmentationProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly logger = new Logger(SegmentationProcessor.name);
  private readonly redis: Redis;
  private readonly studyLock: StudyLock;
  private readonly running = new Map<string, AbortController>();
  private probing: NodeJS.Timeout | undefined;
  /** Jobs this worker finished, by count, for the demo's and the bench's per-worker figures (metrics). */
  processed = 0;

  constructor(
    private readonly config: QueueConfig & { redisUrl: string },
    private readonly runner: QueueJobRunner,
    private readonly shutdownReason: () => Error,
  ) {
    super();
    this.redis = redisClient(config.redisUrl, `lock-${config.workerId}`);
    this.redis.on('error', (error) => this.logger.warn(`Redis (study locks): ${error.message}`));
    this.studyLock = new StudyLock(this.redis, config.lockMs);
  }

  /** Jobs this worker runs now. */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Aborts one running job of this worker with the given reason (cancel, timeout). */
  abort(jobId: string, reason: Error): void {
    this.running.get(jobId)?.abort(reason);
  }

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    // Without a listener a Redis connection error would be an unhandled 'error' event.
    this.logger.warn(`Redis (worker): ${error.message}`);
  }

  /**
   * The job's lock could not be extended (Redis away longer than lockMs): another worker may take it
   * over, so stop ours at once rather than race it to the PACS.
   */
  @OnWorkerEvent('lockRenewalFailed')
  onLockRenewalFailed(jobIds: string[]): void {
    for (const id of jobIds) this.running.get(id)?.abort(new Error(`lost the queue lock of job ${id}`));
  }

  /** BullMQ gave up on a job (attempts spent, or it stalled too often): record why on the job's row. */
  @OnWorkerEvent('failed')
  onFailed(job: Job<SegmentationJobData> | undefined, error: Error): void {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled more than allowable limit/.test(error.message);
    if (final) void this.runner.recordLost(job.id!, error.message).catch((e: unknown) => this.logger.error(`Job ${job.id}: recording the queue failure failed: ${String(e)}`));
  }

  async process(job: Job<SegmentationJobData>, token?: string): Promise<string> {
    const id = job.id!;
    const key = StudyLock.key(job.data.pacsEndpointId, job.data.studyInstanceUID);
    const lockToken = `${this.config.workerId}:${id}:${token ?? ''}`;
    if (!(await this.studyLock.acquire(key, lockToken))) {
      // Another worker runs a job of this study: come back shortly (not counted as an attempt).
      await job.moveToDelayed(Date.now() + STUDY_BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
    const controller = new AbortController();
    this.running.set(id, controller);
    const renew = setInterval(() => {
      this.studyLock.extend(key, lockToken).then(
        (held) => held || controller.abort(new Error(`lost the study lock of job ${id}`)),
        (error: unknown) => this.logger.warn(`Job ${id}: extending the study lock failed: ${String(error)}`),
      );
    }, Math.max(500, Math.floor(this.config.lockMs / 3)));
    try {
      this.logger.log(`Job ${id} taken by worker ${this.config.workerId} (queue attempt ${job.attemptsMade + 1})`);
      const ran = await this.runner.runById(id, controller.signal);
      if (ran) this.processed += 1;
      return ran ? 'ran' : 'skipped';
    } catch (error) {
      if (this.runner.isStoreUnavailable(error)) this.pauseUntilStoreAnswers();
      // BullMQ retries the job later (attempts with backoff), here or on another worker.
      throw error;
    } finally {
      clearInterval(renew);
      this.running.delete(id);
      await this.studyLock.release(key, lockToken).catch((error: unknown) => this.logger.warn(`Job ${id}: releasing the study lock failed: ${String(error)}`));
    }
  }

  /**
   * The database is away: take no more jobs (they would fail the same way) until it answers again. The
   * job that hit it goes back to the queue; Redis keeps the others waiting.
   */
  private pauseUntilStoreAnswers(): void {
    if (this.probing) return;
    this.logger.warn(`Worker ${this.config.workerId} pauses: the database does not answer`);
    // true: do not wait for the active jobs (this call comes from inside one).
    void this.worker.pause(true);
    this.probing = setInterval(() => {
      this.runner.probeStore().then(
        () => {
          clearInterval(this.probing);
          this.probing = undefined;
          this.worker.resume();
          this.logger.log(`Worker ${this.config.workerId} resumes: the database answers again`);
        },
        () => undefined,
      );
    }, STORE_PROBE_MS);
  }

  /**
   * Stops taking jobs, aborts the running ones with the shutdown reason (the runner puts them back in the
   * queue), and waits for them to wind down. Runs before BullModule closes the worker at application
   * shutdown (which then finds it closed), while the database is still open for the runner's last writes.
   */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.probing);
    const closing = this.worker.close();
    for (const controller of this.running.values()) controller.abort(this.shutdownReason());
    await closing;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The processor class for this process's configuration. @Processor's worker options are read by
 * BullModule's explorer from class metadata, and ours come from the environment at boot (worker id,
 * concurrency, lock and stall timings): so each boot decorates a subclass of its own, rather than a
 * module-level class carrying one process's settings for every app built in the same process (tests).
 */
export function segmentationProcessorClass(config: QueueConfig, concurrency: number): Type<SegmentationProcessor> {
  @Processor(SEGMENTATION_QUEUE, {
    name: config.workerId,
    concurrency,
    lockDuration: config.lockMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
  })
  class ConfiguredSegmentationProcessor extends SegmentationProcessor {}
  return ConfiguredSegmentationProcessor;
}

/** Builds this process's processor: BullModule's explorer finds it among the providers and gives it its Worker. */
export function createSegmentationProcessor(
  config: QueueConfig & { redisUrl: string },
  concurrency: number,
  runner: QueueJobRunner,
  shutdownReason: () => Error,
): SegmentationProcessor {
  const Configured = segmentationProcessorClass(config, concurrency);
  return new Configured(config, runner, shutdownReason);
}
