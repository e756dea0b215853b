import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { QUEUE_CONFIG, QueueConfig } from '../../core/config/queue.config';
import { JobOutcomes } from './job-outcomes';
import { JobCancelledError, JobTimeoutError, WorkerShutdownError } from './job.errors';
import { SegmentationPipeline } from './segmentation.pipeline';
import { MetricsService } from '../../metrics/services/metrics.service';

/**
 * Claims queued jobs from SQLite and runs them, at most JOB_CONCURRENCY at a time, each under
 * JOB_TIMEOUT_MS. The queue is the database: on boot, jobs a dead process left `running` are requeued
 * and resumed (a SEG already in the outbox is delivered, not rebuilt). On shutdown, running jobs are
 * aborted and put back in the queue rather than failed.
 */
@Injectable()
export class JobWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobWorker.name);
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** A wake in progress (claims are awaited) and whether another was asked for meanwhile. */
  private waking: Promise<void> | undefined;
  private wakeAgain = false;
  private readonly outcomes: JobOutcomes;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobRepository,
    private readonly pipeline: SegmentationPipeline,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(QUEUE_CONFIG) private readonly queueConfig: QueueConfig,
  ) {
    this.outcomes = new JobOutcomes(jobs, metrics, config.pacsRetries, this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Scaled mode: BullMQ workers (jobs/queue/) run the jobs; this in-process loop stays off in every role.
    // Never requeue `running` rows here: in scaled mode they belong to live workers on other hosts.
    if (this.queueConfig.redisUrl !== undefined) {
      this.stopping = true;
      return;
    }
    const requeued = await this.jobs.requeueRunning();
    if (requeued.length > 0) this.logger.log(`Requeued ${requeued.length} job(s) left running by a previous process: ${requeued.join(', ')}`);
    this.timer = setInterval(() => void this.wake(), this.config.jobPollMs);
    this.timer.unref();
    await this.wake();
  }

  /**
   * Starts queued jobs while there is capacity. Cheap; call it whenever a job may have been queued.
   * One claim loop at a time (claims are awaited): a wake during a wake runs the loop once more after
   * it, instead of a second loop that would claim past JOB_CONCURRENCY. Never rejects: a failed claim
   * (database unavailable) is logged and retried at the next poll.
   */
  wake(): Promise<void> {
    if (this.waking) {
      this.wakeAgain = true;
      return this.waking;
    }
    const current = (async () => {
      // Yield first, so `this.waking` is set before the loop runs (a loop with nothing to claim would
      // otherwise finish synchronously and leave a settled promise behind as "a wake in progress").
      await Promise.resolve();
      try {
        do {
          this.wakeAgain = false;
          while (!this.stopping && this.running.size < this.config.jobConcurrency) {
            const job = await this.jobs.claimNext();
            if (!job) break;
            this.start(job);
          }
        } while (this.wakeAgain && !this.stopping);
      } catch (error) {
        this.logger.warn(`Claiming the next job failed (retried at the next poll): ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        // Only this loop runs while `waking` is set (see the check above), so it is this loop's to clear.
        this.waking = undefined;
      }
    })();
    this.waking = current;
    return current;
  }

  /** Aborts a running job of this process; it ends `cancelled`. */
  cancel(id: string): void {
    this.running.get(id)?.controller.abort(new JobCancelledError(id));
  }

  /**
   * First of the shutdown hooks (Nest runs every onModuleDestroy before any onApplicationShutdown), so
   * running jobs are requeued while the model and the database, released in onApplicationShutdown, still work.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    for (const { controller } of this.running.values()) controller.abort(new WorkerShutdownError());
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.waking;
  }

  private start(job: JobRecord): void {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new JobTimeoutError(this.config.jobTimeoutMs)), this.config.jobTimeoutMs);
    this.logger.log(`Job ${job.id} started (attempt ${job.attempts}): study ${job.studyInstanceUID}`);
    this.metrics.jobsStarted.inc();
    const done = this.run(job, controller.signal)
      // Recording the outcome failed (the database went away): the row stays `running`, and the next
      // start requeues it; the outbox keeps any built result, so nothing is built twice.
      .catch((error: unknown) => this.logger.error(`Job ${job.id}: recording its outcome failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        clearTimeout(timeout);
        this.running.delete(job.id);
        // Let the next job start from a clean stack, not inside this one's promise chain.
        setImmediate(() => void this.wake());
      });
    this.running.set(job.id, { controller, done });
  }

  private async run(job: JobRecord, signal: AbortSignal): Promise<void> {
    try {
      const result = await this.pipeline.run(job, signal);
      // A cancel that arrives after the last checkpoint loses: the SEG is stored, so say so.
      await this.outcomes.succeeded(job, result);
    } catch (thrown) {
      const error = signal.aborted ? signal.reason : thrown;
      if (error instanceof WorkerShutdownError) {
        await this.jobs.requeue(job.id);
        this.logger.log(`Job ${job.id} requeued for the next start`);
      } else if (error instanceof JobCancelledError || (await this.jobs.isCancelRequested(job.id))) {
        await this.outcomes.cancelled(job);
      } else {
        await this.outcomes.failed(job, error);
      }
    }
  }
}
