import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { JobRepository } from '../repositories/job.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { MetricsService } from '../../metrics/services/metrics.service';
import { JOB_QUEUE, type JobQueue } from '../queue/job-queue';

/**
 * Every OUTBOX_SWEEP_MS (and at boot): requeues the failed jobs whose outbox payload is pending and due
 * for another delivery (the pipeline then delivers the stored bytes, nothing is rebuilt), deletes the
 * payloads past OUTBOX_KEEP_DELIVERED_HOURS, and publishes the outbox counts by status on
 * /metrics (covseg_outbox_entries{status="failed"} is the one to alert on).
 */
@Injectable()
export class OutboxSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxRepository,
    private readonly jobs: JobRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.outboxSweepMs);
    this.timer.unref();
    void this.sweep();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One pass; never throws (a failing sweep is logged and tried again next time). */
  async sweep(now: Date = new Date()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const entry of await this.outbox.listDueForRetry(now)) {
        if (await this.jobs.requeueFailed(entry.jobId)) {
          this.logger.log(`Outbox ${entry.id}: delivery ${entry.attempts + 1} of ${this.config.outboxMaxAttempts} of SOP Instance ${entry.segSopInstanceUID} (job ${entry.jobId} requeued)`);
          void this.queue.enqueue(entry.jobId).catch((error: unknown) => this.logger.error(`Job ${entry.jobId} requeued but not enqueued: ${String(error)}`));
        }
      }
      const deleted = await this.outbox.sweepPayloads(now);
      if (deleted > 0) this.logger.log(`Outbox: deleted ${deleted} payload file(s) past the retention`);
      const counts = await this.outbox.countByStatus();
      for (const [status, count] of Object.entries(counts)) this.metrics.outboxEntries.set({ status }, count);
    } catch (error) {
      this.logger.error(`Outbox sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.sweeping = false;
    }
  }
}
