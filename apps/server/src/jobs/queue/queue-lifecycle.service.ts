import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { JobRepository } from '../repositories/job.repository';
import { BullmqJobQueue } from './bullmq-job-queue';
import { JOB_QUEUE, JobQueue } from './job-queue';
import { SegmentationProcessor } from './segmentation.processor';
import { QUEUE_CONFIG, QueueConfig, runsApi } from '../../core/config/queue.config';

/**
 * The scaled mode's API side of the queue (ROLE=api|all): the reconciler, which hands Redis every job
 * the database holds as queued or running that Redis does not know (Redis lost its data, or was down
 * when the job was created). The database is the record of jobs; Redis only carries them to the workers.
 * The worker side (ROLE=worker|all) is SegmentationProcessor, which BullModule runs.
 * In embedded mode (no REDIS_URL) it does nothing: the in-process worker runs the queue.
 */
@Injectable()
export class QueueLifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueLifecycleService.name);
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling = false;

  constructor(
    @Inject(QUEUE_CONFIG) private readonly queueConfig: QueueConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly jobs: JobRepository,
    @Inject(SegmentationProcessor) private readonly processor: SegmentationProcessor | null,
  ) {}

  onApplicationBootstrap(): void {
    if (this.queueConfig.redisUrl === undefined) return;
    if (this.processor) this.logger.log(`Worker ${this.queueConfig.workerId} takes jobs from Redis (concurrency ${this.processor.worker.concurrency})`);
    if (runsApi(this.queueConfig)) {
      this.reconcileTimer = setInterval(() => void this.reconcile(), this.queueConfig.reconcileMs);
      this.reconcileTimer.unref();
      void this.reconcile();
    }
  }

  /** Jobs this process's worker finished (0 without a worker). */
  processedByThisWorker(): number {
    return this.processor?.processed ?? 0;
  }

  /** Hands every active job of the database to the queue; idempotent, never throws. */
  async reconcile(): Promise<number> {
    if (this.reconciling) return 0;
    this.reconciling = true;
    let handed = 0;
    try {
      for (const job of await this.jobs.listActive()) {
        await this.queue.enqueue(job.id, { priority: 'system' });
        handed += 1;
      }
    } catch (error) {
      this.logger.warn(`Queue reconcile stopped after ${handed} job(s): ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.reconciling = false;
    }
    return handed;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.reconcileTimer);
    if (this.queue instanceof BullmqJobQueue) await this.queue.close();
  }
}
