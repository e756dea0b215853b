import { Module } from '@nestjs/common';
import { DimseModule } from '../dimse/dimse.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ModelModule } from '../model/model.module';
import { PacsModule } from '../pacs/pacs.module';
import { JobController } from './controllers/job.controller';
import { JobWorker } from './pipeline/job-worker';
import { OutboxSweeper } from './pipeline/outbox-sweeper';
import { SegmentationPipeline } from './pipeline/segmentation.pipeline';
import { QUEUE_CONFIG, QueueConfig } from '../core/config/queue.config';
import { QueueJobRunnerService } from './pipeline/queue-job-runner';
import { BullmqJobQueue } from './queue/bullmq-job-queue';
import { InProcessJobQueue } from './queue/in-process-job-queue';
import { JOB_QUEUE } from './queue/job-queue';
import { QueueLifecycleService } from './queue/queue-lifecycle.service';
import { DecodePoolRepository } from './repositories/decode-pool.repository';
import { JobRepository } from './repositories/job.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { JobService } from './services/job.service';
import { ReceivedSeriesService } from './services/received-series.service';

/**
 * Segmentation jobs: the API (`/api/jobs`), the queue port (in-process adapter by default, BullMQ with
 * REDIS_URL), the worker
 * and its pipeline (DICOM → volume → U-Net → SEG → outbox → PACS), the outbox sweeper and the jobs
 * created from series pushed over DIMSE. Exports JobService (to create jobs) and JobRepository (read
 * side: job statuses for the viewer and health).
 */
@Module({
  imports: [PacsModule, DimseModule, ModelModule, MetricsModule],
  controllers: [JobController],
  providers: [
    JobService,
    JobRepository,
    OutboxRepository,
    DecodePoolRepository,
    SegmentationPipeline,
    JobWorker,
    OutboxSweeper,
    ReceivedSeriesService,
    // The queue port's adapter, by configuration: BullMQ on Redis when REDIS_URL is set (scaled mode).
    {
      provide: JOB_QUEUE,
      useFactory: (config: QueueConfig, worker: JobWorker, jobs: JobRepository) =>
        config.redisUrl !== undefined ? new BullmqJobQueue(config.redisUrl, jobs) : new InProcessJobQueue(worker, jobs),
      inject: [QUEUE_CONFIG, JobWorker, JobRepository],
    },
    // Scaled mode only (inert otherwise): BullMQ workers by ROLE, and the API's reconciler.
    QueueJobRunnerService,
    QueueLifecycleService,
  ],
  exports: [JobService, JobRepository],
})
export class JobsModule {}
