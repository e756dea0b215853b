import { Inject, Injectable, Logger } from '@nestjs/common';
import { DatabaseUnavailableError } from '../../core/database/database.errors';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { QueueJobRunner } from '../queue/job-queue';
import { MetricsService } from '../../metrics/services/metrics.service';
import { JobOutcomes } from './job-outcomes';
import { JobCancelledError, JobTimeoutError, WorkerShutdownError } from './job.errors';
import { SegmentationPipeline } from './segmentation.pipeline';

/** How often a worker looks in the database for cancel requests of the jobs it runs (the API sets them). */
const CANCEL_POLL_MS = 1_000;

/**
 * Runs one job that a queue worker took, by id (scaled mode): claims it in the database, runs the
 * pipeline under JOB_TIMEOUT_MS and the cancel flag, and records the outcome there, where the API and
 * the viewer read it. Progress reaches the viewer the same way: the pipeline writes it to the job row.
 */
@Injectable()
export class QueueJobRunnerService implements QueueJobRunner {
  private readonly logger = new Logger(QueueJobRunnerService.name);
  private readonly outcomes: JobOutcomes;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobRepository,
    private readonly pipeline: SegmentationPipeline,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {
    this.outcomes = new JobOutcomes(jobs, metrics, config.pacsRetries, this.logger);
  }

  async runById(jobId: string, queueSignal: AbortSignal): Promise<boolean> {
    const job = await this.jobs.claimById(jobId);
    if (!job) {
      this.logger.log(`Job ${jobId} is no longer active; nothing to run`);
      return false;
    }
    const controller = new AbortController();
    const abort = (reason: unknown) => controller.abort(reason);
    queueSignal.addEventListener('abort', () => abort(queueSignal.reason), { once: true });
    const timeout = setTimeout(() => abort(new JobTimeoutError(this.config.jobTimeoutMs)), this.config.jobTimeoutMs);
    const cancelPoll = setInterval(() => {
      this.jobs.isCancelRequested(jobId).then(
        (requested) => requested && abort(new JobCancelledError(jobId)),
        // The database is away: the pipeline's own writes will fail and say so.
        () => undefined,
      );
    }, CANCEL_POLL_MS);
    this.logger.log(`Job ${job.id} started (attempt ${job.attempts}): study ${job.studyInstanceUID}`);
    this.metrics.jobsStarted.inc();
    try {
      await this.run(job, controller.signal);
    } finally {
      clearTimeout(timeout);
      clearInterval(cancelPoll);
    }
    return true;
  }

  /** The database adapters throw DatabaseUnavailableError when the server is unreachable (Postgres stopped). */
  isStoreUnavailable(error: unknown): boolean {
    for (let e = error; e instanceof Error; e = e.cause) if (e instanceof DatabaseUnavailableError) return true;
    return false;
  }

  async probeStore(): Promise<void> {
    await this.jobs.countActive();
  }

  async recordLost(jobId: string, reason: string): Promise<void> {
    const job = await this.jobs.get(jobId);
    if (!job || (job.status !== 'queued' && job.status !== 'running')) return;
    await this.jobs.fail(jobId, 'worker-lost', `The queue gave up on the job: ${reason}`);
    this.logger.warn(`Job ${jobId} failed (worker-lost): ${reason}`);
  }

  private async run(job: JobRecord, signal: AbortSignal): Promise<void> {
    try {
      const result = await this.pipeline.run(job, signal);
      await this.outcomes.succeeded(job, result);
    } catch (thrown) {
      const error = signal.aborted ? signal.reason : thrown;
      // The database went away mid-job: not the job's fault. Hand it back (the queue retries it) rather
      // than mark it failed; the worker pauses until the database answers.
      if (this.isStoreUnavailable(error)) throw error;
      if (error instanceof WorkerShutdownError || (signal.aborted && !(error instanceof JobCancelledError) && !(error instanceof JobTimeoutError))) {
        // Shutting down, or the queue lock was lost: the job goes back to the queue, not to failed.
        await this.jobs.requeue(job.id);
        this.logger.log(`Job ${job.id} handed back to the queue: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
      if (error instanceof JobCancelledError || (await this.jobs.isCancelRequested(job.id))) {
        await this.outcomes.cancelled(job);
        return;
      }
      await this.outcomes.failed(job, error);
    }
  }
}
