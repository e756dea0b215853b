import type { Logger } from '@nestjs/common';
import type { JobRecord, JobRepository } from '../repositories/job.repository';
import type { JobOutcome, MetricsService } from '../../metrics/services/metrics.service';
import { describeFailure } from './job-failure';
import type { JobResult } from './job-result';

/**
 * How a job's end is recorded — its row, /metrics and the log line — the same for the in-process
 * worker (embedded) and the queue runner (scaled). Each keeps its own rules for requeueing; the log
 * lines carry the owner's logger context.
 */
export class JobOutcomes {
  constructor(
    private readonly jobs: JobRepository,
    private readonly metrics: MetricsService,
    private readonly pacsRetries: number,
    private readonly logger: Logger,
  ) {}

  async succeeded(job: JobRecord, result: JobResult): Promise<void> {
    await this.jobs.succeed(job.id, result);
    await this.recordMetrics(job, 'succeeded');
    this.logger.log(`Job ${job.id} succeeded: SEG ${result.segSopInstanceUID} (reused: ${result.reused})`);
  }

  async cancelled(job: JobRecord): Promise<void> {
    await this.jobs.markCancelled(job.id);
    await this.recordMetrics(job, 'cancelled');
    this.logger.log(`Job ${job.id} cancelled`);
  }

  async failed(job: JobRecord, error: unknown): Promise<void> {
    const failure = describeFailure(error, { pacsRetries: this.pacsRetries });
    await this.jobs.fail(job.id, failure.code, failure.message);
    await this.recordMetrics(job, 'failed');
    if (failure.code.startsWith('pacs-')) this.metrics.pacsError(job.pacsEndpointId, failure.code);
    this.logger.warn(`Job ${job.id} failed (${failure.code}): ${failure.message}`);
  }

  /** Outcome and per-stage durations (the job row keeps ms per stage; Prometheus wants seconds). */
  private async recordMetrics(job: JobRecord, outcome: JobOutcome): Promise<void> {
    this.metrics.jobFinished(outcome);
    const timings = ((await this.jobs.get(job.id))?.timings ?? {}) as Record<string, number>;
    for (const [stage, ms] of Object.entries(timings)) if (Number.isFinite(ms)) this.metrics.stageDuration(stage, ms / 1000);
  }
}
